"""The HTTP contract with fakes in place of Feast and the model: validation, error mapping, metrics."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from serving.api.main import create_app
from serving.api.schemas import EXAMPLE_INVOICE, InvoiceIn, PredictionOut
from sme_pulse.errors import OnlineStoreUnavailableError
from sme_pulse.ids import normalize_customer_id
from sme_pulse.settings import Settings


class FakeReader:
    feature_service = "payment_date_v1"

    def __init__(self) -> None:
        self.redis_up = True

    async def ping(self) -> bool:
        if not self.redis_up:
            raise ConnectionError("down")
        return True

    async def close(self) -> None:
        return None


class FakeModel:
    version = "7"


class FakePredictor:
    def __init__(self) -> None:
        self.reader = FakeReader()
        self.model = FakeModel()
        self.seen: list[list[InvoiceIn]] = []

    async def predict(self, invoices: list[InvoiceIn]) -> list[PredictionOut]:
        if not self.reader.redis_up:
            raise OnlineStoreUnavailableError("The online store (Redis) cannot be reached: refused", hint="start it")
        self.seen.append(invoices)
        return [
            PredictionOut(
                invoice_id=i.invoice_id,
                customer_id=normalize_customer_id(i.customer_id),
                predicted_payment_date=i.due_date + timedelta(days=2),
                predicted_delay_days=2.0,
                p10_payment_date=i.due_date,
                p90_payment_date=i.due_date + timedelta(days=5),
                model_name="payment_date_model",
                model_version="7",
                feature_service="payment_date_v1",
                feature_age_seconds=60.0,
                cold_start=i.customer_id.startswith("NEW"),
            )
            for i in invoices
        ]


@pytest.fixture
def fake() -> FakePredictor:
    return FakePredictor()


@pytest.fixture
def client(fake: FakePredictor) -> Iterator[TestClient]:
    app = create_app(Settings(api_max_batch=3), predictor_factory=lambda settings: fake)  # type: ignore[arg-type,return-value]
    with TestClient(app) as test_client:
        yield test_client


def _invoice(**changes: object) -> dict[str, object]:
    return {**EXAMPLE_INVOICE, **changes}


def test_a_valid_invoice_gets_a_payment_date(client: TestClient, fake: FakePredictor) -> None:
    response = client.post("/predict/payment-date", json=_invoice())
    assert response.status_code == 200
    body = response.json()
    assert body["predicted_payment_date"] == "2020-03-19" and body["model_version"] == "7"
    assert body["customer_id"] == "200769623", "leading zeros are normalized before the lookup"
    assert fake.seen[0][0].currency == "USD"


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"customer_id": None}, "customer_id", "valid string"),
        ({"amount": -5}, "amount", "greater than 0"),
        ({"currency": "XYZ"}, "currency", "unknown currency"),
        ({"due_date": "2020-02-01"}, "due_date", "before posting_date"),
        ({"posting_date": "2020-13-40"}, "posting_date", "valid date"),
        ({"colour": "red"}, "colour", "Extra inputs"),
    ],
)
def test_invalid_input_gets_a_422_naming_the_field(client: TestClient, change, field: str, fragment: str) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/predict/payment-date", json=_invoice(**change))
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_request"
    assert any(p["field"] == field and fragment in p["message"] for p in body["problems"]), body


def test_a_missing_field_is_named(client: TestClient) -> None:
    invoice = _invoice()
    del invoice["due_date"]
    response = client.post("/predict/payment-date", json=invoice)
    assert response.status_code == 422
    assert response.json()["problems"][0]["field"] == "due_date"


def test_an_oversized_batch_is_refused_with_the_limit(client: TestClient) -> None:
    response = client.post("/predict/payment-date/batch", json={"invoices": [_invoice()] * 4})
    assert response.status_code == 422
    assert "at most 3" in response.json()["problems"][0]["message"]
    ok = client.post("/predict/payment-date/batch", json={"invoices": [_invoice(), _invoice(customer_id="NEW1")]})
    assert ok.status_code == 200 and [p["cold_start"] for p in ok.json()["predictions"]] == [False, True]


def test_redis_down_is_a_503_with_a_hint_and_readiness_turns_false(client: TestClient, fake: FakePredictor) -> None:
    fake.reader.redis_up = False
    response = client.post("/predict/payment-date", json=_invoice())
    assert response.status_code == 503
    assert response.json()["error"] == "online_store_unavailable" and response.json()["hint"]
    ready = client.get("/ready")
    assert ready.status_code == 503 and ready.json()["checks"]["redis_reachable"] is False
    fake.reader.redis_up = True
    assert client.post("/predict/payment-date", json=_invoice()).status_code == 200
    assert client.get("/ready").status_code == 200


def _metric(text: str, line_start: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(line_start))


def test_metrics_count_requests_cold_starts_and_errors(client: TestClient) -> None:
    # Importing Feast before prometheus_client switches the latter to multiprocess mode (feast/metrics.py sets
    # PROMETHEUS_MULTIPROC_DIR); values are then shared by series name by every app built in this test process.
    # So: each series the two requests touch must move, and only those.
    series = {
        "ok": 'sme_pulse_requests_total{route="/predict/payment-date",status="200"}',
        "invalid": 'sme_pulse_requests_total{route="/predict/payment-date",status="422"}',
        "cold": "sme_pulse_cold_starts_total",
        "errors": 'sme_pulse_errors_total{type="invalid_request"}',
    }
    before = client.get("/metrics").text
    client.post("/predict/payment-date", json=_invoice(customer_id="NEW9"))
    client.post("/predict/payment-date", json=_invoice(amount=0))
    after = client.get("/metrics").text
    moved = {k: _metric(after, v) - _metric(before, v) for k, v in series.items()}
    assert all(delta >= 1 for delta in moved.values()), moved
    untouched = 'sme_pulse_requests_total{route="/predict/payment-date/batch"'
    assert _metric(after, untouched) == _metric(before, untouched)
    assert "sme_pulse_request_seconds_bucket" in after


def test_without_a_model_the_service_starts_and_says_what_is_missing() -> None:
    def broken(settings: Settings):  # type: ignore[no-untyped-def]
        raise RuntimeError("no champion yet")

    with TestClient(create_app(Settings(), predictor_factory=broken)) as client:
        assert client.get("/health").status_code == 200
        ready = client.get("/ready")
        assert ready.status_code == 503 and "no champion yet" in ready.json()["startup_error"]
        response = client.post("/predict/payment-date", json=_invoice())
        assert response.status_code == 503 and response.json()["error"] == "model_unavailable"


def test_the_openapi_schema_carries_examples(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    invoice = schema["components"]["schemas"]["InvoiceIn"]
    assert invoice["examples"][0]["customer_id"] == "0200769623"
    assert "/predict/payment-date/batch" in schema["paths"]
    assert date.fromisoformat(invoice["examples"][0]["due_date"]) > date(2020, 1, 1)
