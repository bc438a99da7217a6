"""One place that maps errors to HTTP: status code + a JSON body that says what to fix."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from serving.api.schemas import ErrorOut, FieldProblem
from sme_pulse.errors import (
    DataQualityError,
    FeatureUnavailableError,
    InvalidInputError,
    ModelUnavailableError,
    OnlineStoreUnavailableError,
    SmePulseError,
)

# Most specific first: the first matching type decides.
STATUS: tuple[tuple[type[SmePulseError], int, str], ...] = (
    (OnlineStoreUnavailableError, 503, "online_store_unavailable"),
    (ModelUnavailableError, 503, "model_unavailable"),
    (FeatureUnavailableError, 503, "features_unavailable"),
    (InvalidInputError, 422, "invalid_request"),
    (DataQualityError, 409, "data_quality_failed"),
    (SmePulseError, 500, "internal_error"),
)


def _field(location: tuple[object, ...]) -> str:
    parts = [str(p) for p in location if p not in ("body",)]
    return ".".join(parts) or "body"


def install_error_handlers(app: FastAPI) -> None:
    def count(request: Request, kind: str) -> None:
        metrics = getattr(request.app.state, "metrics", None)
        if metrics is not None:
            metrics.errors.labels(type=kind).inc()

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        count(request, "invalid_request")
        problems = [
            FieldProblem(
                field=_field(tuple(item.get("loc", ()))),
                message=str(item.get("msg", "invalid")).removeprefix("Value error, "),
            )
            for item in error.errors()
        ]
        body = ErrorOut(
            error="invalid_request",
            message="; ".join(f"{p.field}: {p.message}" for p in problems),
            hint="Fix the named fields; the OpenAPI schema at /docs shows a valid example.",
            problems=problems,
        )
        return JSONResponse(body.model_dump(), status_code=422)

    @app.exception_handler(SmePulseError)
    async def known_error(request: Request, error: SmePulseError) -> JSONResponse:
        status, kind = next((code, name) for cls, code, name in STATUS if isinstance(error, cls))
        count(request, kind)
        problems = getattr(error, "problems", [])
        body = ErrorOut(error=kind, message=error.message, hint=error.hint, problems=problems)
        return JSONResponse(body.model_dump(), status_code=status)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        count(request, type(error).__name__)
        body = ErrorOut(error="internal_error", message=f"{type(error).__name__}: {error}")
        return JSONResponse(body.model_dump(), status_code=500)
