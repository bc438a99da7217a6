"""Silver ``stg_ar_invoices``: typed, cleaned invoices, one row per invoice, plus a quarantine.

Pure part: :func:`classify_invoices` types every raw row and names the first rule it breaks;
:func:`compute_stg_ar_invoices` and :func:`compute_ar_invoice_quarantine` split that result. The thin
job (:func:`run`) reads Bronze, calls them, and MERGEs into Delta.

Every raw row ends in exactly one place: the Silver batch or the quarantine (with its rule and the raw
row as JSON), so ``bronze rows = silver rows + quarantined rows`` holds per landed file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from sme_pulse.bronze.landing import Manifest, list_manifests
from sme_pulse.bronze.schema import RAW_FIELDS
from sme_pulse.errors import SourceUnavailableError
from sme_pulse.lakehouse.delta_io import delta_version, is_delta_table, merge_upsert, replace_where
from sme_pulse.lakehouse.tables import table_path
from sme_pulse.quality.checks import require, validate_bronze, validate_silver_batch
from sme_pulse.reference.fx import load_fx_rates, monthly_fx_table
from sme_pulse.settings import Settings
from sme_pulse.spark.session import get_spark

CORRUPT_COLUMN = "_corrupt_record"
RAW_SCHEMA = StructType(
    [StructField(name, StringType(), True) for name in RAW_FIELDS] + [StructField(CORRUPT_COLUMN, StringType(), True)]
)

# Tolerances for "nonsensical" dates: a due date far before its baseline, a payment far before posting.
MAX_DUE_BEFORE_BASELINE_DAYS = 30
MAX_CLEAR_BEFORE_POSTING_DAYS = 30
MAX_ABS_DELAY_DAYS = 366
MIN_YEAR, MAX_YEAR = 1990, 2100

# Rules in the order they are checked; a row is quarantined under the first one it breaks.
RULES: dict[str, str] = {
    "malformed_row": "the line does not have the expected 19 fields",
    "missing_key": "doc_id, cust_number or business_code is empty",
    "invalid_document_id": "doc_id is not an integer id",
    "unparseable_date": "posting, document, baseline or due date (or a present clear date) does not parse",
    "non_positive_amount": "total_open_amount is missing, not a number, or <= 0",
    "unknown_currency": "invoice_currency is not in the FX reference",
    "no_fx_rate": "no FX rate is known for the currency in the posting month",
    "invalid_open_flag": "isOpen is not 0 or 1",
    "open_flag_mismatch": "isOpen disagrees with clear_date (open with a clear date, or closed without one)",
    "due_before_baseline": f"due date more than {MAX_DUE_BEFORE_BASELINE_DAYS} days before the baseline",
    "clear_before_posting": f"cleared more than {MAX_CLEAR_BEFORE_POSTING_DAYS} days before posting",
    "implausible_delay": f"payment delay beyond +-{MAX_ABS_DELAY_DAYS} days",
    "duplicate_invoice_in_batch": "another row of the same file carries the same invoice (kept: most advanced)",
}

STG_COLUMNS = (
    "invoice_id",
    "customer_id",
    "customer_id_raw",
    "customer_name",
    "business_code",
    "currency",
    "amount",
    "fx_vnd_per_unit",
    "amount_vnd",
    "posting_date",
    "document_create_date",
    "baseline_date",
    "due_date",
    "clear_date",
    "is_open",
    "payment_terms",
    "days_to_pay",
    "delay_days",
    "source_file",
    "manifest_id",
    "ingested_at",
    "record_hash",
)
# Columns whose change makes a newer record of an invoice worth writing.
_HASHED = (
    "customer_id",
    "customer_name",
    "business_code",
    "currency",
    "amount",
    "posting_date",
    "document_create_date",
    "baseline_date",
    "due_date",
    "clear_date",
    "is_open",
    "payment_terms",
)


def _raw(column: str) -> Column:
    """A raw column, trimmed, with empty strings as null."""
    value = F.trim(F.col(f"raw_{column}"))
    return F.when(value == "", None).otherwise(value)


def parse_date(column: Column) -> Column:
    """A date from any of the four shapes in the file: ``2019-04-05 00:00:00``, ``2019-03-21``,
    ``20190320`` and ``20190405.0``; null when none fits or the year is implausible.

    The shape is recognised first and only the matching parser runs: failed parse attempts are
    expensive in Spark, and four blind attempts per date made the job three times slower.
    """
    text = F.trim(column)
    parsed = F.when(
        text.rlike(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}( 00:00:00)?$"), F.try_to_date(F.substring(text, 1, 10), "yyyy-MM-dd")
    ).when(text.rlike(r"^[0-9]{8}(\.0+)?$"), F.try_to_date(F.substring(text, 1, 8), "yyyyMMdd"))
    return F.when(F.year(parsed).between(MIN_YEAR, MAX_YEAR), parsed)


def normalize_customer_id(column: Column) -> Column:
    """Spark twin of ``sme_pulse.ids.normalize_customer_id`` (numeric ids lose leading zeros)."""
    value = F.upper(F.trim(column))
    stripped = F.regexp_replace(value, r"^0+", "")
    return F.when(value.rlike(r"^[0-9]+$"), F.when(stripped == "", F.lit("0")).otherwise(stripped)).otherwise(value)


def normalize_document_id(column: Column) -> Column:
    """Spark twin of ``sme_pulse.ids.normalize_document_id``: ``1929003413.0`` -> ``1929003413``."""
    value = F.regexp_replace(F.trim(column), r"\.0*$", "")
    stripped = F.regexp_replace(value, r"^0+", "")
    return F.when(value.rlike(r"^[0-9]+$"), F.when(stripped == "", F.lit("0")).otherwise(stripped))


def classify_invoices(raw: DataFrame, fx_monthly: DataFrame) -> DataFrame:
    """Type every raw row and attach ``quarantine_rule`` (null when the row is clean).

    ``raw`` has the string columns of ``RAW_SCHEMA`` plus lineage (``manifest_id``, ``source_file``,
    ``ingested_at``); ``fx_monthly`` has (currency, fx_month, vnd_per_unit).
    """
    lineage = [c for c in raw.columns if c not in RAW_FIELDS and c != CORRUPT_COLUMN]
    df = raw.select(
        *[F.col(c).alias(f"raw_{c}") for c in RAW_FIELDS],
        F.col(CORRUPT_COLUMN),
        *lineage,
        # File order (partition index + position): breaks ties between duplicate rows deterministically.
        F.monotonically_increasing_id().alias("source_row_id"),
    )

    open_flag = _raw("isOpen").try_cast("double")
    clear_text = _raw("clear_date")
    df = df.select(
        "*",
        normalize_document_id(F.col("raw_doc_id")).alias("invoice_id"),
        normalize_customer_id(F.col("raw_cust_number")).alias("customer_id"),
        _raw("cust_number").alias("customer_id_raw"),
        _raw("name_customer").alias("customer_name"),
        F.upper(_raw("business_code")).alias("business_code"),
        F.upper(_raw("invoice_currency")).alias("currency"),
        _raw("total_open_amount").try_cast("double").alias("amount"),
        parse_date(F.col("raw_posting_date")).alias("posting_date"),
        parse_date(F.col("raw_document_create_date")).alias("document_create_date"),
        parse_date(F.col("raw_baseline_create_date")).alias("baseline_date"),
        parse_date(F.col("raw_due_in_date")).alias("due_date"),
        parse_date(F.col("raw_clear_date")).alias("clear_date"),
        (open_flag == 1.0).alias("is_open"),
        F.upper(_raw("cust_payment_terms")).alias("payment_terms"),
    )
    fx = fx_monthly.select(
        F.col("currency").alias("_fx_currency"),
        F.col("fx_month").cast("date").alias("_fx_month"),
        F.col("vnd_per_unit").alias("fx_vnd_per_unit"),
    )
    known = fx.select(F.col("_fx_currency").alias("_known_currency")).distinct()
    df = df.join(F.broadcast(known), df["currency"] == known["_known_currency"], "left")
    df = df.join(
        F.broadcast(fx),
        (df["currency"] == fx["_fx_currency"]) & (F.trunc(df["posting_date"], "month") == fx["_fx_month"]),
        "left",
    )
    df = df.withColumns(
        {
            "days_to_pay": F.datediff("clear_date", "posting_date"),
            "delay_days": F.datediff("clear_date", "due_date"),
            "amount_vnd": F.round(F.col("amount") * F.col("fx_vnd_per_unit"), 0),
        }
    )

    required_dates_ok = (
        F.col("posting_date").isNotNull()
        & F.col("document_create_date").isNotNull()
        & F.col("baseline_date").isNotNull()
        & F.col("due_date").isNotNull()
        & (clear_text.isNull() | F.col("clear_date").isNotNull())
    )
    checks: list[tuple[str, Column]] = [
        ("malformed_row", F.col(CORRUPT_COLUMN).isNotNull()),
        (
            "missing_key",
            _raw("doc_id").isNull() | _raw("cust_number").isNull() | _raw("business_code").isNull(),
        ),
        ("invalid_document_id", F.col("invoice_id").isNull()),
        ("unparseable_date", ~required_dates_ok),
        ("non_positive_amount", F.col("amount").isNull() | (F.col("amount") <= 0)),
        ("unknown_currency", F.col("_known_currency").isNull()),
        ("no_fx_rate", F.col("fx_vnd_per_unit").isNull()),
        ("invalid_open_flag", open_flag.isNull() | ~open_flag.isin(0.0, 1.0)),
        (
            "open_flag_mismatch",
            ((open_flag == 1.0) & F.col("clear_date").isNotNull())
            | ((open_flag == 0.0) & F.col("clear_date").isNull()),
        ),
        ("due_before_baseline", F.datediff("baseline_date", "due_date") > MAX_DUE_BEFORE_BASELINE_DAYS),
        (
            "clear_before_posting",
            F.coalesce(-F.col("days_to_pay") > MAX_CLEAR_BEFORE_POSTING_DAYS, F.lit(False)),
        ),
        ("implausible_delay", F.coalesce(F.abs(F.col("delay_days")) > MAX_ABS_DELAY_DAYS, F.lit(False))),
    ]
    rule: Column = F.lit(None).cast("string")
    for name, broken in reversed(checks):
        # A check that cannot be evaluated (null) counts as broken: nothing doubtful reaches Silver.
        rule = F.when(F.coalesce(broken, F.lit(True)), F.lit(name)).otherwise(rule)
    df = df.withColumn("quarantine_rule", rule)

    # Duplicates inside one file: keep the most advanced record (cleared before open, latest clear date).
    rank = F.row_number().over(
        Window.partitionBy("manifest_id", "invoice_id").orderBy(
            F.col("quarantine_rule").isNotNull().asc(),
            F.col("clear_date").isNull().asc(),
            F.col("clear_date").desc_nulls_last(),
            F.col("source_row_id").asc(),
        )
    )
    df = df.withColumn(
        "quarantine_rule",
        F.when(F.col("quarantine_rule").isNull() & (rank > 1), F.lit("duplicate_invoice_in_batch")).otherwise(
            F.col("quarantine_rule")
        ),
    )
    return df.withColumn(
        "record_hash",
        F.sha2(F.concat_ws("|", *[F.coalesce(F.col(c).cast("string"), F.lit("")) for c in _HASHED]), 256),
    )


def compute_stg_ar_invoices(classified: DataFrame) -> DataFrame:
    """The clean rows, one per invoice, in the Silver schema."""
    return classified.where(F.col("quarantine_rule").isNull()).select(*STG_COLUMNS)


def compute_ar_invoice_quarantine(classified: DataFrame) -> DataFrame:
    """The rows that broke a rule, with the rule, its meaning and the raw row."""
    descriptions = F.create_map(*[F.lit(x) for pair in RULES.items() for x in pair])
    raw_row = F.coalesce(F.col(CORRUPT_COLUMN), F.to_json(F.struct(*[F.col(f"raw_{c}").alias(c) for c in RAW_FIELDS])))
    return classified.where(F.col("quarantine_rule").isNotNull()).select(
        "manifest_id",
        "source_row_id",
        "source_file",
        "ingested_at",
        F.col("quarantine_rule").alias("rule"),
        descriptions[F.col("quarantine_rule")].alias("rule_description"),
        "invoice_id",
        raw_row.alias("raw_row"),
    )


# --------------------------------------------------------------------------------------------------
# Thin job: read Bronze, classify, MERGE into Delta, log the reconciliation.
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileReconciliation:
    """Where the rows of one landed file went."""

    manifest_id: str
    source_file: str
    bronze_rows: int
    silver_rows: int
    quarantined_rows: int
    rules: dict[str, int]
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def balanced(self) -> bool:
        return self.bronze_rows == self.silver_rows + self.quarantined_rows


@dataclass
class SilverBuildReport:
    files: list[FileReconciliation] = field(default_factory=list)
    skipped_files: int = 0
    table_version: int | None = None
    quarantine_version: int | None = None


def read_bronze_file(spark: SparkSession, manifest: Manifest, bronze_dir: Path) -> DataFrame:
    """One landed file as raw strings (by position, so the duplicated header is harmless) plus lineage."""
    path = manifest.absolute_path(bronze_dir)
    return (
        spark.read.option("header", "true")
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", CORRUPT_COLUMN)
        .option("enforceSchema", "true")
        .schema(RAW_SCHEMA)
        .csv(str(path))
        .withColumns(
            {
                "manifest_id": F.lit(manifest.manifest_id),
                "source_file": F.lit(manifest.path),
                "ingested_at": F.to_timestamp(F.lit(manifest.landed_at)),
            }
        )
    )


def _processed_manifests(spark: SparkSession, log_path: Path) -> set[str]:
    if not is_delta_table(log_path):
        return set()
    return {row[0] for row in spark.read.format("delta").load(str(log_path)).select("manifest_id").collect()}


def _append_ingest_log(spark: SparkSession, log_path: Path, rec: FileReconciliation, stg_version: int) -> None:
    row = (
        rec.manifest_id,
        rec.source_file,
        rec.bronze_rows,
        rec.silver_rows,
        rec.quarantined_rows,
        rec.inserted,
        rec.updated,
        stg_version,
    )
    schema = (
        "manifest_id string, source_file string, bronze_rows long, silver_rows long, "
        "quarantined_rows long, inserted long, updated long, stg_version long"
    )
    log = spark.createDataFrame([row], schema).withColumn("processed_at", F.current_timestamp())
    log.write.format("delta").mode("append").save(str(log_path))


def run(
    settings: Settings,
    *,
    full_refresh: bool = False,
    gate: Callable[[DataFrame, DataFrame, FileReconciliation], None] | None = None,
    quality: bool = True,
) -> SilverBuildReport:
    """Process every landed file not yet in the ingest log (all of them with ``full_refresh``).

    Write-audit-publish: with ``quality`` each file passes the Bronze gate before it is read and the
    staged batch passes the Silver gate (quarantine share, the table as it would be published) before the
    MERGE; ``gate`` is an extra check with the same power. Any of them may raise to stop the file, and the
    published tables are then left exactly as they were.
    """
    spark = get_spark("silver-stg-ar-invoices", settings)
    stg_path = table_path(settings, "stg_ar_invoices")
    quarantine_path = table_path(settings, "quarantine_ar_invoices")
    log_path = table_path(settings, "ingest_log_ar_invoices")
    manifests = list_manifests(settings.bronze_dir)
    if not manifests:
        raise SourceUnavailableError(
            f"No landed invoice files under {settings.bronze_dir}.",
            hint="Land data first: `sme-pulse ingest synthetic --rows 50000` or `sme-pulse ingest kaggle`.",
        )
    done = set() if full_refresh else _processed_manifests(spark, log_path)
    report = SilverBuildReport(skipped_files=sum(m.manifest_id in done for m in manifests))
    fx = spark.createDataFrame(monthly_fx_table(load_fx_rates()))

    for manifest in (m for m in manifests if m.manifest_id not in done):
        if quality:
            validate_bronze(settings, manifest).raise_for_critical()
        classified = classify_invoices(read_bronze_file(spark, manifest, settings.bronze_dir), fx)
        classified = classified.persist(StorageLevel.MEMORY_AND_DISK)
        try:
            rule_counts = {
                row["quarantine_rule"]: int(row["count"])
                for row in classified.groupBy("quarantine_rule").count().collect()
            }
            silver_rows = rule_counts.pop(None, 0)
            staged_counts = FileReconciliation(
                manifest_id=manifest.manifest_id,
                source_file=manifest.path,
                bronze_rows=silver_rows + sum(rule_counts.values()),
                silver_rows=silver_rows,
                quarantined_rows=sum(rule_counts.values()),
                rules=rule_counts,
            )
            staged = compute_stg_ar_invoices(classified)
            quarantined = compute_ar_invoice_quarantine(classified)
            if quality:
                require(
                    validate_silver_batch(settings, staged, staged_counts.quarantined_rows, staged_counts.bronze_rows)
                )
            if gate is not None:
                gate(staged, quarantined, staged_counts)
            # The quarantine of a file is replaced as a whole: rerunning a file never duplicates it.
            replace_where(quarantined, quarantine_path, f"manifest_id = '{manifest.manifest_id}'")
            # A newer record wins, but a cleared invoice never goes back to open.
            stats = merge_upsert(
                spark,
                staged,
                stg_path,
                ["invoice_id"],
                update_condition=(
                    "s.record_hash <> t.record_hash AND s.ingested_at >= t.ingested_at "
                    "AND NOT (t.is_open = false AND s.is_open = true)"
                ),
                source_rows=silver_rows,
            )
        finally:
            classified.unpersist()
        reconciliation = replace(
            staged_counts,
            inserted=stats.inserted,
            updated=stats.updated,
            unchanged=silver_rows - stats.inserted - stats.updated,
        )
        _append_ingest_log(spark, log_path, reconciliation, stats.version)
        report.files.append(reconciliation)
    report.table_version = delta_version(stg_path)
    report.quarantine_version = delta_version(quarantine_path)
    return report
