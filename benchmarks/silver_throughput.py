"""Bronze -> Silver throughput on synthetic invoices (target: 500k rows in under 90 s on 2 cores)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.common import Results, bench_lakehouse, stopwatch
from sme_pulse.bronze.landing import land_file
from sme_pulse.bronze.synthetic import SyntheticSpec, write_synthetic_csv


def bench_silver(results: Results, rows: int = 500_000) -> None:
    with bench_lakehouse("silver") as settings, tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "bench.csv"
        with stopwatch() as gen:
            write_synthetic_csv(csv_path, SyntheticSpec(rows=rows, seed=11))
        results.add("synthetic generator", f"{rows:,} rows written", gen[0], "s")
        land_file(csv_path, settings.bronze_dir, source="bench")

        from sme_pulse.spark.session import get_spark
        from spark_jobs.silver.stg_ar_invoices import run

        with stopwatch() as start:
            get_spark("bench", settings)
        results.add("spark session", "start (cached Delta jars)", start[0], "s")
        with stopwatch() as job:
            report = run(settings)
        file = report.files[0]
        results.add(
            "bronze -> silver",
            f"{rows:,} rows, first load",
            job[0],
            "s",
            f"{rows / job[0]:,.0f} rows/s; silver {file.silver_rows:,} + quarantine {file.quarantined_rows:,}",
        )
        with stopwatch() as rerun:
            run(settings, full_refresh=True)
        results.add("bronze -> silver", f"{rows:,} rows, idempotent re-merge", rerun[0], "s")


if __name__ == "__main__":
    bench_silver(Results())
