"""``sme-pulse``: one CLI over every pipeline stage. Commands are thin; the work lives in typed functions."""

from __future__ import annotations

import json
import logging
import shlex
import sys
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from sme_pulse.console import console, display, progress, summary_table
from sme_pulse.errors import SmePulseError
from sme_pulse.settings import Settings, get_settings

app = typer.Typer(
    help="SME Pulse: invoice payment-date prediction on a Delta lakehouse and a Feast feature store.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
ingest_app = typer.Typer(help="Land raw invoice files in Bronze (unchanged, with a manifest).", no_args_is_help=True)
silver_app = typer.Typer(help="Build the typed, cleaned Silver Delta tables.", no_args_is_help=True)
setup_app = typer.Typer(help="One-time set-up steps (Delta jars).", no_args_is_help=True)
gold_app = typer.Typer(help="Gold for BI: build the tables, publish them to DuckDB.", no_args_is_help=True)
features_app = typer.Typer(help="Build the point-in-time feature tables in Silver.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")
app.add_typer(silver_app, name="silver")
app.add_typer(setup_app, name="setup")
app.add_typer(features_app, name="features")
app.add_typer(gold_app, name="gold")


# --------------------------------------------------------------------------------------------- setup
@setup_app.command("jars")
def setup_jars() -> None:
    """Resolve the Delta Lake jars once into the local cache (later Spark starts need no network)."""
    from sme_pulse.spark.jars import delta_artifact, resolve_delta_jars

    settings = get_settings()
    with console.status(f"Resolving {delta_artifact().coordinate} from {settings.maven_repo} ..."):
        jars = resolve_delta_jars(settings)
    console.print(f"[green]{len(jars)} jars cached[/green] under {jars[0].parent}")


# -------------------------------------------------------------------------------------------- ingest
def _print_landing(result_rows: list[tuple[object, ...]]) -> None:
    console.print(
        summary_table("Bronze landing", ["file", "rows", "sha256", "status"], result_rows),
    )


@ingest_app.command("synthetic")
def ingest_synthetic(
    rows: Annotated[int, typer.Option(min=1, help="Number of invoices to generate.")] = 50_000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same file.")] = 42,
    customers: Annotated[
        int | None, typer.Option(min=1, help="Number of customers (default: rows / 11, as in the real file).")
    ] = None,
) -> None:
    """Generate calibrated synthetic invoices (same columns and formats as Kaggle) and land them."""
    from sme_pulse.bronze.landing import land_file
    from sme_pulse.bronze.synthetic import SyntheticSpec, write_synthetic_csv

    settings = get_settings()
    spec = SyntheticSpec(rows=rows, seed=seed, customers=customers)
    suffix = f"_c{customers}" if customers else ""
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / f"synthetic_invoices_r{rows}_s{seed}{suffix}.csv"
        with progress() as bar:
            task = bar.add_task("generating invoices", total=rows)
            write_synthetic_csv(csv_path, spec, on_progress=lambda n: bar.advance(task, n))
        result = land_file(
            csv_path,
            settings.bronze_dir,
            source=f"synthetic:rows={rows},seed={seed},customers={spec.customer_count}",
        )
    m = result.manifest
    _print_landing(
        [
            (
                settings.bronze_dir / m.path,
                m.rows,
                m.sha256[:12],
                "landed" if result.created else "already landed (no-op)",
            )
        ]
    )


@ingest_app.command("kaggle")
def ingest_kaggle(
    from_csv: Annotated[
        Path | None, typer.Option("--from-csv", help="Land this local CSV instead of downloading.")
    ] = None,
) -> None:
    """Download the Kaggle invoice dataset (needs credentials) or land a local copy with --from-csv."""
    from sme_pulse.bronze.kaggle_source import download_dataset
    from sme_pulse.bronze.landing import land_file

    settings = get_settings()
    rows: list[tuple[object, ...]] = []
    with tempfile.TemporaryDirectory() as tmp:
        if from_csv is not None:
            files, source = [from_csv.expanduser().resolve()], f"file:{from_csv}"
        else:
            files, source = (
                download_dataset(settings.kaggle_dataset, Path(tmp)),
                f"kaggle:{settings.kaggle_dataset}",
            )
        for csv_file in files:
            result = land_file(csv_file, settings.bronze_dir, source=source)
            m = result.manifest
            rows.append(
                (
                    settings.bronze_dir / m.path,
                    m.rows,
                    m.sha256[:12],
                    "landed" if result.created else "already landed (no-op)",
                )
            )
    _print_landing(rows)


# -------------------------------------------------------------------------------------------- silver
@silver_app.command("build")
def silver_build(
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Reprocess every landed file, not only new ones.")
    ] = False,
) -> None:
    """Build silver/stg_ar_invoices (Delta MERGE on invoice_id) and silver/quarantine/ar_invoices."""
    from spark_jobs.silver.stg_ar_invoices import run

    settings = get_settings()
    with console.status("Building Silver with Spark + Delta ..."):
        report = run(settings, full_refresh=full_refresh)
    rows = [
        (
            f.source_file,
            f.bronze_rows,
            f.silver_rows,
            f.quarantined_rows,
            f.inserted,
            f.updated,
            f.unchanged,
            "ok" if f.balanced else "MISMATCH",
        )
        for f in report.files
    ]
    console.print(
        summary_table(
            "Bronze -> Silver reconciliation (bronze = silver + quarantined)",
            ["file", "bronze", "silver", "quarantined", "inserted", "updated", "unchanged", "check"],
            rows,
        )
    )
    for f in report.files:
        for rule, count in sorted(f.rules.items()):
            console.print(f"  quarantined [yellow]{rule}[/yellow]: {display(count)}")
    if report.skipped_files:
        console.print(f"{report.skipped_files} file(s) already processed (use --full-refresh to redo).")
    console.print(
        f"silver/stg_ar_invoices at Delta version {report.table_version}; "
        f"quarantine at version {report.quarantine_version}"
    )
    if any(not f.balanced for f in report.files):
        raise typer.Exit(code=4)


