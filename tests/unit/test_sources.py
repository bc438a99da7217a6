"""Kaggle credentials are detected without importing the client; FX rates are dated and forward-filled."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from sme_pulse.bronze.kaggle_source import download_dataset, kaggle_credentials_available
from sme_pulse.errors import SourceUnavailableError
from sme_pulse.reference.fx import known_currencies, load_fx_rates, monthly_fx_table


def test_credentials_come_from_env_or_kaggle_json(tmp_path: Path) -> None:
    assert kaggle_credentials_available({"KAGGLE_USERNAME": "u", "KAGGLE_KEY": "k"}, home=tmp_path)
    assert not kaggle_credentials_available({}, home=tmp_path)
    (tmp_path / ".kaggle").mkdir()
    (tmp_path / ".kaggle" / "kaggle.json").write_text('{"username": "u", "key": "k"}')
    assert kaggle_credentials_available({}, home=tmp_path)


def test_download_without_credentials_says_exactly_what_to_do(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("KAGGLE_USERNAME", raising=False)
    monkeypatch.delenv("KAGGLE_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "none"))
    with pytest.raises(SourceUnavailableError) as error:
        download_dataset("owner/dataset", tmp_path)
    assert "--from-csv" in (error.value.hint or "") and "KAGGLE_KEY" in (error.value.hint or "")


def test_fx_month_takes_the_latest_rate_and_carries_it_forward() -> None:
    rates = pd.DataFrame(
        {
            "currency": ["USD", "USD"],
            "effective_date": [date(2019, 1, 1), date(2019, 3, 1)],
            "vnd_per_unit": [100.0, 130.0],
        }
    )
    table = monthly_fx_table(rates, until=date(2019, 5, 1)).set_index("fx_month")["vnd_per_unit"]
    assert table[date(2019, 2, 1)] == 100.0
    assert table[date(2019, 3, 1)] == 130.0
    assert table[date(2019, 5, 1)] == 130.0
    assert date(2018, 12, 1) not in table.index


def test_the_reference_covers_the_currencies_of_the_kaggle_file() -> None:
    assert {"USD", "CAD", "VND"} <= known_currencies()
    assert (load_fx_rates()["vnd_per_unit"] > 0).all()
