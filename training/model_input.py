"""The one function that turns a Feast feature frame into model input.

Training, batch scoring and the online service all call :func:`to_model_input` with the same
:class:`FeatureSpec` (saved inside the registered model), so column order, dtypes and categorical codes can
never drift between the paths. Categories unseen in training become missing, which XGBoost handles
natively (a new payment-terms code never breaks a prediction).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

# Feature-service columns that are bookkeeping, not model inputs (see feature_repo/feature_services.py).
NON_MODEL_SUFFIXES = ("_known_at",)
NON_MODEL_COLUMNS = frozenset(
    {
        "customer_last_payment_epoch_day",
        "customer_oldest_open_posting_epoch_day",
        "business_last_payment_epoch_day",
    }
)


@dataclass(frozen=True)
class FeatureSpec:
    """Model input contract: numeric columns, categorical columns with their fixed category lists."""

    numeric: tuple[str, ...]
    categorical: dict[str, tuple[str, ...]] = field(default_factory=dict)
    feature_service: str = "payment_date_v1"

    @property
    def columns(self) -> list[str]:
        return [*self.numeric, *self.categorical]

    def to_dict(self) -> dict[str, Any]:
        return {
            "numeric": list(self.numeric),
            "categorical": {k: list(v) for k, v in self.categorical.items()},
            "feature_service": self.feature_service,
        }

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> FeatureSpec:
        return FeatureSpec(
            numeric=tuple(data["numeric"]),
            categorical={k: tuple(v) for k, v in data["categorical"].items()},
            feature_service=data.get("feature_service", "payment_date_v1"),
        )

    def __hash__(self) -> int:
        return hash(str(asdict(self)))


def service_feature_names(feature_refs: Iterable[str]) -> list[str]:
    """Model feature names from a feature service's references (``view:feature``), bookkeeping removed."""
    names = [ref.split(":", 1)[-1] for ref in feature_refs]
    return [n for n in names if n not in NON_MODEL_COLUMNS and not n.endswith(NON_MODEL_SUFFIXES)]


def infer_spec(features: pd.DataFrame, names: list[str], feature_service: str) -> FeatureSpec:
    """Decide numeric vs categorical from the training frame; categories sorted for stable codes."""
    numeric, categorical = [], {}
    for name in names:
        column = features[name]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            numeric.append(name)
        else:
            values = sorted({str(v) for v in column.dropna().unique()})
            categorical[name] = tuple(values)
    return FeatureSpec(tuple(numeric), categorical, feature_service)


def to_model_input(features: pd.DataFrame | Mapping[str, Any], spec: FeatureSpec) -> pd.DataFrame:
    """Select, order and type the model's columns. Accepts a DataFrame or a dict of columns (lists)."""
    frame = features if isinstance(features, pd.DataFrame) else pd.DataFrame(dict(features))
    missing = [c for c in spec.columns if c not in frame.columns]
    if missing:
        raise KeyError(f"feature frame lacks model columns: {', '.join(missing)}")
    data: dict[str, Any] = {}
    for name in spec.numeric:
        data[name] = pd.to_numeric(frame[name], errors="coerce").astype(np.float64)
    for name, categories in spec.categorical.items():
        values = frame[name].astype("string")
        data[name] = pd.Categorical(values.where(values.isin(categories)), categories=list(categories))
    return pd.DataFrame(data, index=frame.index)[spec.columns]