# ------------------------------------------------------------------------------------------ features
@features_app.command("build")
def features_build(
    table: Annotated[list[str] | None, typer.Option("--table", help="Only this feature table (repeatable).")] = None,
) -> None:
    """Compute the PIT feature tables from silver/stg_ar_invoices and MERGE them into silver/features/."""
    from spark_jobs.features.job import run

    settings = get_settings()
    with console.status("Computing point-in-time feature tables with Spark ..."):
        report = run(settings, tables=table)
    console.print(
        summary_table(
            f"Feature tables (known up to {report.horizon}, exclusive)",
            ["table", "Delta version", "rows computed", "inserted", "updated"],
            [(name, s.version, s.source_rows, s.inserted, s.updated) for name, s in report.tables.items()],
        )
    )


@features_app.command("apply")
def features_apply() -> None:
    """Register the feature repo (entities, sources, views, services) in the Feast registry."""
    from sme_pulse.feature_store import apply_feature_repo

    settings = get_settings()
    apply_feature_repo(settings)
    console.print(f"[green]Feast registry updated[/green]: {settings.registry_path}")


# ---------------------------------------------------------------------------------------------- feast
@app.command("env")
def env_command() -> None:
    """Print `export` lines for the variables feature_store.yaml reads (for the plain `feast` CLI).

    Example: cd feature_repo && eval "$(sme-pulse env)" && feast plan
    """
    from sme_pulse.feature_store import feast_env

    for name, value in feast_env(get_settings()).items():
        typer.echo(f"export {name}={shlex.quote(value)}")


@app.command(
    "feast",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []},
)
def feast_cli(ctx: typer.Context) -> None:
    """Run the feast CLI on feature_repo/ with this project's settings (plan, apply, materialize ...).

    Example: sme-pulse feast plan; sme-pulse feast materialize-incremental 2026-01-01T00:00:00
    """
    from sme_pulse.feature_store import run_feast_cli

    raise typer.Exit(code=run_feast_cli(get_settings(), list(ctx.args)))


