"""The one Spark session factory: Delta extensions and catalog, local master by default, any master by setting."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sme_pulse.settings import Settings, get_settings
from sme_pulse.spark.jars import require_java, resolve_delta_jars

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

LOG4J_CONFIG = Path(__file__).with_name("log4j2.properties")


def _local_cores(master: str) -> int:
    """Cores a local master will use (local, local[4], local[*]); 0 for a cluster master."""
    if not master.startswith("local"):
        return 0
    inside = master[master.find("[") + 1 : master.find("]")] if "[" in master else "1"
    count = inside.split(",")[0]
    return (os.cpu_count() or 2) if count == "*" else int(count)


def spark_conf(settings: Settings, jars: list[Path]) -> dict[str, str]:
    """Every configuration the product sets on a session (pure, so it is unit-testable)."""
    cores = _local_cores(settings.spark_master)
    # Small local machines: a few shuffle partitions per core; AQE coalesces further. Clusters: Spark's 200.
    partitions = settings.spark_shuffle_partitions or (max(2, cores * 2) if cores else 200)
    conf = {
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.jars": ",".join(str(jar) for jar in jars),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(partitions),
        "spark.sql.adaptive.enabled": "true",
        "spark.ui.enabled": str(settings.spark_ui_enabled).lower(),
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.memory": settings.spark_driver_memory,
        # Delta reconstructs table state with 50 partitions by default: far too many for a laptop.
        "spark.databricks.delta.snapshotPartitions": str(max(1, min(partitions, 8)) if cores else 50),
        "spark.databricks.delta.merge.repartitionBeforeWrite.enabled": "true",
        "spark.sql.parquet.datetimeRebaseModeInWrite": "CORRECTED",
        # Plain INT64 microsecond timestamps and no deletion vectors: every Delta table stays readable by
        # delta-rs (the embedded Feast offline store) exactly as Spark sees it.
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        "spark.databricks.delta.properties.defaults.enableDeletionVectors": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.driver.extraJavaOptions": f"-Duser.timezone=UTC -Dlog4j.configurationFile={LOG4J_CONFIG}",
        "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
        "spark.sql.warehouse.dir": str(settings.data_dir / "_spark_warehouse"),
    }
    if cores:
        conf["spark.driver.host"] = "127.0.0.1"
        conf["spark.driver.bindAddress"] = "127.0.0.1"
    return conf


def get_spark(app_name: str = "sme-pulse", settings: Settings | None = None) -> SparkSession:
    """Return the active session or start one configured for Delta.

    The jars come from the local cache (resolved once, see ``sme_pulse.spark.jars``), so a second
    start does not touch the network.
    """
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    settings = settings or get_settings()
    require_java()
    jars = resolve_delta_jars(settings)
    if settings.spark_master.startswith("local"):
        # Bind the local driver to loopback before the JVM starts (no "resolves to a loopback" warning).
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # Python workers (pandas UDFs) must run the interpreter that has our dependencies.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.master(settings.spark_master).appName(app_name)
    for key, value in spark_conf(settings, jars).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
