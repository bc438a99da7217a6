"""Promotion rules, evaluation baselines and the score/priority transforms on hand-made numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd

from training.evaluate import evaluate
from training.model_input import FeatureSpec, to_model_input
from training.registry import CHALLENGER, CHAMPION, decide_promotion
from training.score import compute_score_ar_priority, compute_score_payment_pred

GOOD = {"test_mae": 3.0, "baseline_due_date_mae": 4.3, "baseline_customer_mean_mae": 4.0, "test_interval_coverage": 0.8}


def test_a_model_beating_both_baselines_becomes_the_first_champion() -> None:
    decision = decide_promotion(GOOD, champion_mae=None)
    assert decision.promoted and decision.alias == CHAMPION


def test_a_model_not_beating_the_champion_stays_challenger_and_says_why() -> None:
    decision = decide_promotion(GOOD, champion_mae=3.0, champion_version="4")
    assert not decision.promoted and decision.alias == CHALLENGER
    assert "champion v4" in decision.reasons[0]


def test_a_model_worse_than_the_due_date_baseline_is_never_promoted() -> None:
    decision = decide_promotion(GOOD | {"test_mae": 4.2}, champion_mae=None)
    assert not decision.promoted
    assert any("due-date baseline" in reason for reason in decision.reasons)
    assert any("customer-mean baseline" in reason for reason in decision.reasons)


def test_baselines_use_the_customer_mean_then_the_business_mean() -> None:
    features = pd.DataFrame(
        {
            "business_code": ["U001", "U001"],
            "customer_cleared_invoices": [5, np.nan],
            "customer_mean_delay_days": [2.0, np.nan],
            "business_mean_delay_days": [1.0, 1.0],
        }
    )
    actual = pd.Series([4.0, -1.0])
    predictions = pd.DataFrame(
        {"predicted_delay_days": [4.0, -1.0], "p10_delay_days": [0.0, -3.0], "p90_delay_days": [5.0, 0.0]}
    )
    metrics = evaluate(features, actual, predictions).metrics
    assert metrics["test_mae"] == 0.0 and metrics["test_interval_coverage"] == 1.0
    assert metrics["baseline_due_date_mae"] == 2.5
    assert metrics["baseline_customer_mean_mae"] == 2.0  # |2-4| and |1-(-1)|


def test_model_input_fixes_order_types_and_unknown_categories() -> None:
    spec = FeatureSpec(numeric=("a", "b"), categorical={"terms": ("NAA8", "NAH4")})
    frame = pd.DataFrame({"b": ["1", None], "terms": ["NAH4", "ZZZZ"], "a": [1, 2], "extra": [0, 0]})
    matrix = to_model_input(frame, spec)
    assert matrix.dtype == np.float64 and matrix.shape == (2, 3)
    np.testing.assert_array_equal(matrix[0], [1.0, 1.0, 1.0])  # a, b, code of NAH4
    assert matrix[1, 0] == 2.0 and np.isnan(matrix[1, 1]) and np.isnan(matrix[1, 2]), "unknown code -> missing"


def test_a_dict_of_lists_and_a_dataframe_give_the_same_model_input() -> None:
    spec = FeatureSpec(numeric=("a", "b"), categorical={"terms": ("NAA8", "NAH4")})
    columns = {"a": [1, None, 3.5], "b": [0.0, 2.0, None], "terms": ["NAA8", None, "NEW"]}
    np.testing.assert_array_equal(to_model_input(columns, spec), to_model_input(pd.DataFrame(columns), spec))


def test_scores_give_dates_from_the_due_date_and_never_before_as_of() -> None:
    invoices = pd.DataFrame(
        {
            "invoice_id": ["1", "2"],
            "customer_id": ["c", "d"],
            "business_code": ["U001", "U001"],
            "currency": ["USD", "USD"],
            "amount": [100.0, 1_000_000.0],
            "amount_vnd": [2.3e6, 2.3e10],
            "posting_date": [date(2020, 1, 1), date(2020, 4, 1)],
            "due_date": [date(2020, 1, 16), date(2020, 4, 16)],
        }
    )
    features = pd.DataFrame({"invoice_id": ["2", "1"], "customer_cleared_invoices": [3, np.nan]})
    predictions = pd.DataFrame(
        {"predicted_delay_days": [10.2, 3.0], "p10_delay_days": [2.0, 0.0], "p90_delay_days": [20.0, 6.0]}
    )
    scores = compute_score_payment_pred(
        invoices,
        features,
        predictions,
        model_name="m",
        model_version="7",
        feature_service="fs",
        as_of=date(2020, 5, 1),
        scored_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    first = scores.set_index("invoice_id").loc["2"]
    assert first["predicted_payment_date"] == date(2020, 4, 26)
    assert first["expected_payment_date"] == date(2020, 5, 1) and first["past_predicted_date"]
    assert scores.set_index("invoice_id").loc["1", "cold_start"]

    priority = compute_score_ar_priority(scores).set_index("invoice_id")
    assert priority.loc["1", "days_overdue"] == 106 and priority.loc["2", "days_overdue"] == 15
    # log10(1 + amount_vnd) * (1 + late / 7) * (1 + overdue / 30), by hand:
    expected = {
        "1": np.log10(1 + 2.3e6) * (1 + 3 / 7) * (1 + 106 / 30),
        "2": np.log10(1 + 2.3e10) * (1 + 10.2 / 7) * 1.5,
    }
    for invoice, value in expected.items():
        assert np.isclose(priority.loc[invoice, "priority_score"], value)
    assert priority.sort_values("priority_rank").index.tolist() == sorted(expected, key=expected.get, reverse=True)
