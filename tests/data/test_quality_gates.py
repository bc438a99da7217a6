"""Data-quality gates: one fixture per failure, each blocked with a message naming the rule; good data passes;
a blocked run leaves the published table at the same Delta version."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sme_pulse.bronze.landing import land_file
from sme_pulse.bronze.schema import RAW_FIELDS, RAW_HEADER
from sme_pulse.bronze.synthetic import SyntheticSpec, generate_invoices
from sme_pulse.errors import DataQualityError
from sme_pulse.lakehouse.delta_io import delta_version
from sme_pulse.lakehouse.tables import table_path
from sme_pulse.materialize import materialize
from sme_pulse.quality.checks import silver_as_of, validate_features
from sme_pulse.settings import Settings
from spark_jobs.features.job import run as build_features
from spark_jobs.silver.stg_ar_invoices import run as build_silver
from tests.conftest import lakehouse_settings

ROWS = 3_000


def _write(path: Path, frame) -> Path:  # type: ignore[no-untyped-def]
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerow(RAW_HEADER)
        frame[list(RAW_FIELDS)].to_csv(handle, header=False, index=False)
    return path


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, spark) -> Iterator[tuple[Settings, Path]]:
    """A lakehouse whose Silver table was published from good synthetic data."""
    root = tmp_path_factory.mktemp("quality")
    with lakehouse_settings(root) as settings:
        good = _write(root / "good.csv", generate_invoices(SyntheticSpec(rows=ROWS, seed=3)))
        land_file(good, settings.bronze_dir, source="good", now=datetime(2026, 1, 1, tzinfo=UTC))
        report = build_silver(settings)
        assert report.files[0].silver_rows == ROWS, "good data passes every gate"
        yield settings, root


def _fresh_batch(seed: int):  # type: ignore[no-untyped-def]
    """New invoices (other ids) that are fine until a test spoils them."""
    frame = generate_invoices(SyntheticSpec(rows=ROWS, seed=seed))
    frame["doc_id"] = frame["invoice_id"] = [f"{3_000_000_000 + seed * 10_000 + i}.0" for i in range(len(frame))]
    return frame


SPOILERS = {
    "nulls_in_keys": (
        lambda f: f.assign(doc_id=["" if i % 10 == 0 else v for i, v in enumerate(f["doc_id"])]),
        "expect_column_values_to_not_be_null on doc_id",
    ),
    "negative_amounts": (
        lambda f: f.assign(
            total_open_amount=[f"-{v}" if i % 10 == 0 else v for i, v in enumerate(f["total_open_amount"])]
        ),
        "expect_column_values_to_be_between on total_open_amount_number",
    ),
    "unparseable_dates": (
        lambda f: f.assign(posting_date=["31/12/2019" if i % 10 == 0 else v for i, v in enumerate(f["posting_date"])]),
        "expect_column_values_to_match_regex on posting_date",
    ),
    "shifted_amounts": (
        lambda f: f.assign(total_open_amount=(f["total_open_amount"].astype(float) * 8).round(2).astype(str)),
        "expect_column_mean_to_be_between on amount",
    ),
    "new_dominant_business_code": (
        lambda f: f.assign(business_code="ZZ99"),
        "expect_column_kl_divergence_to_be_less_than on business_code_group",
    ),
}


@pytest.mark.parametrize("case", list(SPOILERS))
def test_each_kind_of_bad_data_is_blocked_and_nothing_is_published(published, case: str) -> None:
    settings, root = published
    spoil, rule = SPOILERS[case]
    seed = 100 + list(SPOILERS).index(case)
    bad = _write(root / f"{case}.csv", spoil(_fresh_batch(seed)))
    manifest = land_file(bad, settings.bronze_dir, source=case, now=datetime(2026, 1, 2, tzinfo=UTC)).manifest
    version = delta_version(table_path(settings, "stg_ar_invoices"))
    try:
        with pytest.raises(DataQualityError) as blocked:
            build_silver(settings)
        assert rule in str(blocked.value), str(blocked.value)
        assert "Nothing was published" in (blocked.value.hint or "") and "index.html" in (blocked.value.hint or "")
        assert delta_version(table_path(settings, "stg_ar_invoices")) == version
    finally:  # take the bad file out of Bronze so the next case starts from the same published state
        for path in (manifest.absolute_path(settings.bronze_dir),):
            path.chmod(0o644)
            path.unlink()
            Path(str(path) + ".manifest.json").unlink()


def test_stale_features_block_materialization_and_training(published) -> None:
    settings, _ = published
    build_features(settings)
    as_of = silver_as_of(settings)
    assert all(r.passed for r in validate_features(settings, as_of)), "fresh features pass"
    stale = settings.model_copy(update={"as_of": as_of + timedelta(days=60)})
    results = validate_features(stale, stale.as_of)  # type: ignore[arg-type]
    assert not any(r.passed for r in results)
    assert all(f.rule == "expect_column_max_to_be_between" for r in results for f in r.critical)
    with pytest.raises(DataQualityError, match="stale: newest row older than 14 days"):
        materialize(stale)
    from training.pipeline import train

    with pytest.raises(DataQualityError, match="expect_column_max_to_be_between on event_timestamp"):
        train(stale)
