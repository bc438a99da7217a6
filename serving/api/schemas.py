"""Request and response models (pydantic), with the examples shown in the OpenAPI schema."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from sme_pulse.reference.fx import known_currencies

EXAMPLE_INVOICE: dict[str, Any] = {
    "invoice_id": "1930562055",
    "customer_id": "0200769623",
    "business_code": "U001",
    "currency": "USD",
    "amount": 54273.28,
    "posting_date": "2020-03-02",
    "baseline_date": "2020-03-02",
    "due_date": "2020-03-17",
    "payment_terms": "NAH4",
}


@lru_cache(maxsize=1)
def _currencies() -> frozenset[str]:
    return known_currencies()


class InvoiceIn(BaseModel):
    """One invoice as the ERP has it (customer ids may carry leading zeros; they are normalized)."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra={"examples": [EXAMPLE_INVOICE]}
    )

    invoice_id: Annotated[str | None, Field(default=None, max_length=64, description="ERP document id (optional).")]
    customer_id: Annotated[str, Field(min_length=1, max_length=64, description="ERP customer number, raw.")]
    business_code: Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_-]+$")]
    currency: Annotated[str, Field(min_length=3, max_length=3, description="ISO currency code, e.g. USD.")]
    amount: Annotated[float, Field(gt=0, lt=1e12, description="Invoice amount in its currency (> 0).")]
    posting_date: date
    baseline_date: date
    due_date: date
    payment_terms: Annotated[str, Field(min_length=1, max_length=16, description="Payment terms code, e.g. NAA8.")]

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        code = value.upper()
        if code not in _currencies():
            raise ValueError(f"unknown currency {value!r}; known: {', '.join(sorted(_currencies()))}")
        return code

    @field_validator("business_code", "payment_terms")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("due_date")
    @classmethod
    def _due_not_before_posting(cls, value: date, info: ValidationInfo) -> date:
        posting = info.data.get("posting_date")
        if posting is not None and value < posting:
            raise ValueError(f"due_date {value} is before posting_date {posting}")
        return value


class PredictionOut(BaseModel):
    """When the invoice is expected to be paid, with a P10-P90 band."""

    invoice_id: str | None
    customer_id: str = Field(description="Normalized customer id used for the feature lookup.")
    predicted_payment_date: date
    predicted_delay_days: float = Field(description="Days after the due date (negative: early).")
    p10_payment_date: date
    p90_payment_date: date
    model_name: str
    model_version: str
    feature_service: str
    feature_age_seconds: float | None = Field(
        description="Age of the freshest online feature used (now - its event timestamp); null if none."
    )
    cold_start: bool = Field(description="True when the customer has no payment history online.")

    model_config = ConfigDict(
        protected_namespaces=(),
        json_schema_extra={
            "examples": [
                {
                    "invoice_id": "1930562055",
                    "customer_id": "200769623",
                    "predicted_payment_date": "2020-03-14",
                    "predicted_delay_days": -2.6,
                    "p10_payment_date": "2020-03-11",
                    "p90_payment_date": "2020-03-19",
                    "model_name": "payment_date_model",
                    "model_version": "3",
                    "feature_service": "payment_date_v1",
                    "feature_age_seconds": 86400.0,
                    "cold_start": False,
                }
            ]
        },
    )


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"invoices": [EXAMPLE_INVOICE]}]})

    invoices: Annotated[list[InvoiceIn], Field(min_length=1)]


class BatchOut(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    predictions: list[PredictionOut]
    model_version: str


class FieldProblem(BaseModel):
    field: str
    message: str


class ErrorOut(BaseModel):
    """Every error body: what went wrong, and what to do about it."""

    error: str = Field(description="Machine-readable error type, e.g. invalid_request, online_store_unavailable.")
    message: str
    hint: str | None = None
    problems: list[FieldProblem] = Field(default_factory=list)
