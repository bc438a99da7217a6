"""End to end on the real sample: train from Feast into a temporary MLflow store, promote, score to Gold."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from deltalake import DeltaTable

from sme_pulse.lakehouse.tables import table_path
from sme_pulse.settings import Settings
from tests.conftest import lakehouse_settings
from tests.integration.lakehouse import build_lakehouse
from training.pipeline import TrainResult, train
from training.registry import CHALLENGER, CHAMPION, configure_mlflow, load_model
from training.score import score_open_invoices


@pytest.fixture(scope="module")
def trained(
    tmp_path_factory: pytest.TempPathFactory, spark, real_sample: Path
) -> Iterator[tuple[Settings, TrainResult]]:
    with lakehouse_settings(tmp_path_factory.mktemp("training")) as settings:
        build_lakehouse(settings, real_sample)
        yield settings, train(settings)


def test_the_model_beats_both_baselines_on_the_real_sample(trained) -> None:
    _, result = trained
    m = result.metrics
    assert m["test_rows"] > 500 and m["train_rows"] > 2500
    assert m["test_mae"] < m["baseline_due_date_mae"]
    assert m["test_mae"] < m["baseline_customer_mean_mae"]
    assert 0.6 < m["test_interval_coverage"] <= 1.0
    assert result.promoted and result.alias == CHAMPION


def test_the_run_holds_metrics_params_dataset_plots_and_a_signed_model(trained) -> None:
    settings, result = trained
    client = configure_mlflow(settings)
    run = client.get_run(result.run_id)
    summary = result.summary()
    for name in (
        "test_mae",
        "test_rmse",
        "test_within_3d",
        "test_interval_coverage",
        "baseline_due_date_mae",
        "baseline_customer_mean_mae",
        "train_rows",
        "test_rows",
    ):
        assert run.data.metrics[name] == pytest.approx(summary[name])
    assert run.data.params["feature_service"] == "payment_date_v1"
    assert run.data.params["feast_project"] == "sme_pulse"
    assert int(run.data.params["delta_version.ftr_customer_payment_behavior"]) >= 0
    artifacts = {a.path for a in client.list_artifacts(result.run_id, "plots")}
    assert {"plots/residuals.png", "plots/predicted_vs_actual.png", "plots/feature_importance.png"} <= artifacts
    assert [i.dataset.name for i in run.inputs.dataset_inputs] == ["training_entities"]
    info = mlflow.models.get_model_info(f"models:/{settings.model_name}/{result.model_version}")
    assert info.signature is not None and info.saved_input_example_info is not None


def test_the_registered_champion_loads_back_and_predicts_like_the_trained_model(trained) -> None:
    settings, result = trained
    model, version = load_model(settings, CHAMPION)
    assert version == result.model_version
    example = mlflow.models.Model.load(f"models:/{settings.model_name}/{version}").load_input_example(
        mlflow.artifacts.download_artifacts(f"models:/{settings.model_name}/{version}")
    )
    predictions = model.predict(example)
    assert list(predictions.columns) == ["predicted_delay_days", "p10_delay_days", "p90_delay_days"]
    assert (predictions["p10_delay_days"] <= predictions["predicted_delay_days"]).all()
    assert (predictions["predicted_delay_days"] <= predictions["p90_delay_days"]).all()


def test_retraining_on_the_same_data_stays_challenger_and_says_why(trained) -> None:
    settings, first = trained
    second = train(settings)
    assert not second.promoted and second.alias == CHALLENGER
    assert any(f"champion v{first.model_version}" in reason for reason in second.reasons)
    _, champion_version = load_model(settings, CHAMPION)
    assert champion_version == first.model_version


def test_scoring_writes_one_row_per_open_invoice_per_model_version(trained) -> None:
    settings, _ = trained
    first = score_open_invoices(settings)
    again = score_open_invoices(settings)
    scores = DeltaTable(str(table_path(settings, "score_payment_pred"))).to_pandas()
    assert first.scored == again.scored == 683
    assert len(scores) == 683, "rescoring with the same model version replaces its rows"
    assert scores.groupby(["invoice_id", "model_version"]).size().max() == 1
    assert (pd.to_datetime(scores["expected_payment_date"]) >= pd.to_datetime(scores["as_of"])).all()
    challenger, version = load_model(settings, CHALLENGER)
    score_open_invoices(settings, model=(challenger, version))
    scores = DeltaTable(str(table_path(settings, "score_payment_pred"))).to_pandas()
    assert len(scores) == 2 * 683 and scores["model_version"].nunique() == 2
    priority = DeltaTable(str(table_path(settings, "score_ar_priority"))).to_pandas()
    assert len(priority) == 2 * 683
    assert sorted(priority.query(f"model_version == '{version}'")["priority_rank"]) == list(range(1, 684))


def test_gold_tables_exist_and_reconcile_with_silver(trained) -> None:
    from sme_pulse.bi.publish import gold_tables, publish
    from sme_pulse.bi.report import render
    from spark_jobs.gold.job import run as build_gold
    from training.score import score_backtest

    settings, _ = trained
    score_open_invoices(settings)
    assert score_backtest(settings) > 0
    first = build_gold(settings)
    assert not first.skipped
    silver = DeltaTable(str(table_path(settings, "stg_ar_invoices"))).to_pandas()
    fact = DeltaTable(str(table_path(settings, "fact_ar_invoices"))).to_pandas()
    assert len(fact) == len(silver) and fact["invoice_id"].is_unique
    assert fact["amount_vnd"].sum() == pytest.approx(silver["amount_vnd"].sum())
    assert fact["customer_sk"].notna().all(), "every invoice points at the customer version of its posting day"
    open_amount = silver.loc[silver["is_open"], "amount_vnd"].sum()
    aging = DeltaTable(str(table_path(settings, "kpi_ar_aging"))).to_pandas()
    assert aging["open_amount_vnd"].sum() == pytest.approx(open_amount)
    dso = DeltaTable(str(table_path(settings, "kpi_ar_dso_analysis"))).to_pandas().sort_values("date")
    assert dso["open_amount_vnd"].iloc[-1] == pytest.approx(open_amount), "last day's AR = today's open invoices"
    assert dso["paid_amount_vnd"].sum() == pytest.approx(silver.loc[~silver["is_open"], "amount_vnd"].sum())
    forecast = DeltaTable(str(table_path(settings, "uc_cash_flow_forecast"))).to_pandas()
    scores = DeltaTable(str(table_path(settings, "score_payment_pred"))).to_pandas()
    scores = scores[scores["model_version"] == first.model_version]
    in_window = pd.to_datetime(scores["expected_payment_date"]) < pd.Timestamp(first.as_of) + pd.Timedelta(days=90)
    assert forecast["expected_cash_in_vnd"].sum() == pytest.approx(scores.loc[in_window, "amount_vnd"].sum())
    high_risk = DeltaTable(str(table_path(settings, "uc_ar_high_risk"))).to_pandas()
    assert len(high_risk) == 683 and high_risk["priority_rank"].min() == 1
    customers = DeltaTable(str(table_path(settings, "dim_ar_customer"))).to_pandas()
    assert customers.groupby("customer_id")["is_current"].sum().eq(1).all(), "one current version per customer"

    again = build_gold(settings)
    assert again.tables["dim_ar_customer"] >= first.tables["dim_ar_customer"]
    rebuilt = DeltaTable(str(table_path(settings, "fact_ar_invoices"))).to_pandas()
    pd.testing.assert_frame_equal(
        fact.sort_values("invoice_id").reset_index(drop=True), rebuilt.sort_values("invoice_id").reset_index(drop=True)
    )

    import duckdb

    publication = publish(settings)
    with duckdb.connect(str(publication.path), read_only=True) as con:
        for name in gold_tables():
            assert con.sql(f'SELECT count(*) FROM "{name}"').fetchall()[0][0] == publication.tables[name]
        [(total,)] = con.sql("SELECT sum(open_amount_vnd) FROM kpi_ar_aging").fetchall()
        assert total == pytest.approx(open_amount)
        assert con.sql("SELECT count(*) FROM v_open_invoices").fetchall()[0][0] == 683
    dashboard = render(settings)
    page = dashboard.path.read_text()
    assert dashboard.charts == 4 and page.count("data:image/png;base64") == 4
    assert "Top collection priorities" in page and "<td>1</td>" in page
