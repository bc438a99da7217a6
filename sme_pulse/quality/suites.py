"""The expectation suites of each stage, and the small views of the data they are run on.

Each expectation carries a ``description`` that says what it guards against, and a severity from the
policy (critical = block, warning = report).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import great_expectations as gx
import pandas as pd
from great_expectations.expectations.metadata_types import FailureSeverity

from sme_pulse.bronze.schema import RAW_FIELDS
from sme_pulse.quality.policy import POLICY, QualityPolicy
from sme_pulse.reference.fx import known_currencies

E = gx.expectations
CRITICAL, WARNING = FailureSeverity.CRITICAL, FailureSeverity.WARNING
REFERENCE_FILE = Path(__file__).with_name("reference") / "stg_ar_invoices.json"
ANY_KNOWN_DATE = r"^(?:\d{4}-\d{2}-\d{2}(?: 00:00:00)?|\d{8}(?:\.0+)?)$"
OTHER = "__other__"


# ------------------------------------------------------------------------------------------- Bronze
def bronze_view(raw: pd.DataFrame) -> pd.DataFrame:
    """Raw strings (empty -> missing) plus two derived checks GX cannot express on strings."""
    view = raw.replace({"": None})
    view["total_open_amount_number"] = pd.to_numeric(view["total_open_amount"], errors="coerce")
    has_clear = view["clear_date"].notna()
    view["clear_date_matches_isOpen"] = (has_clear & (view["isOpen"] == "0")) | (~has_clear & (view["isOpen"] == "1"))
    return view


def bronze_expectations(rows: int, policy: QualityPolicy = POLICY) -> list[Any]:
    mostly = 1 - policy.tolerated_bad_share(rows)
    exp: list[Any] = [
        E.ExpectColumnToExist(column=c, severity=CRITICAL, description="the raw layout lost a column")
        for c in RAW_FIELDS
    ]
    for key in ("doc_id", "cust_number", "business_code"):
        exp.append(
            E.ExpectColumnValuesToNotBeNull(
                column=key, mostly=mostly, severity=CRITICAL, description="invoices without keys cannot be tracked"
            )
        )
    exp += [
        E.ExpectColumnValuesToNotBeNull(
            column="total_open_amount_number",
            mostly=mostly,
            severity=CRITICAL,
            description="the amount is missing or not a number",
        ),
        E.ExpectColumnValuesToBeBetween(
            column="total_open_amount_number",
            min_value=0,
            strict_min=True,
            mostly=mostly,
            severity=CRITICAL,
            description="amounts must be positive",
        ),
        E.ExpectColumnValuesToBeInSet(
            column="invoice_currency",
            value_set=sorted(known_currencies()),
            mostly=mostly,
            severity=CRITICAL,
            description="currency outside the FX reference",
        ),
        E.ExpectColumnValuesToBeInSet(
            column="isOpen", value_set=["0", "1"], mostly=mostly, severity=CRITICAL, description="isOpen must be 0 or 1"
        ),
        E.ExpectColumnValuesToBeInSet(
            column="clear_date_matches_isOpen",
            value_set=[True],
            mostly=mostly,
            severity=CRITICAL,
            description="clear_date must be empty exactly when open",
        ),
        E.ExpectColumnValuesToNotBeNull(
            column="name_customer",
            mostly=0.95,
            severity=WARNING,
            description="customer names help collectors, not the model",
        ),
    ]
    for column in ("posting_date", "document_create_date", "due_in_date", "baseline_create_date", "clear_date"):
        exp.append(
            E.ExpectColumnValuesToMatchRegex(
                column=column,
                regex=ANY_KNOWN_DATE,
                mostly=mostly,
                severity=CRITICAL,
                description="dates must come in one of the four known shapes",
            )
        )
    return exp


# -------------------------------------------------------------------------------------------- Silver
@dataclass(frozen=True)
class ReferenceProfile:
    """What Silver looked like when the reference was taken (distribution-shift detection)."""

    rows: int
    amount_mean: float
    business_code_weights: dict[str, float]
    taken_at: str
    source: str

    @staticmethod
    def load(path: Path = REFERENCE_FILE) -> ReferenceProfile:
        return ReferenceProfile(**json.loads(path.read_text()))

    def save(self, path: Path = REFERENCE_FILE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.__dict__, indent=2, sort_keys=True) + "\n")

    @staticmethod
    def from_counts(rows: int, amount_mean: float, counts: dict[str, int], source: str) -> ReferenceProfile:
        total = sum(counts.values())
        weights = {code: round(n / total, 6) for code, n in sorted(counts.items())}
        return ReferenceProfile(
            rows, round(amount_mean, 4), weights, datetime.now().isoformat(timespec="seconds"), source
        )

    def partition(self) -> dict[str, list[Any]]:
        """Reference weights plus a small 'other' bucket, so a rare new code is not an infinite divergence."""
        values = [*self.business_code_weights, OTHER]
        weights = [w * 0.999 for w in self.business_code_weights.values()] + [0.001]
        return {"values": values, "weights": weights}


def silver_batch_expectations(rows: int, policy: QualityPolicy = POLICY) -> list[Any]:
    return [
        E.ExpectColumnValuesToBeBetween(
            column="quarantine_share",
            max_value=policy.tolerated_bad_share(rows),
            severity=CRITICAL,
            description="too many rows of this file broke a Silver rule",
        ),
    ]


def silver_table_expectations(reference: ReferenceProfile, rows: int, policy: QualityPolicy = POLICY) -> list[Any]:
    exp: list[Any] = [
        E.ExpectColumnValuesToBeUnique(column="invoice_id", severity=CRITICAL, description="one row per invoice"),
        E.ExpectColumnValuesToBeBetween(
            column="delay_days",
            min_value=-366,
            max_value=366,
            severity=CRITICAL,
            description="labels within sane bounds",
        ),
        E.ExpectColumnValuesToBeBetween(
            column="days_to_pay",
            min_value=-31,
            max_value=800,
            severity=CRITICAL,
            description="labels within sane bounds",
        ),
        E.ExpectColumnValuesToBeBetween(
            column="amount", min_value=0, strict_min=True, severity=CRITICAL, description="amounts must be positive"
        ),
        E.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="due_date",
            column_B="baseline_date",
            or_equal=True,
            mostly=0.995,
            severity=CRITICAL,
            description="a due date before its baseline date",
        ),
    ]
    for column in ("invoice_id", "customer_id", "business_code", "posting_date", "due_date", "currency"):
        exp.append(E.ExpectColumnValuesToNotBeNull(column=column, severity=CRITICAL, description="required field"))
    if rows >= policy.min_rows_for_distribution:
        low, high = policy.amount_mean_band
        exp += [
            E.ExpectColumnMeanToBeBetween(
                column="amount",
                min_value=reference.amount_mean * low,
                max_value=reference.amount_mean * high,
                severity=CRITICAL,
                description=f"mean amount left the band {low}-{high}x the reference ({reference.amount_mean:,.0f})",
            ),
            E.ExpectColumnKLDivergenceToBeLessThan(
                column="business_code_group",
                partition_object=reference.partition(),
                threshold=policy.business_mix_max_kl,
                severity=CRITICAL,
                description=f"business_code mix shifted from the reference (KL > {policy.business_mix_max_kl})",
            ),
        ]
    return exp


# ------------------------------------------------------------------------------------------ features
FEATURE_RULES: dict[str, dict[str, tuple[float | None, float | None]]] = {
    # table -> column -> (min, max); every listed column must also be non-null
    "ftr_customer_payment_behavior": {
        "customer_cleared_invoices": (1, None),
        "customer_share_paid_late": (0, 1),
        "customer_mean_delay_days": (-366, 366),
    },
    "ftr_customer_open_ar": {
        "customer_open_invoices": (0, None),
        "customer_open_amount": (-0.01, None),
        "customer_open_overdue_invoices": (0, None),
    },
    "ftr_business_payment_behavior": {"business_cleared_invoices": (1, None), "business_share_paid_late": (0, 1)},
    "ftr_invoice_terms": {"invoice_amount": (0, None)},
}
FEATURE_KEYS = {
    "ftr_customer_payment_behavior": "customer_id",
    "ftr_customer_open_ar": "customer_id",
    "ftr_business_payment_behavior": "business_code",
    "ftr_invoice_terms": "invoice_id",
}


def feature_view(frame: pd.DataFrame) -> pd.DataFrame:
    """Timestamps as naive UTC, so GX compares them with plain datetimes."""
    out = frame.copy()
    for column in ("event_timestamp", "created_timestamp"):
        out[column] = pd.to_datetime(out[column], utc=True).dt.tz_localize(None)
    return out


def feature_expectations(table: str, as_of: date, policy: QualityPolicy = POLICY) -> list[Any]:
    oldest_allowed = datetime.combine(as_of - timedelta(days=policy.feature_max_lag_days), datetime.min.time())
    exp: list[Any] = [
        E.ExpectColumnValuesToNotBeNull(column=FEATURE_KEYS[table], severity=CRITICAL, description="entity key"),
        E.ExpectColumnValuesToNotBeNull(column="event_timestamp", severity=CRITICAL, description="when known"),
        E.ExpectColumnValuesToNotBeNull(column="created_timestamp", severity=CRITICAL, description="when written"),
        E.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="created_timestamp",
            column_B="event_timestamp",
            or_equal=True,
            severity=CRITICAL,
            description="a value written before it could be known",
        ),
        E.ExpectColumnMaxToBeBetween(
            column="event_timestamp",
            min_value=oldest_allowed,
            severity=CRITICAL,
            description=f"stale: newest row older than {policy.feature_max_lag_days} days before {as_of}",
        ),
    ]
    for column, (low, high) in FEATURE_RULES[table].items():
        exp.append(E.ExpectColumnValuesToNotBeNull(column=column, severity=CRITICAL, description="required feature"))
        exp.append(
            E.ExpectColumnValuesToBeBetween(
                column=column,
                min_value=low,
                max_value=high,
                severity=CRITICAL,
                description="value outside its possible range",
            )
        )
    return exp


# ------------------------------------------------------------------------------------------ training
def training_expectations(previous_label_mean: float | None, policy: QualityPolicy = POLICY) -> list[Any]:
    exp: list[Any] = [
        E.ExpectTableRowCountToBeBetween(
            min_value=policy.min_training_rows, severity=CRITICAL, description="too few cleared invoices to train"
        ),
        E.ExpectColumnValuesToNotBeNull(column="delay_days", severity=CRITICAL, description="every row needs a label"),
        E.ExpectColumnValuesToBeBetween(
            column="delay_days",
            min_value=-366,
            max_value=366,
            severity=CRITICAL,
            description="labels within sane bounds",
        ),
    ]
    if previous_label_mean is not None:
        shift = policy.label_mean_shift_days
        exp.append(
            E.ExpectColumnMeanToBeBetween(
                column="delay_days",
                min_value=previous_label_mean - shift,
                max_value=previous_label_mean + shift,
                severity=WARNING,
                description=f"mean delay moved more than {shift} days since the last training run",
            )
        )
    return exp
