"""Feature services: the exact feature lists models are trained and served with."""

from feast import FeatureService
from feature_views import business_payment_behavior, customer_open_ar, customer_payment_behavior, invoice_terms
from on_demand_views import customer_recency, invoice_request_features, invoice_seasonality

# Bookkeeping columns: epoch days feed the recency view, *_known_at stamps audit when values became known.
# Neither is a model input.
_STATE_COLUMNS = {
    "customer_last_payment_epoch_day",
    "customer_oldest_open_posting_epoch_day",
    "business_last_payment_epoch_day",
    "customer_history_known_at",
    "customer_open_ar_known_at",
    "business_history_known_at",
}


def _model_features(view):  # type: ignore[no-untyped-def]
    return view[[f.name for f in view.features if f.name not in _STATE_COLUMNS]]


# v1 of the payment-date model: customer history and exposure, business fallback, invoice request features.
payment_date_v1 = FeatureService(
    name="payment_date_v1",
    features=[
        _model_features(customer_payment_behavior),
        _model_features(customer_open_ar),
        _model_features(business_payment_behavior),
        invoice_seasonality,
        invoice_request_features,
        customer_recency,
    ],
    description="Features of the payment-date model (XGBoost delay regressor and P10/P90 quantiles).",
    tags={"model": "payment_date_model"},
)

# Everything known about an invoice at posting, for analysts and BI.
invoice_terms_v1 = FeatureService(
    name="invoice_terms_v1",
    features=[invoice_terms],
    description="Invoice terms at posting (analysis and audits, not a model input).",
)
