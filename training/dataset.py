"""The training set: cleared invoices as Feast entity rows, features only from the feature service.

Entity rows = cleared invoices (invoice, customer, business_code, event timestamp = posting date 00:00 UTC)
plus the request fields the on-demand views read; the label is ``delay_days`` (payment date = due date +
delay). The split is by posting date: train on the past, validate on the next window, test on the last.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from sme_pulse.errors import DataQualityError
from sme_pulse.features.entity_frames import entity_frame, read_invoices
from sme_pulse.lakehouse.delta_io import delta_version
from sme_pulse.lakehouse.tables import table_path
from sme_pulse.settings import Settings
from training.model_input import service_feature_names

if TYPE_CHECKING:
    from feast import FeatureStore

LABEL = "delay_days"
SOURCE_TABLES = (
    "stg_ar_invoices",
    "ftr_customer_payment_behavior",
    "ftr_customer_open_ar",
    "ftr_business_payment_behavior",
)
MIN_TRAINING_ROWS = 200


@dataclass(frozen=True)
class TrainingSet:
    entities: pd.DataFrame  # entity rows + label, as sent to Feast
    features: pd.DataFrame  # the retrieved feature frame (entity columns + every service column)
    feature_names: list[str]  # model features of the service, in service order
    delta_versions: dict[str, int | None]


@dataclass(frozen=True)
class Split:
    train: pd.Index
    valid: pd.Index
    test: pd.Index
    valid_start: pd.Timestamp
    test_start: pd.Timestamp


def load_training_set(settings: Settings, store: FeatureStore) -> TrainingSet:
    """Retrieve point-in-time features for every cleared invoice through ``settings.feature_service``."""
    invoices = read_invoices(settings, is_open=False)
    if len(invoices) < MIN_TRAINING_ROWS:
        raise DataQualityError(
            f"Only {len(invoices)} cleared invoices in Silver; training needs at least {MIN_TRAINING_ROWS}.",
            hint="Land more history (`sme-pulse ingest ...`) and rebuild Silver and the features.",
        )
    entities = entity_frame(invoices)
    entities[LABEL] = invoices[LABEL].astype(float).to_numpy()
    service = store.get_feature_service(settings.feature_service)
    features = store.get_historical_features(entity_df=entities, features=service).to_df()
    refs = [f"{p.name_to_use()}:{f.name}" for p in service.feature_view_projections for f in p.features]
    versions = {name: delta_version(table_path(settings, name)) for name in SOURCE_TABLES}
    return TrainingSet(entities, features, service_feature_names(refs), versions)


def time_split(posting: pd.Series, valid_share: float = 0.15, test_share: float = 0.15) -> Split:
    """Chronological split on posting date; a day never straddles two windows."""
    days = pd.to_datetime(posting).dt.normalize()
    ordered = days.sort_values()
    valid_start = ordered.iloc[int(len(ordered) * (1 - valid_share - test_share))]
    test_start = ordered.iloc[int(len(ordered) * (1 - test_share))]
    if not valid_start < test_start:
        raise DataQualityError("Too few distinct posting days for a train / validation / test split in time.")
    return Split(
        train=days.index[days < valid_start],
        valid=days.index[(days >= valid_start) & (days < test_start)],
        test=days.index[days >= test_start],
        valid_start=valid_start,
        test_start=test_start,
    )