# -------------------------------------------------------------------------------------- materialize
@app.command("materialize")
def materialize_command(
    full: Annotated[
        bool, typer.Option("--full", help="Reload each view's whole TTL window, not only new rows.")
    ] = False,
    view: Annotated[list[str] | None, typer.Option("--view", help="Only this feature view (repeatable).")] = None,
) -> None:
    """Load the latest feature values into the Redis online store (incremental by default)."""
    from sme_pulse.materialize import materialize

    settings = get_settings()
    with console.status("Materializing features into Redis ..."):
        report = materialize(settings, full=full, views=view)
    console.print(
        summary_table(
            "Materialization into Redis" + (" (full)" if full else " (incremental)"),
            ["feature view", "from", "to", "entity rows", "seconds", "rows/s"],
            [
                (
                    v.view,
                    v.start.strftime("%Y-%m-%d %H:%M"),
                    v.end.strftime("%Y-%m-%d %H:%M"),
                    v.rows,
                    v.seconds,
                    v.rows / v.seconds if v.seconds else 0.0,
                )
                for v in report.views
            ],
        )
    )
    console.print(f"Redis now holds {report.redis_keys:,} entity keys for the project ({report.seconds:.1f} s in all).")


# ---------------------------------------------------------------------------------------------- serve
@app.command("serve")
def serve_command(
    host: Annotated[str | None, typer.Option(help="Bind address (default SME_PULSE_API_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default SME_PULSE_API_PORT).")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Uvicorn worker processes.")] = 1,
) -> None:
    """Serve POST /predict/payment-date (FastAPI + uvicorn); docs at /docs, metrics at /metrics."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "serving.api.main:app_factory",
        factory=True,
        host=host or settings.api_host,
        port=port or settings.api_port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )


# -------------------------------------------------------------------------------------------- train
@app.command("train")
def train_command(
    as_json: Annotated[bool, typer.Option("--json", help="End with one JSON object on stdout.")] = False,
) -> None:
    """Train the payment-date model from the feature service, log it to MLflow, register and promote it."""
    from training.pipeline import train

    settings = get_settings()
    with console.status("Training XGBoost on point-in-time features from Feast ..."):
        result = train(settings)
    m = result.metrics
    console.print(
        summary_table(
            f"Test window ({int(m['test_rows'])} invoices) - model v{result.model_version} -> {result.alias}",
            ["metric", "model", "due-date baseline", "customer-mean baseline"],
            [
                ("MAE (days)", m["test_mae"], m["baseline_due_date_mae"], m["baseline_customer_mean_mae"]),
                ("RMSE (days)", m["test_rmse"], m["baseline_due_date_rmse"], m["baseline_customer_mean_rmse"]),
                (
                    "median AE",
                    m["test_median_ae"],
                    m["baseline_due_date_median_ae"],
                    m["baseline_customer_mean_median_ae"],
                ),
                (
                    "within +-3 days",
                    m["test_within_3d"],
                    m["baseline_due_date_within_3d"],
                    m["baseline_customer_mean_within_3d"],
                ),
            ],
        )
    )
    console.print(
        f"MAE ratio to the due-date baseline: [bold]{m['test_mae_ratio_to_due_date']:.2f}[/bold] "
        f"(published reference on the full Kaggle file: 3.16 / 4.27 = 0.74); "
        f"P10-P90 coverage {m['test_interval_coverage']:.0%}"
    )
    console.print(
        summary_table(
            "MAE by business code",
            list(result.evaluation.by_business.columns),
            result.evaluation.by_business.itertuples(index=False),
        )
    )
    console.print(
        summary_table(
            "MAE by customer history (cleared invoices before posting)",
            list(result.evaluation.by_history.columns),
            result.evaluation.by_history.itertuples(index=False),
        )
    )
    verdict = "[green]promoted to champion[/green]" if result.promoted else "[yellow]kept as challenger[/yellow]"
    console.print(f"{settings.model_name} v{result.model_version} {verdict}: " + "; ".join(result.reasons))
    console.print(f"MLflow run {result.run_id} in {settings.tracking_uri}")
    if as_json:
        typer.echo(json.dumps(result.summary()))


@app.command("score")
def score_command() -> None:
    """Score every open invoice with the champion into gold/score_payment_pred and gold/score_ar_priority."""
    from sme_pulse.feature_store import get_feature_store
    from training.registry import CHAMPION, load_model
    from training.score import score_backtest, score_open_invoices

    settings = get_settings()
    with console.status("Scoring open invoices with the champion model ..."):
        store, champion = get_feature_store(settings), load_model(settings, CHAMPION)
        report = score_open_invoices(settings, store, champion)
        backtested = score_backtest(settings, store, champion)
    console.print(
        f"Scored [bold]{report.scored:,}[/bold] open invoices as of {report.as_of} with "
        f"{settings.model_name} v{report.model_version}: gold/score_payment_pred "
        f"(Delta v{report.payment_pred_version}), gold/score_ar_priority (Delta v{report.priority_version})"
    )
    console.print(f"Back-tested {backtested:,} invoices paid in the last 180 days into gold/score_payment_backtest")


# ---------------------------------------------------------------------------------------------- gold
@gold_app.command("build")
def gold_build() -> None:
    """Build the Gold dimensions, fact, KPI marts and use-case tables (Spark, Delta)."""
    from spark_jobs.gold.job import run

    settings = get_settings()
    with console.status("Building Gold with Spark ..."):
        report = run(settings)
    from sme_pulse.lakehouse.inventory import delta_row_count
    from sme_pulse.lakehouse.tables import table_path

    console.print(
        summary_table(
            f"Gold as of {report.as_of} (model v{report.model_version or '-'})",
            ["table", "Delta version", "rows"],
            [(n, v, delta_row_count(table_path(settings, n))) for n, v in report.tables.items()],
        )
    )
    for name in report.skipped:
        console.print(f"[yellow]skipped {name}[/yellow]: no scores yet (run `sme-pulse train` and `sme-pulse score`)")


@gold_app.command("publish")
def gold_publish(
    target: Annotated[
        Path | None, typer.Option(help="DuckDB file (default <lakehouse>/gold/sme_pulse_gold.duckdb).")
    ] = None,
) -> None:
    """Export Gold into one DuckDB file that BI tools (Metabase, Superset, notebooks) open without Spark."""
    from sme_pulse.bi.publish import publish

    publication = publish(get_settings(), target)
    console.print(summary_table("Published to DuckDB", ["table", "rows"], sorted(publication.tables.items())))
    console.print(f"views: {', '.join(publication.views)}")
    console.print(f"[green]{publication.path}[/green]  (e.g. duckdb -readonly {publication.path} 'FROM kpi_ar_aging')")


@app.command("report")
def report_command(
    target: Annotated[
        Path | None, typer.Option(help="HTML file (default <lakehouse>/reports/ar_dashboard.html).")
    ] = None,
) -> None:
    """Render the static HTML accounts-receivable dashboard from Gold."""
    from sme_pulse.bi.report import render

    dashboard = render(get_settings(), target)
    console.print(f"[green]AR dashboard[/green] with {dashboard.charts} charts: {dashboard.path}")


# ------------------------------------------------------------------------------------------ validate
class Stage(StrEnum):
    bronze = "bronze"
    silver = "silver"
    features = "features"
    training = "training"


@app.command("validate")
def validate_command(
    stage: Annotated[list[Stage] | None, typer.Argument(help="Stages to check (default: all).")] = None,
    update_reference: Annotated[
        bool, typer.Option("--update-reference", help="Take a new Silver reference profile from the current table.")
    ] = False,
) -> None:
    """Run the Great Expectations gates; exit non-zero when a critical expectation fails."""
    from sme_pulse.quality import checks

    settings = get_settings()
    if update_reference:
        profile = checks.update_reference(settings)
        console.print(
            f"[green]Reference profile updated[/green] ({profile.rows:,} rows, mean amount "
            f"{profile.amount_mean:,.2f}): sme_pulse/quality/reference/stg_ar_invoices.json - review and commit it."
        )
        return
    stages = stage or list(Stage)
    results = []
    with console.status("Validating ..."):
        if Stage.bronze in stages:
            results += checks.validate_bronze_all(settings)
        if Stage.silver in stages:
            from sme_pulse.spark.session import get_spark

            results += checks.validate_silver_table(settings, get_spark("validate", settings))
        if Stage.features in stages:
            results += checks.validate_features(settings, checks.silver_as_of(settings))
        if Stage.training in stages:
            from sme_pulse.feature_store import get_feature_store
            from training.dataset import load_training_set

            training = load_training_set(settings, get_feature_store(settings)).features
            results.append(checks.validate_training_set(settings, training, None))
    console.print(
        summary_table(
            "Quality gates",
            ["gate", "expectations", "critical failures", "warnings", "verdict"],
            [(r.gate, r.evaluated, len(r.critical), len(r.warnings), "pass" if r.passed else "BLOCK") for r in results],
        )
    )
    for result in results:
        for failure in result.failures:
            colour = "red" if failure in result.critical else "yellow"
            console.print(f"[{colour}]{result.gate} {failure.severity}[/{colour}]: {failure.describe()}")
    docs = next((r.docs for r in results if r.docs), None)
    if docs:
        console.print(f"Data Docs: {docs}")
    if any(not r.passed for r in results):
        raise typer.Exit(code=3)


# -------------------------------------------------------------------------------------------- status
@app.command("status")
def status() -> None:
    """Summarise what the pipeline wrote where (Bronze files, Delta tables with version and rows)."""
    from sme_pulse.lakehouse.inventory import bronze_summary, table_states

    settings = get_settings()
    files, rows = bronze_summary(settings)
    console.print(f"[bold]Lakehouse[/bold] {settings.data_dir}")
    console.print(
        f"Bronze: {files} landed file(s), {display(rows)} rows under {settings.bronze_dir / 'kaggle_invoices'}"
    )
    console.print(
        summary_table(
            "Delta tables",
            ["table", "version", "rows", "path"],
            [
                (s.name, "-" if s.version is None else s.version, "-" if s.rows is None else s.rows, s.path)
                for s in table_states(settings)
            ],
        )
    )
    for line in _serving_state_lines(settings):
        console.print(line)


def _serving_state_lines(settings: Settings) -> list[str]:
    """Feast registry, Redis keys and MLflow aliases, each reported as unavailable rather than failing."""
    lines = []
    if settings.registry_path.exists():
        from sme_pulse.feature_store import get_feature_store

        store = get_feature_store(settings)
        lines.append(
            f"Feast: project {store.project}, {len(store.list_feature_views())} feature views, "
            f"{len(store.list_on_demand_feature_views())} on-demand views, "
            f"{len(store.list_feature_services())} feature services; registry {settings.registry_path}"
        )
        try:
            from sme_pulse.materialize import project_key_count

            lines.append(f"Redis ({settings.redis_url}): {project_key_count(settings, store.project):,} entity keys")
        except Exception as error:  # a status line must not fail because Redis is down
            lines.append(f"Redis ({settings.redis_url}): unreachable ({type(error).__name__})")
    else:
        lines.append(f"Feast: registry not applied yet ({settings.registry_path})")
    if (settings.data_dir / "mlflow").exists() or settings.mlflow_tracking_uri:
        from training.registry import CHALLENGER, CHAMPION, alias_version, configure_mlflow

        client = configure_mlflow(settings)
        aliases = {alias: alias_version(client, settings.model_name, alias) for alias in (CHAMPION, CHALLENGER)}
        described = ", ".join(f"{a} = v{v}" for a, v in aliases.items() if v) or "no aliased versions"
        lines.append(f"MLflow ({settings.tracking_uri}): {settings.model_name}: {described}")
    return lines


def main() -> None:
    """Console entry point: expected failures print their message and hint, not a traceback."""
    from rich.logging import RichHandler

    logging.basicConfig(level=logging.WARNING, format="%(message)s", handlers=[RichHandler(console=console)])
    try:
        app()
    except SmePulseError as error:
        console.print(f"[bold red]error:[/bold red] {error.message}")
        if error.hint:
            console.print(f"[cyan]hint:[/cyan] {error.hint}")
        sys.exit(error.exit_code)


if __name__ == "__main__":
    main()
