"""Helpers shared by the benchmark scripts: an isolated lakehouse, timing, peak memory, a results table."""

from __future__ import annotations

import os
import resource
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sme_pulse.settings import Settings, get_settings


@dataclass
class Figure:
    bench: str
    metric: str
    value: float
    unit: str
    note: str = ""


@dataclass
class Results:
    figures: list[Figure] = field(default_factory=list)

    def add(self, bench: str, metric: str, value: float, unit: str, note: str = "") -> None:
        self.figures.append(Figure(bench, metric, value, unit, note))
        print(f"  {bench:<28} {metric:<44} {value:>12,.2f} {unit:<8} {note}", flush=True)


@contextmanager
def bench_lakehouse(name: str) -> Iterator[Settings]:
    """Settings pointing at a throw-away lakehouse (never the user's ./lakehouse)."""
    with tempfile.TemporaryDirectory(prefix=f"sme-pulse-bench-{name}-") as tmp:
        previous = os.environ.get("SME_PULSE_DATA_DIR")
        os.environ["SME_PULSE_DATA_DIR"] = str(Path(tmp) / "lakehouse")
        get_settings.cache_clear()
        try:
            yield get_settings()
        finally:
            if previous is None:
                os.environ.pop("SME_PULSE_DATA_DIR", None)
            else:
                os.environ["SME_PULSE_DATA_DIR"] = previous
            get_settings.cache_clear()


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as t: ...`` then ``t[0]`` holds the elapsed seconds."""
    holder: list[float] = []
    start = time.perf_counter()
    try:
        yield holder
    finally:
        holder.append(time.perf_counter() - start)


def peak_rss_mib() -> float:
    """Peak resident memory of this Python process (the JVM is a child and not counted here)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
