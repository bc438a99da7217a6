"""Seeded synthetic invoices with the *same columns and messy formats* as the Kaggle/HighRadius file.

Calibrated to the real extract in ``../shared/data/kaggle_invoices`` (see README "Synthetic data"):
five business codes (U001 ~91 %, CA02/CAD ~8 %), one customer with ~25 % of rows, ~3 % non-numeric
customer ids, ~6 % of numeric ids written without their leading zero, customer names with random
suffixes, payment terms whose due-date offsets match the real codes, dates in four formats, and a
delay (clear_date - due_in_date) with median 0, p10 about -5, p90 about +6 and rare outliers to
-75/+110 days. Delays are driven by a per-customer propensity that drifts over time, business code,
amount and month-end effects, so a customer's *past* behaviour predicts its next payment.

Invoices posted on or after the split date are open (empty clear_date, isOpen=1), as in the real file.
Everything is a function of (rows, seed, customers): the same arguments give byte-identical CSV files.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sme_pulse.bronze.schema import RAW_FIELDS, RAW_HEADER

START = np.datetime64("2018-12-30")
END = np.datetime64("2020-05-14")
OPEN_FROM = np.datetime64("2020-02-27")  # posted on/after this day: still open in the extract

# business code -> (share of customers' rows, currency, doc_id base, customer id prefix)
BUSINESSES: dict[str, tuple[float, str, int, str]] = {
    "U001": (0.906, "USD", 1_928_500_000, "0200"),
    "CA02": (0.078, "CAD", 2_960_500_000, "0140"),
    "U013": (0.012, "USD", 1_991_800_000, "0100"),
    "U002": (0.0037, "USD", 1_990_560_000, "0200"),
    "U005": (0.0003, "USD", 1_995_000_000, "0100"),
}
# payment terms code -> days from baseline to due date (as observed in the real file)
TERMS_DAYS: dict[str, int] = {
    "NAA8": 15,
    "NAH4": 15,
    "CA10": 10,
    "NAC6": 15,
    "NAM4": 23,
    "NAAX": 15,
    "NAD1": 20,
    "NAU5": 15,
    "NAG2": 35,
    "NAGD": 65,
    "NA32": 32,
    "NAX2": 0,
    "NAM2": 10,
    "NA10": 10,
    "NAD5": 30,
    "NAVE": 30,
    "NAM1": 7,
    "NAVF": 45,
    "NAAW": 34,
    "NAWU": 40,
}
BUSINESS_TERMS: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    "U001": (
        (
            "NAA8",
            "NAH4",
            "NAC6",
            "NAM4",
            "NAAX",
            "NAD1",
            "NAU5",
            "NAGD",
            "NA32",
            "NAX2",
            "NAM2",
            "NA10",
            "NAM1",
            "NAAW",
            "NAWU",
        ),
        (0.43, 0.31, 0.04, 0.035, 0.028, 0.022, 0.022, 0.018, 0.018, 0.014, 0.011, 0.009, 0.006, 0.005, 0.022),
    ),
    "CA02": (("CA10", "NAG2", "NAA8"), (0.99, 0.0075, 0.0025)),
    "U013": (("NAVE", "NAVF", "NAD5"), (0.48, 0.46, 0.06)),
    "U002": (("NAG2", "NAD5"), (0.9, 0.1)),
    "U005": (("NAD5",), (1.0,)),
}
BUSINESS_DELAY = {"U001": 0.0, "CA02": 5.5, "U013": 3.0, "U002": 4.5, "U005": 8.0}
NAME_STEMS = (
    "WAL-MAR",
    "BJ'S ",
    "WAKE",
    "WEGMAN",
    "ASSOCIAT",
    "D'ALB",
    "AM",
    "C&S WH",
    "MDV/",
    "KRAFT",
    "MASSY D",
    "SA",
    "SYSCO",
    "KROGER",
    "PUBLIX",
    "HEB",
    "COSTCO",
    "TARGET",
    "SAFEW",
    "MEIJER",
    "GIANT E",
    "FOOD LI",
    "SHOPRI",
    "HY-VEE",
    "RALEY",
    "SMART &",
    "UNFI",
    "DOLLAR G",
    "FAMILY D",
    "SOBEYS",
    "LOBLAW",
    "METRO",
)
NAME_SUFFIXES = (
    "",
    "in",
    "trust",
    "corp",
    "us",
    "corporation",
    "systems",
    "associates",
    "llc",
    "co",
    "foundation",
)
NON_NUMERIC_IDS = ("CCU013", "CCCA02", "CCU002", "CC6600", "CCU001", "CC3620", "CC6000", "CC7455")


@dataclass(frozen=True)
class SyntheticSpec:
    rows: int
    seed: int = 42
    customers: int | None = None  # default: one customer per ~11 invoices, as in the real file

    @property
    def customer_count(self) -> int:
        return self.customers or max(40, self.rows // 11)


def _row_weights(n_customers: int) -> np.ndarray:
    """Share of rows per customer: ~25 % for customer 0, a Zipf-like head and a long tail of one-off buyers."""
    if n_customers == 1:
        return np.ones(1)
    tail = 1.0 / np.power(np.arange(1, n_customers) + 1.5, 1.08)
    return np.concatenate([[0.25], 0.75 * tail / tail.sum()])


def _assign_businesses(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """Business per customer so that *row* shares match the real mix, heavy customers included."""
    codes = list(BUSINESSES)
    target = np.array([BUSINESSES[c][0] for c in codes])
    target = target / target.sum()
    business = rng.choice(np.array(codes), size=len(weights), p=target)
    head = min(len(weights), 40)
    assigned = np.zeros(len(codes))
    # The head decides the mix: fill it greedily against the remaining deficit, then let the tail be random.
    for i in range(head):
        deficit = np.clip(target - assigned, 1e-12, None)
        pick = 0 if i == 0 else rng.choice(len(codes), p=deficit / deficit.sum())
        business[i] = codes[pick]
        assigned[pick] += weights[i]
    return business


def _customer_table(rng: np.random.Generator, weights: np.ndarray) -> pd.DataFrame:
    """Per-customer attributes: business, id, name stem, propensity to pay late, its drift, noise."""
    n = len(weights)
    business = _assign_businesses(rng, weights)
    numeric = 100_000 + rng.permutation(900_000)[:n] if n <= 900_000 else 100_000 + np.arange(n)
    prefix = np.array([BUSINESSES[b][3] for b in business])
    ids = np.char.add(prefix, np.char.zfill(numeric.astype(str), 6))
    # A handful of fairly active customers carry non-numeric ids (CCU013, CCCA02, ...): ~3 % of rows.
    alpha_ranks = [r for r in (7, 8, 25, 40, 60, 80, 100, 120) if r < n]
    ids[alpha_ranks] = np.array(NON_NUMERIC_IDS[: len(alpha_ranks)])
    # Propensity: most customers pay around the due date, a minority is chronically late or early.
    kind = rng.random(n)
    base = rng.normal(-0.9, 1.8, n)
    base = np.where(kind > 0.91, rng.gamma(2.0, 3.0, n), base)
    base = np.where(kind < 0.10, -rng.gamma(2.0, 1.6, n), base)
    base[0] = -0.3
    return pd.DataFrame(
        {
            "business_code": business,
            "cust_number": ids,
            "stem": rng.choice(np.array(NAME_STEMS), size=n),
            "propensity": base + np.array([BUSINESS_DELAY[b] for b in business]),
            "drift_per_year": rng.normal(0.0, 2.0, n),
            "noise": np.where(np.arange(n) == 0, 1.6, rng.uniform(1.4, 3.4, n)),
            "amount_scale": rng.lognormal(0.0, 0.5, n),
        }
    )


def _fmt_yyyymmdd(days: np.ndarray) -> np.ndarray:
    return np.char.replace(np.datetime_as_string(days.astype("datetime64[D]"), unit="D"), "-", "")


def generate_invoices(spec: SyntheticSpec) -> pd.DataFrame:
    """All rows as strings, columns named by ``RAW_FIELDS`` (the CSV writer restores the raw header)."""
    rng = np.random.default_rng(spec.seed)
    rows = spec.rows
    weights = _row_weights(spec.customer_count)
    customers = _customer_table(rng, weights)
    cust = rng.choice(len(weights), size=rows, p=weights)
    business = customers["business_code"].to_numpy()[cust]

    # Posting dates: uniform over the span, weekends half as busy.
    span = int((END - START).astype(int)) + 1
    day = rng.integers(0, span, rows)
    weekday = (day + 6) % 7  # START is a Sunday -> weekday 6
    weekend = weekday >= 5
    day = np.where(weekend & (rng.random(rows) < 0.45), day + (7 - weekday), day).clip(0, span - 1)
    posting = START + day.astype("timedelta64[D]")

    doc_create = posting + rng.choice([0, -1, -2, 1, -3, -4, 2], rows, p=[0.44, 0.29, 0.12, 0.07, 0.04, 0.02, 0.02])
    baseline = posting + rng.choice([0, 1, 2, -6, -5, -1], rows, p=[0.89, 0.03, 0.02, 0.025, 0.025, 0.01])

    # Payment terms: per business mix; each customer mostly sticks to one code.
    terms = np.empty(rows, dtype=object)
    for code, (term_codes, probs) in BUSINESS_TERMS.items():
        mask = business == code
        p = np.array(probs) / np.sum(probs)
        favourite = rng.choice(term_codes, size=len(customers), p=p)
        per_row = rng.choice(term_codes, size=int(mask.sum()), p=p)
        sticky = rng.random(int(mask.sum())) < 0.85
        terms[mask] = np.where(sticky, favourite[cust[mask]], per_row)
    terms_days = np.array([TERMS_DAYS[t] for t in terms])
    due = baseline + terms_days.astype("timedelta64[D]")

    # Amounts: customer scale x a two-part lognormal (many small invoices, a body around 17k).
    small = rng.random(rows) < 0.22
    amount = np.where(small, rng.lognormal(6.6, 1.4, rows), rng.lognormal(10.1, 0.85, rows))
    amount = np.clip(amount * customers["amount_scale"].to_numpy()[cust], 12.0, 390_000.0).round(2)

    # Delay = propensity (drifting) + effects + noise + rare outliers.
    years = (posting - START).astype(int) / 365.0
    c = customers.iloc[cust]
    month_end = pd.DatetimeIndex(due).is_month_end | (pd.DatetimeIndex(due).day >= 28)
    delay = (
        c["propensity"].to_numpy()
        + c["drift_per_year"].to_numpy() * years
        + 0.8 * month_end
        + 0.35 * np.log1p(amount / 10_000.0)
        + rng.laplace(0.0, 1.0, rows) * c["noise"].to_numpy()
    )
    outlier = rng.random(rows) < 0.012
    delay = np.where(outlier, rng.choice([-1, 1], rows, p=[0.3, 0.7]) * rng.gamma(1.5, 18.0, rows), delay)
    delay = np.clip(np.rint(delay), -75, 111).astype(int)
    clear = due + delay.astype("timedelta64[D]")
    clear = np.maximum(clear, posting)
    # Payments clear on business days: Saturday receipts book on Friday, Sunday ones on Monday.
    clear_wd = (clear.astype("datetime64[D]").astype(int) + 3) % 7  # 1970-01-01 was a Thursday
    clear = clear + np.where(clear_wd == 5, -1, np.where(clear_wd == 6, 1, 0)).astype("timedelta64[D]")
    clear = np.maximum(clear, posting)

    is_open = posting >= OPEN_FROM
    clear_str = np.char.add(np.datetime_as_string(clear, unit="D"), " 00:00:00")
    clear_str = np.where(is_open, "", clear_str)
    year = np.where(is_open, "2020.0", np.char.add(np.datetime_as_string(clear, unit="Y"), ".0"))

    # Identifiers and the messy bits.
    cust_ids = customers["cust_number"].to_numpy()[cust].astype(str)
    numeric_id = np.char.isdigit(cust_ids)
    drop_zero = numeric_id & (rng.random(rows) < 0.06)
    cust_ids = np.where(drop_zero, np.char.lstrip(cust_ids, "0"), cust_ids)
    suffix = rng.choice(np.array(NAME_SUFFIXES), size=rows)
    names = np.char.add(np.char.add(customers["stem"].to_numpy()[cust].astype(str), " "), suffix)
    # Document numbers increase with posting date inside each business's own number range.
    order = np.lexsort((posting, business))
    rank = np.empty(rows, dtype=np.int64)
    rank[order] = np.arange(rows, dtype=np.int64)
    first_rank = {code: int(rank[business == code].min()) for code in np.unique(business)}
    offset = rank - np.array([first_rank[b] for b in business], dtype=np.int64)
    doc_base = np.array([BUSINESSES[b][2] for b in business], dtype=np.int64)
    doc_id = doc_base + offset * 3 + rng.integers(0, 3, rows)
    doc_str = np.char.add(doc_id.astype(str), ".0")
    currency = np.array([BUSINESSES[b][1] for b in business])

    frame = pd.DataFrame(
        {
            "business_code": business,
            "cust_number": cust_ids,
            "name_customer": names,
            "clear_date": clear_str,
            "buisness_year": year,
            "doc_id": doc_str,
            "posting_date": np.datetime_as_string(posting, unit="D"),
            "document_create_date": _fmt_yyyymmdd(doc_create),
            "document_create_date_1": _fmt_yyyymmdd(posting),
            "due_in_date": np.char.add(_fmt_yyyymmdd(due), ".0"),
            "invoice_currency": currency,
            "document_type": "RV",
            "posting_id": "1.0",
            "area_business": "",
            "total_open_amount": pd.Series(amount).astype(str).to_numpy(),
            "baseline_create_date": np.char.add(_fmt_yyyymmdd(baseline), ".0"),
            "cust_payment_terms": terms.astype(str),
            "invoice_id": doc_str,
            "isOpen": np.where(is_open, "1", "0"),
        },
        columns=list(RAW_FIELDS),
    )
    # The real extract lists cleared invoices first, then open ones.
    return frame.iloc[np.lexsort((np.arange(rows), is_open))].reset_index(drop=True)


def write_synthetic_csv(
    path: Path,
    spec: SyntheticSpec,
    *,
    on_progress: Callable[[int], None] | None = None,
    chunk_rows: int = 100_000,
) -> int:
    """Write the CSV with the raw (duplicated) header; returns the number of data rows."""
    frame = generate_invoices(spec)
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerow(RAW_HEADER)
        for start in range(0, len(frame), chunk_rows):
            chunk = frame.iloc[start : start + chunk_rows]
            chunk.to_csv(handle, header=False, index=False, lineterminator="\n")
            if on_progress:
                on_progress(len(chunk))
    return len(frame)
