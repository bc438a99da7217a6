"""Honest evaluation on a later time window: the model against two baselines a credit controller knows.

* due-date baseline: every invoice is paid on its due date (delay 0);
* customer-mean baseline: the customer's own mean delay *known at posting* (the same point-in-time
  feature the model sees); customers without history fall back to the business mean, then to 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

HISTORY_BUCKETS = (-1, 0, 4, 19, np.inf)
HISTORY_LABELS = ("0 (new)", "1-4", "5-19", "20+")


def point_metrics(actual: np.ndarray, predicted: np.ndarray, prefix: str) -> dict[str, float]:
    error = predicted - actual
    return {
        f"{prefix}_mae": float(np.mean(np.abs(error))),
        f"{prefix}_rmse": float(np.sqrt(np.mean(error**2))),
        f"{prefix}_median_ae": float(np.median(np.abs(error))),
        f"{prefix}_within_3d": float(np.mean(np.abs(error) <= 3)),
    }


def customer_mean_baseline(features: pd.DataFrame) -> np.ndarray:
    fallback = features.get("business_mean_delay_days", pd.Series(0.0, index=features.index))
    return features["customer_mean_delay_days"].fillna(fallback).fillna(0.0).to_numpy(dtype=float)


@dataclass(frozen=True)
class Evaluation:
    metrics: dict[str, float]
    by_business: pd.DataFrame
    by_history: pd.DataFrame


def evaluate(features: pd.DataFrame, actual: pd.Series, predictions: pd.DataFrame) -> Evaluation:
    """Metrics named as MLflow logs them (test_mae, baseline_due_date_mae, ...)."""
    y = actual.to_numpy(dtype=float)
    point = predictions["predicted_delay_days"].to_numpy(dtype=float)
    low, high = predictions["p10_delay_days"].to_numpy(), predictions["p90_delay_days"].to_numpy()
    metrics = point_metrics(y, point, "test")
    metrics["test_interval_coverage"] = float(np.mean((y >= low) & (y <= high)))
    metrics["test_interval_width"] = float(np.mean(high - low))
    due = point_metrics(y, np.zeros_like(y), "baseline_due_date")
    mean = point_metrics(y, customer_mean_baseline(features), "baseline_customer_mean")
    metrics |= due | mean
    metrics["test_mae_ratio_to_due_date"] = metrics["test_mae"] / max(metrics["baseline_due_date_mae"], 1e-9)
    metrics["test_mae_ratio_to_customer_mean"] = metrics["test_mae"] / max(metrics["baseline_customer_mean_mae"], 1e-9)

    frame = pd.DataFrame(
        {
            "business_code": features["business_code"].to_numpy(),
            "history": pd.cut(
                features["customer_cleared_invoices"].fillna(0).to_numpy(), HISTORY_BUCKETS, labels=HISTORY_LABELS
            ),
            "abs_error": np.abs(point - y),
            "abs_error_due_date": np.abs(y),
            "abs_error_customer_mean": np.abs(customer_mean_baseline(features) - y),
        }
    )

    def breakdown(column: str) -> pd.DataFrame:
        grouped = frame.groupby(column, observed=True)
        return pd.DataFrame(
            {
                "rows": grouped.size(),
                "mae": grouped["abs_error"].mean(),
                "mae_due_date": grouped["abs_error_due_date"].mean(),
                "mae_customer_mean": grouped["abs_error_customer_mean"].mean(),
            }
        ).reset_index()

    return Evaluation(metrics, breakdown("business_code"), breakdown("history"))
