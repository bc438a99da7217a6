"""The gates of the pipeline: what each stage validates, on which data, before anything is published.

* ``bronze``: each landed file, before Silver reads it;
* ``silver``: the staged batch (quarantine share) and the table *as it would be published* (uniqueness,
  label bounds, distribution against the stored reference) - write-audit-publish;
* ``features``: every feature table, before materialization and training;
* ``training``: the retrieved training set, before a model is fitted.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd

from sme_pulse.bronze.landing import Manifest, list_manifests
from sme_pulse.bronze.schema import RAW_FIELDS
from sme_pulse.lakehouse.delta_io import is_delta_table
from sme_pulse.lakehouse.tables import table_path
from sme_pulse.quality.gates import GateResult, run_gate
from sme_pulse.quality.suites import (
    FEATURE_KEYS,
    FEATURE_RULES,
    OTHER,
    ReferenceProfile,
    bronze_expectations,
    bronze_view,
    feature_expectations,
    feature_view,
    silver_batch_expectations,
    silver_table_expectations,
    training_expectations,
)
from sme_pulse.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def read_bronze(settings: Settings, manifest: Manifest) -> pd.DataFrame:
    path = manifest.absolute_path(settings.bronze_dir)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, header=0, names=list(RAW_FIELDS), on_bad_lines="skip")
    return raw


def validate_bronze(settings: Settings, manifest: Manifest) -> GateResult:
    raw = read_bronze(settings, manifest)
    return run_gate(settings, "bronze_invoices", bronze_view(raw), bronze_expectations(len(raw)))


def validate_bronze_all(settings: Settings) -> list[GateResult]:
    return [validate_bronze(settings, m) for m in list_manifests(settings.bronze_dir)]


def _with_business_group(df: DataFrame, reference: ReferenceProfile) -> DataFrame:
    from pyspark.sql import functions as F

    known = list(reference.business_code_weights)
    return df.withColumn(
        "business_code_group", F.when(F.col("business_code").isin(known), F.col("business_code")).otherwise(OTHER)
    )


def candidate_table(settings: Settings, staged: DataFrame) -> DataFrame:
    """The Silver table as it would be after publishing ``staged`` (published rows it replaces removed)."""
    path = table_path(settings, "stg_ar_invoices")
    if not is_delta_table(path):
        return staged
    published = staged.sparkSession.read.format("delta").load(str(path))
    return published.join(staged.select("invoice_id"), "invoice_id", "left_anti").unionByName(staged)


def validate_silver_batch(
    settings: Settings, staged: DataFrame, quarantined_rows: int, bronze_rows: int
) -> list[GateResult]:
    share = quarantined_rows / bronze_rows if bronze_rows else 0.0
    batch = run_gate(
        settings, "silver_batch", pd.DataFrame({"quarantine_share": [share]}), silver_batch_expectations(bronze_rows)
    )
    reference = ReferenceProfile.load()
    candidate = _with_business_group(candidate_table(settings, staged), reference)
    rows = candidate.count()
    table = run_gate(settings, "silver_stg_ar_invoices", candidate, silver_table_expectations(reference, rows))
    return [batch, table]


def validate_silver_table(settings: Settings, spark: Any) -> list[GateResult]:
    """The published table as it is (``sme-pulse validate silver``)."""
    reference = ReferenceProfile.load()
    table = _with_business_group(
        spark.read.format("delta").load(str(table_path(settings, "stg_ar_invoices"))), reference
    )
    return [run_gate(settings, "silver_stg_ar_invoices", table, silver_table_expectations(reference, table.count()))]


def validate_features(settings: Settings, as_of: date) -> list[GateResult]:
    from deltalake import DeltaTable

    results = []
    for table, rules in FEATURE_RULES.items():
        path = table_path(settings, table)
        columns = [FEATURE_KEYS[table], "event_timestamp", "created_timestamp", *rules]
        frame = DeltaTable(str(path)).to_pyarrow_dataset().to_table(columns=columns).to_pandas()
        results.append(run_gate(settings, f"features_{table}", feature_view(frame), feature_expectations(table, as_of)))
    return results


def validate_training_set(settings: Settings, training: pd.DataFrame, previous_label_mean: float | None) -> GateResult:
    return run_gate(settings, "training_set", training[["delay_days"]], training_expectations(previous_label_mean))


def silver_as_of(settings: Settings) -> date:
    """The as-of day gates judge freshness against: the setting, else the day after Silver's latest date."""
    from sme_pulse.features.entity_frames import as_of_day, read_invoices

    return settings.as_of or as_of_day(settings, read_invoices(settings))


def update_reference(settings: Settings) -> ReferenceProfile:
    """Take a new reference profile from the published Silver table (a deliberate, reviewed act)."""
    from sme_pulse.features.entity_frames import read_invoices

    invoices = read_invoices(settings)
    counts = invoices["business_code"].value_counts().to_dict()
    sources = ", ".join(sorted({m.original_name for m in list_manifests(settings.bronze_dir)}))
    profile = ReferenceProfile.from_counts(
        len(invoices), float(invoices["amount"].mean()), counts, f"Silver built from {sources}"
    )
    profile.save()
    return profile


def require(results: list[GateResult]) -> None:
    for result in results:
        result.raise_for_critical()
