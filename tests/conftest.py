"""Shared fixtures: an isolated lakehouse per test, one local Spark session per run, the real sample."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sme_pulse.settings import PROJECT_ROOT, Settings, get_settings

SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
REAL_SAMPLE = SHARED_DATA / "kaggle_invoices" / "invoices_sample_a.csv"

_KIND_BY_FOLDER = {"unit": "unit", "integration": "integration", "data": "data"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each test carries the marker of its folder, so `-m unit` / `-m integration` / `-m data` select kinds."""
    for item in items:
        folder = Path(str(item.fspath)).parent.name
        if folder in _KIND_BY_FOLDER:
            item.add_marker(getattr(pytest.mark, _KIND_BY_FOLDER[folder]))


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings pointing at a fresh lakehouse under tmp_path (env + cache, as a user would set them)."""
    monkeypatch.setenv("SME_PULSE_DATA_DIR", str(tmp_path / "lakehouse"))
    monkeypatch.setenv("SME_PULSE_SPARK_MASTER", "local[1]")
    monkeypatch.setenv("SME_PULSE_SPARK_SHUFFLE_PARTITIONS", "1")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One local[1] Spark session with Delta for the whole run (UI off, 1 shuffle partition, loopback)."""
    from sme_pulse.spark.session import get_spark

    base = Settings(
        data_dir=tmp_path_factory.mktemp("spark-warehouse"),
        spark_master="local[1]",
        spark_shuffle_partitions=1,
        spark_ui_enabled=False,
        spark_driver_memory="2g",
    )
    session = get_spark("sme-pulse-tests", base)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def real_sample() -> Path:
    """The real Kaggle extract in ../shared/data; tests that need it skip (with the reason) without it."""
    if not REAL_SAMPLE.exists():
        pytest.skip(f"real invoice sample not found at {REAL_SAMPLE} (../shared/data is not mounted)")
    return REAL_SAMPLE


@contextmanager
def lakehouse_settings(root: Path) -> Iterator[Settings]:
    """Settings for a lakehouse under ``root`` for a block of code (module-scoped fixtures use it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SME_PULSE_DATA_DIR", str(root / "lakehouse"))
        patch.setenv("SME_PULSE_SPARK_MASTER", "local[1]")
        patch.setenv("SME_PULSE_SPARK_SHUFFLE_PARTITIONS", "1")
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        get_settings.cache_clear()
        try:
            yield get_settings()
        finally:
            get_settings.cache_clear()
