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


def _column(features: pd.DataFrame | Mapping[str, Any], name: str) -> Any:
    try:
        return features[name]
    except KeyError:
        raise KeyError(f"feature frame lacks model column {name!r}") from None


def _numeric(values: Any) -> np.ndarray:
    if isinstance(values, pd.Series):
        return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _codes(values: Any, categories: tuple[str, ...]) -> np.ndarray:
    index = {category: float(i) for i, category in enumerate(categories)}
    if isinstance(values, pd.Series):
        codes = pd.Categorical(values.astype("string"), categories=list(categories)).codes.astype(np.float64)
        codes[codes < 0] = np.nan
        return codes
    return np.array([index.get(str(v), np.nan) if v is not None else np.nan for v in values], dtype=np.float64)


def to_model_input(features: pd.DataFrame | Mapping[str, Any], spec: FeatureSpec) -> np.ndarray:
    """The model's input matrix: one float64 column per model feature, in ``spec.columns`` order.

    Numeric features as floats (missing -> NaN); categorical features as their code in the category list
    frozen at training (unknown or missing -> NaN). Accepts a DataFrame (training, batch scoring) or a dict
    of equal-length lists (the online service) and gives the same matrix for the same values.
    """
    columns = [_numeric(_column(features, name)) for name in spec.numeric]
    columns += [_codes(_column(features, name), categories) for name, categories in spec.categorical.items()]
    return np.column_stack(columns) if columns else np.empty((0, 0))


def feature_types(spec: FeatureSpec) -> list[str]:
    """XGBoost feature types: quantitative for numeric columns, categorical for the coded ones."""
    return ["q"] * len(spec.numeric) + ["c"] * len(spec.categorical)
