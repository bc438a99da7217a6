"""The CLI as a user meets it: help, landing synthetic data twice, the Kaggle hint, env exports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from sme_pulse.cli import app
from sme_pulse.settings import Settings

runner = CliRunner()


def test_help_lists_every_stage() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("ingest", "silver", "features", "feast", "materialize", "train", "score", "serve", "gold",
                    "report", "validate", "status", "env"):  # fmt: skip
        assert command in result.output


def test_landing_the_same_synthetic_file_twice_is_a_no_op(settings: Settings) -> None:
    first = runner.invoke(app, ["ingest", "synthetic", "--rows", "300", "--seed", "9"])
    second = runner.invoke(app, ["ingest", "synthetic", "--rows", "300", "--seed", "9"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output
    assert len(list((settings.bronze_dir / "kaggle_invoices").rglob("*.csv"))) == 1
    status = runner.invoke(app, ["status"])
    assert status.exit_code == 0 and "1 landed file(s), 300 rows" in status.output


def test_kaggle_without_credentials_exits_non_zero_and_says_what_to_do(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAGGLE")}
    env |= {
        "HOME": str(tmp_path),
        "KAGGLE_CONFIG_DIR": str(tmp_path / "none"),
        "SME_PULSE_DATA_DIR": str(tmp_path / "lh"),
    }
    result = subprocess.run([sys.executable, "-m", "sme_pulse.cli", "ingest", "kaggle"], capture_output=True,
                            text=True, env=env, timeout=120)  # fmt: skip
    assert result.returncode == 1
    assert "No Kaggle credentials" in result.stderr and "--from-csv" in result.stderr
    assert "Traceback" not in result.stderr


def test_env_prints_the_variables_feature_store_yaml_reads(settings: Settings) -> None:
    result = runner.invoke(app, ["env"])
    assert result.exit_code == 0
    assert f"export SME_PULSE_FEAST_REGISTRY_PATH={settings.registry_path}" in result.output
    assert "export SME_PULSE_FEAST_REDIS=127.0.0.1:6379,db=0" in result.output
