"""Open accounts-receivable exposure of one customer as it stood after each change (pure pandas).

An invoice posted on day P is known at P + 1 (end of its posting day) and stays open until the day after
it clears (C + 1); it becomes overdue from the day after its due date (max(P, due) + 1). The function emits
one row per day on which any of these happen (up to ``horizon_day``), with the open count and amount, the
overdue count and amount, and the oldest open invoice's posting day and age at that moment.
"""

from __future__ import annotations

import heapq

import numpy as np
import pandas as pd

OPEN_AR_COLUMNS: tuple[tuple[str, str], ...] = (
    ("customer_open_invoices", "int64"),
    ("customer_open_amount", "float64"),
    ("customer_open_overdue_invoices", "int64"),
    ("customer_open_overdue_amount", "float64"),
    ("customer_oldest_open_posting_epoch_day", "float64"),
    ("customer_oldest_open_age_days", "float64"),
)


def open_ar_history(invoices: pd.DataFrame, *, horizon_day: int) -> pd.DataFrame:
    """Rows of open exposure for the invoices of *one* customer.

    ``invoices`` columns: ``posting_day``, ``due_day``, ``clear_day`` (NaN while open) as epoch days,
    and ``amount``.
    """
    posting = invoices["posting_day"].to_numpy(dtype=np.int64)
    due = invoices["due_day"].to_numpy(dtype=np.int64)
    clear = invoices["clear_day"].to_numpy(dtype=np.float64)
    amount = invoices["amount"].to_numpy(dtype=np.float64)
    if posting.size == 0:
        return _empty()
    opened = posting + 1
    closed = np.where(np.isnan(clear), np.inf, clear + 1)
    overdue_from = np.maximum(posting, due) + 1
    overdue_until = np.maximum(overdue_from, closed)

    candidates = np.concatenate([opened, closed[np.isfinite(closed)], overdue_from[overdue_from < closed]])
    events = np.unique(candidates.astype(np.int64))
    events = events[events <= horizon_day]
    if events.size == 0:
        return _empty()

    def active(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Count and amount of intervals [start, end) that contain each event day."""
        order_s, order_e = np.argsort(start, kind="stable"), np.argsort(end, kind="stable")
        cum_s = np.concatenate([[0.0], np.cumsum(amount[order_s])])
        cum_e = np.concatenate([[0.0], np.cumsum(amount[order_e])])
        n_s = np.searchsorted(start[order_s], events, side="right")
        n_e = np.searchsorted(end[order_e], events, side="right")
        return (n_s - n_e).astype(np.int64), np.round(cum_s[n_s] - cum_e[n_e], 2)

    open_n, open_amount = active(opened.astype(np.float64), closed)
    overdue_n, overdue_amount = active(overdue_from.astype(np.float64), overdue_until)

    # Oldest open invoice at each event: a min-heap on posting day. Cleared invoices are dropped only when
    # they reach the top; the top is then open and the smallest posting day among a superset of the open set.
    order = np.argsort(opened, kind="stable")
    heap: list[tuple[int, float]] = []
    oldest = np.full(events.size, np.nan)
    pointer = 0
    for i, day in enumerate(events):
        while pointer < order.size and opened[order[pointer]] <= day:
            j = order[pointer]
            heapq.heappush(heap, (int(posting[j]), float(closed[j])))
            pointer += 1
        while heap and heap[0][1] <= day:
            heapq.heappop(heap)
        if heap:
            oldest[i] = heap[0][0]
    return pd.DataFrame(
        {
            "event_day": events,
            "customer_open_invoices": open_n,
            "customer_open_amount": open_amount,
            "customer_open_overdue_invoices": overdue_n,
            "customer_open_overdue_amount": overdue_amount,
            "customer_oldest_open_posting_epoch_day": oldest,
            "customer_oldest_open_age_days": events - oldest,
        }
    )


def _empty() -> pd.DataFrame:
    return pd.DataFrame({"event_day": pd.Series(dtype="int64")} | {c: pd.Series(dtype=t) for c, t in OPEN_AR_COLUMNS})
