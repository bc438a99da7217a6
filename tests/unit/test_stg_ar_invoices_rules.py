"""Each Silver rule on a handful of in-memory rows: typed output for good rows, one named rule for bad ones."""

from __future__ import annotations

import re
from datetime import date

import pytest

from sme_pulse.bronze.schema import RAW_FIELDS
from sme_pulse.reference.fx import load_fx_rates, monthly_fx_table
from spark_jobs.silver.stg_ar_invoices import (
    CORRUPT_COLUMN,
    RAW_SCHEMA,
    RULES,
    classify_invoices,
    compute_ar_invoice_quarantine,
    compute_stg_ar_invoices,
)

GOOD = {
    "business_code": "U001",
    "cust_number": "0200769623",
    "name_customer": "WAL-MAR co",
    "clear_date": "2019-05-06 00:00:00",
    "buisness_year": "2019.0",
    "doc_id": "1929205837.0",
    "posting_date": "2019-04-25",
    "document_create_date": "20190424",
    "document_create_date_1": "20190425",
    "due_in_date": "20190510.0",
    "invoice_currency": "USD",
    "document_type": "RV",
    "posting_id": "1.0",
    "area_business": None,
    "total_open_amount": "47462.61",
    "baseline_create_date": "20190425.0",
    "cust_payment_terms": "NAH4",
    "invoice_id": "1929205837.0",
    "isOpen": "0",
}


@pytest.fixture(scope="module")
def fx(spark):  # type: ignore[no-untyped-def]
    return spark.createDataFrame(monthly_fx_table(load_fx_rates()))


def _classify(spark, fx, rows: list[dict[str, object]]):  # type: ignore[no-untyped-def]
    from pyspark.sql import functions as F

    records = [(*tuple({**GOOD, **row}.get(c) for c in RAW_FIELDS), row.get(CORRUPT_COLUMN)) for row in rows]
    raw = spark.createDataFrame(records, RAW_SCHEMA).withColumns(
        {
            "manifest_id": F.lit("m1"),
            "source_file": F.lit("f.csv"),
            "ingested_at": F.to_timestamp(F.lit("2026-01-01T00:00:00+00:00")),
        }
    )
    return classify_invoices(raw, fx)


def test_a_good_row_is_typed_with_labels_and_vnd_amount(spark, fx) -> None:
    row = compute_stg_ar_invoices(_classify(spark, fx, [{}])).collect()[0]
    assert row["invoice_id"] == "1929205837"
    assert row["customer_id"] == "200769623" and row["customer_id_raw"] == "0200769623"
    assert row["posting_date"] == date(2019, 4, 25)
    assert row["document_create_date"] == date(2019, 4, 24)
    assert row["due_date"] == date(2019, 5, 10) and row["clear_date"] == date(2019, 5, 6)
    assert row["is_open"] is False
    assert row["delay_days"] == -4 and row["days_to_pay"] == 11
    assert row["amount"] == pytest.approx(47462.61)
    assert row["amount_vnd"] == pytest.approx(round(47462.61 * row["fx_vnd_per_unit"]))
    assert row["fx_vnd_per_unit"] == 23200.0  # USD rate effective 2019-04


def test_an_open_invoice_has_no_labels(spark, fx) -> None:
    row = compute_stg_ar_invoices(_classify(spark, fx, [{"clear_date": None, "isOpen": "1"}])).collect()[0]
    assert row["is_open"] is True
    assert row["clear_date"] is None and row["delay_days"] is None and row["days_to_pay"] is None


BAD_ROWS = [
    ("missing_key", {"doc_id": None, "invoice_id": None}),
    ("missing_key", {"cust_number": "  "}),
    ("invalid_document_id", {"doc_id": "19A9205837"}),
    ("unparseable_date", {"posting_date": "25/04/2019"}),
    ("unparseable_date", {"due_in_date": "2019.0"}),
    ("unparseable_date", {"clear_date": "soon"}),
    ("non_positive_amount", {"total_open_amount": "-5.0"}),
    ("non_positive_amount", {"total_open_amount": "abc"}),
    ("unknown_currency", {"invoice_currency": "XYZ"}),
    (
        "no_fx_rate",
        {
            "invoice_currency": "CAD",
            "posting_date": "2018-01-05",
            "document_create_date": "20180105",
            "baseline_create_date": "20180105.0",
            "due_in_date": "20180120.0",
            "clear_date": "2018-01-20 00:00:00",
        },
    ),
    ("invalid_open_flag", {"isOpen": "2"}),
    ("open_flag_mismatch", {"isOpen": "1"}),
    ("open_flag_mismatch", {"clear_date": None}),
    ("due_before_baseline", {"due_in_date": "20190301.0"}),
    ("clear_before_posting", {"clear_date": "2019-02-01 00:00:00"}),
    ("implausible_delay", {"clear_date": "2021-01-01 00:00:00"}),
    ("malformed_row", {CORRUPT_COLUMN: "U001,0200769623,case-16,few,fields"}),
]


@pytest.fixture(scope="module")
def quarantined_bad_rows(spark, fx) -> dict[int, list[dict]]:  # type: ignore[no-untyped-def]
    """All bad rows classified in one Spark job; each row carries its case number in name_customer."""
    rows = []
    for case, (_, change) in enumerate(BAD_ROWS):
        row = {"name_customer": f"case-{case}", "doc_id": f"{1_000_000 + case}.0", **change}
        if CORRUPT_COLUMN in change:
            row = {**dict.fromkeys(RAW_FIELDS), **change, "name_customer": f"case-{case}"}
        rows.append(row)
    classified = _classify(spark, fx, rows)
    assert compute_stg_ar_invoices(classified).count() == 0
    by_case: dict[int, list[dict]] = {}
    for q in compute_ar_invoice_quarantine(classified).collect():
        match = re.search(r"case-(\d+)", q["raw_row"])
        by_case.setdefault(int(match.group(1)) if match else -1, []).append(q.asDict())
    return by_case


@pytest.mark.parametrize(("case", "rule"), [(i, r) for i, (r, _) in enumerate(BAD_ROWS)], ids=[r for r, _ in BAD_ROWS])
def test_each_rule_sends_the_row_to_quarantine_with_its_name(quarantined_bad_rows, case: int, rule: str) -> None:
    rows = quarantined_bad_rows.get(case, [])
    assert [q["rule"] for q in rows] == [rule]
    assert rows[0]["rule_description"] == RULES[rule]
    assert "case-" in rows[0]["raw_row"], "the raw row is kept"


def test_duplicates_in_one_file_keep_the_most_advanced_record(spark, fx) -> None:
    open_copy = {"clear_date": None, "isOpen": "1"}
    classified = _classify(spark, fx, [open_copy, {}, {}])
    kept = compute_stg_ar_invoices(classified).collect()
    assert len(kept) == 1 and kept[0]["is_open"] is False
    rules = sorted(q["rule"] for q in compute_ar_invoice_quarantine(classified).collect())
    assert rules == ["duplicate_invoice_in_batch", "duplicate_invoice_in_batch"]


def test_every_row_lands_in_exactly_one_place(spark, fx) -> None:
    rows = [{}, {"doc_id": "1929205838.0"}, {"total_open_amount": "0"}, {"isOpen": "7", "doc_id": "1.0"}]
    classified = _classify(spark, fx, rows)
    silver, quarantine = compute_stg_ar_invoices(classified), compute_ar_invoice_quarantine(classified)
    assert silver.count() + quarantine.count() == len(rows)
    keys = [q["source_row_id"] for q in quarantine.collect()]
    assert len(set(keys)) == len(keys)
