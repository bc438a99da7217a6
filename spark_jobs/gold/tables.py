"""Gold for BI: dimensions, facts, AR KPI marts and the three use cases, as pure Spark transforms.

Amounts are aggregated in VND (``amount_vnd``) so invoices in different currencies add up. "As of" is the
pipeline's snapshot day (the day after Silver's latest date unless ``SME_PULSE_AS_OF`` says otherwise).
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

AGING_BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")
SEGMENTS = ("new", "on_time", "slightly_late", "late")
OPEN_END = date(9999, 12, 31)
ANOMALY_DAYS = 14
FORECAST_DAYS = 90
DSO_WINDOW_DAYS = 90


def date_key(column: Column) -> Column:
    return F.date_format(column, "yyyyMMdd").cast("int")


def aging_bucket(days_overdue: Column) -> Column:
    """current (not yet due), 1-30, 31-60, 61-90, 90+ days past due."""
    return (
        F.when(days_overdue <= 0, "current")
        .when(days_overdue <= 30, "1-30")
        .when(days_overdue <= 60, "31-60")
        .when(days_overdue <= 90, "61-90")
        .otherwise("90+")
    )


# ------------------------------------------------------------------------------------------ dimensions
def compute_dim_date(spark, start: date, end: date) -> DataFrame:  # type: ignore[no-untyped-def]
    days = spark.sql(f"SELECT explode(sequence(DATE'{start}', DATE'{end}', INTERVAL 1 DAY)) AS date")
    return days.select(
        date_key(F.col("date")).alias("date_key"),
        "date",
        F.year("date").alias("year"),
        F.quarter("date").alias("quarter"),
        F.month("date").alias("month"),
        F.date_format("date", "MMMM").alias("month_name"),
        F.dayofmonth("date").alias("day"),
        ((F.dayofweek("date") + 5) % 7 + 1).alias("iso_weekday"),
        F.weekofyear("date").alias("iso_week"),
        (F.dayofweek("date").isin(1, 7)).alias("is_weekend"),
        (F.last_day("date") == F.col("date")).alias("is_month_end"),
    )


def compute_dim_business(stg: DataFrame) -> DataFrame:
    counts = stg.groupBy("business_code", "currency").count()
    main_currency = counts.withColumn(
        "rank", F.row_number().over(Window.partitionBy("business_code").orderBy(F.desc("count"), "currency"))
    ).where("rank = 1")
    stats = stg.groupBy("business_code").agg(
        F.count("*").alias("invoices"),
        F.min("posting_date").alias("first_posting_date"),
        F.max("posting_date").alias("last_posting_date"),
    )
    return stats.join(
        main_currency.select("business_code", F.col("currency").alias("main_currency")), "business_code"
    ).select(
        F.xxhash64("business_code").alias("business_key"),
        "business_code",
        "main_currency",
        "invoices",
        "first_posting_date",
        "last_posting_date",
    )


def payment_segment(cleared_365d: Column, mean_delay_365d: Column, cleared_all: Column) -> Column:
    """new (< 3 payments ever), on_time (mean delay <= 1 d over a year), slightly_late (<= 7 d), late."""
    delay = F.coalesce(mean_delay_365d, F.lit(0.0))
    return (
        F.when(F.coalesce(cleared_all, F.lit(0)) < 3, "new")
        .when(F.coalesce(cleared_365d, F.lit(0)) == 0, "on_time")
        .when(delay <= 1, "on_time")
        .when(delay <= 7, "slightly_late")
        .otherwise("late")
    )


def compute_dim_ar_customer(history: DataFrame, stg: DataFrame) -> DataFrame:
    """SCD type 2: one version per run of identical payment segment, from the PIT customer history.

    ``history`` is ``ftr_customer_payment_behavior`` (one row per change of what is known); a new version
    opens when the segment changes and closes the previous one (``effective_to`` = the next version's
    ``effective_from``). The surrogate key hashes (customer, effective_from), so rebuilds keep keys stable.
    Every customer's first version is 'new', from its first posting.
    """
    seg = history.select(
        "customer_id",
        F.col("event_timestamp").alias("effective_from"),
        payment_segment(
            F.col("customer_cleared_invoices_365d"),
            F.col("customer_mean_delay_days_365d"),
            F.col("customer_cleared_invoices"),
        ).alias("payment_segment"),
        F.col("customer_mean_delay_days_365d").alias("mean_delay_days_365d"),
        F.col("customer_share_paid_late_365d").alias("share_paid_late_365d"),
        F.col("customer_cleared_invoices").alias("cleared_invoices"),
    )
    # Every customer starts as 'new' from its first invoice; the history then moves it between segments.
    first_posting = stg.groupBy("customer_id").agg(F.min("posting_date").alias("first_posting"))
    starts = first_posting.select(
        "customer_id",
        F.to_timestamp(F.col("first_posting")).alias("effective_from"),
        F.lit("new").alias("payment_segment"),
        F.lit(None).cast("double").alias("mean_delay_days_365d"),
        F.lit(None).cast("double").alias("share_paid_late_365d"),
        F.lit(0).cast("bigint").alias("cleared_invoices"),
    )
    rows = seg.unionByName(starts)
    order = Window.partitionBy("customer_id").orderBy("effective_from")
    changes = rows.withColumn("previous", F.lag("payment_segment").over(order)).where(
        F.col("previous").isNull() | (F.col("previous") != F.col("payment_segment"))
    )
    names = stg.groupBy("customer_id").agg(
        F.max_by("customer_name", "posting_date").alias("customer_name"),
        F.max_by("business_code", "posting_date").alias("business_code"),
    )
    versions = changes.withColumn("effective_to", F.lead("effective_from").over(order)).join(
        names, "customer_id", "left"
    )
    return versions.select(
        F.xxhash64("customer_id", "effective_from").alias("customer_sk"),
        "customer_id",
        "customer_name",
        "business_code",
        "payment_segment",
        "mean_delay_days_365d",
        "share_paid_late_365d",
        "cleared_invoices",
        "effective_from",
        F.coalesce("effective_to", F.to_timestamp(F.lit(str(OPEN_END)))).alias("effective_to"),
        F.col("effective_to").isNull().alias("is_current"),
    )


# ------------------------------------------------------------------------------------------------ fact
def compute_fact_ar_invoices(stg: DataFrame, dim_customer: DataFrame, as_of: date) -> DataFrame:
    """One row per invoice with keys to the dimensions and its AR status as of the snapshot day.

    The customer key points at the SCD2 version in force when the invoice was posted (posting day 00:00,
    the same moment the model's features are taken at).
    """
    snapshot = F.lit(str(as_of)).cast("date")
    posted = F.to_timestamp(F.col("posting_date"))
    versions = dim_customer.select("customer_sk", "customer_id", "effective_from", "effective_to")
    joined = stg.alias("i").join(
        versions.alias("v"),
        (F.col("i.customer_id") == F.col("v.customer_id"))
        & (F.col("v.effective_from") <= posted)
        & (F.col("v.effective_to") > posted),
        "left",
    )
    is_open = F.col("i.clear_date").isNull() | (F.col("i.clear_date") > snapshot)
    days_overdue = F.when(is_open, F.datediff(snapshot, F.col("i.due_date")))
    return joined.select(
        F.col("i.invoice_id").alias("invoice_id"),
        F.col("v.customer_sk").alias("customer_sk"),
        F.col("i.customer_id").alias("customer_id"),
        F.xxhash64(F.col("i.business_code")).alias("business_key"),
        F.col("i.business_code").alias("business_code"),
        date_key(F.col("i.posting_date")).alias("posting_date_key"),
        date_key(F.col("i.due_date")).alias("due_date_key"),
        date_key(F.col("i.clear_date")).alias("clear_date_key"),
        F.col("i.posting_date").alias("posting_date"),
        F.col("i.due_date").alias("due_date"),
        F.col("i.clear_date").alias("clear_date"),
        F.col("i.currency").alias("currency"),
        F.col("i.amount").alias("amount"),
        F.col("i.amount_vnd").alias("amount_vnd"),
        F.col("i.delay_days").alias("delay_days"),
        F.when(is_open, "open").when(F.col("i.delay_days") > 0, "paid_late").otherwise("paid_on_time").alias("status"),
        days_overdue.alias("days_overdue"),
        F.when(is_open, aging_bucket(days_overdue)).alias("aging_bucket"),
        (is_open & (days_overdue > 0)).alias("is_overdue"),
        (is_open & (days_overdue > 90)).alias("is_overdue_90"),
        snapshot.alias("snapshot_date"),
    )


# ---------------------------------------------------------------------------------------------- KPIs
def _interval_deltas(fact: DataFrame, start: Column, end: Column, weights: dict[str, Column], name: str) -> DataFrame:
    """+w on the first day an item is in a state and -w on the first day it is not: a cumulative sum over
    days then gives each day's total, in time linear in days + invoices (no days x invoices join)."""
    live = fact.where(end.isNull() | (start < end))
    opened = live.select(start.alias("date"), *[w.alias(f"{name}_{k}") for k, w in weights.items()])
    closed = live.where(end.isNotNull()).select(
        end.alias("date"), *[(-w).alias(f"{name}_{k}") for k, w in weights.items()]
    )
    return opened.unionByName(closed).groupBy("date").agg(*[F.sum(f"{name}_{k}").alias(f"{name}_{k}") for k in weights])


def compute_kpi_ar_dso_analysis(fact: DataFrame, dim_date: DataFrame, as_of: date) -> DataFrame:
    """Daily AR position (end of day, in VND) and DSO = open receivables / credit sales of the last 90 days x 90.

    An invoice is open on day d when posted on or before d and not cleared on or before d; overdue when
    open and d is after its due date.
    """
    first = fact.agg(F.min("posting_date")).collect()[0][0]
    days = dim_date.where(F.col("date").between(F.lit(str(first)).cast("date"), F.lit(str(as_of)).cast("date")))
    days = days.select("date")
    one, amount = F.lit(1), F.col("amount_vnd")
    due_day = F.datediff("due_date", F.lit("1970-01-01").cast("date"))
    open_deltas = _interval_deltas(
        fact, F.col("posting_date"), F.col("clear_date"), {"n": one, "amount": amount}, "open"
    )
    overdue_start = F.greatest(F.col("posting_date"), F.date_add("due_date", 1))
    overdue_deltas = _interval_deltas(
        fact, overdue_start, F.col("clear_date"), {"n": one, "amount": amount, "due": due_day}, "overdue"
    )
    paid = (
        fact.where(F.col("clear_date").isNotNull())
        .groupBy(F.col("clear_date").alias("date"))
        .agg(F.sum("amount_vnd").alias("paid_amount_vnd"), F.count("*").alias("paid_invoices"))
    )
    posted = fact.groupBy(F.col("posting_date").alias("date")).agg(F.sum("amount_vnd").alias("posted_vnd"))
    daily = days.join(open_deltas, "date", "left").join(overdue_deltas, "date", "left")
    daily = daily.join(paid, "date", "left").join(posted, "date", "left").na.fill(0)
    upto = Window.orderBy("date").rowsBetween(Window.unboundedPreceding, 0)
    last_90 = Window.orderBy(F.datediff("date", F.lit("1970-01-01").cast("date"))).rangeBetween(
        -(DSO_WINDOW_DAYS - 1), 0
    )
    daily = daily.select(
        "date",
        "paid_amount_vnd",
        "paid_invoices",
        F.sum("open_n").over(upto).alias("open_invoices"),
        F.sum("open_amount").over(upto).alias("open_amount_vnd"),
        F.sum("overdue_n").over(upto).alias("overdue_invoices"),
        F.sum("overdue_amount").over(upto).alias("overdue_amount_vnd"),
        F.sum("overdue_due").over(upto).alias("_overdue_due_days"),
        F.sum("posted_vnd").over(last_90).alias("credit_sales_90d_vnd"),
    )
    day_number = F.datediff("date", F.lit("1970-01-01").cast("date"))
    return daily.select(
        date_key(F.col("date")).alias("date_key"),
        "date",
        "open_invoices",
        "open_amount_vnd",
        "overdue_invoices",
        "overdue_amount_vnd",
        F.when(
            F.col("overdue_invoices") > 0, day_number - F.col("_overdue_due_days") / F.col("overdue_invoices")
        ).alias("avg_days_overdue"),
        "paid_invoices",
        "paid_amount_vnd",
        "credit_sales_90d_vnd",
        F.when(
            F.col("credit_sales_90d_vnd") > 0,
            F.col("open_amount_vnd") / F.col("credit_sales_90d_vnd") * DSO_WINDOW_DAYS,
        ).alias("dso_days"),
    ).orderBy("date")


def compute_kpi_ar_aging(fact: DataFrame) -> DataFrame:
    """Open receivables at the snapshot by aging bucket and business unit."""
    open_items = fact.where(F.col("status") == "open")
    return open_items.groupBy("snapshot_date", "business_code", "aging_bucket").agg(
        F.count("*").alias("open_invoices"),
        F.sum("amount_vnd").alias("open_amount_vnd"),
        F.avg("days_overdue").alias("avg_days_overdue"),
    )


def compute_kpi_collection_effectiveness(dso: DataFrame, fact: DataFrame) -> DataFrame:
    """CEI by month = (begin AR + credit sales - end AR) / (begin AR + credit sales - end current AR) x 100.

    Begin AR is the open amount at the end of the previous month, end current AR the part of the month-end
    open amount that is not yet due (open minus overdue), all taken from the daily AR position.
    """
    month_ends = dso.where(F.col("date") == F.last_day("date")).select(
        F.trunc("date", "month").alias("month_start"),
        F.col("date").alias("month_end"),
        F.col("open_amount_vnd").alias("end_ar_vnd"),
        (F.col("open_amount_vnd") - F.col("overdue_amount_vnd")).alias("end_current_ar_vnd"),
    )
    previous = Window.orderBy("month_start")
    sales = fact.groupBy(F.trunc("posting_date", "month").alias("month_start")).agg(
        F.sum("amount_vnd").alias("credit_sales_vnd")
    )
    monthly = month_ends.join(sales, "month_start", "left").na.fill(0, ["credit_sales_vnd"])
    monthly = monthly.withColumn("begin_ar_vnd", F.coalesce(F.lag("end_ar_vnd").over(previous), F.lit(0.0)))
    collectible = F.col("begin_ar_vnd") + F.col("credit_sales_vnd") - F.col("end_current_ar_vnd")
    collected = F.col("begin_ar_vnd") + F.col("credit_sales_vnd") - F.col("end_ar_vnd")
    return monthly.select(
        "month_start",
        "month_end",
        "begin_ar_vnd",
        "credit_sales_vnd",
        "end_ar_vnd",
        "end_current_ar_vnd",
        F.when(collectible > 0, collected / collectible * 100).alias("cei_percent"),
    ).orderBy("month_start")


# ----------------------------------------------------------------------------------------- use cases
def compute_uc_ar_high_risk(fact: DataFrame, priority: DataFrame, scores: DataFrame, model_version: str) -> DataFrame:
    """AR management: open invoices of the serving model, ranked by collection priority, with predicted dates."""
    p = priority.where(F.col("model_version") == model_version)
    s = scores.where(F.col("model_version") == model_version).select(
        "invoice_id",
        "expected_payment_date",
        "p10_payment_date",
        "p90_payment_date",
        "predicted_delay_days",
        "cold_start",
        "past_predicted_date",
    )
    openf = fact.where(F.col("status") == "open").select("invoice_id", "aging_bucket", "customer_sk")
    return (
        p.join(s, "invoice_id")
        .join(openf, "invoice_id")
        .select(
            "priority_rank",
            "priority_band",
            "priority_score",
            "invoice_id",
            "customer_id",
            "customer_sk",
            "business_code",
            "amount",
            "amount_vnd",
            "due_date",
            "days_overdue",
            "aging_bucket",
            "expected_payment_date",
            "p10_payment_date",
            "p90_payment_date",
            "predicted_delay_days",
            "expected_days_late",
            "past_predicted_date",
            "cold_start",
            "model_version",
            "as_of",
        )
        .orderBy("priority_rank")
    )


def compute_uc_cash_flow_forecast(
    scores: DataFrame, model_version: str, as_of: date, days: int = FORECAST_DAYS
) -> DataFrame:
    """Predicted cash-in per day for the next ``days`` days, with an early (P10) and a late (P90) scenario.

    Each open invoice contributes its VND amount on its expected payment date (never before the as-of day);
    the scenario columns place it on its P10 / P90 date instead. Invoices expected after the window are not in it.
    """
    start = F.lit(str(as_of)).cast("date")
    s = scores.where(F.col("model_version") == model_version)
    spine = s.sparkSession.sql(
        f"SELECT explode(sequence(DATE'{as_of}', date_add(DATE'{as_of}', {days - 1}), INTERVAL 1 DAY)) AS date"
    )

    def daily(date_column: Column, name: str) -> DataFrame:
        placed = F.greatest(date_column, start)
        return s.groupBy(placed.alias("date")).agg(
            F.sum("amount_vnd").alias(name), F.count("*").alias(f"{name}_invoices")
        )

    out = (
        spine.join(daily(F.col("expected_payment_date"), "expected_cash_in_vnd"), "date", "left")
        .join(daily(F.col("p10_payment_date"), "early_cash_in_vnd"), "date", "left")
        .join(daily(F.col("p90_payment_date"), "late_cash_in_vnd"), "date", "left")
    )
    cumulative = Window.orderBy("date").rowsBetween(Window.unboundedPreceding, 0)
    values = ("expected_cash_in_vnd", "early_cash_in_vnd", "late_cash_in_vnd")
    out = out.select(
        "date",
        *[F.coalesce(F.col(c), F.lit(0.0)).alias(c) for c in values],
        F.coalesce("expected_cash_in_vnd_invoices", F.lit(0)).alias("expected_invoices"),
    )
    return out.select(
        date_key(F.col("date")).alias("date_key"),
        "date",
        *values,
        "expected_invoices",
        *[F.sum(c).over(cumulative).alias(f"cumulative_{c}") for c in values],
        F.lit(model_version).alias("model_version"),
        start.alias("as_of"),
    ).orderBy("date")


def compute_uc_payment_anomalies(backtest: DataFrame, days: int = ANOMALY_DAYS) -> DataFrame:
    """Paid invoices whose actual payment date missed the model's prediction by more than ``days`` days."""
    miss = F.datediff("clear_date", "predicted_payment_date")
    return (
        backtest.where(F.abs(miss) > days)
        .select(
            "invoice_id",
            "customer_id",
            "business_code",
            "amount_vnd",
            "posting_date",
            "due_date",
            "predicted_payment_date",
            "clear_date",
            miss.alias("days_missed"),
            F.when(miss > 0, "paid_later_than_predicted").otherwise("paid_earlier_than_predicted").alias("direction"),
            "model_version",
        )
        .orderBy(F.desc(F.abs(miss)))
    )
