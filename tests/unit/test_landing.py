"""Bronze keeps files unchanged, once, with a manifest; bad files are refused with a reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sme_pulse.bronze.landing import land_file, list_manifests
from sme_pulse.bronze.synthetic import SyntheticSpec, write_synthetic_csv
from sme_pulse.errors import InvalidInputError, SourceUnavailableError


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "invoices.csv"
    write_synthetic_csv(path, SyntheticSpec(rows=120, seed=5))
    return path


def test_landing_copies_the_file_unchanged_with_a_manifest(tmp_path: Path, csv_file: Path) -> None:
    bronze = tmp_path / "bronze"
    result = land_file(csv_file, bronze, source="test", now=datetime(2026, 1, 2, tzinfo=UTC))
    landed = bronze / result.manifest.path
    assert result.created
    assert landed.read_bytes() == csv_file.read_bytes()
    assert landed.parent.name == "ingest_date=20260102"
    manifest = json.loads(landed.with_name(landed.name + ".manifest.json").read_text())
    assert manifest["rows"] == 120 and manifest["source"] == "test" and len(manifest["sha256"]) == 64


def test_landing_the_same_file_twice_is_a_no_op(tmp_path: Path, csv_file: Path) -> None:
    bronze = tmp_path / "bronze"
    first = land_file(csv_file, bronze, source="a", now=datetime(2026, 1, 2, tzinfo=UTC))
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(csv_file.read_bytes())
    second = land_file(copy, bronze, source="b", now=datetime(2026, 1, 3, tzinfo=UTC))
    assert not second.created
    assert second.manifest == first.manifest
    assert len(list_manifests(bronze)) == 1
    assert len(list((bronze / "kaggle_invoices").rglob("*.csv"))) == 1


def test_a_file_without_the_invoice_columns_is_refused_and_names_them(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("business_code,cust_number,amount\nU001,1,2\n")
    with pytest.raises(InvalidInputError, match=r"missing columns: .*name_customer"):
        land_file(bad, tmp_path / "bronze", source="test")
    assert not (tmp_path / "bronze").exists()


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(SourceUnavailableError, match="does not exist"):
        land_file(tmp_path / "nope.csv", tmp_path / "bronze", source="test")
