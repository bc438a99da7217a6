"""Feature views over the Silver point-in-time tables.

Schemas come from the same column lists the Spark jobs write (``spark_jobs.features``), so a feature cannot
exist in one place and not the other. History views change only when something happens (a payment, a
window exit, a posting), so their latest row is always current: the TTL is ten years, not a freshness knob.
"""

from datetime import timedelta

from data_sources import (
    business_payment_behavior_source,
    customer_open_ar_source,
    customer_payment_behavior_source,
    invoice_terms_source,
)
from entities import business, customer, invoice
from feast import FeatureView, Field
from feast.types import Bool, Float64, Int32, Int64, String, UnixTimestamp

from spark_jobs.features.history import history_columns
from spark_jobs.features.open_ar import OPEN_AR_COLUMNS

_TYPES = {"int64": Int64, "float64": Float64}
HISTORY_TTL = timedelta(days=3650)


def _fields(columns: list[tuple[str, str]] | tuple[tuple[str, str], ...], known_at: str) -> list[Field]:
    """Feature fields, plus the moment the row's values became known (for leakage audits and freshness)."""
    return [Field(name=name, dtype=_TYPES[dtype]) for name, dtype in columns] + [
        Field(name=known_at, dtype=UnixTimestamp)
    ]


# How a customer has paid so far: counts, mean/median/std delay, share late, days to pay, amount-weighted
# delay, last delay and payment cadence, over all history and the last 90 and 365 days.
customer_payment_behavior = FeatureView(
    name="customer_payment_behavior",
    entities=[customer],
    ttl=HISTORY_TTL,
    schema=_fields(history_columns("customer"), "customer_history_known_at"),
    source=customer_payment_behavior_source,
    online=True,
    description="Customer payment history known before the entity timestamp.",
    tags={"team": "ar", "pit": "payment known at clear day + 1"},
)

# What a customer owes right now: open and overdue invoice counts and amounts, age of the oldest open one.
customer_open_ar = FeatureView(
    name="customer_open_ar",
    entities=[customer],
    ttl=HISTORY_TTL,
    schema=_fields(OPEN_AR_COLUMNS, "customer_open_ar_known_at"),
    source=customer_open_ar_source,
    online=True,
    description="Customer open and overdue exposure as it stood at the entity timestamp.",
    tags={"team": "ar"},
)

# How the customers of a business unit pay: what a new customer is judged by until it has history.
business_payment_behavior = FeatureView(
    name="business_payment_behavior",
    entities=[business],
    ttl=HISTORY_TTL,
    schema=_fields(history_columns("business"), "business_history_known_at"),
    source=business_payment_behavior_source,
    online=True,
    description="Business-unit payment history (cold-start fallback).",
    tags={"team": "ar"},
)

# The invoice as posted: amount (and in VND), currency, payment terms, term lengths, posting calendar.
# Offline only: a new invoice is described by the request itself (see on_demand_views.py).
invoice_terms = FeatureView(
    name="invoice_terms",
    entities=[invoice],
    ttl=HISTORY_TTL,
    schema=[
        Field(name="customer_id", dtype=String),
        Field(name="business_code", dtype=String),
        Field(name="invoice_amount", dtype=Float64),
        Field(name="invoice_amount_vnd", dtype=Float64),
        Field(name="invoice_currency", dtype=String),
        Field(name="invoice_payment_terms", dtype=String),
        Field(name="invoice_baseline_to_due_days", dtype=Int32),
        Field(name="invoice_posting_to_due_days", dtype=Int32),
        Field(name="invoice_document_lag_days", dtype=Int32),
        Field(name="invoice_posting_weekday", dtype=Int32),
        Field(name="invoice_posting_month", dtype=Int32),
        Field(name="invoice_posting_quarter", dtype=Int32),
        Field(name="invoice_posting_is_month_end", dtype=Bool),
        Field(name="invoice_due_epoch_day", dtype=Int32),
    ],
    source=invoice_terms_source,
    online=False,
    description="Invoice terms known at posting (analysis, BI and audits).",
    tags={"team": "ar"},
)
