"""Point-in-time history functions match a brute-force recomputation at every emitted moment."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from spark_jobs.features.history import history_columns, payment_history
from spark_jobs.features.open_ar import open_ar_history

payments_strategy = st.lists(
    st.tuples(st.integers(0, 400), st.integers(-60, 90), st.integers(0, 120), st.floats(1, 1e5)),
    min_size=1,
    max_size=40,
)


def _frame(rows: list[tuple[int, int, int, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["known_day", "delay_days", "days_to_pay", "amount"])


def test_a_payment_counts_only_from_the_day_after_it_clears() -> None:
    # Invoice cleared on day 20 (known on 21): a history row appears on day 21, not before.
    history = payment_history(_frame([(21, 7, 30, 100.0)]), prefix="customer", horizon_day=1000)
    assert history["event_day"].tolist() == [21, 21 + 90, 21 + 365]
    first = history.iloc[0]
    assert first["customer_cleared_invoices"] == 1 and first["customer_mean_delay_days"] == 7
    assert first["customer_last_payment_epoch_day"] == 20


def test_rows_after_the_horizon_are_never_emitted() -> None:
    history = payment_history(_frame([(21, 7, 30, 100.0)]), prefix="customer", horizon_day=100)
    assert history["event_day"].tolist() == [21]


def test_window_exits_are_events_and_empty_windows_are_missing_not_zero_delay() -> None:
    history = payment_history(_frame([(10, 4, 20, 50.0)]), prefix="customer", horizon_day=1000).set_index("event_day")
    after_90 = history.loc[100]
    assert after_90["customer_cleared_invoices_90d"] == 0
    assert np.isnan(after_90["customer_mean_delay_days_90d"])
    assert after_90["customer_cleared_invoices_365d"] == 1
    assert after_90["customer_cleared_invoices"] == 1


@settings(max_examples=60, deadline=None)
@given(payments_strategy)
def test_history_equals_brute_force_at_every_event(rows: list[tuple[int, int, int, float]]) -> None:
    payments = _frame(rows)
    history = payment_history(payments, prefix="c", horizon_day=10_000)
    assert list(history.columns) == ["event_day"] + [name for name, _ in history_columns("c")]
    for _, row in history.iterrows():
        t = row["event_day"]
        for suffix, lower in (("", -np.inf), ("_90d", t - 90), ("_365d", t - 365)):
            known = payments[(payments["known_day"] <= t) & (payments["known_day"] > lower)]
            assert row[f"c_cleared_invoices{suffix}"] == len(known)
            if len(known) == 0:
                assert np.isnan(row[f"c_mean_delay_days{suffix}"])
                continue
            delays = known["delay_days"].to_numpy()
            assert np.isclose(row[f"c_mean_delay_days{suffix}"], delays.mean())
            assert row[f"c_median_delay_days{suffix}"] == np.median(delays)
            assert np.isclose(row[f"c_share_paid_late{suffix}"], (delays > 0).mean())
            assert np.isclose(row[f"c_mean_days_to_pay{suffix}"], known["days_to_pay"].mean())
            weighted = (known["amount"] * known["delay_days"]).sum() / known["amount"].sum()
            assert np.isclose(row[f"c_amount_weighted_delay{suffix}"], weighted)
            if len(known) > 1:
                assert np.isclose(row[f"c_std_delay_days{suffix}"], delays.std(ddof=1))
        latest_day = payments.loc[payments["known_day"] <= t, "known_day"].max()
        assert row["c_last_payment_epoch_day"] == latest_day - 1
        assert np.isclose(
            row["c_last_delay_days"], payments.loc[payments["known_day"] == latest_day, "delay_days"].mean()
        )


invoice_strategy = st.lists(
    st.tuples(st.integers(0, 300), st.integers(-5, 60), st.one_of(st.none(), st.integers(0, 120)), st.floats(1, 1e5)),
    min_size=1,
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(invoice_strategy)
def test_open_exposure_equals_brute_force_at_every_change(rows: list[tuple[int, int, int | None, float]]) -> None:
    invoices = pd.DataFrame(
        {
            "posting_day": [p for p, _, _, _ in rows],
            "due_day": [p + terms for p, terms, _, _ in rows],
            "clear_day": [np.nan if c is None else p + c for p, _, c, _ in rows],
            "amount": [a for *_, a in rows],
        }
    )
    history = open_ar_history(invoices, horizon_day=10_000)
    assert history["event_day"].is_monotonic_increasing and history["event_day"].is_unique
    for _, row in history.iterrows():
        t = row["event_day"]
        closed = invoices["clear_day"].fillna(np.inf) + 1
        is_open = (invoices["posting_day"] + 1 <= t) & (closed > t)
        overdue = is_open & (np.maximum(invoices["posting_day"], invoices["due_day"]) + 1 <= t)
        assert row["customer_open_invoices"] == is_open.sum()
        assert np.isclose(row["customer_open_amount"], invoices.loc[is_open, "amount"].sum(), atol=0.01)
        assert row["customer_open_overdue_invoices"] == overdue.sum()
        if is_open.any():
            assert row["customer_oldest_open_posting_epoch_day"] == invoices.loc[is_open, "posting_day"].min()
        else:
            assert np.isnan(row["customer_oldest_open_posting_epoch_day"])
