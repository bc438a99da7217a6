"""Dependencies as ``Annotated`` aliases, so tests can override them with fakes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from serving.api.metrics import ServiceMetrics
from serving.predictor import Predictor
from sme_pulse.errors import ModelUnavailableError
from sme_pulse.settings import Settings


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_predictor(request: Request) -> Predictor:
    predictor: Predictor | None = request.app.state.predictor
    if predictor is None:
        raise ModelUnavailableError(
            f"The service has no model or feature store loaded: {request.app.state.startup_error}",
            hint="Train and promote a model (`sme-pulse train`), apply the feature repo, "
            "then POST /admin/reload-model.",
        )
    return predictor


def get_metrics(request: Request) -> ServiceMetrics:
    metrics: ServiceMetrics = request.app.state.metrics
    return metrics


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
PredictorDep = Annotated[Predictor, Depends(get_predictor)]
MetricsDep = Annotated[ServiceMetrics, Depends(get_metrics)]
