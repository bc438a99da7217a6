"""Online features for a batch of invoices: Redis through Feast's online store, then the on-demand views.

Feast's ``FeatureStore.get_online_features`` rebuilds its request plan, response protos and registry
look-ups on every call. The service resolves the feature service once (views, requested features, on-demand
views from the registry) and per request only does what must be done: one asynchronous ``online_read_async``
per feature view on Feast's ``RedisOnlineStore`` (run concurrently), value decoding, and the registry's own
on-demand transformations (the same python functions Feast runs for historical retrieval).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from feast import FeatureStore, FeatureView
from feast.infra.online_stores.redis import RedisOnlineStore
from feast.on_demand_feature_view import OnDemandFeatureView
from feast.protos.feast.types.EntityKey_pb2 import EntityKey
from feast.protos.feast.types.Value_pb2 import Value
from feast.type_map import feast_value_type_to_python_type
from redis.exceptions import RedisError

from sme_pulse.errors import FeatureUnavailableError, OnlineStoreUnavailableError


@dataclass(frozen=True)
class ViewRead:
    view: FeatureView
    join_key: str
    features: tuple[str, ...]


@dataclass(frozen=True)
class OnlineFeatures:
    """Feature columns (lists, one value per invoice) and the freshest event time read per invoice."""

    columns: dict[str, list[Any]]
    freshest: list[datetime | None]
    has_customer_history: list[bool]


class OnlineFeatureReader:
    """Reads the online features of one feature service; built once at start-up."""

    def __init__(self, store: FeatureStore, feature_service: str, customer_view: str = "customer_payment_behavior"):
        service = store.get_feature_service(feature_service)
        self.store = store
        self.feature_service = feature_service
        online_store = store._get_provider().online_store
        if not isinstance(online_store, RedisOnlineStore):
            raise FeatureUnavailableError(
                f"the service reads Redis through Feast; feature_store.yaml configures {type(online_store).__name__}"
            )
        self._online_store: RedisOnlineStore = online_store
        self._customer_view = customer_view
        views, odfvs = [], []
        odfv_names = {o.name for o in store.list_on_demand_feature_views()}
        for projection in service.feature_view_projections:
            if projection.name in odfv_names:
                odfvs.append(store.get_on_demand_feature_view(projection.name))
            else:
                views.append((projection.name, [f.name for f in projection.features]))
        # On-demand views may read view features that the service itself does not list (epoch days).
        needed = {name: list(features) for name, features in views}
        for odfv in odfvs:
            for projection in odfv.source_feature_view_projections.values():
                extra = [f.name for f in projection.features if f.name not in needed.setdefault(projection.name, [])]
                needed[projection.name] += extra
        self.views = [self._view_read(store.get_feature_view(name), feats) for name, feats in needed.items()]
        self.on_demand: list[OnDemandFeatureView] = odfvs
        self.request_fields = sorted(
            {field.name for odfv in odfvs for source in odfv.source_request_sources.values() for field in source.schema}
        )

    @staticmethod
    def _view_read(view: FeatureView, features: list[str]) -> ViewRead:
        join_keys = [column.name for column in view.entity_columns]
        if len(join_keys) != 1:
            raise FeatureUnavailableError(f"feature view {view.name} must have exactly one join key")
        return ViewRead(view, join_keys[0], tuple(features))

    async def read(self, entities: dict[str, list[str]], request: dict[str, list[Any]]) -> OnlineFeatures:
        """Features for ``n`` invoices: ``entities`` maps join keys to n values, ``request`` the ODFV inputs."""
        n = len(next(iter(entities.values())))
        try:
            results = await asyncio.gather(*(self._read_view(v, entities[v.join_key]) for v in self.views))
        except (RedisError, OSError) as error:  # redis-py's own hierarchy, and socket errors beneath it
            raise OnlineStoreUnavailableError(
                f"The online store (Redis) cannot be reached: {type(error).__name__}: {error}",
                hint="Check that Redis is running (infra/redis.sh start); the service retries on the next request.",
            ) from error
        columns: dict[str, list[Any]] = {}
        freshest: list[datetime | None] = [None] * n
        history = [False] * n
        for view_read, rows in zip(self.views, results, strict=True):
            for name in view_read.features:
                columns[name] = [None] * n
            for i, (timestamp, values) in enumerate(rows):
                # Feast returns empty values (and a 1970 timestamp) for keys that are not in Redis.
                if values is None or not any(v.WhichOneof("val") for v in values.values()):
                    continue
                if timestamp is not None and (freshest[i] is None or timestamp > freshest[i]):  # type: ignore[operator]
                    freshest[i] = timestamp
                if view_read.view.name == self._customer_view:
                    history[i] = True
                for name in view_read.features:
                    value = values.get(name)
                    columns[name][i] = _python_value(value)
        inputs = columns | request
        for odfv in self.on_demand:
            transformation = odfv.feature_transformation
            if transformation is None:
                raise FeatureUnavailableError(f"on-demand view {odfv.name} has no transformation in the registry")
            columns.update(transformation.udf(inputs))
        return OnlineFeatures(columns, freshest, history)

    async def _read_view(self, view_read: ViewRead, keys: Sequence[str]) -> list[tuple[datetime | None, Any]]:
        unique = list(dict.fromkeys(keys))
        protos = [EntityKey(join_keys=[view_read.join_key], entity_values=[Value(string_val=k)]) for k in unique]
        # Feast appends its timestamp field to the list it is given: always hand it a fresh copy.
        rows = await self._online_store.online_read_async(
            self.store.config, view_read.view, protos, list(view_read.features)
        )
        by_key = dict(zip(unique, rows, strict=True))
        return [by_key[k] for k in keys]

    async def ping(self) -> bool:
        client = await self._online_store._get_client_async(self.store.config.online_store)
        return bool(await client.ping())

    async def close(self) -> None:
        client = getattr(self._online_store, "_client_async", None)
        if client is not None:
            await client.aclose()


def _python_value(value: Value | None) -> Any:
    if value is None or value.WhichOneof("val") is None:
        return None
    return feast_value_type_to_python_type(value)


def utc_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
