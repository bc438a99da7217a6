"""Batch sources: the Silver point-in-time feature tables, read as Delta.

Declared as ``SparkSource(path=..., table_format=DeltaFormat())`` so the same definitions run on the embedded
Delta offline store (default) and on Feast's Spark offline store (``SME_PULSE_OFFLINE_STORE=spark``).
``event_timestamp`` is when a value became known; ``created_timestamp`` breaks ties between rewrites.
"""

import warnings

from feast.infra.offline_stores.contrib.spark_offline_store.spark_source import SparkSource
from feast.table_format import DeltaFormat

from sme_pulse.lakehouse.tables import table_path
from sme_pulse.settings import get_settings

warnings.filterwarnings("ignore", message="The spark data source API is an experimental feature")


def _delta(table: str, description: str) -> SparkSource:
    return SparkSource(
        name=f"{table}_source",
        path=str(table_path(get_settings(), table)),
        table_format=DeltaFormat(),
        timestamp_field="event_timestamp",
        created_timestamp_column="created_timestamp",
        description=description,
    )


# Customer payment history after each payment day and each rolling-window exit.
customer_payment_behavior_source = _delta(
    "ftr_customer_payment_behavior", "How each customer has paid so far (delays, lateness, cadence)."
)

# Customer open and overdue exposure after each posting, due-date crossing and payment.
customer_open_ar_source = _delta("ftr_customer_open_ar", "What each customer owed (open and overdue) at each change.")

# Business-unit payment history: the cold-start fallback for customers without history.
business_payment_behavior_source = _delta(
    "ftr_business_payment_behavior", "How customers of each business unit have paid so far."
)

# Invoice terms as known at posting.
invoice_terms_source = _delta("ftr_invoice_terms", "Amount, currency and terms of each invoice at posting.")
