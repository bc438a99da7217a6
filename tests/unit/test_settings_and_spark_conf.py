"""Settings come from SME_PULSE_* variables; the Spark session is configured for Delta from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from sme_pulse.settings import PROJECT_ROOT, Settings, get_settings
from sme_pulse.spark.jars import delta_artifact
from sme_pulse.spark.session import spark_conf


def test_lakehouse_moves_with_the_data_dir_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SME_PULSE_DATA_DIR", str(tmp_path / "lh"))
    get_settings.cache_clear()
    try:
        settings = get_settings()
        assert settings.bronze_dir == tmp_path / "lh" / "bronze"
        assert settings.registry_path == tmp_path / "lh" / "feast" / "registry.db"
    finally:
        get_settings.cache_clear()


def test_relative_paths_resolve_from_the_project_root_not_the_cwd(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(data_dir=Path("lakehouse"))
    assert settings.data_dir == PROJECT_ROOT / "lakehouse"


def test_session_conf_enables_delta_and_uses_the_cached_jars() -> None:
    conf = spark_conf(Settings(spark_master="local[2]"), [Path("/cache/a.jar"), Path("/cache/b.jar")])
    assert conf["spark.sql.extensions"] == "io.delta.sql.DeltaSparkSessionExtension"
    assert conf["spark.sql.catalog.spark_catalog"].endswith("DeltaCatalog")
    assert conf["spark.jars"] == "/cache/a.jar,/cache/b.jar"
    assert conf["spark.sql.shuffle.partitions"] == "4"
    assert conf["spark.driver.bindAddress"] == "127.0.0.1"
    assert conf["spark.sql.session.timeZone"] == "UTC"


def test_cluster_master_keeps_cluster_defaults() -> None:
    conf = spark_conf(Settings(spark_master="spark://head:7077"), [])
    assert conf["spark.sql.shuffle.partitions"] == "200"
    assert "spark.driver.bindAddress" not in conf


def test_delta_artifact_matches_the_installed_spark_minor_version() -> None:
    import pyspark

    artifact = delta_artifact()
    minor = ".".join(pyspark.__version__.split(".")[:2])
    assert artifact.coordinate.startswith(f"io.delta:delta-spark_{minor}_2.13:")
