"""Build a real lakehouse in a test: land a CSV, build Silver and the feature tables, apply the Feast repo."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from sme_pulse.bronze.landing import land_file
from sme_pulse.bronze.schema import RAW_HEADER
from sme_pulse.feature_store import apply_feature_repo
from sme_pulse.settings import Settings
from spark_jobs.features.job import run as build_features
from spark_jobs.silver.stg_ar_invoices import run as build_silver


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(RAW_HEADER)
        writer.writerows(rows)
    return path


def invoice_row(
    doc_id: str,
    customer: str,
    posting: str,
    due: str,
    clear: str | None,
    amount: float = 1000.0,
    business: str = "U001",
) -> list[str]:
    """One raw row in the Kaggle formats (dates as yyyy-mm-dd in, the file's four shapes out)."""
    compact = lambda d: d.replace("-", "")  # noqa: E731
    return [
        business,
        customer,
        "TEST co",
        f"{clear} 00:00:00" if clear else "",
        "2019.0",
        f"{doc_id}.0",
        posting,
        compact(posting),
        compact(posting),
        f"{compact(due)}.0",
        "USD",
        "RV",
        "1.0",
        "",
        str(amount),
        f"{compact(posting)}.0",
        "NAA8",
        f"{doc_id}.0",
        "0" if clear else "1",
    ]


def build_lakehouse(settings: Settings, csv_path: Path) -> None:
    land_file(csv_path, settings.bronze_dir, source="test", now=datetime(2026, 1, 1, tzinfo=UTC))
    build_silver(settings)
    build_features(settings)
    apply_feature_repo(settings)
