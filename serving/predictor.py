"""Invoices in, payment dates out: online features -> the training's model-input function -> the model."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from serving.api.schemas import InvoiceIn, PredictionOut
from serving.online_features import OnlineFeatureReader, utc_midnight
from sme_pulse.ids import normalize_customer_id
from training.model import PaymentDateModel


@dataclass(frozen=True)
class LoadedModel:
    model: PaymentDateModel
    name: str
    version: str


class Predictor:
    """Holds the feature reader and the current model; the model can be swapped while serving."""

    def __init__(self, reader: OnlineFeatureReader, model: LoadedModel) -> None:
        if model.model.spec.feature_service != reader.feature_service:
            raise ValueError(
                f"model v{model.version} was trained on {model.model.spec.feature_service!r}, "
                f"the service reads {reader.feature_service!r}"
            )
        self.reader = reader
        self._model = model
        self._lock = threading.Lock()

    @property
    def model(self) -> LoadedModel:
        return self._model

    def swap(self, model: LoadedModel) -> LoadedModel:
        """Replace the model atomically (requests in flight finish with the one they started with)."""
        with self._lock:
            previous, self._model = self._model, model
        return previous

    async def predict(self, invoices: list[InvoiceIn]) -> list[PredictionOut]:
        loaded = self._model
        customers = [normalize_customer_id(invoice.customer_id) for invoice in invoices]
        entities = {"customer_id": customers, "business_code": [i.business_code for i in invoices]}
        request: dict[str, list[Any]] = {
            "posting_date": [utc_midnight(i.posting_date) for i in invoices],
            "baseline_date": [utc_midnight(i.baseline_date) for i in invoices],
            "due_date": [utc_midnight(i.due_date) for i in invoices],
            "amount": [i.amount for i in invoices],
            "currency": [i.currency for i in invoices],
            "payment_terms": [i.payment_terms for i in invoices],
        }
        features = await self.reader.read(entities, request)
        predictions = loaded.model.predict(features.columns)
        now = datetime.now(UTC)
        out = []
        for i, invoice in enumerate(invoices):
            delay = float(predictions["predicted_delay_days"].iloc[i])
            low = float(predictions["p10_delay_days"].iloc[i])
            high = float(predictions["p90_delay_days"].iloc[i])
            freshest = features.freshest[i]
            out.append(
                PredictionOut(
                    invoice_id=invoice.invoice_id,
                    customer_id=customers[i],
                    # Python's round() is half-to-even like numpy's rint in batch scoring: same dates both ways.
                    predicted_payment_date=invoice.due_date + timedelta(days=round(delay)),
                    predicted_delay_days=round(delay, 3),
                    p10_payment_date=invoice.due_date + timedelta(days=round(low)),
                    p90_payment_date=invoice.due_date + timedelta(days=round(high)),
                    model_name=loaded.name,
                    model_version=loaded.version,
                    feature_service=self.reader.feature_service,
                    feature_age_seconds=None if freshest is None else (now - freshest).total_seconds(),
                    cold_start=not features.has_customer_history[i],
                )
            )
        return out
