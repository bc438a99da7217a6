"""The embedded store reads the current Delta version; the Spark store returns the same features."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.dataset as pads
import pytest

from sme_pulse.feature_store import get_feature_store
from sme_pulse.features.entity_frames import entity_frame, read_invoices
from sme_pulse.lakehouse.delta_io import delta_version
from sme_pulse.lakehouse.tables import table_path
from sme_pulse.settings import Settings
from tests.integration.lakehouse import build_lakehouse, invoice_row, write_csv


def test_a_merge_updated_table_returns_only_current_rows(spark, settings: Settings, tmp_path: Path) -> None:
    rows = [
        invoice_row("9100000001", "0200000777", "2019-03-01", "2019-03-16", "2019-03-20"),
        invoice_row("9100000002", "0200000777", "2019-03-25", "2019-04-09", None),
    ]
    build_lakehouse(settings, write_csv(tmp_path / "s.csv", rows))
    entities = entity_frame(read_invoices(settings).query("invoice_id == '9100000002'"))
    refs = ["customer_payment_behavior:customer_mean_delay_days"]
    before = get_feature_store(settings).get_historical_features(entity_df=entities, features=refs).to_df()
    assert before["customer_mean_delay_days"].tolist() == [4.0]

    path = table_path(settings, "ftr_customer_payment_behavior")
    version = delta_version(path)
    from delta.tables import DeltaTable

    DeltaTable.forPath(spark, str(path)).update(
        condition="customer_id = '200000777'", set={"customer_mean_delay_days": "99.0"}
    )
    assert delta_version(path) == (version or 0) + 1
    # The folder now holds the old and the new data files; plain parquet readers see both (the trap).
    stale = pads.dataset(str(path), format="parquet").to_table().to_pandas()
    assert stale["customer_mean_delay_days"].isin([4.0]).any() and stale["customer_mean_delay_days"].isin([99.0]).any()

    after = get_feature_store(settings).get_historical_features(entity_df=entities, features=refs).to_df()
    assert after["customer_mean_delay_days"].tolist() == [99.0]
    assert len(after) == len(before)


@pytest.mark.slow
def test_spark_and_embedded_offline_stores_return_identical_features(spark, settings: Settings, real_sample) -> None:
    build_lakehouse(settings, real_sample)
    entities = entity_frame(read_invoices(settings).sample(600, random_state=3))
    embedded_store = get_feature_store(settings)
    service = embedded_store.get_feature_service("payment_date_v1")
    embedded = embedded_store.get_historical_features(entity_df=entities, features=service).to_df()

    spark_settings = settings.model_copy(update={"offline_store": "spark"})
    spark_store = get_feature_store(spark_settings)
    assert type(spark_store.config.offline_store).__name__ == "SparkOfflineStoreConfig"
    on_spark = spark_store.get_historical_features(entity_df=entities, features=service).to_df()

    key = ["invoice_id"]
    embedded = embedded.sort_values(key).reset_index(drop=True)
    on_spark = on_spark.sort_values(key).reset_index(drop=True)[embedded.columns]
    assert len(embedded) == len(on_spark) == 600
    for column in embedded.columns:
        left, right = embedded[column], on_spark[column]
        if pd.api.types.is_datetime64_any_dtype(left) or column.endswith(("_known_at", "_date", "timestamp")):
            assert (pd.to_datetime(left, utc=True) == pd.to_datetime(right, utc=True)).all(), column
        elif pd.api.types.is_numeric_dtype(left) and not pd.api.types.is_bool_dtype(left):
            assert np.allclose(left.astype(float), right.astype(float), equal_nan=True), column
        else:
            assert (left.astype(str) == right.astype(str)).all(), column
