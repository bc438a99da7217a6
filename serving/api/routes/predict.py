"""POST /predict/payment-date and its batch form."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError

from serving.api.deps import MetricsDep, PredictorDep, SettingsDep
from serving.api.schemas import BatchIn, BatchOut, ErrorOut, InvoiceIn, PredictionOut

router = APIRouter(prefix="/predict", tags=["prediction"])
ERRORS = {
    422: {"model": ErrorOut, "description": "Invalid invoice: the body names each field and why."},
    503: {"model": ErrorOut, "description": "Redis or the model is unavailable; retry later."},
}


@router.post("/payment-date", response_model=PredictionOut, responses=ERRORS)  # type: ignore[arg-type]
async def predict_payment_date(invoice: InvoiceIn, predictor: PredictorDep, metrics: MetricsDep) -> PredictionOut:
    """Predict when one invoice will be paid (date, delay after due date, P10-P90 band)."""
    [prediction] = await predictor.predict([invoice])
    metrics.predictions.inc()
    if prediction.cold_start:
        metrics.cold_starts.inc()
    return prediction


@router.post("/payment-date/batch", response_model=BatchOut, responses=ERRORS)  # type: ignore[arg-type]
async def predict_payment_dates(
    batch: BatchIn, predictor: PredictorDep, metrics: MetricsDep, settings: SettingsDep
) -> BatchOut:
    """Predict up to ``SME_PULSE_API_MAX_BATCH`` invoices (default 256) in one call."""
    if len(batch.invoices) > settings.api_max_batch:
        raise RequestValidationError(
            [
                {
                    "loc": ("body", "invoices"),
                    "msg": f"{len(batch.invoices)} invoices sent; at most {settings.api_max_batch} per call",
                    "type": "too_long",
                }
            ]
        )
    predictions = await predictor.predict(batch.invoices)
    metrics.predictions.inc(len(predictions))
    metrics.cold_starts.inc(sum(p.cold_start for p in predictions))
    return BatchOut(predictions=predictions, model_version=predictions[0].model_version)
