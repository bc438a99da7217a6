"""Run a Great Expectations (1.x) suite as a gate: Data Docs under the lakehouse, failures by severity.

The GX project lives in ``<lakehouse>/quality/gx``; every run updates its Data Docs site
(``.../uncommitted/data_docs/local_site/index.html``). A gate result lists each failed expectation with its
counts and a few unexpected values; ``raise_for_critical`` turns critical failures into a
``DataQualityError`` whose message names every broken rule.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sme_pulse.errors import DataQualityError
from sme_pulse.quality.policy import CRITICAL
from sme_pulse.settings import Settings

log = logging.getLogger("sme_pulse.quality")

# No usage statistics leave the machine (and no network is needed): set before GX is imported.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@dataclass(frozen=True)
class Failure:
    rule: str  # expectation type, e.g. expect_column_values_to_not_be_null
    column: str | None
    severity: str
    description: str
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    examples: list[Any] = field(default_factory=list)
    observed: Any = None

    def describe(self) -> str:
        where = f" on {self.column}" if self.column else ""
        parts = [f"{self.rule}{where}: {self.description}"]
        if self.unexpected_count is not None:
            parts.append(f"{self.unexpected_count:,} rows ({(self.unexpected_percent or 0):.2f} %)")
        if self.examples:
            parts.append("e.g. " + ", ".join(repr(e) for e in self.examples[:5]))
        if self.observed is not None:
            parts.append(f"observed {self.observed!r}")
        return "; ".join(parts)


@dataclass(frozen=True)
class GateResult:
    gate: str
    evaluated: int
    failures: list[Failure]
    docs: Path | None

    @property
    def critical(self) -> list[Failure]:
        return [f for f in self.failures if f.severity == CRITICAL]

    @property
    def warnings(self) -> list[Failure]:
        return [f for f in self.failures if f.severity != CRITICAL]

    @property
    def passed(self) -> bool:
        return not self.critical

    def raise_for_critical(self) -> None:
        if self.critical:
            lines = "\n  - ".join(f.describe() for f in self.critical)
            raise DataQualityError(
                f"Quality gate '{self.gate}' failed {len(self.critical)} critical expectation(s):\n  - {lines}",
                hint=f"Nothing was published. Report: {self.docs}" if self.docs else "Nothing was published.",
            )


def _context(settings: Settings):  # type: ignore[no-untyped-def]
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    root = settings.data_dir / "quality"
    root.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(root))
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def _batch_definition(context, name: str, spark: bool):  # type: ignore[no-untyped-def]
    source = (
        context.data_sources.add_or_update_spark("spark")
        if spark
        else context.data_sources.add_or_update_pandas("pandas")
    )
    try:
        asset = source.get_asset(name)
    except LookupError:
        asset = source.add_dataframe_asset(name)
    try:
        return asset.get_batch_definition(name)
    except (LookupError, KeyError):
        return asset.add_batch_definition_whole_dataframe(name)


def run_gate(settings: Settings, gate: str, data: Any, expectations: list[Any]) -> GateResult:
    """Validate ``data`` (a pandas or Spark DataFrame) against ``expectations`` and update the Data Docs."""
    import great_expectations as gx

    context = _context(settings)
    spark = not hasattr(data, "iloc")
    batch_definition = _batch_definition(context, gate, spark)
    suite = context.suites.add_or_update(gx.ExpectationSuite(name=f"{gate}_suite", expectations=expectations))
    validation = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=f"{gate}_validation", data=batch_definition, suite=suite)
    )
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=f"{gate}_checkpoint",
            validation_definitions=[validation],
            actions=[gx.checkpoint.UpdateDataDocsAction(name="update_data_docs")],
            result_format={"result_format": "SUMMARY", "partial_unexpected_count": 5},
        )
    )
    result = checkpoint.run(batch_parameters={"dataframe": data})
    failures = []
    evaluated = 0
    for run in result.run_results.values():
        for item in run.results:
            evaluated += 1
            if item.success:
                continue
            config = item.expectation_config
            details = item.result or {}
            severity = getattr(config.severity, "value", str(config.severity))
            failures.append(
                Failure(
                    rule=config.type,
                    column=config.kwargs.get("column") or config.kwargs.get("column_A"),
                    severity=severity,
                    description=(config.description or config.type.replace("_", " ")),
                    unexpected_count=details.get("unexpected_count"),
                    unexpected_percent=details.get("unexpected_percent"),
                    examples=list(details.get("partial_unexpected_list") or [])[:5],
                    observed=details.get("observed_value"),
                )
            )
    docs = settings.data_dir / "quality" / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    outcome = GateResult(gate, evaluated, failures, docs if docs.exists() else None)
    for warning in outcome.warnings:
        log.warning("quality gate %s (warning): %s", gate, warning.describe())
    return outcome
