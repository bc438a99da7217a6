"""The vectorised many-entity path and the per-entity path produce identical feature rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spark_jobs.features import batched
from spark_jobs.features.batched import open_ar_many, payment_history_many

customers = st.sampled_from(["A", "B", "C", "D"])
payments = st.lists(
    st.tuples(customers, st.integers(0, 500), st.integers(-40, 80), st.integers(0, 90), st.floats(1, 5e4)),
    min_size=1,
    max_size=60,
)
invoices = st.lists(
    st.tuples(
        customers,
        st.integers(0, 300),
        st.integers(-3, 45),
        st.one_of(st.none(), st.integers(0, 100)),
        st.floats(1, 5e4),
    ),
    min_size=1,
    max_size=60,
)


def _both(monkeypatch: pytest.MonkeyPatch, compute) -> tuple[pd.DataFrame, pd.DataFrame]:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(batched, "SMALL", 10**9)
    vectorised = compute().sort_values(["key", "event_day"]).reset_index(drop=True)
    monkeypatch.setattr(batched, "SMALL", 0)
    per_entity = compute().sort_values(["key", "event_day"]).reset_index(drop=True)
    return vectorised, per_entity


@settings(max_examples=40, deadline=None)
@given(payments)
def test_payment_history_paths_agree(rows) -> None:  # type: ignore[no-untyped-def]
    frame = pd.DataFrame(rows, columns=["key", "known_day", "delay_days", "days_to_pay", "amount"])
    with pytest.MonkeyPatch.context() as monkeypatch:
        small, large = _both(monkeypatch, lambda: payment_history_many(frame, key="key", prefix="c", horizon_day=800))
    pd.testing.assert_frame_equal(small, large, check_exact=False, rtol=1e-9, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(invoices)
def test_open_ar_paths_agree(rows) -> None:  # type: ignore[no-untyped-def]
    frame = pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "posting_day": [r[1] for r in rows],
            "due_day": [r[1] + r[2] for r in rows],
            "clear_day": [np.nan if r[3] is None else r[1] + r[3] for r in rows],
            "amount": [round(r[4], 2) for r in rows],
        }
    )
    with pytest.MonkeyPatch.context() as monkeypatch:
        small, large = _both(
            monkeypatch, lambda: open_ar_many(frame, horizon_day=600).rename(columns={"customer_id": "key"})
        )
    pd.testing.assert_frame_equal(small, large, check_exact=False, rtol=1e-9, atol=0.011)
