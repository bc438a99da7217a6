"""Customer and document ids normalize the same way in Python (serving) and Spark (Silver)."""

from __future__ import annotations

import pytest

from sme_pulse.ids import normalize_customer_id, normalize_document_id

CUSTOMER_CASES = [
    ("0200769623", "200769623"),
    ("200769623", "200769623"),
    (" 0200769623 ", "200769623"),
    ("CCU013", "CCU013"),
    ("ccu013", "CCU013"),
    ("0000", "0"),
    ("0140104409", "140104409"),
]
DOCUMENT_CASES = [
    ("1929003413.0", "1929003413"),
    ("1929003413", "1929003413"),
    ("1929003413.00", "1929003413"),
    ("19290.5", None),
    ("abc", None),
    ("", None),
]


@pytest.mark.parametrize(("raw", "expected"), CUSTOMER_CASES)
def test_customer_ids_with_and_without_leading_zeros_are_the_same_customer(raw: str, expected: str) -> None:
    assert normalize_customer_id(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), DOCUMENT_CASES)
def test_document_ids_written_as_floats_become_integer_strings(raw: str, expected: str | None) -> None:
    assert normalize_document_id(raw) == expected


def test_spark_and_python_customer_normalization_agree(spark) -> None:
    from pyspark.sql import functions as F

    from spark_jobs.silver.stg_ar_invoices import normalize_customer_id as spark_customer
    from spark_jobs.silver.stg_ar_invoices import normalize_document_id as spark_document

    pairs = zip(CUSTOMER_CASES, DOCUMENT_CASES, strict=False)
    rows = spark.createDataFrame([(raw, doc) for (raw, _), (doc, _) in pairs], "customer string, doc string")
    out = rows.select(
        "customer", "doc", spark_customer(F.col("customer")).alias("c"), spark_document(F.col("doc")).alias("d")
    ).collect()
    for row in out:
        assert row["c"] == normalize_customer_id(row["customer"])
        assert row["d"] == normalize_document_id(row["doc"])
