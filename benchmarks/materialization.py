"""Materialization into Redis for 1M customers (feast-dev/feast #1969 reported ~20 minutes for over 1M).

A ``ftr_customer_payment_behavior`` Delta table with one current row per customer (the shape the online store
receives: every feature of the view) is written directly with delta-rs, the feature repo is applied over it,
and ``sme-pulse materialize --full --view customer_payment_behavior`` is timed: offline read, conversion and
Redis writes, exactly what a user runs.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from benchmarks.common import Results, bench_lakehouse, stopwatch


def synthetic_customer_history(customers: int, seed: int = 3) -> pa.Table:
    from spark_jobs.features.history import history_columns

    rng = np.random.default_rng(seed)
    now = np.datetime64("2020-05-15T00:00:00", "us")
    event = now - rng.integers(0, 300, customers).astype("timedelta64[D]").astype("timedelta64[us]")
    columns: dict[str, object] = {"customer_id": np.char.add("C", np.arange(customers).astype(str))}
    for name, dtype in history_columns("customer"):
        columns[name] = rng.integers(1, 400, customers) if dtype == "int64" else rng.normal(1.0, 5.0, customers)
    columns["customer_history_known_at"] = event
    columns["event_timestamp"] = event
    columns["created_timestamp"] = np.full(customers, now)
    table = pa.table(columns)
    return table.cast(
        pa.schema(
            [
                pa.field(f.name, pa.timestamp("us", tz="UTC")) if pa.types.is_timestamp(f.type) else f
                for f in table.schema
            ]
        )
    )


def feast_native(lakehouse: str, customers: int) -> dict[str, float]:
    """Child process: Feast's own ``FeatureStore.materialize`` for the same view (for comparison)."""
    os.environ["SME_PULSE_DATA_DIR"] = lakehouse
    os.environ["SME_PULSE_REDIS_URL"] = "redis://127.0.0.1:6379/4"
    import redis

    from sme_pulse.feature_store import get_feature_store
    from sme_pulse.settings import get_settings

    settings = get_settings()
    redis.Redis.from_url(settings.redis_url).flushdb()
    store = get_feature_store(settings)
    start = time.perf_counter()
    store.materialize(
        start_date=datetime(2000, 1, 1, tzinfo=UTC),
        end_date=datetime.now(UTC),
        feature_views=["customer_payment_behavior"],
    )
    seconds = time.perf_counter() - start
    keys = redis.Redis.from_url(settings.redis_url).dbsize()
    redis.Redis.from_url(settings.redis_url).flushdb()
    return {"seconds": seconds, "keys": float(keys), "customers": float(customers)}


def bench_materialization(results: Results, customers: int = 1_000_000, small: int = 100_000) -> None:
    os.environ["SME_PULSE_REDIS_URL"] = "redis://127.0.0.1:6379/3"
    for size in (small, customers):
        _bench_size(results, size, compare_with_feast=True)


def _bench_size(results: Results, customers: int, compare_with_feast: bool) -> None:
    with bench_lakehouse("materialize") as settings:
        import redis
        from deltalake import write_deltalake

        from sme_pulse.feature_store import apply_feature_repo
        from sme_pulse.lakehouse.tables import table_path
        from sme_pulse.materialize import materialize

        client = redis.Redis.from_url(settings.redis_url)
        client.flushdb()
        path = table_path(settings, "ftr_customer_payment_behavior")
        write_deltalake(str(path), synthetic_customer_history(customers))
        apply_feature_repo(settings, skip_source_validation=True)
        with stopwatch() as elapsed:
            report = materialize(settings, full=True, views=["customer_payment_behavior"], quality=False)
        view = report.views[0]
        used = client.info("memory")["used_memory"] / 2**20
        results.add(
            "materialize",
            f"{customers:,} customers x 32 features into Redis",
            elapsed[0],
            "s",
            f"{view.rows / view.seconds:,.0f} rows/s; {report.redis_keys:,} keys; {used:,.0f} MiB in Redis",
        )
        client.flushdb()
        if compare_with_feast:
            _bench_feast_native(results, settings.data_dir, customers)


def _bench_feast_native(results: Results, lakehouse: object, customers: int) -> None:
    from benchmarks.historical_retrieval import run_capped

    command = [sys.executable, "-m", "benchmarks.materialization", "--feast-native", str(lakehouse), str(customers)]
    code, stdout, stderr, note = run_capped(command)
    label = f"{customers:,} customers x 32 features into Redis"
    if code == 0:
        figures = json.loads(stdout.strip().splitlines()[-1])
        rate = f"{customers / figures['seconds']:,.0f} rows/s"
        results.add("materialize (Feast's own)", label, figures["seconds"], "s", rate)
    else:
        last = note or (stderr.strip().splitlines() or [f"exit code {code}"])[-1]
        results.add("materialize (Feast's own)", label, float("nan"), "s", f"FAILED: {last[:160]}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--feast-native":
        print(json.dumps(feast_native(sys.argv[2], int(sys.argv[3]))))
    else:
        bench_materialization(Results())
