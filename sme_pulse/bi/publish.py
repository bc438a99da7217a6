"""``sme-pulse gold publish``: Gold as one DuckDB file that Metabase, Superset or a notebook can open.

Each Gold Delta table becomes a DuckDB table (its current Delta version, read with delta-rs), plus a few
views for the common questions and a ``_published_tables`` table saying which Delta version each came from.
The file is written under a temporary name and renamed, so a BI tool never opens half a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from sme_pulse.errors import SourceUnavailableError
from sme_pulse.lakehouse.tables import TABLES, table_path
from sme_pulse.settings import Settings

DATABASE_NAME = "sme_pulse_gold.duckdb"
VIEWS = {
    "v_open_invoices": """
        SELECT f.*, c.customer_name, c.payment_segment, s.expected_payment_date, s.p10_payment_date,
               s.p90_payment_date, s.predicted_delay_days, s.model_version
        FROM fact_ar_invoices f
        LEFT JOIN dim_ar_customer c ON c.customer_sk = f.customer_sk
        LEFT JOIN uc_ar_high_risk s ON s.invoice_id = f.invoice_id
        WHERE f.status = 'open'""",
    "v_customer_current": "SELECT * FROM dim_ar_customer WHERE is_current",
    "v_dso_monthly": """
        SELECT date_trunc('month', date) AS month, last(dso_days ORDER BY date) AS dso_days,
               last(open_amount_vnd ORDER BY date) AS open_amount_vnd,
               last(overdue_amount_vnd ORDER BY date) AS overdue_amount_vnd
        FROM kpi_ar_dso_analysis GROUP BY 1 ORDER BY 1""",
}


@dataclass(frozen=True)
class Publication:
    path: Path
    tables: dict[str, int]  # table -> rows
    views: list[str]


def gold_tables() -> list[str]:
    return [name for name, relative in TABLES.items() if relative.startswith("gold/")]


def publish(settings: Settings, target: Path | None = None) -> Publication:
    from deltalake import DeltaTable

    target = target or settings.gold_dir / DATABASE_NAME
    present = [name for name in gold_tables() if (table_path(settings, name) / "_delta_log").is_dir()]
    if not present:
        raise SourceUnavailableError("No Gold tables to publish.", hint="Run `sme-pulse gold build` first.")
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.unlink(missing_ok=True)
    rows: dict[str, int] = {}
    meta = []
    with duckdb.connect(str(tmp)) as con:
        for name in present:
            delta = DeltaTable(str(table_path(settings, name)))
            table: pa.Table = delta.to_pyarrow_table()
            con.register("incoming", table)
            con.sql(f'CREATE TABLE "{name}" AS SELECT * FROM incoming')
            con.unregister("incoming")
            rows[name] = table.num_rows
            meta.append((name, int(delta.version()), table.num_rows, str(table_path(settings, name))))
        views = []
        for view, sql in VIEWS.items():
            needed = {"fact_ar_invoices", "dim_ar_customer", "uc_ar_high_risk", "kpi_ar_dso_analysis"}
            if all(t in rows for t in needed if t in sql):
                con.sql(f'CREATE VIEW "{view}" AS {sql}')
                views.append(view)
        con.sql(
            "CREATE TABLE _published_tables (table_name VARCHAR, delta_version BIGINT, row_count BIGINT, "
            "delta_path VARCHAR, published_at TIMESTAMPTZ)"
        )
        now = datetime.now(UTC)
        con.executemany("INSERT INTO _published_tables VALUES (?, ?, ?, ?, ?)", [(*m, now) for m in meta])
    tmp.replace(target)
    return Publication(target, rows, views)
