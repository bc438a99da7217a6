"""The one typed settings object for SME Pulse.

Every knob is read from the environment with the ``SME_PULSE_`` prefix (``SME_PULSE_DATA_DIR``,
``SME_PULSE_SPARK_MASTER``, ...). Settings are built through :func:`get_settings`, never at import,
so tests can point the whole system at a temporary lakehouse by setting variables and clearing the cache.
Relative paths resolve from the project root, not from the working directory.
"""

from __future__ import annotations

import os
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "sme-pulse"


class Settings(BaseSettings):
    """Runtime configuration. Field docs are the contract; env var = ``SME_PULSE_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="SME_PULSE_", extra="ignore")

    # --- lakehouse -------------------------------------------------------------------------
    data_dir: Path = Field(default=Path("lakehouse"), description="Lakehouse root holding bronze/, silver/, gold/.")
    as_of: date | None = Field(
        default=None,
        description="Business date the pipeline treats as 'today' (snapshots, scoring, freshness). "
        "Default: the day after the latest date known in Silver, so historical extracts behave as live.",
    )

    # --- Spark + Delta -----------------------------------------------------------------------
    spark_master: str = Field(default="local[*]", description="Any Spark master URL; local[*] by default.")
    spark_driver_memory: str = "4g"
    spark_shuffle_partitions: int | None = Field(
        default=None, description="Fixed shuffle partitions; default sizes them from the data."
    )
    spark_ui_enabled: bool = False
    jars_dir: Path = Field(
        default_factory=lambda: _default_cache_dir() / "jars",
        description="Cache of resolved Delta jars; the second session start downloads nothing.",
    )
    maven_repo: str = Field(
        default="https://repo1.maven.org/maven2",
        description="Maven repository (or mirror) used once to resolve the Delta jars.",
    )

    # --- Feast --------------------------------------------------------------------------------
    feature_repo: Path = Field(default=Path("feature_repo"), description="Feast repo (feature_store.yaml).")
    feast_registry: Path | None = Field(
        default=None, description="Feast file registry; default <data_dir>/feast/registry.db."
    )
    offline_store: Literal["delta", "spark"] = Field(
        default="delta",
        description="delta = embedded Delta/DuckDB store (one machine); spark = Feast's Spark store.",
    )
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", description="Redis online store (redis://host:port/db).")

    # --- MLflow -------------------------------------------------------------------------------
    mlflow_tracking_uri: str | None = Field(
        default=None,
        description="MLflow tracking server; default MLFLOW_TRACKING_URI, else SQLite under the lakehouse.",
    )
    model_name: str = "payment_date_model"
    feature_service: str = "payment_date_v1"

    # --- sources ------------------------------------------------------------------------------
    kaggle_dataset: str = "pradumn203/payment-date-prediction-for-invoices-dataset"

    # --- serving ------------------------------------------------------------------------------
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_max_batch: int = Field(default=256, ge=1, le=10_000)

    @field_validator("data_dir", "feature_repo", "feast_registry", "jars_dir", mode="after")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        value = value.expanduser()
        return value if value.is_absolute() else (PROJECT_ROOT / value).resolve()

    # --- derived paths: one place that knows the lakehouse layout -------------------------------
    @property
    def bronze_dir(self) -> Path:
        return self.data_dir / "bronze"

    @property
    def silver_dir(self) -> Path:
        return self.data_dir / "silver"

    @property
    def gold_dir(self) -> Path:
        return self.data_dir / "gold"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def registry_path(self) -> Path:
        return self.feast_registry or self.data_dir / "feast" / "registry.db"

    @property
    def tracking_uri(self) -> str:
        if self.mlflow_tracking_uri:
            return self.mlflow_tracking_uri
        env_uri = os.environ.get("MLFLOW_TRACKING_URI")
        if env_uri:
            return env_uri
        return f"sqlite:///{self.data_dir / 'mlflow' / 'mlflow.db'}"

    @property
    def mlflow_artifact_root(self) -> Path:
        return self.data_dir / "mlflow" / "artifacts"

    @property
    def redis_host_port(self) -> tuple[str, int, int]:
        """(host, port, db) parsed from ``redis_url`` for clients that want them apart (Feast)."""
        from urllib.parse import urlparse

        parsed = urlparse(self.redis_url)
        db = int(parsed.path.lstrip("/") or 0)
        return parsed.hostname or "127.0.0.1", parsed.port or 6379, db


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings. Tests call ``get_settings.cache_clear()`` after changing env."""
    return Settings()
