"""No leakage: Feast historical retrieval over the Delta feature tables is point-in-time correct."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sme_pulse.feature_store import get_feature_store
from sme_pulse.features.entity_frames import entity_frame, read_invoices
from sme_pulse.settings import Settings
from tests.integration.lakehouse import build_lakehouse, invoice_row, write_csv

AUDIT = [
    "customer_payment_behavior:customer_cleared_invoices",
    "customer_payment_behavior:customer_mean_delay_days",
    "customer_payment_behavior:customer_last_payment_epoch_day",
    "customer_payment_behavior:customer_history_known_at",
    "customer_open_ar:customer_open_invoices",
    "customer_open_ar:customer_open_ar_known_at",
    "business_payment_behavior:business_cleared_invoices",
    "business_payment_behavior:business_history_known_at",
]


@pytest.fixture
def scenario(settings: Settings, tmp_path: Path) -> Settings:
    """Customer C: invoice 1 posted day 1, cleared late on day 20; invoice 2 posted day 10; invoice 3 day 25."""
    rows = [
        invoice_row("9000000001", "0200000777", "2019-03-01", "2019-03-16", "2019-03-20"),
        invoice_row("9000000002", "200000777", "2019-03-10", "2019-03-25", "2019-04-01"),
        invoice_row("9000000003", "0200000777", "2019-03-25", "2019-04-09", None),
        invoice_row("9000000004", "0200000888", "2019-03-20", "2019-04-04", "2019-03-21"),
    ]
    build_lakehouse(settings, write_csv(tmp_path / "scenario.csv", rows))
    return settings


def _features(settings: Settings, invoice_ids: list[str], refs: list[str]) -> pd.DataFrame:
    invoices = read_invoices(settings)
    entities = entity_frame(invoices[invoices["invoice_id"].isin(invoice_ids)])
    store = get_feature_store(settings)
    return store.get_historical_features(entity_df=entities, features=refs).to_df().set_index("invoice_id")


def test_an_invoice_never_sees_a_payment_cleared_after_its_posting_day(scenario: Settings) -> None:
    features = _features(scenario, ["9000000002", "9000000003"], AUDIT)
    before, after = features.loc["9000000002"], features.loc["9000000003"]
    # Invoice 2 (posted day 10) must not see invoice 1's payment (cleared day 20) ...
    assert pd.isna(before["customer_cleared_invoices"]) or before["customer_cleared_invoices"] == 0
    assert pd.isna(before["customer_mean_delay_days"])
    # ... invoice 3 (posted day 25) must: one payment, 4 days late (due 16th, cleared 20th).
    assert after["customer_cleared_invoices"] == 1
    assert after["customer_mean_delay_days"] == 4.0
    assert after["customer_last_payment_epoch_day"] == (pd.Timestamp("2019-03-20") - pd.Timestamp(0)).days
    # Open exposure at day 25 00:00: invoice 2 (posted day 10, cleared Apr 1) is open; invoice 3 itself is not yet.
    assert after["customer_open_invoices"] == 1


def test_the_business_fallback_is_point_in_time_too(scenario: Settings) -> None:
    features = _features(scenario, ["9000000002", "9000000003"], AUDIT)
    # Business U001 at day 10: nothing cleared yet; at day 25: invoices 1 (Mar 20) and 4 (Mar 21) cleared.
    assert pd.isna(features.loc["9000000002", "business_cleared_invoices"])
    assert features.loc["9000000003", "business_cleared_invoices"] == 2


def test_every_contributing_event_is_strictly_earlier_on_the_real_sample(settings: Settings, real_sample) -> None:
    build_lakehouse(settings, real_sample)
    invoices = read_invoices(settings, is_open=False)
    entities = entity_frame(invoices)
    store = get_feature_store(settings)
    features = store.get_historical_features(entity_df=entities, features=AUDIT).to_df()
    assert len(features) == len(entities) == 4505
    ts = features["event_timestamp"]
    for known_at in ("customer_history_known_at", "customer_open_ar_known_at", "business_history_known_at"):
        stamped = features[known_at].notna()
        assert (features.loc[stamped, known_at] <= ts[stamped]).all(), known_at
    posting_day = (ts - pd.Timestamp(0, tz="UTC")).dt.days
    paid = features["customer_last_payment_epoch_day"].notna()
    assert (features.loc[paid, "customer_last_payment_epoch_day"] < posting_day[paid]).all()

    # Brute force: the count of the customer's invoices cleared on a day strictly before posting.
    cleared = invoices[["customer_id", "clear_date", "delay_days"]]
    merged = features[["invoice_id", "customer_id", "posting_date"]].merge(cleared, on="customer_id")
    merged = merged[pd.to_datetime(merged["clear_date"]).dt.tz_localize("UTC") < merged["posting_date"]]
    expected = merged.groupby("invoice_id").agg(n=("delay_days", "size"), mean=("delay_days", "mean"))
    got = features.set_index("invoice_id")
    counts = got["customer_cleared_invoices"].fillna(0).astype(int)
    assert counts.to_dict() == expected["n"].reindex(got.index, fill_value=0).to_dict()
    assert np.allclose(got.loc[expected.index, "customer_mean_delay_days"], expected["mean"])


def test_rebuilding_features_and_retrieving_again_gives_identical_frames(settings: Settings, real_sample) -> None:
    from spark_jobs.features.job import run as build_features

    build_lakehouse(settings, real_sample)
    entities = entity_frame(read_invoices(settings).sample(800, random_state=1))
    store = get_feature_store(settings)
    service = store.get_feature_service("payment_date_v1")
    first = store.get_historical_features(entity_df=entities, features=service).to_df()
    report = build_features(settings)
    assert all(stats.inserted == 0 and stats.updated == 0 for stats in report.tables.values())
    second = get_feature_store(settings).get_historical_features(entity_df=entities, features=service).to_df()
    pd.testing.assert_frame_equal(first, second)
