"""Download the Kaggle invoice dataset with the official ``kaggle`` package, when credentials exist."""

from __future__ import annotations

import os
from pathlib import Path

from sme_pulse.errors import SourceUnavailableError

_HOW_TO = (
    "Either create an API token at https://www.kaggle.com/settings (Account > API > Create New Token) "
    "and save it as ~/.kaggle/kaggle.json (chmod 600), or export KAGGLE_USERNAME and KAGGLE_KEY; "
    "or land a local copy with `sme-pulse ingest kaggle --from-csv PATH`; "
    "or use synthetic data: `sme-pulse ingest synthetic --rows 50000`."
)


def kaggle_credentials_available(environ: dict[str, str] | None = None, home: Path | None = None) -> bool:
    env = os.environ if environ is None else environ
    if env.get("KAGGLE_USERNAME") and env.get("KAGGLE_KEY"):
        return True
    config_dir = Path(env["KAGGLE_CONFIG_DIR"]) if env.get("KAGGLE_CONFIG_DIR") else None
    home = home or Path.home()
    return any(
        candidate.is_file()
        for candidate in filter(None, [config_dir and config_dir / "kaggle.json", home / ".kaggle" / "kaggle.json"])
    )


def download_dataset(dataset: str, destination: Path) -> list[Path]:
    """Download and unzip ``dataset`` into ``destination``; return the CSV files it contains."""
    if not kaggle_credentials_available():
        raise SourceUnavailableError("No Kaggle credentials found.", hint=_HOW_TO)
    # Imported here: the kaggle package authenticates at import time and fails without credentials.
    from kaggle.api.kaggle_api_extended import KaggleApi

    api = KaggleApi()
    try:
        api.authenticate()
        api.dataset_download_files(dataset, path=str(destination), unzip=True, quiet=False)
    except Exception as exc:  # the kaggle client raises bare Exceptions and HTTP errors
        raise SourceUnavailableError(
            f"Kaggle download of {dataset} failed: {exc}",
            hint="Check the token, that you accepted the dataset's terms on kaggle.com, and network access.",
        ) from exc
    csvs = sorted(destination.rglob("*.csv"))
    if not csvs:
        raise SourceUnavailableError(f"Kaggle dataset {dataset} contained no CSV file.")
    return csvs
