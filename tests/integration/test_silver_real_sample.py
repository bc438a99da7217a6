"""Land the real Kaggle extract and build Silver with real Spark + Delta: types, reconciliation, reruns."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sme_pulse.bronze.landing import land_file
from sme_pulse.errors import DataQualityError
from sme_pulse.lakehouse.delta_io import delta_version
from sme_pulse.lakehouse.tables import table_path
from sme_pulse.settings import Settings
from spark_jobs.silver.stg_ar_invoices import run
from tests.integration.lakehouse import write_csv


def _read(spark, settings: Settings, name: str):  # type: ignore[no-untyped-def]
    return spark.read.format("delta").load(str(table_path(settings, name)))


@pytest.fixture
def landed(settings: Settings, real_sample: Path) -> Settings:
    land_file(real_sample, settings.bronze_dir, source="test:real-sample", now=datetime(2026, 1, 1, tzinfo=UTC))
    return settings


def test_real_sample_builds_typed_silver_that_reconciles_with_bronze(spark, landed: Settings) -> None:
    report = run(landed)
    [file] = report.files
    assert file.bronze_rows == 5188
    assert file.bronze_rows == file.silver_rows + file.quarantined_rows
    stg = _read(spark, landed, "stg_ar_invoices")
    types = dict(stg.dtypes)
    assert types["amount"] == "double" and types["posting_date"] == "date" and types["is_open"] == "boolean"
    assert types["delay_days"] == "int" and types["ingested_at"] == "timestamp"
    assert stg.count() == file.silver_rows == file.inserted
    assert stg.select("invoice_id").distinct().count() == stg.count()
    assert stg.where("is_open").count() == 683
    assert stg.where("is_open AND delay_days IS NOT NULL").count() == 0
    # The same customer written with and without its leading zero is one customer.
    assert stg.where("customer_id = '200769623'").select("customer_id_raw").distinct().count() == 2
    assert "buisness_year" not in stg.columns, "business year leaks the label and never reaches Silver"


def test_rerun_and_relanding_create_no_duplicates(spark, landed: Settings, real_sample: Path) -> None:
    run(landed)
    version = delta_version(table_path(landed, "stg_ar_invoices"))
    again = run(landed)
    assert again.files == [] and again.skipped_files == 1
    assert delta_version(table_path(landed, "stg_ar_invoices")) == version
    full = run(landed, full_refresh=True)
    assert full.files[0].inserted == 0 and full.files[0].updated == 0
    assert _read(spark, landed, "stg_ar_invoices").count() == 5188
    assert _read(spark, landed, "quarantine_ar_invoices").count() == full.files[0].quarantined_rows


def test_a_later_file_clears_an_open_invoice_and_bad_rows_are_quarantined(
    spark, landed: Settings, real_sample: Path, tmp_path: Path
) -> None:
    run(landed)
    with real_sample.open() as handle:
        rows = list(csv.reader(handle))[1:]
    open_row = next(r for r in rows if r[18] == "1")
    cleared = list(open_row)
    cleared[3], cleared[18] = "2020-05-20 00:00:00", "0"
    bad = list(rows[0])
    bad[5] = bad[17] = "1999999999.0"
    bad[14] = "-10"
    later = write_csv(tmp_path / "later.csv", [cleared, bad, rows[1]])
    land_file(later, landed.bronze_dir, source="test:later", now=datetime(2026, 1, 2, tzinfo=UTC))

    report = run(landed)
    [file] = report.files
    assert (file.bronze_rows, file.silver_rows, file.quarantined_rows) == (3, 2, 1)
    assert file.updated == 1 and file.inserted == 0 and file.unchanged == 1
    invoice = open_row[5].split(".")[0]
    row = _read(spark, landed, "stg_ar_invoices").where(f"invoice_id = '{invoice}'").collect()[0]
    assert row["is_open"] is False and str(row["clear_date"]) == "2020-05-20" and row["delay_days"] is not None
    quarantine = _read(spark, landed, "quarantine_ar_invoices").where("invoice_id = '1999999999'").collect()
    assert [q["rule"] for q in quarantine] == ["non_positive_amount"]
    assert _read(spark, landed, "stg_ar_invoices").count() == 5188


def test_a_blocked_batch_leaves_the_published_table_as_it_was(spark, landed: Settings, tmp_path: Path) -> None:
    run(landed)
    version = delta_version(table_path(landed, "stg_ar_invoices"))
    extra = write_csv(
        tmp_path / "extra.csv",
        [
            [
                "U001",
                "0200000001",
                "X co",
                "",
                "2020.0",
                "1888888888.0",
                "2020-05-01",
                "20200501",
                "20200501",
                "20200516.0",
                "USD",
                "RV",
                "1.0",
                "",
                "100.0",
                "20200501.0",
                "NAA8",
                "1888888888.0",
                "1",
            ]
        ],
    )
    land_file(extra, landed.bronze_dir, source="test:extra", now=datetime(2026, 1, 3, tzinfo=UTC))

    def refuse(staged, quarantined, counts):  # type: ignore[no-untyped-def]
        raise DataQualityError("blocked for the test")

    with pytest.raises(DataQualityError):
        run(landed, gate=refuse)
    assert delta_version(table_path(landed, "stg_ar_invoices")) == version
    assert _read(spark, landed, "stg_ar_invoices").where("invoice_id = '1888888888'").count() == 0
    assert run(landed).files[0].inserted == 1, "the blocked file is retried on the next run"
