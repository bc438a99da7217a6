"""Request-time features (the bodies of the on-demand views) from the values Feast may pass."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest

from sme_pulse.features.request_time import (
    customer_recency,
    epoch_day,
    invoice_request_features,
    invoice_seasonality,
    to_date,
)


@pytest.mark.parametrize(
    "value",
    [
        datetime(2020, 1, 31, tzinfo=UTC),
        datetime(2020, 1, 31),
        date(2020, 1, 31),
        "2020-01-31",
        "2020-01-31T00:00:00+00:00",
        pd.Timestamp("2020-01-31", tz="UTC"),
        np.datetime64("2020-01-31"),
        int(datetime(2020, 1, 31, tzinfo=UTC).timestamp()),
    ],
)
def test_dates_are_read_from_every_shape_feast_hands_over(value: object) -> None:
    assert to_date(value) == date(2020, 1, 31)


def test_missing_dates_give_missing_features_not_errors() -> None:
    assert to_date(None) is None and to_date(float("nan")) is None
    out = invoice_seasonality({"posting_date": [None], "due_date": [None]})
    assert all(values == [None] for values in out.values())


def test_seasonality_flags_month_end_and_iso_weekday() -> None:
    out = invoice_seasonality({"posting_date": [date(2020, 2, 29)], "due_date": [date(2020, 3, 16)]})
    assert out["posting_is_month_end"] == [1] and out["posting_quarter"] == [1]
    assert out["posting_weekday"] == [6]  # Saturday
    assert out["due_weekday"] == [1] and out["due_is_month_end"] == [0] and out["due_day_of_month"] == [16]


def test_invoice_request_features_measure_terms_in_days() -> None:
    out = invoice_request_features(
        {
            "amount": [999.0],
            "posting_date": [date(2020, 1, 1)],
            "baseline_date": [date(2020, 1, 2)],
            "due_date": [date(2020, 1, 17)],
            "currency": [" usd"],
            "payment_terms": ["naa8"],
        }
    )
    assert out["days_until_due"] == [16] and out["baseline_to_due_days"] == [15]
    assert out["posting_to_baseline_days"] == [1]
    assert math.isclose(out["log_amount"][0], math.log1p(999.0))
    assert out["invoice_currency"] == ["USD"] and out["invoice_payment_terms"] == ["NAA8"]


def test_recency_is_measured_from_posting_and_flags_cold_starts() -> None:
    posting = epoch_day(date(2020, 1, 20))
    out = customer_recency(
        {
            "posting_date": [date(2020, 1, 20), date(2020, 1, 20)],
            "customer_last_payment_epoch_day": [posting - 9, None],
            "customer_oldest_open_posting_epoch_day": [posting - 30, float("nan")],
        }
    )
    assert out["days_since_last_payment"] == [9.0, None]
    assert out["oldest_open_age_at_posting_days"] == [30.0, None]
    assert out["has_payment_history"] == [1, 0]
