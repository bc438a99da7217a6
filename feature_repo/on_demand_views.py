"""On-demand feature views (python mode): computed from the request, identically in training and serving.

The function bodies live in ``sme_pulse.features.request_time``; these views only declare inputs and
outputs. Feast stores a python-mode function as source and rebuilds it alone, so each imports what it uses.
Historical retrieval passes the request fields as columns of the entity frame, the online service passes
them with the request.
"""

from typing import Any

from feast import Field, RequestSource
from feast.on_demand_feature_view import on_demand_feature_view
from feast.types import Float64, Int64, String, UnixTimestamp
from feature_views import customer_open_ar, customer_payment_behavior

# The invoice as the ERP sends it: dates, amount, currency and payment terms.
invoice_request = RequestSource(
    name="invoice_request",
    schema=[
        Field(name="posting_date", dtype=UnixTimestamp),
        Field(name="baseline_date", dtype=UnixTimestamp),
        Field(name="due_date", dtype=UnixTimestamp),
        Field(name="amount", dtype=Float64),
        Field(name="currency", dtype=String),
        Field(name="payment_terms", dtype=String),
    ],
    description="Invoice fields supplied at request time.",
)


# Calendar effects: invoices posted or due at month end, on Mondays, in Q4 ... pay differently.
@on_demand_feature_view(
    sources=[invoice_request],
    schema=[
        Field(name="posting_month", dtype=Int64),
        Field(name="posting_quarter", dtype=Int64),
        Field(name="posting_weekday", dtype=Int64),
        Field(name="posting_is_month_end", dtype=Int64),
        Field(name="due_month", dtype=Int64),
        Field(name="due_weekday", dtype=Int64),
        Field(name="due_day_of_month", dtype=Int64),
        Field(name="due_is_month_end", dtype=Int64),
    ],
    mode="python",
    description="Seasonality of the posting and due dates.",
)
def invoice_seasonality(inputs: dict[str, Any]) -> dict[str, Any]:
    from sme_pulse.features import request_time  # inside: Feast rebuilds the function from its source

    return request_time.invoice_seasonality(inputs)


# The invoice itself: size (log amount), term lengths, currency and payment-terms code.
@on_demand_feature_view(
    sources=[invoice_request],
    schema=[
        Field(name="log_amount", dtype=Float64),
        Field(name="days_until_due", dtype=Int64),
        Field(name="baseline_to_due_days", dtype=Int64),
        Field(name="posting_to_baseline_days", dtype=Int64),
        Field(name="invoice_currency", dtype=String),
        Field(name="invoice_payment_terms", dtype=String),
    ],
    mode="python",
    description="Invoice amount and terms from the request.",
)
def invoice_request_features(inputs: dict[str, Any]) -> dict[str, Any]:
    from sme_pulse.features import request_time  # inside: Feast rebuilds the function from its source

    return request_time.invoice_request_features(inputs)


# Recency at posting time: days since the customer last paid, age of its oldest open invoice.
@on_demand_feature_view(
    sources=[
        invoice_request,
        customer_payment_behavior[["customer_last_payment_epoch_day"]],
        customer_open_ar[["customer_oldest_open_posting_epoch_day"]],
    ],
    schema=[
        Field(name="days_since_last_payment", dtype=Float64),
        Field(name="oldest_open_age_at_posting_days", dtype=Float64),
        Field(name="has_payment_history", dtype=Int64),
    ],
    mode="python",
    description="Customer recency measured from the invoice's posting date.",
)
def customer_recency(inputs: dict[str, Any]) -> dict[str, Any]:
    from sme_pulse.features import request_time  # inside: Feast rebuilds the function from its source

    return request_time.customer_recency(inputs)
