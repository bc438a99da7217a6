"""Gold transforms on small in-memory data: SCD2 versions, aging buckets, DSO and CEI by hand, cash-flow sums."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from pyspark.sql import functions as F

from spark_jobs.gold.tables import (
    compute_dim_ar_customer,
    compute_dim_date,
    compute_fact_ar_invoices,
    compute_kpi_ar_aging,
    compute_kpi_ar_dso_analysis,
    compute_kpi_collection_effectiveness,
    compute_uc_cash_flow_forecast,
    compute_uc_payment_anomalies,
)

STG = (
    "invoice_id string, customer_id string, customer_name string, business_code string, currency string, "
    "amount double, amount_vnd double, posting_date date, due_date date, clear_date date, delay_days int"
)


def _stg(spark, rows):  # type: ignore[no-untyped-def]
    return spark.createDataFrame(rows, STG)


def _history(spark, rows):  # type: ignore[no-untyped-def]
    schema = (
        "customer_id string, event_timestamp timestamp, customer_cleared_invoices bigint, "
        "customer_cleared_invoices_365d bigint, customer_mean_delay_days_365d double, "
        "customer_share_paid_late_365d double"
    )
    return spark.createDataFrame(rows, schema)


def test_scd2_opens_a_version_per_segment_change_and_closes_the_previous_one(spark) -> None:
    stg = _stg(spark, [("1", "C", "Acme", "U001", "USD", 10.0, 10.0, date(2019, 1, 1), date(2019, 1, 16), None, None)])
    history = _history(spark, [
        ("C", datetime(2019, 2, 1), 1, 1, 0.0, 0.0),      # still 'new' (< 3 payments): no new version
        ("C", datetime(2019, 3, 1), 3, 3, 0.5, 0.0),      # -> on_time
        ("C", datetime(2019, 4, 1), 4, 4, 0.8, 0.25),     # still on_time: no new version
        ("C", datetime(2019, 5, 1), 6, 6, 9.0, 0.8),      # -> late
    ])  # fmt: skip
    versions = compute_dim_ar_customer(history, stg).orderBy("effective_from").collect()
    assert [v["payment_segment"] for v in versions] == ["new", "on_time", "late"]
    assert [v["effective_from"] for v in versions] == [datetime(2019, 1, 1), datetime(2019, 3, 1), datetime(2019, 5, 1)]
    assert [v["effective_to"] for v in versions][:2] == [datetime(2019, 3, 1), datetime(2019, 5, 1)]
    assert [v["is_current"] for v in versions] == [False, False, True]
    assert len({v["customer_sk"] for v in versions}) == 3
    again = compute_dim_ar_customer(history, stg).orderBy("effective_from").collect()
    assert [v["customer_sk"] for v in again] == [v["customer_sk"] for v in versions], "keys are stable"


def _fact(spark, as_of: date):  # type: ignore[no-untyped-def]
    stg = _stg(spark, [
        ("a", "C", "Acme", "U001", "USD", 1.0, 100.0, date(2020, 1, 1), date(2020, 1, 10), date(2020, 1, 12), 2),
        ("b", "C", "Acme", "U001", "USD", 1.0, 200.0, date(2020, 1, 5), date(2020, 1, 20), None, None),
        ("c", "D", "Dax", "CA02", "CAD", 1.0, 300.0, date(2020, 1, 8), date(2020, 3, 1), None, None),
        ("d", "D", "Dax", "CA02", "CAD", 1.0, 50.0, date(2019, 10, 1), date(2019, 10, 20), None, None),
    ])  # fmt: skip
    history = _history(spark, [("C", datetime(2020, 1, 13), 1, 1, 2.0, 1.0)])
    return compute_fact_ar_invoices(stg, compute_dim_ar_customer(history, stg), as_of)


def test_aging_buckets_and_overdue_flags_as_of_the_snapshot(spark) -> None:
    fact = {r["invoice_id"]: r for r in _fact(spark, date(2020, 2, 1)).collect()}
    assert fact["a"]["status"] == "paid_late" and fact["a"]["aging_bucket"] is None
    assert (fact["b"]["days_overdue"], fact["b"]["aging_bucket"], fact["b"]["is_overdue"]) == (12, "1-30", True)
    assert (fact["c"]["days_overdue"], fact["c"]["aging_bucket"], fact["c"]["is_overdue"]) == (-29, "current", False)
    assert (fact["d"]["days_overdue"], fact["d"]["aging_bucket"]) == (104, "90+")
    assert fact["a"]["customer_sk"] is not None and fact["a"]["posting_date_key"] == 20200101
    aging = {(r["business_code"], r["aging_bucket"]): r["open_amount_vnd"] for r in compute_kpi_ar_aging(
        _fact(spark, date(2020, 2, 1))).collect()}  # fmt: skip
    assert aging == {("U001", "1-30"): 200.0, ("CA02", "current"): 300.0, ("CA02", "90+"): 50.0}


def test_dso_and_open_balances_match_a_hand_computation(spark) -> None:
    as_of = date(2020, 1, 15)
    fact = _fact(spark, as_of)
    days = compute_dim_date(spark, date(2019, 9, 1), date(2020, 3, 31))
    dso = {r["date"]: r for r in compute_kpi_ar_dso_analysis(fact, days, as_of).collect()}
    day = dso[date(2020, 1, 12)]  # a cleared this day; b, c, d open; d overdue (due 2019-10-20) and b not yet
    assert day["open_amount_vnd"] == 550.0 and day["open_invoices"] == 3
    assert (
        day["overdue_amount_vnd"] == 50.0 and day["avg_days_overdue"] == (date(2020, 1, 12) - date(2019, 10, 20)).days
    )
    assert day["paid_amount_vnd"] == 100.0
    # Credit sales of the last 90 days on 2020-01-12: a, b, c (d was posted 103 days before) = 600.
    assert day["credit_sales_90d_vnd"] == 600.0
    assert day["dso_days"] == pytest.approx(550.0 / 600.0 * 90)
    cei = compute_kpi_collection_effectiveness(compute_kpi_ar_dso_analysis(fact, days, as_of), fact).collect()
    december = next(r for r in cei if r["month_start"] == date(2019, 12, 1))
    assert december["end_ar_vnd"] == 50.0 and december["end_current_ar_vnd"] == 0.0


def test_the_cash_flow_forecast_sums_to_the_open_amount_expected_in_the_window(spark) -> None:
    as_of = date(2020, 5, 1)
    scores = spark.createDataFrame(
        [
            ("x", 100.0, date(2020, 5, 3), date(2020, 5, 1), date(2020, 5, 20), "1"),
            ("y", 250.0, date(2020, 4, 20), date(2020, 4, 10), date(2020, 5, 2), "1"),  # late already: as-of day
            ("z", 400.0, date(2020, 9, 30), date(2020, 9, 1), date(2020, 10, 1), "1"),  # beyond the window
            ("w", 999.0, date(2020, 5, 3), date(2020, 5, 3), date(2020, 5, 3), "2"),  # another model version
        ],
        "invoice_id string, amount_vnd double, expected_payment_date date, p10_payment_date date, "
        "p90_payment_date date, model_version string",
    )
    forecast = compute_uc_cash_flow_forecast(scores, "1", as_of, days=90).collect()
    assert len(forecast) == 90 and forecast[0]["date"] == as_of
    assert sum(r["expected_cash_in_vnd"] for r in forecast) == 350.0
    assert forecast[-1]["cumulative_expected_cash_in_vnd"] == 350.0
    assert {r["date"]: r["expected_cash_in_vnd"] for r in forecast if r["expected_cash_in_vnd"]} == {
        as_of: 250.0,
        date(2020, 5, 3): 100.0,
    }
    assert forecast[-1]["cumulative_late_cash_in_vnd"] == 350.0 and forecast[0]["early_cash_in_vnd"] == 350.0


def test_anomalies_are_payments_missing_the_prediction_by_more_than_14_days(spark) -> None:
    backtest = spark.createDataFrame(
        [("1", date(2020, 1, 10), date(2020, 1, 30)), ("2", date(2020, 1, 10), date(2020, 1, 20)),
         ("3", date(2020, 2, 10), date(2020, 1, 20))],
        "invoice_id string, predicted_payment_date date, clear_date date",
    ).select("*", *[F.lit(None).cast("string").alias(c) for c in ("customer_id", "business_code", "model_version")],
             F.lit(1.0).alias("amount_vnd"), F.lit(None).cast("date").alias("posting_date"),
             F.lit(None).cast("date").alias("due_date"))  # fmt: skip
    rows = {r["invoice_id"]: r for r in compute_uc_payment_anomalies(backtest).collect()}
    assert set(rows) == {"1", "3"}
    assert rows["1"]["days_missed"] == 20 and rows["1"]["direction"] == "paid_later_than_predicted"
    assert rows["3"]["direction"] == "paid_earlier_than_predicted"
