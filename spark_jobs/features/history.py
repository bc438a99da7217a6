"""Point-in-time payment history of one entity (a customer or a business), as a pure pandas function.

A payment that clears on day D is known at the end of day D, so it counts from ``known_day = D + 1``
(00:00 UTC). The function emits one row per moment the entity's history *changes*:

* every day on which newly known payments arrive, and
* every day on which a payment leaves a rolling window (``known_day + w``),

so that, for any timestamp t, the latest row at or before t describes exactly the payments known before t,
including the 90- and 365-day windows. Feast's point-in-time join (latest ``event_timestamp <= t``) then
needs no time-of-request recomputation. Rows after ``horizon_day`` (the data's "today") are not emitted:
a value cannot be known before its time.

Everything is vectorised per entity with day-level prefix sums and a cumulative delay histogram (for exact
medians), so the cost grows with the number of distinct payment days, not with pairs of invoices.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

WINDOWS: tuple[int, ...] = (90, 365)
# Delays are bounded by Silver's plausibility rule (|delay| <= 366); the histogram covers that range.
_DELAY_MIN, _DELAY_MAX = -400, 400

# (suffix, dtype) of the statistics computed over all history and over each window
_STATS: tuple[tuple[str, str], ...] = (
    ("cleared_invoices", "int64"),
    ("mean_delay_days", "float64"),
    ("median_delay_days", "float64"),
    ("std_delay_days", "float64"),
    ("share_paid_late", "float64"),
    ("mean_days_to_pay", "float64"),
    ("amount_weighted_delay", "float64"),
)
_POINT: tuple[tuple[str, str], ...] = (
    ("last_delay_days", "float64"),
    ("days_between_last_payments", "float64"),
    ("last_payment_epoch_day", "int64"),
)


def history_columns(prefix: str, windows: Sequence[int] = WINDOWS) -> list[tuple[str, str]]:
    """Output feature columns (name, dtype) for an entity prefix such as ``customer``."""
    columns = [(f"{prefix}_{name}", dtype) for name, dtype in _STATS + _POINT]
    for window in windows:
        columns += [(f"{prefix}_{name}_{window}d", dtype) for name, dtype in _STATS]
    return columns


def _prefix(values: np.ndarray) -> np.ndarray:
    return np.concatenate([np.zeros((1, *values.shape[1:]), dtype=values.dtype), np.cumsum(values, axis=0)])


def _median_from_histogram(hist: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Exact median of integer delays from per-row histograms (rows = events, columns = delay bins)."""
    cumulative = np.cumsum(hist, axis=1)
    lower_rank = (counts + 1) // 2
    upper_rank = counts // 2 + 1
    lower = np.argmax(cumulative >= lower_rank[:, None], axis=1)
    upper = np.argmax(cumulative >= upper_rank[:, None], axis=1)
    median = (lower + upper) / 2.0 + _DELAY_MIN
    return np.where(counts > 0, median, np.nan)


def payment_history(
    payments: pd.DataFrame,
    *,
    prefix: str,
    horizon_day: int,
    windows: Sequence[int] = WINDOWS,
) -> pd.DataFrame:
    """History rows for the payments of *one* entity.

    ``payments`` columns: ``known_day`` (epoch day the payment became known: clear day + 1),
    ``delay_days``, ``days_to_pay`` and ``amount``. Returns ``event_day`` plus the columns of
    :func:`history_columns`, one row per change up to ``horizon_day``.
    """
    known = payments["known_day"].to_numpy(dtype=np.int64)
    delay = payments["delay_days"].to_numpy(dtype=np.int64)
    if known.size == 0:
        return pd.DataFrame({"event_day": pd.Series(dtype="int64")} | _empty(prefix, windows))
    days, day_index = np.unique(known, return_inverse=True)
    n_days = days.size

    def daily(weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(day_index, weights=weights, minlength=n_days).astype(np.float64)

    amount = payments["amount"].to_numpy(dtype=np.float64)
    sums = {
        "n": daily(),
        "delay": daily(delay.astype(np.float64)),
        "delay2": daily((delay.astype(np.float64)) ** 2),
        "late": daily((delay > 0).astype(np.float64)),
        "days_to_pay": daily(payments["days_to_pay"].to_numpy(dtype=np.float64)),
        "amount": daily(amount),
        "amount_delay": daily(amount * delay),
    }
    prefix_sums = {key: _prefix(values) for key, values in sums.items()}
    hist = np.zeros((n_days, _DELAY_MAX - _DELAY_MIN + 1), dtype=np.int32)
    np.add.at(hist, (day_index, np.clip(delay, _DELAY_MIN, _DELAY_MAX) - _DELAY_MIN), 1)
    hist_prefix = _prefix(hist)

    events = np.unique(np.concatenate([days] + [days + w for w in windows]))
    events = events[events <= horizon_day]
    if events.size == 0:
        return pd.DataFrame({"event_day": pd.Series(dtype="int64")} | _empty(prefix, windows))
    hi = np.searchsorted(days, events, side="right")  # payment days known at the event

    out: dict[str, np.ndarray] = {"event_day": events}

    def stats(lo: np.ndarray, suffix: str) -> None:
        def window_sum(key: str) -> np.ndarray:
            return prefix_sums[key][hi] - prefix_sums[key][lo]

        n = window_sum("n")
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = window_sum("delay") / n
            variance = (window_sum("delay2") - n * mean**2) / (n - 1)
            out[f"{prefix}_cleared_invoices{suffix}"] = n.astype(np.int64)
            out[f"{prefix}_mean_delay_days{suffix}"] = mean
            out[f"{prefix}_median_delay_days{suffix}"] = _median_from_histogram(
                hist_prefix[hi] - hist_prefix[lo], n.astype(np.int64)
            )
            out[f"{prefix}_std_delay_days{suffix}"] = np.where(n > 1, np.sqrt(np.clip(variance, 0, None)), np.nan)
            out[f"{prefix}_share_paid_late{suffix}"] = window_sum("late") / n
            out[f"{prefix}_mean_days_to_pay{suffix}"] = window_sum("days_to_pay") / n
            amount_sum = window_sum("amount")
            out[f"{prefix}_amount_weighted_delay{suffix}"] = np.where(
                amount_sum > 0, window_sum("amount_delay") / amount_sum, np.nan
            )

    stats(np.zeros_like(hi), "")
    last = hi - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        out[f"{prefix}_last_delay_days"] = sums["delay"][last] / sums["n"][last]
    previous_day = np.where(last >= 1, days[np.maximum(last - 1, 0)], -1)
    out[f"{prefix}_days_between_last_payments"] = np.where(last >= 1, days[last] - previous_day, np.nan)
    out[f"{prefix}_last_payment_epoch_day"] = days[last] - 1  # the clear day itself
    for window in windows:
        stats(np.searchsorted(days, events - window, side="right"), f"_{window}d")
    return pd.DataFrame(out)


def _empty(prefix: str, windows: Sequence[int]) -> dict[str, pd.Series]:
    return {name: pd.Series(dtype=dtype) for name, dtype in history_columns(prefix, windows)}
