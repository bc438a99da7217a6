"""Dated FX reference: VND per unit of each invoice currency, as a dense monthly table for joins."""

from __future__ import annotations

from datetime import date
from importlib import resources

import pandas as pd

FX_FILE = "fx_rates.csv"


def load_fx_rates() -> pd.DataFrame:
    """The reference rows as kept in the repo: currency, effective_date (date), vnd_per_unit (float)."""
    with resources.files("sme_pulse.reference").joinpath(FX_FILE).open("r") as handle:
        rates = pd.read_csv(handle, dtype={"currency": str, "vnd_per_unit": float})
    rates["effective_date"] = pd.to_datetime(rates["effective_date"]).dt.date
    return rates.sort_values(["currency", "effective_date"]).reset_index(drop=True)


def known_currencies() -> frozenset[str]:
    return frozenset(load_fx_rates()["currency"])


def monthly_fx_table(rates: pd.DataFrame, until: date = date(2035, 12, 1)) -> pd.DataFrame:
    """One row per (currency, month start) from each currency's first rate to ``until``, forward-filled.

    A month takes the latest rate that became effective in or before that month, so every invoice posted
    in it converts with one known, dated rate. Months before a currency's first rate have no row, and
    invoices there are quarantined rather than converted with a guess.
    """
    frames = []
    for currency, group in rates.groupby("currency"):
        first = pd.Timestamp(group["effective_date"].min()).to_period("M").to_timestamp()
        months = pd.date_range(first, pd.Timestamp(until), freq="MS")
        series = (
            group.assign(month=pd.to_datetime(group["effective_date"]).dt.to_period("M").dt.to_timestamp())
            .groupby("month")["vnd_per_unit"]
            .last()
            .reindex(months)
            .ffill()
        )
        frames.append(pd.DataFrame({"currency": currency, "fx_month": months.date, "vnd_per_unit": series.to_numpy()}))
    return pd.concat(frames, ignore_index=True)
