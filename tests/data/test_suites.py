"""The expectations themselves on a few hand-made rows (no Spark): what passes, what each rule catches."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from sme_pulse.bronze.schema import RAW_FIELDS
from sme_pulse.quality.gates import run_gate
from sme_pulse.quality.suites import (
    ReferenceProfile,
    bronze_expectations,
    bronze_view,
    feature_expectations,
    feature_view,
    training_expectations,
)
from sme_pulse.settings import Settings

ROW = dict(
    zip(
        RAW_FIELDS,
        [
            "U001",
            "0200769623",
            "WAL-MAR co",
            "2019-05-06 00:00:00",
            "2019.0",
            "1929205837.0",
            "2019-04-25",
            "20190424",
            "20190425",
            "20190510.0",
            "USD",
            "RV",
            "1.0",
            "",
            "47462.61",
            "20190425.0",
            "NAH4",
            "1929205837.0",
            "0",
        ],
        strict=True,
    )
)


@pytest.fixture
def gx_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "lakehouse")


def _rules(result) -> set[str]:  # type: ignore[no-untyped-def]
    return {f"{f.rule}:{f.column}" for f in result.critical}


def test_clean_bronze_rows_pass_and_an_open_row_with_a_clear_date_is_caught(gx_settings: Settings) -> None:
    good = pd.DataFrame([ROW] * 60)
    assert run_gate(gx_settings, "bronze", bronze_view(good), bronze_expectations(len(good))).passed
    bad = pd.DataFrame([ROW] * 50 + [{**ROW, "isOpen": "1"}] * 20)
    assert _rules(run_gate(gx_settings, "bronze", bronze_view(bad), bronze_expectations(len(bad)))) == {
        "expect_column_values_to_be_in_set:clear_date_matches_isOpen"
    }


def test_a_few_bad_rows_are_left_to_the_quarantine_but_many_block_the_file(gx_settings: Settings) -> None:
    one_bad = pd.DataFrame([ROW] * 999 + [{**ROW, "invoice_currency": "XYZ"}])
    assert run_gate(gx_settings, "bronze", bronze_view(one_bad), bronze_expectations(1000)).passed
    many_bad = pd.DataFrame([ROW] * 900 + [{**ROW, "invoice_currency": "XYZ"}] * 100)
    assert "expect_column_values_to_be_in_set:invoice_currency" in _rules(
        run_gate(gx_settings, "bronze", bronze_view(many_bad), bronze_expectations(1000))
    )
    tiny_file = pd.DataFrame([ROW] * 2 + [{**ROW, "invoice_currency": "XYZ"}])
    assert run_gate(gx_settings, "bronze", bronze_view(tiny_file), bronze_expectations(3)).passed, (
        "one bad row in a 3-row correction file is quarantined, not a reason to block the file"
    )


def test_a_feature_written_before_it_was_known_is_caught(gx_settings: Settings) -> None:
    frame = pd.DataFrame(
        {
            "invoice_id": ["1", "2"],
            "event_timestamp": pd.to_datetime(["2020-05-01", "2020-05-10"], utc=True),
            "created_timestamp": pd.to_datetime(["2026-01-01", "2020-05-09"], utc=True),
            "invoice_amount": [10.0, 20.0],
        }
    )
    result = run_gate(
        gx_settings, "features", feature_view(frame), feature_expectations("ftr_invoice_terms", date(2020, 5, 12))
    )
    assert _rules(result) == {"expect_column_pair_values_a_to_be_greater_than_b:created_timestamp"}


def test_the_training_set_needs_enough_rows_and_warns_on_a_label_shift(gx_settings: Settings) -> None:
    small = pd.DataFrame({"delay_days": [1.0] * 10})
    assert "expect_table_row_count_to_be_between:None" in _rules(
        run_gate(gx_settings, "training", small, training_expectations(None))
    )
    shifted = pd.DataFrame({"delay_days": [9.0] * 300})
    result = run_gate(gx_settings, "training", shifted, training_expectations(previous_label_mean=1.0))
    assert result.passed and [w.rule for w in result.warnings] == ["expect_column_mean_to_be_between"]


def test_the_reference_profile_is_versioned_and_leaves_room_for_new_codes() -> None:
    profile = ReferenceProfile.load()
    assert profile.rows > 0 and abs(sum(profile.business_code_weights.values()) - 1) < 1e-3
    partition = profile.partition()
    assert partition["values"][-1] == "__other__" and abs(sum(partition["weights"]) - 1) < 1e-3
    assert datetime.fromisoformat(profile.taken_at)
