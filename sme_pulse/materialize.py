"""``sme-pulse materialize``: load the latest feature values into Redis through Feast, and say what it did.

Incremental by default (from each view's last materialization, or its TTL, up to now); ``full`` reloads
every view's whole history window. The report gives, per view, the entity rows written (latest row per
entity in the interval, counted on the offline store), the Redis keys of the project afterwards, and seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sme_pulse.settings import Settings


@dataclass(frozen=True)
class ViewMaterialization:
    view: str
    start: datetime
    end: datetime
    rows: int
    seconds: float


@dataclass(frozen=True)
class MaterializeReport:
    views: list[ViewMaterialization]
    redis_keys: int
    seconds: float


def _rows_in_interval(store, view, start: datetime, end: datetime) -> int:  # type: ignore[no-untyped-def]
    """Entity rows the interval holds: distinct entity keys with an event in [start, end]."""
    from sme_pulse.feast_delta.offline_store import duckdb_connection, quote_identifier, read_snapshot

    source = view.batch_source
    keys = ", ".join(quote_identifier(c.name) for c in view.entity_columns)
    with duckdb_connection(store.config) as con:
        con.register("src", read_snapshot(source, store.config.repo_path).dataset)
        [(count,)] = con.sql(
            f"SELECT count(*) FROM (SELECT DISTINCT {keys} FROM src "
            f"WHERE {quote_identifier(source.timestamp_field)} BETWEEN $start AND $end)",
            params={"start": start, "end": end},
        ).fetchall()
    return int(count)


def project_key_count(settings: Settings, project: str) -> int:
    """Redis keys holding this Feast project's entities (Feast suffixes each key with the project name)."""
    import redis

    client = redis.Redis.from_url(settings.redis_url)
    suffix = project.encode()
    return sum(1 for key in client.scan_iter(count=10_000) if key.endswith(suffix))


def materialize(
    settings: Settings, *, full: bool = False, views: list[str] | None = None, quality: bool = True
) -> MaterializeReport:
    from sme_pulse.feature_store import get_feature_store
    from sme_pulse.quality.checks import require, silver_as_of, validate_features

    if quality:  # stale or broken features never go online
        require(validate_features(settings, silver_as_of(settings)))
    store = get_feature_store(settings)
    end = datetime.now(UTC)
    selected = [v for v in store.list_feature_views() if v.online and (not views or v.name in views)]
    started = time.perf_counter()
    results = []
    for view in selected:
        last = view.most_recent_end_time
        earliest = end - view.ttl if view.ttl else datetime(1970, 1, 1, tzinfo=UTC)
        start = earliest if (full or last is None) else last
        rows = _rows_in_interval(store, view, start, end)
        tick = time.perf_counter()
        if full:
            store.materialize(start_date=start, end_date=end, feature_views=[view.name])
        else:
            store.materialize_incremental(end_date=end, feature_views=[view.name])
        results.append(ViewMaterialization(view.name, start, end, rows, time.perf_counter() - tick))
    return MaterializeReport(results, project_key_count(settings, store.project), time.perf_counter() - started)
