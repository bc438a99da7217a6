"""The FastAPI application: ``create_app()`` wires settings, the feature reader, the model and the routes.

Start-up loads the Feast registry and the champion from the MLflow registry. When either is missing the
service still starts (``/health`` answers, ``/ready`` says what is missing, predictions return 503 with a
hint) and ``POST /admin/reload-model`` (or SIGHUP) picks them up later without a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import FastAPI

from serving.api.errors import install_error_handlers
from serving.api.metrics import ServiceMetrics
from serving.api.routes import admin, health, predict
from serving.predictor import LoadedModel, Predictor
from sme_pulse.settings import Settings, get_settings

log = logging.getLogger("sme_pulse.serving")
PredictorFactory = Callable[[Settings], Predictor]


def build_predictor(settings: Settings) -> Predictor:
    """Feast registry + online store, and the champion from the MLflow registry."""
    from serving.online_features import OnlineFeatureReader
    from sme_pulse.feature_store import get_feature_store
    from training.registry import CHAMPION, load_model

    store = get_feature_store(settings)
    model, version = load_model(settings, CHAMPION)
    reader = OnlineFeatureReader(store, model.spec.feature_service)
    return Predictor(reader, LoadedModel(model, settings.model_name, version))


def load_champion(settings: Settings) -> LoadedModel:
    from training.registry import CHAMPION, load_model

    model, version = load_model(settings, CHAMPION)
    return LoadedModel(model, settings.model_name, version)


class MetricsMiddleware:
    """Plain ASGI middleware (no per-request task switch): latency and status per route template."""

    def __init__(self, app: Any, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}

        async def send_wrapper(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            self.metrics.latency.labels(route=path).observe(time.perf_counter() - start)
            self.metrics.requests.labels(route=path, status=str(status["code"])).inc()


def create_app(
    settings: Settings | None = None,
    predictor_factory: PredictorFactory = build_predictor,
    model_loader: Callable[[Settings], LoadedModel] = load_champion,
) -> FastAPI:
    settings = settings or get_settings()
    metrics = ServiceMetrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            app.state.predictor = await asyncio.to_thread(predictor_factory, settings)
            app.state.startup_error = None
            metrics.model_version.set(float(app.state.predictor.model.version))
        except Exception as error:  # start anyway: /ready reports it, reload-model retries
            app.state.predictor = None
            app.state.startup_error = f"{type(error).__name__}: {error}"
            log.error("service started without a predictor: %s", app.state.startup_error)
        # Registry, model and Feast objects live as long as the process: keep them out of every GC pass.
        gc.collect()
        gc.freeze()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().add_signal_handler(
                signal.SIGHUP, lambda: asyncio.ensure_future(app.state.reload_model())
            )
        yield
        if app.state.predictor is not None:
            with contextlib.suppress(Exception):
                await app.state.predictor.reader.close()

    app = FastAPI(
        title="SME Pulse payment-date API",
        version="1.0.0",
        description="Predicts when an invoice will be paid, from Feast online features (Redis) and the "
        "champion model in the MLflow registry.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.predictor = None
    app.state.startup_error = "starting"

    async def reload_model() -> tuple[str | None, str | None]:
        if app.state.predictor is None:
            app.state.predictor = await asyncio.to_thread(predictor_factory, settings)
            app.state.startup_error = None
            metrics.model_version.set(float(app.state.predictor.model.version))
            return None, app.state.predictor.model.version
        loaded = await asyncio.to_thread(model_loader, settings)
        previous = app.state.predictor.swap(loaded)
        metrics.model_version.set(float(loaded.version))
        log.info("model reloaded: v%s -> v%s", previous.version, loaded.version)
        return previous.version, loaded.version

    app.state.reload_model = reload_model
    install_error_handlers(app)
    app.include_router(predict.router)
    app.include_router(health.router)
    app.include_router(admin.router)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app


def app_factory() -> FastAPI:
    """Entry point for ``uvicorn --factory serving.api.main:app_factory``."""
    return create_app()
