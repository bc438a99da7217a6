"""`make bench`: run every benchmark and print its figures (copy them into README with this command)."""

from __future__ import annotations

import os
import platform
import sys

from benchmarks.common import Results
from benchmarks.historical_retrieval import bench_historical
from benchmarks.materialization import bench_materialization
from benchmarks.serving_latency import bench_serving
from benchmarks.silver_throughput import bench_silver


def main() -> None:
    only = set(sys.argv[1:])  # e.g. `python -m benchmarks.run serving materialize`
    print(f"SME Pulse benchmarks on {platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}")
    results = Results()
    if not only or "silver" in only:
        bench_silver(results, rows=int(os.environ.get("BENCH_SILVER_ROWS", "500000")))
    if not only or "historical" in only:
        bench_historical(results, invoices=int(os.environ.get("BENCH_HISTORICAL_INVOICES", "500000")))
    if not only or "materialize" in only:
        bench_materialization(results, customers=int(os.environ.get("BENCH_CUSTOMERS", "1000000")))
    if not only or "serving" in only:
        bench_serving(results, workers=int(os.environ.get("BENCH_WORKERS", "2")))


if __name__ == "__main__":
    main()
