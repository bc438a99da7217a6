"""Thin job: read Silver, the customer history and the score tables; write every Gold table as Delta.

Dimensions keep stable surrogate keys (hashes), ``dim_ar_customer`` is MERGEd (versions only open and
close), the snapshot-dependent fact and the marts are rewritten in one commit each: a rerun for the same
data and as-of day produces the same tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from sme_pulse.errors import SourceUnavailableError
from sme_pulse.lakehouse.delta_io import is_delta_table, merge_upsert, overwrite
from sme_pulse.lakehouse.tables import table_path
from sme_pulse.settings import Settings
from sme_pulse.spark.session import get_spark
from spark_jobs.features.tables import data_horizon
from spark_jobs.gold.tables import (
    FORECAST_DAYS,
    compute_dim_ar_customer,
    compute_dim_business,
    compute_dim_date,
    compute_fact_ar_invoices,
    compute_kpi_ar_aging,
    compute_kpi_ar_dso_analysis,
    compute_kpi_collection_effectiveness,
    compute_uc_ar_high_risk,
    compute_uc_cash_flow_forecast,
    compute_uc_payment_anomalies,
)


@dataclass
class GoldReport:
    as_of: date
    model_version: str | None
    tables: dict[str, int] = field(default_factory=dict)  # name -> Delta version
    skipped: list[str] = field(default_factory=list)


def _read(spark: SparkSession, settings: Settings, name: str) -> DataFrame | None:
    path = table_path(settings, name)
    return spark.read.format("delta").load(str(path)) if is_delta_table(path) else None


def serving_model_version(settings: Settings, scores: DataFrame | None) -> str | None:
    """The champion's version if MLflow knows one, else the most recently scored version."""
    from training.registry import CHAMPION, alias_version, configure_mlflow

    if (settings.data_dir / "mlflow").exists() or settings.mlflow_tracking_uri:
        version = alias_version(configure_mlflow(settings), settings.model_name, CHAMPION)
        if version:
            return version
    if scores is None:
        return None
    row = scores.orderBy(F.desc("scored_at")).select("model_version").first()
    return None if row is None else str(row[0])


def run(settings: Settings) -> GoldReport:
    spark = get_spark("gold", settings)
    stg = _read(spark, settings, "stg_ar_invoices")
    history = _read(spark, settings, "ftr_customer_payment_behavior")
    if stg is None or history is None:
        raise SourceUnavailableError(
            "Gold needs silver/stg_ar_invoices and the customer feature table.",
            hint="Run `sme-pulse silver build` and `sme-pulse features build` first.",
        )
    stg = stg.cache()
    as_of = settings.as_of or data_horizon(stg)
    scores = _read(spark, settings, "score_payment_pred")
    priority = _read(spark, settings, "score_ar_priority")
    backtest = _read(spark, settings, "score_payment_backtest")
    version = serving_model_version(settings, scores)
    report = GoldReport(as_of, version)

    bounds = stg.agg(F.min("posting_date"), F.max("due_date")).collect()[0]
    dim_date = compute_dim_date(spark, bounds[0], max(bounds[1], as_of + timedelta(days=FORECAST_DAYS)))
    report.tables["dim_date"] = overwrite(dim_date, table_path(settings, "dim_date"))
    report.tables["dim_business"] = overwrite(compute_dim_business(stg), table_path(settings, "dim_business"))
    customers = compute_dim_ar_customer(history, stg)
    report.tables["dim_ar_customer"] = merge_upsert(
        spark,
        customers,
        table_path(settings, "dim_ar_customer"),
        ["customer_sk"],
        update_condition="NOT (s.effective_to <=> t.effective_to AND s.payment_segment <=> t.payment_segment "
        "AND s.customer_name <=> t.customer_name)",
        delete_missing=True,
    ).version
    customers = spark.read.format("delta").load(str(table_path(settings, "dim_ar_customer")))
    fact = compute_fact_ar_invoices(stg, customers, as_of).cache()
    report.tables["fact_ar_invoices"] = overwrite(fact, table_path(settings, "fact_ar_invoices"))
    dates = spark.read.format("delta").load(str(table_path(settings, "dim_date")))
    dso = compute_kpi_ar_dso_analysis(fact, dates, as_of).cache()
    report.tables["kpi_ar_dso_analysis"] = overwrite(dso, table_path(settings, "kpi_ar_dso_analysis"))
    report.tables["kpi_ar_aging"] = overwrite(compute_kpi_ar_aging(fact), table_path(settings, "kpi_ar_aging"))
    report.tables["kpi_collection_effectiveness"] = overwrite(
        compute_kpi_collection_effectiveness(dso, fact), table_path(settings, "kpi_collection_effectiveness")
    )
    if scores is not None and priority is not None and version is not None:
        report.tables["uc_ar_high_risk"] = overwrite(
            compute_uc_ar_high_risk(fact, priority, scores, version), table_path(settings, "uc_ar_high_risk")
        )
        report.tables["uc_cash_flow_forecast"] = overwrite(
            compute_uc_cash_flow_forecast(scores, version, as_of), table_path(settings, "uc_cash_flow_forecast")
        )
    else:
        report.skipped += ["uc_ar_high_risk", "uc_cash_flow_forecast"]
    if backtest is not None and version is not None:
        anomalies = compute_uc_payment_anomalies(backtest.where(F.col("model_version") == version))
        report.tables["uc_payment_anomalies"] = overwrite(anomalies, table_path(settings, "uc_payment_anomalies"))
    else:
        report.skipped.append("uc_payment_anomalies")
    for frame in (stg, fact, dso):
        frame.unpersist()
    return report
