"""get_historical_features: the embedded Delta store against Feast's `file` (dask) store, same data.

One synthetic lakehouse is built (Bronze -> Silver -> feature tables, ~1M feature rows). Its current Delta
snapshots are exported to plain parquet for the file store. Each (store, entity rows) measurement runs in
its own process, so wall time and peak memory (max RSS of that process) are not polluted by the others.
Both stores retrieve the same feature-view features (the on-demand views are computed identically by
Feast after either store and are left out, to compare the stores themselves).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from benchmarks.common import Results, bench_lakehouse, peak_rss_mib, stopwatch

VIEWS = ("customer_payment_behavior", "customer_open_ar", "business_payment_behavior")


def _feature_refs(store) -> list[str]:  # type: ignore[no-untyped-def]
    refs = []
    for name in VIEWS:
        view = store.get_feature_view(name)
        refs += [f"{name}:{feature.name}" for feature in view.features]
    return refs


def _entities(invoices: pd.DataFrame, rows: int) -> pd.DataFrame:
    from sme_pulse.features.entity_frames import entity_frame

    return entity_frame(invoices.sample(rows, replace=rows > len(invoices), random_state=7))


def _file_store(settings, workdir: Path):  # type: ignore[no-untyped-def]
    """A Feast store on the `file` offline store over parquet exports of the same Delta snapshots."""
    from deltalake import DeltaTable
    from feast import FeatureStore, FileSource
    from feast.repo_config import RegistryConfig, RepoConfig

    from sme_pulse.feature_store import get_feature_store

    delta_store = get_feature_store(settings)
    views = []
    for name in VIEWS:
        view = copy.deepcopy(delta_store.get_feature_view(name))
        source = view.batch_source
        parquet = workdir / f"{name}.parquet"
        DeltaTable(source.path).to_pyarrow_table().to_pandas().to_parquet(parquet, index=False)
        view.batch_source = FileSource(
            name=f"{name}_parquet",
            path=str(parquet),
            timestamp_field=source.timestamp_field,
            created_timestamp_column=source.created_timestamp_column,
        )
        view.stream_source = None
        views.append(view)
    config = RepoConfig(
        project="sme_pulse_file_bench",
        provider="local",
        registry=RegistryConfig(path=str(workdir / "registry.db")),
        online_store={"type": "sqlite", "path": str(workdir / "online.db")},
        offline_store={"type": "file"},
        entity_key_serialization_version=3,
        repo_path=workdir,
    )
    store = FeatureStore(config=config)
    store.apply([delta_store.get_entity(n) for n in ("customer", "business", "invoice")] + views)
    return store


def measure(lakehouse: Path, store_kind: str, rows: int) -> dict[str, float]:
    """Child process: one retrieval, wall time and peak RSS."""
    import os

    os.environ["SME_PULSE_DATA_DIR"] = str(lakehouse)
    from sme_pulse.feature_store import get_feature_store
    from sme_pulse.features.entity_frames import read_invoices
    from sme_pulse.settings import get_settings

    settings = get_settings()
    invoices = read_invoices(settings, is_open=False)
    entities = _entities(invoices, rows)
    with tempfile.TemporaryDirectory() as tmp:
        store = get_feature_store(settings) if store_kind == "delta" else _file_store(settings, Path(tmp))
        refs = _feature_refs(store)
        base_rss = peak_rss_mib()
        start = time.perf_counter()
        frame = store.get_historical_features(entity_df=entities, features=refs).to_df()
        seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "peak_rss_mib": peak_rss_mib(),
        "rss_before_mib": base_rss,
        "rows": float(len(frame)),
        "non_null_share": float(frame[refs[0].split(":")[1]].notna().mean()),
    }


MEMORY_CAP_MIB = 14 * 1024  # a run is stopped before it can take the 24 GiB machine down
TIME_CAP_SECONDS = 1800


def _limit_address_space() -> None:
    """In the child: allocations beyond the cap fail with MemoryError instead of waking the OOM killer."""
    import resource

    cap = (MEMORY_CAP_MIB + 4 * 1024) * 2**20  # address space runs above RSS (thread stacks, arenas)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def run_capped(command: list[str]) -> tuple[int, str, str, str]:
    """Run a measurement child, killing it past the memory or time cap; (code, stdout, stderr, note)."""
    import psutil

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, text=True, preexec_fn=_limit_address_space)
        child, started, peak, note = psutil.Process(process.pid), time.perf_counter(), 0.0, ""
        while process.poll() is None:
            with contextlib.suppress(psutil.Error):
                peak = max(peak, child.memory_info().rss / 2**20)
            elapsed = time.perf_counter() - started
            if peak > MEMORY_CAP_MIB or elapsed > TIME_CAP_SECONDS:
                process.kill()
                process.wait()
                note = (
                    f"stopped after {elapsed:,.0f} s at {peak:,.0f} MiB RSS "
                    f"(caps: {MEMORY_CAP_MIB:,} MiB, {TIME_CAP_SECONDS} s)"
                )
                break
            time.sleep(0.2)
        out.seek(0)
        err.seek(0)
        return process.returncode or (1 if note else 0), out.read(), err.read(), note


def bench_historical(
    results: Results, invoices: int = 500_000, sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000)
) -> None:
    with bench_lakehouse("historical") as settings, tempfile.TemporaryDirectory() as tmp:
        from sme_pulse.bronze.landing import land_file
        from sme_pulse.bronze.synthetic import SyntheticSpec, write_synthetic_csv
        from sme_pulse.feature_store import apply_feature_repo
        from sme_pulse.lakehouse.inventory import delta_row_count
        from sme_pulse.lakehouse.tables import table_path
        from spark_jobs.features.job import run as build_features
        from spark_jobs.silver.stg_ar_invoices import run as build_silver

        csv_path = Path(tmp) / "invoices.csv"
        write_synthetic_csv(csv_path, SyntheticSpec(rows=invoices, seed=21))
        land_file(csv_path, settings.bronze_dir, source="bench")
        build_silver(settings)
        with stopwatch() as features_time:
            build_features(settings)
        apply_feature_repo(settings)
        feature_rows = sum(delta_row_count(table_path(settings, f"ftr_{v}")) for v in VIEWS)
        results.add(
            "feature tables",
            f"built from {invoices:,} invoices",
            features_time[0],
            "s",
            f"{feature_rows:,} feature rows in {len(VIEWS)} views",
        )
        for rows in sizes:
            figures = {}
            for kind in ("delta", "file"):
                out = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "benchmarks.historical_retrieval",
                        "--child",
                        kind,
                        "--rows",
                        str(rows),
                        "--lakehouse",
                        str(settings.data_dir),
                    ],
                    capture_output=True,
                    text=True,
                    timeout=3600,
                )
                if out.returncode != 0:
                    last = (out.stderr.strip().splitlines() or [f"exit code {out.returncode} (killed?)"])[-1]
                    results.add(
                        f"historical ({kind})", f"{rows:,} entity rows", float("nan"), "s", f"FAILED: {last[:120]}"
                    )
                    continue
                figures[kind] = json.loads(out.stdout.strip().splitlines()[-1])
                label = "embedded Delta store" if kind == "delta" else "Feast file store"
                results.add(
                    f"historical ({label})",
                    f"{rows:,} entity rows x {feature_rows:,} feature rows",
                    figures[kind]["seconds"],
                    "s",
                    f"peak RSS {figures[kind]['peak_rss_mib']:,.0f} MiB",
                )
            if len(figures) == 2:
                results.add(
                    "historical speed-up",
                    f"{rows:,} entity rows, file / delta",
                    figures["file"]["seconds"] / figures["delta"]["seconds"],
                    "x",
                )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", choices=("delta", "file"))
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--lakehouse", type=Path)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.lakehouse, args.child, args.rows)))
    else:
        bench_historical(Results())


if __name__ == "__main__":
    main()
