"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from serving.api.deps import MetricsDep

router = APIRouter(tags=["operations"])


@router.get("/health")
async def health() -> dict[str, str]:
    """The process is alive (no dependency is checked)."""
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "A dependency is not ready; the body says which."}})
async def ready(request: Request) -> JSONResponse:
    """Ready to predict: Redis reachable, model loaded, Feast registry loaded."""
    predictor = request.app.state.predictor
    checks = {"model_loaded": predictor is not None, "feast_registry_loaded": predictor is not None}
    try:
        checks["redis_reachable"] = predictor is not None and await predictor.reader.ping()
    except Exception:  # any failure to reach Redis means "not ready", never a crash
        checks["redis_reachable"] = False
    body: dict[str, object] = {"ready": all(checks.values()), "checks": checks}
    if predictor is not None:
        body["model_version"] = predictor.model.version
        body["feature_service"] = predictor.reader.feature_service
    else:
        body["startup_error"] = request.app.state.startup_error
    return JSONResponse(body, status_code=200 if body["ready"] else 503)


@router.get("/metrics")
async def metrics(service_metrics: MetricsDep) -> Response:
    """Prometheus exposition: request counts, latency histograms, predictions, cold starts, errors by type."""
    return Response(generate_latest(service_metrics.registry), media_type=CONTENT_TYPE_LATEST)
