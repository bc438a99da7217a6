"""Entity frames for Feast retrievals: one row per invoice with its keys, timestamp and request fields.

The entity timestamp of an invoice is its posting date at 00:00 UTC (the moment it exists); the request
fields are what the ERP sends with a prediction request, so training, batch scoring and serving feed the
on-demand views the same inputs.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from sme_pulse.lakehouse.tables import table_path
from sme_pulse.settings import Settings

ENTITY_KEYS = ("invoice_id", "customer_id", "business_code")
REQUEST_FIELDS = ("posting_date", "baseline_date", "due_date", "amount", "currency", "payment_terms")


def _utc_midnight(values: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(values)
    return stamps.dt.tz_localize("UTC") if stamps.dt.tz is None else stamps.dt.tz_convert("UTC")


def entity_frame(invoices: pd.DataFrame) -> pd.DataFrame:
    """Keys + ``event_timestamp`` (posting date 00:00 UTC) + request fields, from Silver invoice rows."""
    frame = pd.DataFrame({key: invoices[key].astype(str) for key in ENTITY_KEYS})
    frame["event_timestamp"] = _utc_midnight(invoices["posting_date"])
    for column in ("posting_date", "baseline_date", "due_date"):
        frame[column] = _utc_midnight(invoices[column])
    frame["amount"] = invoices["amount"].astype(float)
    frame["currency"] = invoices["currency"].astype(str)
    frame["payment_terms"] = invoices["payment_terms"].astype(str)
    return frame.reset_index(drop=True)


def as_of_day(settings: Settings, invoices: pd.DataFrame) -> date:
    """The pipeline's 'today': ``SME_PULSE_AS_OF``, else the day after the latest posting or clear date.

    Historical extracts (the Kaggle file ends in May 2020) then behave as if they were live.
    """
    if settings.as_of:
        return settings.as_of
    latest = max(pd.to_datetime(invoices["posting_date"]).max(), pd.to_datetime(invoices["clear_date"]).max())
    return (latest + timedelta(days=1)).date()


def read_invoices(settings: Settings, *, is_open: bool | None = None) -> pd.DataFrame:
    """Silver invoices (current Delta version) as pandas, optionally only open or only cleared ones."""
    from deltalake import DeltaTable

    invoices = DeltaTable(str(table_path(settings, "stg_ar_invoices"))).to_pyarrow_dataset().to_table().to_pandas()
    # Filtered in pandas: a pushed-down `is_open == False` on the delta-rs dataset matches no rows (seen with
    # deltalake 1.6 + pyarrow 25), while the same predicate on the loaded table is right.
    return invoices if is_open is None else invoices[invoices["is_open"] == is_open].reset_index(drop=True)
