"""Request-time features: computed from the invoice in the request (and from stored customer state).

These pure functions are the bodies of the Feast on-demand feature views (python mode, see
``feature_repo/on_demand_views.py``). Training (historical retrieval), batch scoring and the online service
all reach them through those views, so an invoice's features are computed by one piece of code.

Each function takes and returns a dict of equal-length lists (Feast's python-mode batch format).
Missing inputs give missing outputs (None), never an exception: a model handles missing values natively.
"""

from __future__ import annotations

import calendar
import math
from datetime import UTC, date, datetime
from typing import Any

import numpy as np

_EPOCH = date(1970, 1, 1)


def to_date(value: Any) -> date | None:
    """A calendar date from what Feast may hand over: datetime/Timestamp (UTC), date, ISO string, epoch s."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return None
        return date.fromisoformat(str(value.astype("datetime64[D]")))
    if isinstance(value, int | np.integer):
        return datetime.fromtimestamp(int(value), tz=UTC).date()
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    to_pydatetime = getattr(value, "to_pydatetime", None)  # pandas.Timestamp without importing pandas
    if to_pydatetime is not None:
        return to_date(to_pydatetime())
    raise TypeError(f"cannot read a date from {value!r}")


def epoch_day(value: Any) -> int | None:
    day = to_date(value)
    return None if day is None else (day - _EPOCH).days


def _is_month_end(day: date) -> int:
    return int(day.day == calendar.monthrange(day.year, day.month)[1])


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def invoice_seasonality(inputs: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Calendar effects of the posting and due dates (month, quarter, ISO weekday, month end)."""
    out: dict[str, list[Any]] = {
        name: []
        for name in (
            "posting_month",
            "posting_quarter",
            "posting_weekday",
            "posting_is_month_end",
            "due_month",
            "due_weekday",
            "due_day_of_month",
            "due_is_month_end",
        )
    }
    for posting_raw, due_raw in zip(inputs["posting_date"], inputs["due_date"], strict=True):
        posting, due = to_date(posting_raw), to_date(due_raw)
        out["posting_month"].append(posting.month if posting else None)
        out["posting_quarter"].append((posting.month - 1) // 3 + 1 if posting else None)
        out["posting_weekday"].append(posting.isoweekday() if posting else None)
        out["posting_is_month_end"].append(_is_month_end(posting) if posting else None)
        out["due_month"].append(due.month if due else None)
        out["due_weekday"].append(due.isoweekday() if due else None)
        out["due_day_of_month"].append(due.day if due else None)
        out["due_is_month_end"].append(_is_month_end(due) if due else None)
    return out


def invoice_request_features(inputs: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Amount and terms of the invoice as the ERP sends it."""
    out: dict[str, list[Any]] = {
        "log_amount": [],
        "days_until_due": [],
        "baseline_to_due_days": [],
        "posting_to_baseline_days": [],
        "invoice_currency": [],
        "invoice_payment_terms": [],
    }
    rows = zip(
        inputs["amount"],
        inputs["posting_date"],
        inputs["baseline_date"],
        inputs["due_date"],
        inputs["currency"],
        inputs["payment_terms"],
        strict=True,
    )
    for amount_raw, posting_raw, baseline_raw, due_raw, currency, terms in rows:
        amount = _number(amount_raw)
        posting, baseline, due = epoch_day(posting_raw), epoch_day(baseline_raw), epoch_day(due_raw)
        out["log_amount"].append(math.log1p(amount) if amount is not None and amount >= 0 else None)
        out["days_until_due"].append(due - posting if due is not None and posting is not None else None)
        out["baseline_to_due_days"].append(due - baseline if due is not None and baseline is not None else None)
        out["posting_to_baseline_days"].append(
            baseline - posting if baseline is not None and posting is not None else None
        )
        out["invoice_currency"].append(str(currency).strip().upper() if currency else None)
        out["invoice_payment_terms"].append(str(terms).strip().upper() if terms else None)
    return out


def customer_recency(inputs: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """How long ago the customer last paid, and how old its oldest open invoice is, at posting time."""
    out: dict[str, list[Any]] = {
        "days_since_last_payment": [],
        "oldest_open_age_at_posting_days": [],
        "has_payment_history": [],
    }
    rows = zip(
        inputs["posting_date"],
        inputs["customer_last_payment_epoch_day"],
        inputs["customer_oldest_open_posting_epoch_day"],
        strict=True,
    )
    for posting_raw, last_payment_raw, oldest_open_raw in rows:
        posting = epoch_day(posting_raw)
        last_payment, oldest_open = _number(last_payment_raw), _number(oldest_open_raw)
        known = posting is not None and last_payment is not None
        out["days_since_last_payment"].append(float(posting - last_payment) if known else None)  # type: ignore[operator]
        out["oldest_open_age_at_posting_days"].append(
            float(posting - oldest_open) if posting is not None and oldest_open is not None else None
        )
        out["has_payment_history"].append(int(last_payment is not None))
    return out
