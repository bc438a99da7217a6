"""Error hierarchy. Each error says what went wrong *and* what to do about it (``hint``).

The CLI prints ``message`` + ``hint`` and exits non-zero; the API maps each type to an HTTP status
(see ``serving/api/errors.py``) with a JSON body carrying the same two fields.
"""

from __future__ import annotations


class SmePulseError(Exception):
    """Base class: every failure the product expects carries a remedy."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class ConfigurationError(SmePulseError):
    """A setting or the environment is wrong (missing Java, bad path, bad URL)."""


class SourceUnavailableError(SmePulseError):
    """An input source cannot be read (no Kaggle credentials, missing file)."""


class DeltaJarsUnavailableError(SmePulseError):
    """The Delta Lake jars for Spark could not be resolved or found in the cache."""


class InvalidInputError(SmePulseError):
    """Input that is structurally wrong (bad CSV header, unknown column set)."""


class DataQualityError(SmePulseError):
    """A data-quality gate failed; the published data was left as it was."""

    exit_code = 3


class FeatureUnavailableError(SmePulseError):
    """Features could not be read (registry not applied, online store down, table missing)."""


class OnlineStoreUnavailableError(FeatureUnavailableError):
    """The online store (Redis) cannot be reached."""


class ModelUnavailableError(SmePulseError):
    """No usable model in the registry (never trained, alias missing, failed to load)."""
