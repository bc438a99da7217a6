"""Point-in-time feature tables in Silver: pure Spark transforms from ``stg_ar_invoices``.

Every output row carries ``event_timestamp`` = the moment its values became known (00:00 UTC of the day
after the underlying event, since dates carry no time of day). Feast joins on
``event_timestamp <= entity timestamp`` with the invoice's posting date as entity timestamp, so an invoice
posted on day D sees exactly the payments cleared before D.

``created_timestamp`` (when a row was written) is added by the job, not here: these functions are pure.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from spark_jobs.features.batched import open_ar_many, payment_history_many
from spark_jobs.features.history import history_columns
from spark_jobs.features.open_ar import OPEN_AR_COLUMNS

_SPARK_TYPES = {"int64": "bigint", "float64": "double"}


def epoch_day(column: str) -> Column:
    return F.datediff(F.col(column), F.lit("1970-01-01").cast("date"))


def day_start(day_column: Column) -> Column:
    """00:00 UTC of an epoch day, as a timestamp."""
    return F.timestamp_seconds(day_column * F.lit(86_400))


def epoch_day_of(value: date) -> int:
    return (value - date(1970, 1, 1)).days


def data_horizon(stg: DataFrame) -> date:
    """The day after the latest date known in Silver: the pipeline's 'today' for historical extracts."""
    row = stg.select(F.greatest(F.max("posting_date"), F.max("clear_date")).alias("latest")).collect()[0]
    if row["latest"] is None:
        raise ValueError("stg_ar_invoices is empty: nothing to compute features from")
    return date.fromordinal(row["latest"].toordinal() + 1)


def _schema(key: str, columns: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> str:
    return ", ".join([f"{key} string", "event_day bigint"] + [f"{n} {_SPARK_TYPES[t]}" for n, t in columns])


def _buckets(df: DataFrame) -> int:
    """Entities are processed in buckets (many per pandas call); a few per shuffle partition balances skew."""
    partitions = int(df.sparkSession.conf.get("spark.sql.shuffle.partitions") or 8)
    return max(8, partitions * 4)


def _bucketed(df: DataFrame, key: str, compute: Callable[[pd.DataFrame], pd.DataFrame], schema: str) -> DataFrame:
    bucket = (F.abs(F.xxhash64(F.col(key))) % _buckets(df)).alias("_bucket")
    return df.groupBy(bucket).applyInPandas(compute, schema=schema)


def _stamp(history: DataFrame, known_at: str) -> DataFrame:
    """``event_timestamp`` from the event day, repeated as a feature so that retrievals can prove *when*
    each returned value became known (leakage audits, freshness in serving)."""
    stamped = history.withColumn("event_timestamp", day_start(F.col("event_day"))).drop("event_day")
    return stamped.withColumn(known_at, F.col("event_timestamp"))


def _cleared_payments(stg: DataFrame, key: str) -> DataFrame:
    return stg.where(~F.col("is_open") & F.col("clear_date").isNotNull()).select(
        key,
        (epoch_day("clear_date") + 1).alias("known_day"),
        "delay_days",
        "days_to_pay",
        "amount",
    )


def _payment_behavior(stg: DataFrame, horizon: date, key: str, prefix: str) -> DataFrame:
    horizon_day = epoch_day_of(horizon)
    history = _bucketed(
        _cleared_payments(stg, key),
        key,
        lambda pdf: payment_history_many(pdf, key=key, prefix=prefix, horizon_day=horizon_day),
        _schema(key, history_columns(prefix)),
    )
    return _stamp(history, f"{prefix}_history_known_at")


def compute_ftr_customer_payment_behavior(stg: DataFrame, horizon: date) -> DataFrame:
    """Customer payment history after each change (new payments, window exits), known up to ``horizon``."""
    return _payment_behavior(stg, horizon, "customer_id", "customer")


def compute_ftr_business_payment_behavior(stg: DataFrame, horizon: date) -> DataFrame:
    """The same history per business code: what a brand-new customer of that business can be judged by."""
    return _payment_behavior(stg, horizon, "business_code", "business")


def compute_ftr_customer_open_ar(stg: DataFrame, horizon: date) -> DataFrame:
    """Open and overdue exposure per customer after each posting, due date crossing and payment."""
    invoices = stg.select(
        "customer_id",
        epoch_day("posting_date").alias("posting_day"),
        epoch_day("due_date").alias("due_day"),
        epoch_day("clear_date").cast("double").alias("clear_day"),
        "amount",
    )
    horizon_day = epoch_day_of(horizon)
    history = _bucketed(
        invoices,
        "customer_id",
        lambda pdf: open_ar_many(pdf, horizon_day=horizon_day),
        _schema("customer_id", OPEN_AR_COLUMNS),
    )
    return _stamp(history, "customer_open_ar_known_at")


def compute_ftr_invoice_terms(stg: DataFrame) -> DataFrame:
    """What is known about an invoice when it is posted (event time = posting date 00:00 UTC)."""
    posting = F.col("posting_date")
    return stg.select(
        "invoice_id",
        "customer_id",
        "business_code",
        day_start(epoch_day("posting_date")).alias("event_timestamp"),
        F.col("amount").alias("invoice_amount"),
        F.col("amount_vnd").alias("invoice_amount_vnd"),
        F.col("currency").alias("invoice_currency"),
        F.col("payment_terms").alias("invoice_payment_terms"),
        F.datediff("due_date", "baseline_date").alias("invoice_baseline_to_due_days"),
        F.datediff("due_date", "posting_date").alias("invoice_posting_to_due_days"),
        F.datediff("posting_date", "document_create_date").alias("invoice_document_lag_days"),
        F.dayofweek(posting).alias("invoice_posting_weekday"),  # 1 = Sunday ... 7 = Saturday
        F.month(posting).alias("invoice_posting_month"),
        F.quarter(posting).alias("invoice_posting_quarter"),
        (F.last_day(posting) == posting).alias("invoice_posting_is_month_end"),
        epoch_day("due_date").alias("invoice_due_epoch_day"),
    )
