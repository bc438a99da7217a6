"""``sme-pulse score``: every open invoice scored by the champion, written to Gold.

Features come from the same feature service, retrieved offline *as of now* (the pipeline's as-of day: the
day after the latest date known in Silver, or ``SME_PULSE_AS_OF``). Tables:

* ``gold/score_payment_pred``: predicted delay, payment date and its P10-P90 band per open invoice;
* ``gold/score_ar_priority``: a collection priority from amount, expected lateness and age, with its rank.

Both are MERGEd on (invoice_id, model_version): rescoring with the same model replaces its rows, a new
model version adds its own, so the history of what each model said is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from sme_pulse.errors import SourceUnavailableError
from sme_pulse.features.entity_frames import as_of_day, entity_frame, read_invoices
from sme_pulse.lakehouse.tables import table_path
from sme_pulse.settings import Settings
from training.model import PaymentDateModel
from training.registry import CHAMPION, load_model

if TYPE_CHECKING:
    from feast import FeatureStore

PRIORITY_BANDS = ((0.10, "high"), (0.40, "medium"), (1.00, "low"))


@dataclass(frozen=True)
class ScoreReport:
    as_of: date
    model_version: str
    scored: int
    payment_pred_version: int
    priority_version: int


def _add_days(dates: pd.Series, days: np.ndarray) -> pd.Series:
    return (pd.to_datetime(dates) + pd.to_timedelta(np.rint(days), unit="D")).dt.date


def compute_score_payment_pred(
    invoices: pd.DataFrame,
    features: pd.DataFrame,
    predictions: pd.DataFrame,
    *,
    model_name: str,
    model_version: str,
    feature_service: str,
    as_of: date,
    scored_at: datetime,
) -> pd.DataFrame:
    """One row per open invoice: predicted delay and dates (due date + delay, rounded to days).

    ``predicted_payment_date`` is the model's answer at posting; an invoice still open on the as-of day
    cannot be paid before it, so ``expected_payment_date`` is the later of the two and
    ``past_predicted_date`` flags invoices the customer is already paying later than predicted.
    """
    frame = invoices.set_index("invoice_id").loc[features["invoice_id"]].reset_index()
    predicted_date = _add_days(frame["due_date"], predictions["predicted_delay_days"].to_numpy())
    return pd.DataFrame(
        {
            "invoice_id": frame["invoice_id"].astype(str),
            "customer_id": frame["customer_id"].astype(str),
            "business_code": frame["business_code"].astype(str),
            "currency": frame["currency"].astype(str),
            "amount": frame["amount"].astype(float),
            "amount_vnd": frame["amount_vnd"].astype(float),
            "posting_date": pd.to_datetime(frame["posting_date"]).dt.date,
            "due_date": pd.to_datetime(frame["due_date"]).dt.date,
            "predicted_delay_days": predictions["predicted_delay_days"].to_numpy(dtype=float),
            "p10_delay_days": predictions["p10_delay_days"].to_numpy(dtype=float),
            "p90_delay_days": predictions["p90_delay_days"].to_numpy(dtype=float),
            "predicted_payment_date": predicted_date,
            "p10_payment_date": _add_days(frame["due_date"], predictions["p10_delay_days"].to_numpy()),
            "p90_payment_date": _add_days(frame["due_date"], predictions["p90_delay_days"].to_numpy()),
            "cold_start": features["customer_cleared_invoices"].fillna(0).to_numpy() == 0,
            # Still unpaid on the as-of day: payment cannot come earlier than that day.
            "expected_payment_date": predicted_date.where(predicted_date >= as_of, as_of),
            "past_predicted_date": predicted_date < as_of,
            "model_name": model_name,
            "model_version": str(model_version),
            "feature_service": feature_service,
            "as_of": as_of,
            "scored_at": pd.Timestamp(scored_at).tz_convert("UTC"),
        }
    )


def compute_score_ar_priority(scores: pd.DataFrame) -> pd.DataFrame:
    """Collection priority = size x expected lateness x age, ranked per model version (1 = call first).

    ``priority_score = log10(1 + amount_vnd) * (1 + expected_days_late / 7) * (1 + days_overdue / 30)``:
    a large invoice expected two weeks late that is already a month overdue comes before a small one due
    next week. ``expected_days_late`` is the predicted delay after the due date (0 if paid on time).
    """
    as_of = pd.to_datetime(scores["as_of"])
    due = pd.to_datetime(scores["due_date"])
    days_overdue = (as_of - due).dt.days.clip(lower=0)
    expected_late = scores["predicted_delay_days"].clip(lower=0)
    age = (as_of - pd.to_datetime(scores["posting_date"])).dt.days
    score = np.log10(1 + scores["amount_vnd"]) * (1 + expected_late / 7) * (1 + days_overdue / 30)
    out = scores[
        [
            "invoice_id",
            "customer_id",
            "business_code",
            "amount",
            "amount_vnd",
            "due_date",
            "predicted_payment_date",
            "model_name",
            "model_version",
            "as_of",
            "scored_at",
        ]
    ].copy()
    out["days_overdue"] = days_overdue.astype(np.int64)
    out["age_days"] = age.astype(np.int64)
    out["expected_days_late"] = expected_late.astype(float)
    out["priority_score"] = score.astype(float)
    out["priority_rank"] = out.groupby("model_version")["priority_score"].rank(method="first", ascending=False)
    out["priority_rank"] = out["priority_rank"].astype(np.int64)
    share = out["priority_rank"] / out.groupby("model_version")["priority_rank"].transform("max")
    out["priority_band"] = np.select(
        [share <= cut for cut, _ in PRIORITY_BANDS], [b for _, b in PRIORITY_BANDS], default="low"
    )
    return out.sort_values(["model_version", "priority_rank"]).reset_index(drop=True)


def merge_by_model_version(frame: pd.DataFrame, path: str) -> int:
    """Upsert rows keyed by (invoice_id, model_version) with delta-rs; returns the new table version."""
    from deltalake import DeltaTable, write_deltalake

    table = pa.Table.from_pandas(frame, preserve_index=False)
    # Delta stores microseconds; cast explicitly rather than rely on the writer.
    table = table.cast(
        pa.schema(
            [
                pa.field(f.name, pa.timestamp("us", tz="UTC")) if pa.types.is_timestamp(f.type) else f
                for f in table.schema
            ]
        )
    )
    if not DeltaTable.is_deltatable(path):
        write_deltalake(path, table, mode="overwrite")
    else:
        (
            DeltaTable(path)
            .merge(
                table,
                predicate="t.invoice_id = s.invoice_id AND t.model_version = s.model_version",
                source_alias="s",
                target_alias="t",
                merge_schema=True,  # a column added by a newer release appears instead of being dropped
            )
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute()
        )
    return int(DeltaTable(path).version())


def score_open_invoices(
    settings: Settings,
    store: FeatureStore | None = None,
    model: tuple[PaymentDateModel, str] | None = None,
) -> ScoreReport:
    from sme_pulse.feature_store import get_feature_store

    store = store or get_feature_store(settings)
    champion, version = model or load_model(settings, CHAMPION)
    invoices = read_invoices(settings)
    as_of = as_of_day(settings, invoices)
    open_invoices = invoices[invoices["is_open"]].reset_index(drop=True)
    if open_invoices.empty:
        raise SourceUnavailableError("There are no open invoices in Silver to score.")
    entities = entity_frame(open_invoices)
    entities["event_timestamp"] = pd.Timestamp(as_of, tz="UTC")
    service = store.get_feature_service(champion.spec.feature_service)
    features = store.get_historical_features(entity_df=entities, features=service).to_df()
    predictions = champion.predict(features)
    scores = compute_score_payment_pred(
        open_invoices,
        features,
        predictions,
        model_name=settings.model_name,
        model_version=version,
        feature_service=champion.spec.feature_service,
        as_of=as_of,
        scored_at=datetime.now(UTC),
    )
    priority = compute_score_ar_priority(scores)
    pred_version = merge_by_model_version(scores, str(table_path(settings, "score_payment_pred")))
    priority_version = merge_by_model_version(priority, str(table_path(settings, "score_ar_priority")))
    return ScoreReport(as_of, version, len(scores), pred_version, priority_version)


BACKTEST_DAYS = 180


def compute_score_backtest(
    invoices: pd.DataFrame,
    features: pd.DataFrame,
    predictions: pd.DataFrame,
    *,
    model_version: str,
    test_start: date | None,
    scored_at: datetime,
) -> pd.DataFrame:
    """Paid invoices with what the model would have said at posting, next to what happened."""
    frame = invoices.set_index("invoice_id").loc[features["invoice_id"]].reset_index()
    predicted = predictions["predicted_delay_days"].to_numpy(dtype=float)
    actual = frame["delay_days"].to_numpy(dtype=float)
    posting = pd.to_datetime(frame["posting_date"]).dt.date
    return pd.DataFrame(
        {
            "invoice_id": frame["invoice_id"].astype(str),
            "customer_id": frame["customer_id"].astype(str),
            "business_code": frame["business_code"].astype(str),
            "amount_vnd": frame["amount_vnd"].astype(float),
            "posting_date": posting,
            "due_date": pd.to_datetime(frame["due_date"]).dt.date,
            "clear_date": pd.to_datetime(frame["clear_date"]).dt.date,
            "actual_delay_days": actual,
            "predicted_delay_days": predicted,
            "predicted_payment_date": _add_days(frame["due_date"], predicted),
            "abs_error_days": np.abs(predicted - actual),
            # Invoices posted before the model's test window were in its training data: in-sample.
            "out_of_sample": [test_start is not None and p >= test_start for p in posting],
            "model_version": str(model_version),
            "scored_at": pd.Timestamp(scored_at).tz_convert("UTC"),
        }
    )


def score_backtest(
    settings: Settings,
    store: FeatureStore | None = None,
    model: tuple[PaymentDateModel, str] | None = None,
    days: int = BACKTEST_DAYS,
) -> int:
    """Score invoices paid in the last ``days`` days as of their posting (model monitoring, anomalies)."""
    from sme_pulse.feature_store import get_feature_store
    from training.registry import configure_mlflow

    store = store or get_feature_store(settings)
    champion, version = model or load_model(settings, CHAMPION)
    invoices = read_invoices(settings)
    as_of = as_of_day(settings, invoices)
    recent = invoices[
        ~invoices["is_open"] & (pd.to_datetime(invoices["clear_date"]) >= pd.Timestamp(as_of) - pd.Timedelta(days=days))
    ]
    if recent.empty:
        return 0
    recent = recent.reset_index(drop=True)
    service = store.get_feature_service(champion.spec.feature_service)
    features = store.get_historical_features(entity_df=entity_frame(recent), features=service).to_df()
    client = configure_mlflow(settings)
    run_id = client.get_model_version(settings.model_name, version).run_id
    test_start = client.get_run(run_id).data.params.get("split.test_start") if run_id else None
    backtest = compute_score_backtest(
        recent,
        features,
        champion.predict(features),
        model_version=version,
        test_start=date.fromisoformat(test_start) if test_start else None,
        scored_at=datetime.now(UTC),
    )
    merge_by_model_version(backtest, str(table_path(settings, "score_payment_backtest")))
    return len(backtest)
