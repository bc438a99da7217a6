"""Many entities per pandas call: the per-entity history functions, batched for Spark.

Calling a pandas UDF once per customer costs ~1 ms of fixed overhead per call, which dominated the feature
build (tens of thousands of customers). Instead Spark hands over *buckets* of entities and these functions
split them in two:

* small entities (at most ``SMALL`` rows) are computed together, fully vectorised, by joining each event with
  the entity's rows and aggregating (exact, including medians);
* large entities (the few heavy customers and the business units) go through the per-entity functions,
  whose cost grows with their number of distinct days rather than rows.

Both paths produce identical rows (tests/unit/test_feature_batches.py checks them against each other).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from spark_jobs.features.history import WINDOWS, history_columns, payment_history
from spark_jobs.features.open_ar import OPEN_AR_COLUMNS, open_ar_history

SMALL = 48


def _split(frame: pd.DataFrame, key: str) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    sizes = frame.groupby(key, sort=False)[key].transform("size")
    small = frame[sizes <= SMALL]
    large = [group for _, group in frame[sizes > SMALL].groupby(key, sort=False)]
    return small, large


def _large(groups: list[pd.DataFrame], key: str, compute: Callable[[pd.DataFrame], pd.DataFrame]) -> list[pd.DataFrame]:
    out = []
    for group in groups:
        rows = compute(group)
        rows.insert(0, key, group[key].iloc[0])
        out.append(rows)
    return out


def _events(pairs: pd.DataFrame, key: str, day: str, offsets: Sequence[int], horizon_day: int) -> pd.DataFrame:
    shifted = [pd.DataFrame({key: pairs[key].to_numpy(), "event_day": pairs[day].to_numpy() + o}) for o in offsets]
    events = pd.concat(shifted, ignore_index=True).drop_duplicates()
    return events[events["event_day"] <= horizon_day]


# ------------------------------------------------------------------------------------ payment history
def payment_history_many(
    payments: pd.DataFrame, *, key: str, prefix: str, horizon_day: int, windows: Sequence[int] = WINDOWS
) -> pd.DataFrame:
    """:func:`payment_history` for every entity in ``payments`` (column ``key`` tells them apart)."""
    columns = [key, "event_day"] + [name for name, _ in history_columns(prefix, windows)]
    small, large = _split(payments, key)
    parts = _large(large, key, lambda g: payment_history(g, prefix=prefix, horizon_day=horizon_day, windows=windows))
    if len(small):
        parts.append(_small_history(small, key, prefix, horizon_day, windows))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _dtypes(key, history_columns(prefix, windows))})
    return _typed(pd.concat(parts, ignore_index=True)[columns], key, history_columns(prefix, windows))


def _small_history(
    payments: pd.DataFrame, key: str, prefix: str, horizon_day: int, windows: Sequence[int]
) -> pd.DataFrame:
    p = payments[[key, "known_day", "delay_days", "days_to_pay", "amount"]].copy()
    p["late"] = (p["delay_days"] > 0).astype(np.float64)
    p["amount_delay"] = p["amount"] * p["delay_days"]
    days = p[[key, "known_day"]].drop_duplicates()
    events = _events(days, key, "known_day", [0, *windows], horizon_day)
    pairs = events.merge(p, on=key)
    pairs = pairs[pairs["known_day"] <= pairs["event_day"]]
    out = events.set_index([key, "event_day"])

    def aggregate(rows: pd.DataFrame, suffix: str) -> None:
        grouped = rows.groupby([key, "event_day"])
        stats = grouped.agg(
            n=("delay_days", "size"),
            mean=("delay_days", "mean"),
            median=("delay_days", "median"),
            std=("delay_days", "std"),
            late=("late", "mean"),
            days_to_pay=("days_to_pay", "mean"),
            amount=("amount", "sum"),
            amount_delay=("amount_delay", "sum"),
        ).reindex(out.index)
        n = stats["n"].fillna(0).astype(np.int64)
        out[f"{prefix}_cleared_invoices{suffix}"] = n
        out[f"{prefix}_mean_delay_days{suffix}"] = stats["mean"]
        out[f"{prefix}_median_delay_days{suffix}"] = stats["median"]
        out[f"{prefix}_std_delay_days{suffix}"] = stats["std"].where(n > 1)
        out[f"{prefix}_share_paid_late{suffix}"] = stats["late"]
        out[f"{prefix}_mean_days_to_pay{suffix}"] = stats["days_to_pay"]
        out[f"{prefix}_amount_weighted_delay{suffix}"] = (stats["amount_delay"] / stats["amount"]).where(
            stats["amount"] > 0
        )

    aggregate(pairs, "")
    # The latest payment day at each event, its mean delay, and the gap to the payment day before it.
    daily = p.groupby([key, "known_day"], as_index=False)["delay_days"].mean().sort_values([key, "known_day"])
    daily["previous_day"] = daily.groupby(key)["known_day"].shift()
    latest = pairs.groupby([key, "event_day"])["known_day"].max().rename("known_day").reset_index()
    latest = latest.merge(daily, on=[key, "known_day"]).set_index([key, "event_day"]).reindex(out.index)
    out[f"{prefix}_last_delay_days"] = latest["delay_days"]
    out[f"{prefix}_days_between_last_payments"] = latest["known_day"] - latest["previous_day"]
    out[f"{prefix}_last_payment_epoch_day"] = latest["known_day"] - 1
    for window in windows:
        aggregate(pairs[pairs["known_day"] > pairs["event_day"] - window], f"_{window}d")
    return out.reset_index()


# ------------------------------------------------------------------------------------------ open AR
def open_ar_many(invoices: pd.DataFrame, *, horizon_day: int) -> pd.DataFrame:
    """:func:`open_ar_history` for every customer in ``invoices``."""
    key = "customer_id"
    columns = [key, "event_day"] + [name for name, _ in OPEN_AR_COLUMNS]
    small, large = _split(invoices, key)
    parts = _large(large, key, lambda g: open_ar_history(g, horizon_day=horizon_day))
    if len(small):
        parts.append(_small_open_ar(small, horizon_day))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _dtypes(key, OPEN_AR_COLUMNS)})
    return _typed(pd.concat(parts, ignore_index=True)[columns], key, OPEN_AR_COLUMNS)


def _small_open_ar(invoices: pd.DataFrame, horizon_day: int) -> pd.DataFrame:
    key = "customer_id"
    inv = invoices[[key, "posting_day", "due_day", "clear_day", "amount"]].copy()
    inv["opened"] = inv["posting_day"] + 1
    inv["closed"] = (inv["clear_day"] + 1).fillna(np.inf)
    inv["overdue_from"] = np.maximum(inv["posting_day"], inv["due_day"]) + 1
    cleared = np.isfinite(inv["closed"].to_numpy())
    overdue = (inv["overdue_from"] < inv["closed"]).to_numpy()
    keys = inv[key].to_numpy()
    events = pd.DataFrame(
        {
            key: np.concatenate([keys, keys[cleared], keys[overdue]]),
            "event_day": np.concatenate(
                [inv["opened"].to_numpy(), inv["closed"].to_numpy()[cleared], inv["overdue_from"].to_numpy()[overdue]]
            ).astype(np.int64),
        }
    ).drop_duplicates()
    events = events[events["event_day"] <= horizon_day]
    pairs = events.merge(inv, on=key)
    t = pairs["event_day"]
    pairs["is_open"] = (pairs["opened"] <= t) & (pairs["closed"] > t)
    pairs["is_overdue"] = pairs["is_open"] & (pairs["overdue_from"] <= t)
    pairs["open_amount"] = pairs["amount"].where(pairs["is_open"], 0.0)
    pairs["overdue_amount"] = pairs["amount"].where(pairs["is_overdue"], 0.0)
    pairs["open_posting"] = pairs["posting_day"].where(pairs["is_open"])
    stats = pairs.groupby([key, "event_day"]).agg(
        customer_open_invoices=("is_open", "sum"),
        customer_open_amount=("open_amount", "sum"),
        customer_open_overdue_invoices=("is_overdue", "sum"),
        customer_open_overdue_amount=("overdue_amount", "sum"),
        customer_oldest_open_posting_epoch_day=("open_posting", "min"),
    )
    stats["customer_open_amount"] = stats["customer_open_amount"].round(2)
    stats["customer_open_overdue_amount"] = stats["customer_open_overdue_amount"].round(2)
    stats = stats.reset_index()
    stats["customer_oldest_open_age_days"] = stats["event_day"] - stats["customer_oldest_open_posting_epoch_day"]
    return stats


def _dtypes(key: str, columns: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(key, "object"), ("event_day", "int64"), *columns]


def _typed(frame: pd.DataFrame, key: str, columns: Sequence[tuple[str, str]]) -> pd.DataFrame:
    for name, dtype in [("event_day", "int64"), *columns]:
        frame[name] = frame[name].astype(dtype)
    return frame
