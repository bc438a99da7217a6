"""The payment-date model: an XGBoost delay regressor plus a two-quantile (P10, P90) XGBoost model.

``PaymentDateModel`` is the plain object (fit, predict, save, load); ``PaymentDatePyfunc`` wraps it as an
MLflow pyfunc so the registry holds one self-contained model: boosters, feature spec and code path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb
from mlflow.pyfunc.model import PythonModel

from training.model_input import FeatureSpec, feature_types, to_model_input

QUANTILES = (0.1, 0.9)
OUTPUT_COLUMNS = ("predicted_delay_days", "p10_delay_days", "p90_delay_days")

POINT_PARAMS: dict[str, Any] = {
    "objective": "reg:absoluteerror",  # the median delay: the figure MAE rewards, robust to +100-day outliers
    "tree_method": "hist",
    "max_depth": 6,
    "eta": 0.05,
    "min_child_weight": 5,
    "subsample": 0.85,
    "colsample_bytree": 0.8,
    "lambda": 1.0,
    "max_cat_to_onehot": 8,
    "seed": 17,
    "nthread": 0,
}
QUANTILE_PARAMS: dict[str, Any] = POINT_PARAMS | {
    "objective": "reg:quantileerror",
    "quantile_alpha": np.array(QUANTILES),
}
MAX_ROUNDS = 2_000
EARLY_STOPPING = 100


def _dmatrix(spec: FeatureSpec, features: pd.DataFrame, label: pd.Series | None = None) -> xgb.DMatrix:
    return xgb.DMatrix(
        to_model_input(features, spec),
        label=None if label is None else label.to_numpy(),
        feature_names=spec.columns,
        feature_types=feature_types(spec),
        enable_categorical=True,
    )


@dataclass
class PaymentDateModel:
    spec: FeatureSpec
    point: xgb.Booster
    quantiles: xgb.Booster

    @staticmethod
    def fit(
        spec: FeatureSpec,
        train: pd.DataFrame,
        y_train: pd.Series,
        valid: pd.DataFrame,
        y_valid: pd.Series,
    ) -> PaymentDateModel:
        """Fit both boosters with early stopping on the (later-in-time) validation window."""
        d_train = _dmatrix(spec, train, y_train)
        d_valid = _dmatrix(spec, valid, y_valid)
        evals = [(d_valid, "valid")]
        point = xgb.train(
            POINT_PARAMS, d_train, MAX_ROUNDS, evals=evals, early_stopping_rounds=EARLY_STOPPING, verbose_eval=False
        )
        quantiles = xgb.train(
            QUANTILE_PARAMS, d_train, MAX_ROUNDS, evals=evals, early_stopping_rounds=EARLY_STOPPING, verbose_eval=False
        )
        return PaymentDateModel(spec, point, quantiles)

    def predict(self, features: pd.DataFrame | dict[str, Any]) -> pd.DataFrame:
        """Delay (days after due date) and its P10/P90 band, for a feature frame (or dict of columns)."""
        matrix = to_model_input(features, self.spec)
        point = np.asarray(self.point.inplace_predict(matrix, iteration_range=self._range(self.point)))
        band = np.asarray(self.quantiles.inplace_predict(matrix, iteration_range=self._range(self.quantiles)))
        band = band.reshape(len(matrix), len(QUANTILES))
        low = np.minimum(band[:, 0], point)  # the band always contains the point prediction
        high = np.maximum(band[:, 1], point)
        index = features.index if isinstance(features, pd.DataFrame) else None
        return pd.DataFrame({OUTPUT_COLUMNS[0]: point, OUTPUT_COLUMNS[1]: low, OUTPUT_COLUMNS[2]: high}, index=index)

    @staticmethod
    def _range(booster: xgb.Booster) -> tuple[int, int]:
        best = booster.attributes().get("best_iteration")
        return (0, int(best) + 1) if best is not None else (0, 0)

    def feature_importance(self) -> pd.Series:
        gains = self.point.get_score(importance_type="total_gain")
        return pd.Series(gains, dtype=float).reindex(self.spec.columns).fillna(0.0).sort_values(ascending=False)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.point.save_model(folder / "point.ubj")
        self.quantiles.save_model(folder / "quantiles.ubj")
        (folder / "feature_spec.json").write_text(json.dumps(self.spec.to_dict(), indent=2))

    @staticmethod
    def load(folder: Path) -> PaymentDateModel:
        point, quantiles = xgb.Booster(), xgb.Booster()
        point.load_model(folder / "point.ubj")
        quantiles.load_model(folder / "quantiles.ubj")
        spec = FeatureSpec.from_dict(json.loads((folder / "feature_spec.json").read_text()))
        for booster in (point, quantiles):
            booster.set_param({"nthread": 1})  # one request = one row: threads only add latency
        return PaymentDateModel(spec, point, quantiles)


class PaymentDatePyfunc(PythonModel):  # type: ignore[misc]
    """MLflow wrapper: input = feature frame (the feature service's columns), output = delay and band."""

    def load_context(self, context: Any) -> None:
        self.model = PaymentDateModel.load(Path(context.artifacts["model_dir"]))

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
        return self.model.predict(model_input)

    def unwrap(self) -> PaymentDateModel:
        return self.model
