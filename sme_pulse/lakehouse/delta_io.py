"""Thin Delta helpers shared by every Spark job: idempotent MERGE upserts, versions, and table reads.

Each write is one Delta commit, so a job killed mid-way leaves the previous version published.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


@dataclass(frozen=True)
class MergeStats:
    table: str
    version: int
    source_rows: int
    inserted: int
    updated: int
    deleted: int = 0

    @property
    def unchanged(self) -> int:
        return max(0, self.source_rows - self.inserted - self.updated)


def is_delta_table(path: Path) -> bool:
    return (path / "_delta_log").is_dir()


def delta_version(path: Path) -> int | None:
    """Latest committed version, read from the log without a JVM (None when there is no table)."""
    if not is_delta_table(path):
        return None
    from deltalake import DeltaTable

    return int(DeltaTable(str(path)).version())


def merge_upsert(
    spark: SparkSession,
    source: DataFrame,
    path: Path,
    keys: list[str],
    *,
    update_condition: str | None = None,
    source_rows: int | None = None,
    partition_by: list[str] | None = None,
    delete_missing: bool = False,
) -> MergeStats:
    """MERGE ``source`` into the Delta table at ``path`` on ``keys`` (created on first use).

    Matched rows are updated only when ``update_condition`` holds (e.g. the record hash changed), so a
    rerun over the same data rewrites nothing; unmatched rows are inserted. With ``delete_missing`` the
    source is the complete new state: target rows absent from it are deleted (a full rebuild as a MERGE).
    """
    from delta.tables import DeltaTable

    if not is_delta_table(path):
        # First load: a plain write is one commit too, and skips the join with an empty target.
        writer = source.write.format("delta")
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        writer.save(str(path))
        first = DeltaTable.forPath(spark, str(path)).history(1).collect()[0]
        written = int((first["operationMetrics"] or {}).get("numOutputRows", 0))
        return MergeStats(path.name, int(first["version"]), written, inserted=written, updated=0)
    target = DeltaTable.forPath(spark, str(path))
    on = " AND ".join(f"t.`{key}` <=> s.`{key}`" for key in keys)
    merge = (
        target.alias("t")
        .merge(source.alias("s"), on)
        .withSchemaEvolution()  # a column added by the job appears in the table instead of being dropped
        .whenMatchedUpdateAll(condition=update_condition)
        .whenNotMatchedInsertAll()
    )
    if delete_missing:
        merge = merge.whenNotMatchedBySourceDelete()
    merge.execute()
    last = target.history(1).collect()[0]
    metrics = last["operationMetrics"] or {}
    return MergeStats(
        table=path.name,
        version=int(last["version"]),
        source_rows=int(metrics.get("numSourceRows", source_rows or 0)),
        inserted=int(metrics.get("numTargetRowsInserted", 0)),
        updated=int(metrics.get("numTargetRowsUpdated", 0)),
        deleted=int(metrics.get("numTargetRowsDeleted", 0)),
    )


def replace_where(df: DataFrame, path: Path, predicate: str) -> None:
    """Atomically replace the rows matching ``predicate`` with ``df`` (creates the table on first use)."""
    df.write.format("delta").mode("overwrite").option("replaceWhere", predicate).save(str(path))


def overwrite(df: DataFrame, path: Path, *, partition_by: list[str] | None = None) -> int:
    """Replace the table's content in one commit (schema evolves with the job); returns the new version."""
    writer = df.write.format("delta").mode("overwrite").option("overwriteSchema", "true")
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    writer.save(str(path))
    version = delta_version(path)
    return -1 if version is None else version
