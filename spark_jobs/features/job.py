"""Thin job: read ``stg_ar_invoices``, compute every feature table, MERGE each into Delta.

The MERGE keys are (entity, event_timestamp). A row is rewritten only when its values change, so
``created_timestamp`` keeps the moment a value was first written and a rebuild over unchanged data
rewrites nothing; rows that the new computation no longer produces are deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from sme_pulse.errors import SourceUnavailableError
from sme_pulse.lakehouse.delta_io import MergeStats, is_delta_table, merge_upsert
from sme_pulse.lakehouse.tables import table_path
from sme_pulse.settings import Settings
from sme_pulse.spark.session import get_spark
from spark_jobs.features.tables import (
    compute_ftr_business_payment_behavior,
    compute_ftr_customer_open_ar,
    compute_ftr_customer_payment_behavior,
    compute_ftr_invoice_terms,
    data_horizon,
)

FEATURE_TABLES: dict[str, tuple[str, Callable[[DataFrame, date], DataFrame]]] = {
    "ftr_customer_payment_behavior": ("customer_id", compute_ftr_customer_payment_behavior),
    "ftr_customer_open_ar": ("customer_id", compute_ftr_customer_open_ar),
    "ftr_business_payment_behavior": ("business_code", compute_ftr_business_payment_behavior),
    "ftr_invoice_terms": ("invoice_id", lambda stg, horizon: compute_ftr_invoice_terms(stg)),
}
_NOT_FEATURES = {"event_timestamp", "created_timestamp", "row_hash"}


@dataclass
class FeatureBuildReport:
    horizon: date
    tables: dict[str, MergeStats] = field(default_factory=dict)


def with_write_metadata(df: DataFrame, key: str) -> DataFrame:
    """Add ``created_timestamp`` (now) and ``row_hash`` (of every name=value) for change detection.

    Column names are part of the hash, so adding or renaming a feature rewrites every row once.
    """
    values = [c for c in df.columns if c not in _NOT_FEATURES and c != key]
    pairs = [F.concat(F.lit(f"{c}="), F.coalesce(F.col(c).cast("string"), F.lit("<null>"))) for c in values]
    digest = F.sha2(F.concat_ws("|", *pairs), 256)
    return df.withColumn("row_hash", digest).withColumn("created_timestamp", F.current_timestamp())


def run(settings: Settings, tables: list[str] | None = None) -> FeatureBuildReport:
    spark = get_spark("silver-features", settings)
    stg_path = table_path(settings, "stg_ar_invoices")
    if not is_delta_table(stg_path):
        raise SourceUnavailableError(
            f"Silver table {stg_path} does not exist.", hint="Run `sme-pulse silver build` first."
        )
    stg = spark.read.format("delta").load(str(stg_path)).cache()
    horizon = settings.as_of or data_horizon(stg)
    report = FeatureBuildReport(horizon=horizon)
    try:
        for name, (key, compute) in FEATURE_TABLES.items():
            if tables and name not in tables:
                continue
            rows = with_write_metadata(compute(stg, horizon), key)
            report.tables[name] = merge_upsert(
                spark,
                rows,
                table_path(settings, name),
                [key, "event_timestamp"],
                update_condition="s.row_hash <> t.row_hash",
                delete_missing=True,
            )
    finally:
        stg.unpersist()
    return report
