"""Serving with a real Redis and a real model: online/offline parity, API/batch parity, failures, reload."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from deltalake import DeltaTable
from fastapi.testclient import TestClient

from serving.api.main import create_app
from serving.online_features import OnlineFeatureReader, utc_midnight
from sme_pulse.feature_store import get_feature_store
from sme_pulse.features.entity_frames import as_of_day, entity_frame, read_invoices
from sme_pulse.lakehouse.tables import table_path
from sme_pulse.materialize import materialize
from sme_pulse.settings import Settings
from tests.conftest import lakehouse_settings
from tests.integration.lakehouse import build_lakehouse
from tests.integration.redis_server import RedisServer
from training.pipeline import train
from training.registry import CHAMPION, configure_mlflow
from training.score import score_open_invoices

SAMPLE = 60


@dataclass
class Served:
    settings: Settings
    redis: RedisServer
    client: TestClient
    open_invoices: pd.DataFrame
    model_version: str


def _request(row: pd.Series) -> dict[str, object]:
    return {
        "invoice_id": row["invoice_id"],
        "customer_id": row["customer_id_raw"],
        "business_code": row["business_code"],
        "currency": row["currency"],
        "amount": float(row["amount"]),
        "posting_date": str(row["posting_date"]),
        "baseline_date": str(row["baseline_date"]),
        "due_date": str(row["due_date"]),
        "payment_terms": row["payment_terms"],
    }


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, spark, real_sample: Path) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("serving")
    redis = RedisServer(root)
    redis.start()
    with lakehouse_settings(root) as base, pytest.MonkeyPatch.context() as patch:
        patch.setenv("SME_PULSE_REDIS_URL", redis.url)
        from sme_pulse.settings import get_settings

        get_settings.cache_clear()
        settings = get_settings()
        assert settings.data_dir == base.data_dir
        build_lakehouse(settings, real_sample)
        result = train(settings)
        score_open_invoices(settings)
        materialize(settings, full=True)
        invoices = read_invoices(settings, is_open=True).sample(SAMPLE, random_state=5).reset_index(drop=True)
        with TestClient(create_app(settings)) as client:
            yield Served(settings, redis, client, invoices, result.model_version)
    redis.stop()


def test_online_features_equal_historical_features_as_of_now(served: Served) -> None:
    settings, invoices = served.settings, served.open_invoices
    store = get_feature_store(settings)
    entities = entity_frame(invoices)
    entities["event_timestamp"] = pd.Timestamp(as_of_day(settings, read_invoices(settings)), tz="UTC")
    offline = store.get_historical_features(entity_df=entities, features=store.get_feature_service("payment_date_v1"))
    offline_frame = offline.to_df().set_index("invoice_id").loc[invoices["invoice_id"]]

    reader = OnlineFeatureReader(get_feature_store(settings), "payment_date_v1")
    request = {
        "posting_date": [utc_midnight(d) for d in invoices["posting_date"]],
        "baseline_date": [utc_midnight(d) for d in invoices["baseline_date"]],
        "due_date": [utc_midnight(d) for d in invoices["due_date"]],
        "amount": invoices["amount"].tolist(),
        "currency": invoices["currency"].tolist(),
        "payment_terms": invoices["payment_terms"].tolist(),
    }
    entities_online = {
        "customer_id": invoices["customer_id"].tolist(),
        "business_code": invoices["business_code"].tolist(),
    }
    online = asyncio.run(reader.read(entities_online, request)).columns
    compared = 0
    for name, values in online.items():
        if name not in offline_frame.columns:
            continue
        left = pd.Series(values, dtype=object)
        right = offline_frame[name].reset_index(drop=True)
        if pd.api.types.is_numeric_dtype(right):
            assert np.allclose(pd.to_numeric(left).astype(float), right.astype(float), equal_nan=True), name
        else:
            assert left.astype(str).tolist() == right.astype(str).tolist(), name
        compared += 1
    assert compared >= 60, "every feature of the service is compared"


def test_the_api_answers_what_the_batch_score_says(served: Served) -> None:
    body = {"invoices": [_request(row) for _, row in served.open_invoices.iterrows()]}
    response = served.client.post("/predict/payment-date/batch", json=body)
    assert response.status_code == 200, response.text
    api = pd.DataFrame(response.json()["predictions"]).set_index("invoice_id")
    scores = DeltaTable(str(table_path(served.settings, "score_payment_pred"))).to_pandas()
    scores = scores[scores["model_version"] == served.model_version].set_index("invoice_id").loc[api.index]
    assert (api["model_version"] == served.model_version).all()
    assert np.allclose(api["predicted_delay_days"], scores["predicted_delay_days"], atol=1e-3)
    assert (api["predicted_payment_date"] == scores["predicted_payment_date"].astype(str)).all()
    assert (api["p10_payment_date"] == scores["p10_payment_date"].astype(str)).all()
    assert (api["p90_payment_date"] == scores["p90_payment_date"].astype(str)).all()
    assert (api["cold_start"] == scores["cold_start"]).all()


def test_an_unknown_customer_gets_business_features_and_a_cold_start(served: Served) -> None:
    row = served.open_invoices.iloc[0]
    response = served.client.post("/predict/payment-date", json=_request(row) | {"customer_id": "NEVER-SEEN-42"})
    assert response.status_code == 200
    assert response.json()["cold_start"] is True
    assert response.json()["feature_age_seconds"] is not None, "business-level features were read"


def test_redis_stopped_gives_503_and_the_service_recovers_when_it_is_back(served: Served) -> None:
    request = _request(served.open_invoices.iloc[1])
    served.redis.stop()
    try:
        response = served.client.post("/predict/payment-date", json=request)
        assert response.status_code == 503
        assert response.json()["error"] == "online_store_unavailable" and response.json()["hint"]
        assert served.client.get("/ready").status_code == 503
        assert served.client.get("/health").status_code == 200, "no request can crash a worker"
    finally:
        served.redis.start()
    assert served.client.post("/predict/payment-date", json=request).status_code == 200
    materialize(served.settings, full=True)  # the restarted Redis is empty: load it again
    recovered = served.client.post("/predict/payment-date", json=request)
    assert recovered.status_code == 200 and recovered.json()["cold_start"] is False
    assert served.client.get("/ready").status_code == 200


def test_a_new_champion_is_picked_up_without_a_restart(served: Served) -> None:
    second = train(served.settings)
    client = configure_mlflow(served.settings)
    client.set_registered_model_alias(served.settings.model_name, CHAMPION, second.model_version)
    reload = served.client.post("/admin/reload-model")
    assert reload.json() == {"previous_version": served.model_version, "current_version": second.model_version}
    response = served.client.post("/predict/payment-date", json=_request(served.open_invoices.iloc[2]))
    assert response.json()["model_version"] == second.model_version
    assert "sme_pulse_model_version " + str(float(second.model_version)) in served.client.get("/metrics").text


def test_our_materialization_writes_exactly_what_feast_writes(served: Served) -> None:
    from datetime import UTC, datetime

    import redis

    feast_native = served.settings.model_copy(update={"redis_url": served.redis.url.rsplit("/", 1)[0] + "/1"})
    store = get_feature_store(feast_native)
    store.materialize(start_date=datetime(2000, 1, 1, tzinfo=UTC), end_date=datetime.now(UTC))
    ours = redis.Redis.from_url(served.settings.redis_url)
    theirs = redis.Redis.from_url(feast_native.redis_url)
    keys = list(theirs.scan_iter(count=1000))
    assert len(keys) > 400
    assert sorted(keys) == sorted(k for k in ours.scan_iter(count=1000))
    for key in keys:
        assert ours.hgetall(key) == theirs.hgetall(key)
