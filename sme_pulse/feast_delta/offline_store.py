"""A Feast offline store that reads Delta tables correctly, embedded and offline.

Why a plugin: Feast's ``file`` (dask) store reads a Delta folder as plain parquet and ignores the Delta log,
so after an overwrite or a MERGE it returns rows that are no longer in the table; Feast's ``duckdb`` store
reads Delta through DuckDB's ``delta`` extension, which it downloads at run time. This store resolves each
table's *current* snapshot through delta-rs (``deltalake``), hands the snapshot's files to DuckDB as an
Arrow dataset (projection and filter push-down, no copy), and runs the point-in-time join as a DuckDB
``ASOF LEFT JOIN``: for every entity row, the latest feature row with ``event_timestamp <= entity
timestamp`` (ties broken by the latest ``created_timestamp``), dropped when older than the view's TTL.

Sources: the feature repo declares ``SparkSource(path=..., table_format=DeltaFormat())`` so the very same
definitions also run on Feast's Spark offline store (``SME_PULSE_OFFLINE_STORE=spark``). ``FileSource``
over Delta or parquet is accepted too.

Configure with ``offline_store: {type: sme_pulse.feast_delta.offline_store.DeltaOfflineStore}``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
from feast.data_source import DataSource
from feast.errors import DataSourceNotFoundException, InvalidEntityType
from feast.feature_view import FeatureView
from feast.infra.offline_stores import offline_utils
from feast.infra.offline_stores.offline_store import OfflineStore, RetrievalJob, RetrievalMetadata
from feast.infra.registry.base_registry import BaseRegistry
from feast.on_demand_feature_view import OnDemandFeatureView
from feast.repo_config import FeastConfigBaseModel, RepoConfig
from feast.saved_dataset import SavedDatasetStorage

ENTITY_ROW = "__sme_entity_row"


class DeltaOfflineStoreConfig(FeastConfigBaseModel):
    """``offline_store`` section of feature_store.yaml for :class:`DeltaOfflineStore`."""

    type: Literal["sme_pulse.feast_delta.offline_store.DeltaOfflineStore"] = (
        "sme_pulse.feast_delta.offline_store.DeltaOfflineStore"
    )
    threads: int | None = None
    """DuckDB worker threads (default: all cores)."""
    memory_limit: str | None = None
    """DuckDB memory limit, e.g. ``8GB`` (default: DuckDB's 80 % of RAM)."""


# ---------------------------------------------------------------------------------------------- sources
@dataclass(frozen=True)
class _Snapshot:
    """One readable version of a source: the Arrow dataset plus, for Delta, the version it came from."""

    dataset: pads.Dataset
    delta_version: int | None


def source_path(data_source: DataSource, repo_path: Path | None) -> tuple[str, bool]:
    """(path, is_delta) for the source kinds this store reads; a clear error for the others."""
    path = getattr(data_source, "path", None)
    if not path:
        raise ValueError(
            f"Data source {data_source.name!r} ({type(data_source).__name__}) has no path: the Delta offline "
            "store reads path-based sources (SparkSource(path=..., table_format=DeltaFormat()) or FileSource)."
        )
    table_format = getattr(data_source, "table_format", None)
    file_format = getattr(data_source, "file_format", None)
    is_delta = (table_format is not None and "delta" in str(getattr(table_format, "format_type", "")).lower()) or (
        file_format is not None and type(file_format).__name__ == "DeltaFormat"
    )
    resolved = Path(path)
    if not resolved.is_absolute() and repo_path is not None:
        resolved = Path(repo_path) / resolved
    return str(resolved), is_delta


def read_snapshot(data_source: DataSource, repo_path: Path | None = None) -> _Snapshot:
    """The current snapshot of the source (Delta: the latest committed version, never stale files)."""
    path, is_delta = source_path(data_source, repo_path)
    if is_delta or (Path(path) / "_delta_log").is_dir():
        from deltalake import DeltaTable
        from deltalake.exceptions import TableNotFoundError

        try:
            table = DeltaTable(path)
        except TableNotFoundError as exc:
            raise DataSourceNotFoundException(path) from exc
        return _Snapshot(table.to_pyarrow_dataset(), int(table.version()))
    if not Path(path).exists():
        raise DataSourceNotFoundException(path)
    return _Snapshot(pads.dataset(path, format="parquet"), None)


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@contextlib.contextmanager
def duckdb_connection(config: RepoConfig) -> Iterator[duckdb.DuckDBPyConnection]:
    store_config = config.offline_store
    con = duckdb.connect(":memory:")
    try:
        con.sql("SET TimeZone = 'UTC'")
        threads = getattr(store_config, "threads", None) or os.cpu_count() or 1
        con.sql(f"SET threads = {int(threads)}")
        memory_limit = getattr(store_config, "memory_limit", None)
        if memory_limit:
            con.sql(f"SET memory_limit = '{memory_limit}'")
        yield con
    finally:
        con.close()


# ------------------------------------------------------------------------------------------ retrieval job
class DeltaRetrievalJob(RetrievalJob):
    """A deferred query: nothing is read until ``to_df`` / ``to_arrow`` runs it."""

    def __init__(
        self,
        query: Callable[[], pa.Table],
        full_feature_names: bool,
        on_demand_feature_views: list[OnDemandFeatureView] | None = None,
        metadata: RetrievalMetadata | None = None,
    ) -> None:
        self._query = query
        self._full_feature_names = full_feature_names
        self._on_demand_feature_views = on_demand_feature_views or []
        self._metadata = metadata

    @property
    def full_feature_names(self) -> bool:
        return self._full_feature_names

    @property
    def on_demand_feature_views(self) -> list[OnDemandFeatureView]:
        return self._on_demand_feature_views

    @property
    def metadata(self) -> RetrievalMetadata | None:
        return self._metadata

    def _to_arrow_internal(self, timeout: int | None = None) -> pa.Table:
        return self._query()

    def _to_df_internal(self, timeout: int | None = None) -> pd.DataFrame:
        return self._query().to_pandas()

    def persist(
        self,
        storage: SavedDatasetStorage,
        allow_overwrite: bool = False,
        timeout: int | None = None,
    ) -> None:
        """Save the result (with on-demand features) as parquet for Feast saved datasets."""
        from feast.infra.offline_stores.file_source import SavedDatasetFileStorage

        if not isinstance(storage, SavedDatasetFileStorage):
            raise ValueError("DeltaRetrievalJob persists to SavedDatasetFileStorage (a parquet path) only")
        target = Path(storage.file_options.uri)
        if target.exists() and not allow_overwrite:
            from feast.errors import SavedDatasetLocationAlreadyExists

            raise SavedDatasetLocationAlreadyExists(location=str(target))
        import pyarrow.parquet as pq

        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(self.to_arrow(), target)


# ----------------------------------------------------------------------------------------- the store
class DeltaOfflineStore(OfflineStore):
    """Embedded offline store: Delta snapshots via delta-rs, point-in-time joins in DuckDB."""

    def validate_data_source(self, config: RepoConfig, data_source: DataSource) -> None:
        snapshot = read_snapshot(data_source, config.repo_path)
        columns = set(snapshot.dataset.schema.names)
        required = {data_source.timestamp_field} | (
            {data_source.created_timestamp_column} if data_source.created_timestamp_column else set()
        )
        missing = sorted(c for c in required if c and c not in columns)
        if missing:
            raise ValueError(
                f"Data source {data_source.name!r} at {source_path(data_source, config.repo_path)[0]} lacks "
                f"column(s) {', '.join(missing)}; it has {', '.join(sorted(columns))}."
            )

    def get_table_column_names_and_types_from_data_source(
        self, config: RepoConfig, data_source: DataSource
    ) -> list[tuple[str, str]]:
        schema = read_snapshot(data_source, config.repo_path).dataset.schema
        return [(field.name, str(field.type)) for field in schema]

    @staticmethod
    def pull_latest_from_table_or_query(
        config: RepoConfig,
        data_source: DataSource,
        join_key_columns: list[str],
        feature_name_columns: list[str],
        timestamp_field: str,
        created_timestamp_column: str | None,
        start_date: datetime,
        end_date: datetime,
    ) -> RetrievalJob:
        """Latest row per entity with ``start_date <= event_timestamp <= end_date`` (materialization)."""
        columns = _unique([*join_key_columns, *feature_name_columns, timestamp_field, created_timestamp_column])
        order = [f"{quote_identifier(timestamp_field)} DESC"] + (
            [f"{quote_identifier(created_timestamp_column)} DESC NULLS LAST"] if created_timestamp_column else []
        )
        partition = ", ".join(quote_identifier(c) for c in join_key_columns) or "1"

        def query() -> pa.Table:
            with duckdb_connection(config) as con:
                con.register("src", read_snapshot(data_source, config.repo_path).dataset)
                return con.sql(
                    f"""
                    SELECT {", ".join(quote_identifier(c) for c in columns)} FROM src
                    WHERE {quote_identifier(timestamp_field)} BETWEEN $start AND $end
                    QUALIFY row_number() OVER (PARTITION BY {partition} ORDER BY {", ".join(order)}) = 1
                    """,
                    params={"start": start_date, "end": end_date},
                ).to_arrow_table()

        return DeltaRetrievalJob(query, full_feature_names=False)

    @staticmethod
    def pull_all_from_table_or_query(
        config: RepoConfig,
        data_source: DataSource,
        join_key_columns: list[str],
        feature_name_columns: list[str],
        timestamp_field: str,
        created_timestamp_column: str | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
    ) -> RetrievalJob:
        """Every row in the time range (used by Feast for offline pulls and some materialization paths)."""
        columns = _unique([*join_key_columns, *feature_name_columns, timestamp_field, created_timestamp_column])
        conditions, params = [], {}
        if start_date is not None:
            conditions.append(f"{quote_identifier(timestamp_field)} >= $start")
            params["start"] = start_date
        if end_date is not None:
            conditions.append(f"{quote_identifier(timestamp_field)} <= $end")
            params["end"] = end_date
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""

        def query() -> pa.Table:
            with duckdb_connection(config) as con:
                con.register("src", read_snapshot(data_source, config.repo_path).dataset)
                return con.sql(
                    f"SELECT {', '.join(quote_identifier(c) for c in columns)} FROM src {where}", params=params
                ).to_arrow_table()

        return DeltaRetrievalJob(query, full_feature_names=False)

    @staticmethod
    def get_historical_features(
        config: RepoConfig,
        feature_views: list[FeatureView],
        feature_refs: list[str],
        entity_df: pd.DataFrame | str | None,
        registry: BaseRegistry,
        project: str,
        full_feature_names: bool = False,
        **kwargs: Any,
    ) -> RetrievalJob:
        if not isinstance(entity_df, pd.DataFrame):
            raise InvalidEntityType(type(entity_df))
        entity_schema = dict(zip(entity_df.columns, entity_df.dtypes, strict=True))
        ts_column = offline_utils.infer_event_timestamp_from_entity_df(entity_schema)
        entities = entity_df.copy()
        entities[ts_column] = pd.to_datetime(entities[ts_column], utc=True)
        plans = [_ViewPlan.build(view, feature_refs, full_feature_names) for view in feature_views]
        plans = [plan for plan in plans if plan.features]
        odfvs = OnDemandFeatureView.get_requested_odfvs(feature_refs, project, registry)
        metadata = RetrievalMetadata(
            features=feature_refs,
            keys=[c for c in entities.columns if c != ts_column],
            min_event_timestamp=entities[ts_column].min().to_pydatetime() if len(entities) else None,
            max_event_timestamp=entities[ts_column].max().to_pydatetime() if len(entities) else None,
        )

        def query() -> pa.Table:
            return _point_in_time_join(config, entities, ts_column, plans)

        return DeltaRetrievalJob(query, full_feature_names, odfvs, metadata)

    @staticmethod
    def offline_write_batch(
        config: RepoConfig,
        feature_view: FeatureView,
        table: pa.Table,
        progress: Callable[[int], Any] | None,
    ) -> None:
        """Append rows (e.g. from a push source) to the view's Delta table, schema-checked by delta-rs."""
        from deltalake import write_deltalake

        source = _batch_source(feature_view)
        path, is_delta = source_path(source, config.repo_path)
        if not is_delta:
            raise ValueError(f"offline writes need a Delta source; {source.name} is not one")
        write_deltalake(path, table, mode="append")
        if progress:
            progress(table.num_rows)


# ------------------------------------------------------------------------------------ point-in-time join
@dataclass(frozen=True)
class _ViewPlan:
    """How one feature view is read: its source, key/feature column mapping, TTL and output names."""

    view: FeatureView
    source: DataSource
    keys: list[tuple[str, str]]  # (source column, entity column)
    features: list[tuple[str, str]]  # (source column, output column)
    ttl: timedelta | None

    @staticmethod
    def build(view: FeatureView, feature_refs: list[str], full_feature_names: bool) -> _ViewPlan:
        name = view.projection.name_to_use()
        wanted = [ref.split(":", 1)[1] for ref in feature_refs if ref.split(":", 1)[0] == name]
        source = _batch_source(view)
        source_columns = {v: k for k, v in (source.field_mapping or {}).items()}
        keys = []
        for column in view.entity_columns:
            entity_column = view.projection.join_key_map.get(column.name, column.name)
            keys.append((source_columns.get(column.name, column.name), entity_column))
        features = [
            (source_columns.get(feature, feature), f"{name}__{feature}" if full_feature_names else feature)
            for feature in wanted
        ]
        ttl = view.ttl if view.ttl and view.ttl.total_seconds() > 0 else None
        return _ViewPlan(view, source, keys, features, ttl)


def _point_in_time_join(config: RepoConfig, entities: pd.DataFrame, ts_column: str, plans: list[_ViewPlan]) -> pa.Table:
    q = quote_identifier
    entity_table = pa.Table.from_pandas(entities, preserve_index=False)
    with duckdb_connection(config) as con:
        con.register("entity_input", entity_table)
        con.sql(f"CREATE TEMP TABLE entity AS SELECT *, row_number() OVER () AS {ENTITY_ROW} FROM entity_input")
        [(min_ts, max_ts)] = con.sql(f"SELECT min({q(ts_column)}), max({q(ts_column)}) FROM entity").fetchall()
        selects, joins = [f"e.{q(c)}" for c in entities.columns], []
        for i, plan in enumerate(plans):
            source = plan.source
            src, ts, alias = f"src_{i}", f"__ts_{i}", f"fv_{i}"
            con.register(src, read_snapshot(source, config.repo_path).dataset)
            created = source.created_timestamp_column
            lower = (min_ts - plan.ttl) if (plan.ttl and min_ts is not None) else None
            where = [f"{q(source.timestamp_field)} <= $max_ts"] + (
                [f"{q(source.timestamp_field)} >= $min_ts"] if lower is not None else []
            )
            dedupe = ""
            if created:
                partition = ", ".join([q(k) for k, _ in plan.keys] + [q(source.timestamp_field)])
                dedupe = f"QUALIFY row_number() OVER (PARTITION BY {partition} ORDER BY {q(created)} DESC) = 1"
            columns = [f"{q(k)} AS {q(e)}" for k, e in plan.keys] + [f"{q(source.timestamp_field)} AS {ts}"]
            columns += [f"{q(s)} AS {q(f'__f{i}_{j}')}" for j, (s, _) in enumerate(plan.features)]
            con.sql(
                f"CREATE TEMP TABLE {alias} AS SELECT {', '.join(columns)} FROM {src} "
                f"WHERE {' AND '.join(where)} {dedupe}",
                params={"max_ts": max_ts} | ({"min_ts": lower} if lower is not None else {}),
            )
            on = " AND ".join(f"e.{q(e)} = {alias}.{q(e)}" for _, e in plan.keys)
            joins.append(f"ASOF LEFT JOIN {alias} ON {on} AND e.{q(ts_column)} >= {alias}.{ts}")
            for j, (_, output) in enumerate(plan.features):
                value = f"{alias}.{q(f'__f{i}_{j}')}"
                if plan.ttl:
                    seconds = int(plan.ttl.total_seconds())
                    value = f"CASE WHEN {alias}.{ts} >= e.{q(ts_column)} - INTERVAL {seconds} SECOND THEN {value} END"
                selects.append(f"{value} AS {q(output)}")
        sql = f"SELECT {', '.join(selects)} FROM entity e {' '.join(joins)} ORDER BY e.{ENTITY_ROW}"
        return con.sql(sql).to_arrow_table()


def _batch_source(view: FeatureView) -> DataSource:
    if view.batch_source is None:
        raise ValueError(f"feature view {view.name!r} has no batch source to read offline")
    return view.batch_source


def _unique(columns: Sequence[str | None]) -> list[str]:
    return list(dict.fromkeys(c for c in columns if c))
