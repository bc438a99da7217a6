"""MLflow set-up, champion/challenger promotion with thresholds kept in code, and model loading.

Local by default: a SQLite backend and an artifact folder under the lakehouse (``SME_PULSE_DATA_DIR/mlflow``);
``MLFLOW_TRACKING_URI`` (or ``SME_PULSE_MLFLOW_TRACKING_URI``) points at a server instead.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sme_pulse.errors import ModelUnavailableError
from sme_pulse.settings import Settings

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

    from training.model import PaymentDateModel

EXPERIMENT = "sme-pulse-payment-date"
CHAMPION, CHALLENGER = "champion", "challenger"

# Promotion thresholds. A new model becomes champion only if it is clearly better than paying on the due
# date, better than the customer's own historical mean, and not worse than the current champion on the
# *same* test window (re-scored, so the comparison is like for like).
MAX_MAE_RATIO_TO_DUE_DATE = 0.95
MAX_MAE_RATIO_TO_CUSTOMER_MEAN = 0.99
MIN_MAE_GAIN_OVER_CHAMPION = 0.005  # relative: 0.5 % lower MAE than the champion
MIN_INTERVAL_COVERAGE = 0.65  # a P10-P90 band should hold ~80 % of payments; below 65 % it misleads


def configure_mlflow(settings: Settings) -> MlflowClient:
    """Point MLflow at the configured store and make sure the experiment exists."""
    import mlflow
    from mlflow.tracking import MlflowClient

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    # MLflow's SQLite store trips a SQLAlchemy 2.1 deprecation on every start; it is MLflow's to fix.
    warnings.filterwarnings("ignore", message="The ``noload`` loader strategy is deprecated")
    uri = settings.tracking_uri
    if uri.startswith("sqlite:///"):
        (settings.data_dir / "mlflow").mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    if mlflow.get_experiment_by_name(EXPERIMENT) is None:
        local = uri.startswith("sqlite:") or uri.startswith("file:")
        settings.mlflow_artifact_root.mkdir(parents=True, exist_ok=True)
        mlflow.create_experiment(
            EXPERIMENT, artifact_location=settings.mlflow_artifact_root.as_uri() if local else None
        )
    mlflow.set_experiment(EXPERIMENT)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


@dataclass
class PromotionDecision:
    promoted: bool
    alias: str
    reasons: list[str] = field(default_factory=list)


def decide_promotion(
    metrics: dict[str, float], champion_mae: float | None, champion_version: str | None = None
) -> PromotionDecision:
    """Pure rule: which alias a new model earns, and why (every failed check is named)."""
    reasons = []
    ratio_due = metrics["test_mae"] / metrics["baseline_due_date_mae"]
    ratio_mean = metrics["test_mae"] / metrics["baseline_customer_mean_mae"]
    if ratio_due > MAX_MAE_RATIO_TO_DUE_DATE:
        reasons.append(
            f"MAE {metrics['test_mae']:.3f} is {ratio_due:.2f}x the due-date baseline "
            f"({metrics['baseline_due_date_mae']:.3f}); needs <= {MAX_MAE_RATIO_TO_DUE_DATE}"
        )
    if ratio_mean > MAX_MAE_RATIO_TO_CUSTOMER_MEAN:
        reasons.append(
            f"MAE {metrics['test_mae']:.3f} is {ratio_mean:.2f}x the customer-mean baseline "
            f"({metrics['baseline_customer_mean_mae']:.3f}); needs <= {MAX_MAE_RATIO_TO_CUSTOMER_MEAN}"
        )
    if metrics.get("test_interval_coverage", 1.0) < MIN_INTERVAL_COVERAGE:
        reasons.append(f"P10-P90 coverage {metrics['test_interval_coverage']:.2f} is below {MIN_INTERVAL_COVERAGE}")
    if champion_mae is not None:
        needed = champion_mae * (1 - MIN_MAE_GAIN_OVER_CHAMPION)
        if metrics["test_mae"] > needed:
            reasons.append(
                f"MAE {metrics['test_mae']:.3f} does not beat champion v{champion_version} "
                f"({champion_mae:.3f}) by {MIN_MAE_GAIN_OVER_CHAMPION:.1%} (needs <= {needed:.3f})"
            )
    if reasons:
        return PromotionDecision(False, CHALLENGER, reasons)
    beat = f"beats champion v{champion_version} ({champion_mae:.3f})" if champion_mae is not None else "first champion"
    return PromotionDecision(True, CHAMPION, [f"beats both baselines; {beat}"])


def model_uri(name: str, alias: str = CHAMPION) -> str:
    return f"models:/{name}@{alias}"


def alias_version(client: MlflowClient, name: str, alias: str) -> str | None:
    from mlflow.exceptions import MlflowException

    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def load_model(settings: Settings, alias: str = CHAMPION) -> tuple[PaymentDateModel, str]:
    """The registered model behind ``alias`` and its version; a clear error when there is none."""
    import mlflow.pyfunc

    client = configure_mlflow(settings)
    version = alias_version(client, settings.model_name, alias)
    if version is None:
        raise ModelUnavailableError(
            f"No model version of {settings.model_name!r} carries the alias {alias!r} in {settings.tracking_uri}.",
            hint="Train and promote one: `sme-pulse train`.",
        )
    loaded = mlflow.pyfunc.load_model(f"models:/{settings.model_name}/{version}")
    return loaded.unwrap_python_model().unwrap(), version
