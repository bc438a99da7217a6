"""Load test on loopback: our POST /predict/payment-date against Feast's own feature server, side by side.

Both servers read the same feature service (``payment_date_v1``: three feature views and three on-demand
views) for the same invoices from the same Redis; ours also runs the model. wrk (a second process) drives
each for the same duration and connections; a Lua script rotates through real request bodies and prints
p50 / p95 / p99 and requests per second.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path

import pandas as pd

from benchmarks.common import Results, bench_lakehouse

WRK_SCRIPT = """
local bodies = {}
for line in io.lines("%(bodies)s") do bodies[#bodies + 1] = line end
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i %% #bodies + 1
  return wrk.format(nil, "%(path)s", nil, bodies[i])
end
done = function(summary, latency, requests)
  io.write(string.format('{"p50": %%d, "p95": %%d, "p99": %%d, "requests": %%d, "seconds": %%f, "errors": %%d}\\n',
    latency:percentile(50), latency:percentile(95), latency:percentile(99), summary.requests,
    summary.duration / 1e6, summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
"""


def _epoch(day: date) -> int:
    return int(pd.Timestamp(day, tz="UTC").timestamp())


def request_bodies(invoices: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(our API bodies, Feast feature-server bodies) for the same invoices."""
    ours, feast = [], []
    for row in invoices.itertuples():
        ours.append(
            json.dumps(
                {
                    "invoice_id": row.invoice_id,
                    "customer_id": row.customer_id_raw,
                    "business_code": row.business_code,
                    "currency": row.currency,
                    "amount": float(row.amount),
                    "posting_date": str(row.posting_date),
                    "baseline_date": str(row.baseline_date),
                    "due_date": str(row.due_date),
                    "payment_terms": row.payment_terms,
                }
            )
        )
        feast.append(
            json.dumps(
                {
                    "feature_service": "payment_date_v1",
                    "entities": {
                        "customer_id": [row.customer_id],
                        "business_code": [row.business_code],
                        "posting_date": [_epoch(row.posting_date)],
                        "baseline_date": [_epoch(row.baseline_date)],
                        "due_date": [_epoch(row.due_date)],
                        "amount": [float(row.amount)],
                        "currency": [row.currency],
                        "payment_terms": [row.payment_terms],
                    },
                }
            )
        )
    return ours, feast


def _wait(url: str, body: str | None, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(
                url, data=body.encode() if body else None, headers={"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def wrk(url: str, path: str, bodies: list[str], seconds: int, connections: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        bodies_file = Path(tmp) / "bodies.txt"
        bodies_file.write_text("\n".join(bodies) + "\n")
        script = Path(tmp) / "post.lua"
        script.write_text(WRK_SCRIPT % {"bodies": bodies_file, "path": path})
        subprocess.run(
            ["wrk", "-t1", "-c", str(connections), "-d", "3s", "-s", str(script), url], capture_output=True, check=True
        )  # warm-up
        out = subprocess.run(
            ["wrk", "-t1", "-c", str(connections), "-d", f"{seconds}s", "-s", str(script), url],
            capture_output=True,
            text=True,
            check=True,
        )
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    figures["rps"] = figures["requests"] / figures["seconds"]
    return figures


def bench_serving(
    results: Results,
    invoices: int = 50_000,
    seconds: int = 20,
    connections: tuple[int, ...] = (1, 8),
    workers: int = 2,
) -> None:
    if shutil.which("wrk") is None:
        results.add("serving", "wrk not installed", float("nan"), "", "apt-get install wrk")
        return
    os.environ["SME_PULSE_REDIS_URL"] = "redis://127.0.0.1:6379/2"
    with bench_lakehouse("serving") as settings, tempfile.TemporaryDirectory() as tmp:
        import redis

        from sme_pulse.bronze.landing import land_file
        from sme_pulse.bronze.synthetic import SyntheticSpec, write_synthetic_csv
        from sme_pulse.feature_store import apply_feature_repo, feast_env
        from sme_pulse.features.entity_frames import read_invoices
        from sme_pulse.materialize import materialize
        from spark_jobs.features.job import run as build_features
        from spark_jobs.silver.stg_ar_invoices import run as build_silver
        from training.pipeline import train

        redis.Redis.from_url(settings.redis_url).flushdb()
        csv_path = Path(tmp) / "invoices.csv"
        write_synthetic_csv(csv_path, SyntheticSpec(rows=invoices, seed=5))
        land_file(csv_path, settings.bronze_dir, source="bench")
        build_silver(settings)
        build_features(settings)
        apply_feature_repo(settings)
        materialize(settings, full=True)
        train(settings)
        sample = read_invoices(settings, is_open=True).sample(500, random_state=1)
        ours_bodies, feast_bodies = request_bodies(sample)

        env = os.environ | feast_env(settings) | {"SME_PULSE_DATA_DIR": str(settings.data_dir)}
        bin_dir = Path(sys.executable).parent
        servers = {
            "SME Pulse /predict/payment-date (features + model)": (
                [str(bin_dir / "sme-pulse"), "serve", "--port", "8731", "--workers", str(workers)],
                "http://127.0.0.1:8731",
                "/predict/payment-date",
                ours_bodies,
            ),
            "feast serve /get-online-features (features only)": (
                [
                    str(bin_dir / "feast"),
                    "-c",
                    str(settings.feature_repo),
                    "serve",
                    "-p",
                    "8732",
                    "--no-access-log",
                    "-w",
                    str(workers),
                ],
                "http://127.0.0.1:8732",
                "/get-online-features",
                feast_bodies,
            ),
        }
        for label, (command, url, path, bodies) in servers.items():
            process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                _wait(url + path, bodies[0])
                for load in connections:
                    figures = wrk(url, path, bodies, seconds, load)
                    note = f"{figures['rps']:,.0f} req/s, {int(figures['errors'])} errors"
                    name = f"{label}, {load} conn., {workers} workers"
                    results.add("serving", f"{name} p50", figures["p50"] / 1000, "ms")
                    results.add("serving", f"{name} p95", figures["p95"] / 1000, "ms")
                    results.add("serving", f"{name} p99", figures["p99"] / 1000, "ms", note)
            finally:
                process.terminate()
                process.wait(timeout=30)


if __name__ == "__main__":
    bench_serving(Results())
