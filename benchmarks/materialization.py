"""Materialization into Redis for 1M customers (feast-dev/feast #1969 reported ~20 minutes for over 1M).

A ``ftr_customer_payment_behavior`` Delta table with one current row per customer (the shape the online store
receives: every feature of the view) is written directly with delta-rs, the feature repo is applied over it,
and ``sme-pulse materialize --full --view customer_payment_behavior`` is timed: offline read, conversion and
Redis writes, exactly what a user runs.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa

from benchmarks.common import Results, bench_lakehouse, stopwatch


def synthetic_customer_history(customers: int, seed: int = 3) -> pa.Table:
    from spark_jobs.features.history import history_columns

    rng = np.random.default_rng(seed)
    now = datetime(2020, 5, 15, tzinfo=UTC)
    event = np.array([now - timedelta(days=int(d)) for d in rng.integers(0, 300, customers)], dtype="datetime64[us]")
    columns: dict[str, object] = {"customer_id": np.char.add("C", np.arange(customers).astype(str))}
    for name, dtype in history_columns("customer"):
        columns[name] = rng.integers(1, 400, customers) if dtype == "int64" else rng.normal(1.0, 5.0, customers)
    columns["customer_history_known_at"] = event
    columns["event_timestamp"] = event
    columns["created_timestamp"] = np.full(customers, np.datetime64(now.replace(tzinfo=None), "us"))
    table = pa.table(columns)
    return table.cast(
        pa.schema(
            [
                pa.field(f.name, pa.timestamp("us", tz="UTC")) if pa.types.is_timestamp(f.type) else f
                for f in table.schema
            ]
        )
    )


def bench_materialization(results: Results, customers: int = 1_000_000) -> None:
    os.environ["SME_PULSE_REDIS_URL"] = "redis://127.0.0.1:6379/3"
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


if __name__ == "__main__":
    bench_materialization(Results())
