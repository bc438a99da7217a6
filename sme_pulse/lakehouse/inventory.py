"""What the pipeline wrote where: one row per lakehouse table (read through delta-rs, no JVM)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sme_pulse.bronze.landing import list_manifests
from sme_pulse.lakehouse.tables import TABLES
from sme_pulse.settings import Settings


@dataclass(frozen=True)
class TableState:
    name: str
    path: Path
    version: int | None
    rows: int | None


def delta_row_count(path: Path) -> int:
    from deltalake import DeltaTable

    return int(DeltaTable(str(path)).to_pyarrow_dataset().count_rows())


def table_states(settings: Settings) -> list[TableState]:
    from deltalake import DeltaTable

    states = []
    for name, relative in TABLES.items():
        path = settings.data_dir / relative
        if (path / "_delta_log").is_dir():
            table = DeltaTable(str(path))
            states.append(TableState(name, path, int(table.version()), delta_row_count(path)))
        else:
            states.append(TableState(name, path, None, None))
    return states


def bronze_summary(settings: Settings) -> tuple[int, int]:
    """(landed files, landed rows)."""
    manifests = list_manifests(settings.bronze_dir)
    return len(manifests), sum(m.rows for m in manifests)
