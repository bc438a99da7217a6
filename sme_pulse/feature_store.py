"""Glue between the typed settings and Feast: environment for feature_store.yaml, store construction,
``feast apply`` in-process, and the offline-store switch (embedded Delta or Spark).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sme_pulse.errors import ConfigurationError, FeatureUnavailableError
from sme_pulse.settings import Settings

if TYPE_CHECKING:
    from feast import FeatureStore
    from feast.repo_config import RepoConfig

# Python modules of the feature repo (imported by name from inside it, as Feast does).
REPO_MODULES = ("entities", "data_sources", "feature_views", "on_demand_views", "feature_services")


def quiet_feast_warnings() -> None:
    """Feast marks SparkSource and on-demand views experimental at every use; we use both on purpose.

    Feast's modules install ``simplefilter("once", RuntimeWarning)`` when imported, so our filters are
    added after importing them, to take precedence.
    """
    import feast.batch_feature_view
    import feast.infra.offline_stores.contrib.spark_offline_store.spark
    import feast.infra.offline_stores.offline_store
    import feast.repo_config
    import feast.stream_feature_view  # noqa: F401

    warnings.filterwarnings("ignore", message="The spark data source API is an experimental feature")
    warnings.filterwarnings("ignore", message="On demand feature view is an experimental feature")


def feast_env(settings: Settings) -> dict[str, str]:
    """Variables feature_store.yaml and the repo's Python files read (see the yaml's header).

    They are handed to the ``feast`` CLI's process and substituted when this process loads the yaml; the
    process environment itself is never modified (a later change of settings must not see stale values).
    """
    host, port, db = settings.redis_host_port
    return {
        "SME_PULSE_DATA_DIR": str(settings.data_dir),
        "SME_PULSE_FEAST_REGISTRY_PATH": str(settings.registry_path),
        "SME_PULSE_FEAST_REDIS": f"{host}:{port},db={db}",
    }


def _expand(text: str, variables: dict[str, str]) -> str:
    """``${NAME}`` substitution like Feast's ``os.path.expandvars``, from ``variables`` then the environment."""
    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: variables.get(m[1], os.environ.get(m[1], m[0])), text)


def repo_config(settings: Settings) -> RepoConfig:
    """The repo's config with settings applied; the offline store follows ``settings.offline_store``."""
    import yaml
    from feast.repo_config import RepoConfig

    quiet_feast_warnings()
    yaml_path = settings.feature_repo / "feature_store.yaml"
    if not yaml_path.exists():
        raise ConfigurationError(f"No feature_store.yaml in {settings.feature_repo}.")
    settings.registry_path.parent.mkdir(parents=True, exist_ok=True)
    config = RepoConfig(**yaml.safe_load(_expand(yaml_path.read_text(), feast_env(settings))))
    config.repo_path = settings.feature_repo
    if settings.offline_store == "spark":
        from feast.infra.offline_stores.contrib.spark_offline_store.spark import SparkOfflineStoreConfig

        from sme_pulse.spark.jars import resolve_delta_jars
        from sme_pulse.spark.session import get_spark, spark_conf

        # Feast reuses the active session; starting ours first gives it the Delta jars and extensions.
        get_spark("feast-spark-offline-store", settings)
        config.offline_config = SparkOfflineStoreConfig(
            type="spark", spark_conf=spark_conf(settings, resolve_delta_jars(settings))
        )
        config._offline_store = None  # RepoConfig caches the parsed store config; rebuild it from ours
    return config


def get_feature_store(settings: Settings) -> FeatureStore:
    from feast import FeatureStore

    config = repo_config(settings)
    if not settings.registry_path.exists():
        raise FeatureUnavailableError(
            f"The Feast registry {settings.registry_path} does not exist.",
            hint="Apply the feature repo first: `sme-pulse feast apply` (or `make demo`).",
        )
    return FeatureStore(config=config)


@contextlib.contextmanager
def _inside_repo(repo: Path) -> Iterator[None]:
    """Feast imports repo files by module name relative to the cwd; give it a clean, local view."""
    previous_cwd = Path.cwd()
    for name in REPO_MODULES:
        sys.modules.pop(name, None)
    sys.path.insert(0, str(repo))
    try:
        yield
    finally:
        os.chdir(previous_cwd)
        with contextlib.suppress(ValueError):
            sys.path.remove(str(repo))
        for name in REPO_MODULES:
            sys.modules.pop(name, None)


def apply_feature_repo(settings: Settings, *, skip_source_validation: bool = False) -> None:
    """``feast apply`` in-process: register entities, sources, views and services in the registry."""
    from feast.repo_operations import apply_total

    config = repo_config(settings)
    with _inside_repo(settings.feature_repo):
        apply_total(config, settings.feature_repo, skip_source_validation=skip_source_validation)


def run_feast_cli(settings: Settings, args: list[str]) -> int:
    """Run the ``feast`` CLI against our repo with the settings' environment (plan, apply, materialize ...)."""
    feast = shutil.which("feast", path=str(Path(sys.executable).parent)) or shutil.which("feast")
    if feast is None:
        raise ConfigurationError("The feast CLI is not installed in this environment.", hint="Run `make setup`.")
    settings.registry_path.parent.mkdir(parents=True, exist_ok=True)
    env = os.environ | feast_env(settings)
    return subprocess.call([feast, "-c", str(settings.feature_repo), *args], env=env)
