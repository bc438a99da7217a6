"""Diagnostic plots logged with every run: residuals, predicted vs actual, feature importance."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only: training runs headless

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure


def residuals_figure(actual: pd.Series, predicted: pd.Series) -> Figure:
    residual = predicted.to_numpy() - actual.to_numpy()
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.hist(np.clip(residual, -40, 40), bins=80, color="#2b6cb0")
    ax.axvline(0, color="black", linewidth=1)
    ax.set(
        title="Residuals on the test window (predicted - actual delay, clipped to +-40 d)",
        xlabel="days",
        ylabel="invoices",
    )
    fig.tight_layout()
    return fig


def predicted_vs_actual_figure(actual: pd.Series, predicted: pd.Series) -> Figure:
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    ax.scatter(actual, predicted, s=6, alpha=0.35, color="#2b6cb0")
    low, high = np.percentile(np.concatenate([actual, predicted]), [0.5, 99.5])
    ax.plot([low, high], [low, high], color="black", linewidth=1)
    ax.set(
        xlim=(low, high),
        ylim=(low, high),
        title="Predicted vs actual delay (test window)",
        xlabel="actual delay (days)",
        ylabel="predicted delay (days)",
    )
    fig.tight_layout()
    return fig


def importance_figure(importance: pd.Series, top: int = 25) -> Figure:
    shown = importance.head(top)[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.28 * len(shown) + 1.2))
    ax.barh(shown.index, shown.to_numpy(), color="#2b6cb0")
    ax.set(title=f"Feature importance (total gain, top {len(shown)})", xlabel="total gain")
    fig.tight_layout()
    return fig
