"""``sme-pulse train``: features from Feast, XGBoost fit, honest evaluation, MLflow run, registry alias."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sme_pulse.quality.checks import require, silver_as_of, validate_features, validate_training_set
from sme_pulse.settings import Settings
from training.dataset import LABEL, TrainingSet, load_training_set, time_split
from training.evaluate import Evaluation, evaluate
from training.model import POINT_PARAMS, QUANTILES, PaymentDateModel, PaymentDatePyfunc
from training.model_input import FeatureSpec, infer_spec
from training.registry import (
    CHAMPION,
    EXPERIMENT,
    alias_version,
    configure_mlflow,
    decide_promotion,
    load_model,
)

if TYPE_CHECKING:
    from feast import FeatureStore


@dataclass(frozen=True)
class TrainResult:
    run_id: str
    model_version: str
    promoted: bool
    alias: str
    reasons: list[str]
    metrics: dict[str, float]
    evaluation: Evaluation

    def summary(self) -> dict[str, Any]:
        """The JSON ``sme-pulse train --json`` prints (metric names = MLflow metric names)."""
        keys = (
            "test_mae",
            "test_rmse",
            "test_median_ae",
            "test_within_3d",
            "test_interval_coverage",
            "baseline_due_date_mae",
            "baseline_customer_mean_mae",
            "test_mae_ratio_to_due_date",
            "train_rows",
            "valid_rows",
            "test_rows",
        )
        return {
            "run_id": self.run_id,
            "model_version": self.model_version,
            "promoted": self.promoted,
            "alias": self.alias,
            "reasons": self.reasons,
        } | {k: self.metrics[k] for k in keys}


def _previous_label_mean(client: Any) -> float | None:
    """The label mean of the latest finished training run, for the label-shift check."""
    import mlflow

    experiment = mlflow.get_experiment_by_name(EXPERIMENT)
    if experiment is None:
        return None
    runs = client.search_runs(
        [experiment.experiment_id], "metrics.label_mean > -1000", order_by=["attributes.start_time DESC"], max_results=1
    )
    return float(runs[0].data.metrics["label_mean"]) if runs else None


def _champion_mae(
    settings: Settings,
    client: Any,
    test_features: pd.DataFrame,
    actual: pd.Series,
) -> tuple[float | None, str | None]:
    """Re-score the current champion on the new test window (like-for-like), if there is one."""
    version = alias_version(client, settings.model_name, CHAMPION)
    if version is None:
        return None, None
    champion, _ = load_model(settings, CHAMPION)
    try:
        predicted = champion.predict(test_features)["predicted_delay_days"]
    except KeyError:  # champion built on another feature service: fall back to its logged metric
        run = client.get_run(client.get_model_version(settings.model_name, version).run_id)
        return run.data.metrics.get("test_mae"), version
    return float((predicted - actual).abs().mean()), version


def train(settings: Settings, store: FeatureStore | None = None) -> TrainResult:
    import mlflow
    from mlflow.models import infer_signature

    from sme_pulse.feature_store import get_feature_store

    require(validate_features(settings, silver_as_of(settings)))  # no model is trained on broken features
    store = store or get_feature_store(settings)
    data: TrainingSet = load_training_set(settings, store)
    features, label = data.features, data.features[LABEL]
    client = configure_mlflow(settings)
    validate_training_set(settings, features, _previous_label_mean(client)).raise_for_critical()
    split = time_split(features["posting_date"])
    spec = infer_spec(features.loc[split.train], data.feature_names, settings.feature_service)
    model = PaymentDateModel.fit(
        spec,
        features.loc[split.train],
        label.loc[split.train],
        features.loc[split.valid],
        label.loc[split.valid],
    )
    test_features, test_label = features.loc[split.test], label.loc[split.test]
    predictions = model.predict(test_features)
    evaluation = evaluate(test_features, test_label, predictions)
    valid_mae = float(
        (model.predict(features.loc[split.valid])["predicted_delay_days"] - label.loc[split.valid]).abs().mean()
    )
    metrics = evaluation.metrics | {
        "train_rows": float(len(split.train)),
        "valid_rows": float(len(split.valid)),
        "test_rows": float(len(split.test)),
        "valid_mae": valid_mae,
        "best_iteration_point": float(model.point.attributes().get("best_iteration") or 0),
        "label_mean": float(label.mean()),
        "label_std": float(label.std()),
    }

    champion_mae, champion_version = _champion_mae(settings, client, test_features, test_label)
    decision = decide_promotion(metrics, champion_mae, champion_version)
    if champion_mae is not None:
        metrics["champion_test_mae_same_window"] = champion_mae

    from training.plots import importance_figure, predicted_vs_actual_figure, residuals_figure

    with mlflow.start_run(run_name=f"xgboost-{settings.feature_service}") as run, tempfile.TemporaryDirectory() as tmp:
        mlflow.log_params({f"point.{k}": v for k, v in POINT_PARAMS.items()})
        mlflow.log_params(
            {
                "quantiles": ",".join(str(q) for q in QUANTILES),
                "feature_service": settings.feature_service,
                "feast_project": store.project,
                "offline_store": settings.offline_store,
                "n_features": len(spec.columns),
                "categorical_features": ",".join(spec.categorical),
                "split.valid_start": str(split.valid_start.date()),
                "split.test_start": str(split.test_start.date()),
            }
            | {f"delta_version.{name}": version for name, version in data.delta_versions.items()}
        )
        mlflow.set_tags(
            {
                "feature_service": settings.feature_service,
                "feast_project": store.project,
                "model_name": settings.model_name,
                "promotion": decision.alias,
                "promotion_reasons": " | ".join(decision.reasons),
            }
        )
        mlflow.log_metrics(metrics)
        entities = data.entities.copy()
        mlflow.log_input(
            mlflow.data.from_pandas(entities, name="training_entities", targets=LABEL),  # type: ignore[attr-defined]
            context="training",
        )
        mlflow.log_figure(residuals_figure(test_label, predictions["predicted_delay_days"]), "plots/residuals.png")
        mlflow.log_figure(
            predicted_vs_actual_figure(test_label, predictions["predicted_delay_days"]), "plots/predicted_vs_actual.png"
        )
        mlflow.log_figure(importance_figure(model.feature_importance()), "plots/feature_importance.png")
        mlflow.log_text(evaluation.by_business.to_csv(index=False), "evaluation/mae_by_business_code.csv")
        mlflow.log_text(evaluation.by_history.to_csv(index=False), "evaluation/mae_by_customer_history.csv")
        mlflow.log_text(json.dumps(spec.to_dict(), indent=2), "feature_spec.json")

        model_dir = Path(tmp) / "model"
        model.save(model_dir)
        example = _input_example(test_features.head(5), spec)
        signature = infer_signature(example, model.predict(example))
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=PaymentDatePyfunc(),
            artifacts={"model_dir": str(model_dir)},
            signature=signature,
            input_example=example,
            registered_model_name=settings.model_name,
            pip_requirements=_requirements(),
        )
        version = str(info.registered_model_version)
        client.set_registered_model_alias(settings.model_name, decision.alias, version)
        client.set_model_version_tag(settings.model_name, version, "feature_service", settings.feature_service)
        client.set_model_version_tag(settings.model_name, version, "promotion", " | ".join(decision.reasons))
        return TrainResult(
            run.info.run_id, version, decision.promoted, decision.alias, decision.reasons, metrics, evaluation
        )


def _input_example(features: pd.DataFrame, spec: FeatureSpec) -> pd.DataFrame:
    """The pyfunc's input: the feature columns as the service delivers them, floats (missing-safe) and strings."""
    example = pd.DataFrame(
        {name: pd.to_numeric(features[name], errors="coerce").astype(float) for name in spec.numeric}
    )
    for name in spec.categorical:
        example[name] = features[name].astype(object).where(features[name].notna(), None)
    return example


def _requirements() -> list[str]:
    from importlib.metadata import version

    return [f"{name}=={version(name)}" for name in ("mlflow", "xgboost-cpu", "pandas", "numpy", "scikit-learn")]
