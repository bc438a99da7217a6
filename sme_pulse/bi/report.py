"""``sme-pulse report``: a static HTML accounts-receivable dashboard rendered from Gold.

One self-contained file (charts embedded as PNG): KPI tiles, aging by bucket, the DSO trend, predicted cash-in
for the next 90 days with its P10-P90 band, the top collection priorities and the model's accuracy over time.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from sme_pulse.errors import SourceUnavailableError
from sme_pulse.lakehouse.tables import table_path
from sme_pulse.settings import Settings

BUCKET_ORDER = ["current", "1-30", "31-60", "61-90", "90+"]
BILLION = 1e9
BLUE, ORANGE, GREY = "#2b6cb0", "#dd6b20", "#a0aec0"


@dataclass(frozen=True)
class Dashboard:
    path: Path
    charts: int


def _read(settings: Settings, name: str) -> pd.DataFrame | None:
    from deltalake import DeltaTable

    path = table_path(settings, name)
    return DeltaTable(str(path)).to_pandas() if (path / "_delta_log").is_dir() else None


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def aging_chart(aging: pd.DataFrame) -> Figure:
    pivot = aging.pivot_table(index="aging_bucket", columns="business_code", values="open_amount_vnd", aggfunc="sum")
    pivot = pivot.reindex(BUCKET_ORDER).fillna(0) / BILLION
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    bottom = None
    for i, business in enumerate(pivot.columns):
        ax.bar(pivot.index, pivot[business], bottom=bottom, label=business, color=plt.cm.tab10(i))
        bottom = pivot[business] if bottom is None else bottom + pivot[business]
    ax.set(title="Open receivables by aging bucket", ylabel="VND billion", xlabel="days past due")
    ax.legend(fontsize=8, loc="upper left")
    return fig


def dso_chart(dso: pd.DataFrame) -> Figure:
    daily = dso.sort_values("date")
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    ax.plot(pd.to_datetime(daily["date"]), daily["dso_days"], color=BLUE, label="DSO (days)")
    ax.set(title="Days sales outstanding (90-day credit sales)", ylabel="days")
    twin = ax.twinx()
    twin.fill_between(
        pd.to_datetime(daily["date"]),
        daily["overdue_amount_vnd"] / BILLION,
        color=ORANGE,
        alpha=0.25,
        label="overdue (VND bn)",
    )
    twin.set_ylabel("overdue, VND billion")
    fig.autofmt_xdate()
    return fig


def cash_flow_chart(forecast: pd.DataFrame) -> Figure:
    days = pd.to_datetime(forecast["date"])
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    low = forecast[["cumulative_early_cash_in_vnd", "cumulative_late_cash_in_vnd"]].min(axis=1) / BILLION
    high = forecast[["cumulative_early_cash_in_vnd", "cumulative_late_cash_in_vnd"]].max(axis=1) / BILLION
    ax.fill_between(days, low, high, color=BLUE, alpha=0.2, label="P10-P90 band")
    ax.plot(days, forecast["cumulative_expected_cash_in_vnd"] / BILLION, color=BLUE, label="expected")
    ax.bar(days, forecast["expected_cash_in_vnd"] / BILLION, color=GREY, label="expected per day")
    ax.set(title="Predicted cash-in, next 90 days (cumulative)", ylabel="VND billion")
    ax.legend(fontsize=8)
    fig.autofmt_xdate()
    return fig


def accuracy_chart(backtest: pd.DataFrame) -> Figure:
    # By payment month: accuracy as it is observed when payments come in.
    frame = backtest.assign(month=pd.to_datetime(backtest["clear_date"]).dt.to_period("M").dt.to_timestamp())
    frame["abs_error_due_date"] = frame["actual_delay_days"].abs()
    monthly = frame.groupby(["month", "out_of_sample"]).agg(model=("abs_error_days", "mean"))
    monthly = monthly.reset_index().sort_values("month")
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for out_of_sample, style in ((False, ":"), (True, "-")):
        part = monthly[monthly["out_of_sample"] == out_of_sample]
        label = "out of sample" if out_of_sample else "in training window"
        ax.plot(part["month"], part["model"], style, marker="o", color=BLUE, label=f"model MAE ({label})")
    baseline = frame.groupby("month")["abs_error_due_date"].mean()
    ax.plot(baseline.index, baseline.to_numpy(), "--", color=GREY, label="due-date baseline MAE (all)")
    ax.set(title="Model accuracy by payment month (back-test)", ylabel="mean absolute error, days")
    ax.legend(fontsize=8)
    fig.autofmt_xdate()
    return fig


def _tiles(fact: pd.DataFrame, dso: pd.DataFrame | None, cei: pd.DataFrame | None) -> list[tuple[str, str]]:
    open_items = fact[fact["status"] == "open"]
    overdue = open_items["is_overdue"].fillna(False)
    tiles = [
        ("Open receivables", f"{open_items['amount_vnd'].sum() / BILLION:,.1f} bn VND"),
        ("Open invoices", f"{len(open_items):,}"),
        (
            "Overdue share",
            f"{open_items.loc[overdue, 'amount_vnd'].sum() / max(open_items['amount_vnd'].sum(), 1):.0%}",
        ),
    ]
    if dso is not None and not dso.empty:
        tiles.append(("DSO", f"{dso.sort_values('date')['dso_days'].iloc[-1]:,.1f} days"))
    if cei is not None and cei["cei_percent"].notna().any():
        last = cei.dropna(subset=["cei_percent"]).sort_values("month_start").iloc[-1]
        tiles.append((f"CEI {pd.Timestamp(last['month_start']):%b %Y}", f"{last['cei_percent']:.0f} %"))
    return tiles


def render(settings: Settings, target: Path | None = None) -> Dashboard:
    fact = _read(settings, "fact_ar_invoices")
    if fact is None:
        raise SourceUnavailableError("No Gold tables to report on.", hint="Run `sme-pulse gold build` first.")
    aging, dso = _read(settings, "kpi_ar_aging"), _read(settings, "kpi_ar_dso_analysis")
    cei, forecast = _read(settings, "kpi_collection_effectiveness"), _read(settings, "uc_cash_flow_forecast")
    high_risk, backtest = _read(settings, "uc_ar_high_risk"), _read(settings, "score_payment_backtest")
    charts = []
    if aging is not None and not aging.empty:
        charts.append(("Aging", _png(aging_chart(aging))))
    if dso is not None and not dso.empty:
        charts.append(("DSO trend", _png(dso_chart(dso))))
    if forecast is not None and not forecast.empty:
        charts.append(("Cash-in forecast", _png(cash_flow_chart(forecast))))
    if backtest is not None and not backtest.empty:
        charts.append(("Model accuracy", _png(accuracy_chart(backtest))))
    snapshot = fact["snapshot_date"].iloc[0]
    tiles = "".join(
        f'<div class="tile"><div class="label">{html.escape(k)}</div><div class="value">{html.escape(v)}</div></div>'
        for k, v in _tiles(fact, dso, cei)
    )
    grid = "".join(f'<figure><img alt="{t}" src="data:image/png;base64,{b}"></figure>' for t, b in charts)
    table = "<p>No scores yet: run <code>sme-pulse train</code> and <code>sme-pulse score</code>.</p>"
    if high_risk is not None and not high_risk.empty:
        top = high_risk.sort_values("priority_rank").head(15)
        rows = "".join(
            f"<tr><td>{r.priority_rank}</td><td>{html.escape(str(r.invoice_id))}</td>"
            f"<td>{html.escape(str(r.customer_id))}</td><td>{html.escape(str(r.business_code))}</td>"
            f"<td class='num'>{r.amount_vnd / 1e6:,.1f}</td><td>{r.due_date}</td><td class='num'>{r.days_overdue}</td>"
            f"<td>{r.expected_payment_date}</td><td>{r.p10_payment_date} - {r.p90_payment_date}</td>"
            f"<td>{html.escape(str(r.priority_band))}</td></tr>"
            for r in top.itertuples()
        )
        table = (
            "<table><thead><tr><th>#</th><th>invoice</th><th>customer</th><th>business</th><th>amount (M VND)</th>"
            "<th>due</th><th>days overdue</th><th>expected payment</th><th>P10 - P90</th><th>band</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
    model = high_risk["model_version"].iloc[0] if high_risk is not None and not high_risk.empty else "-"
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SME Pulse - AR dashboard</title>
<style>
body {{ font-family: -apple-system, Segoe UI, Roboto, sans-serif; margin: 24px; color: #1a202c; background: #f7fafc; }}
h1 {{ margin: 0 0 4px 0; }} .sub {{ color: #4a5568; margin-bottom: 18px; }}
.tiles {{ display: flex; gap: 12px; flex-wrap: wrap; margin-bottom: 18px; }}
.tile {{ background: white; border-radius: 8px; padding: 12px 16px; box-shadow: 0 1px 2px #cbd5e0; min-width: 150px; }}
.label {{ font-size: 12px; color: #718096; text-transform: uppercase; }} .value {{ font-size: 22px; font-weight: 600; }}
.grid {{ display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 12px; }}
figure {{ margin: 0; background: white; border-radius: 8px; padding: 8px; box-shadow: 0 1px 2px #cbd5e0; }}
img {{ width: 100%; }} table {{ border-collapse: collapse; width: 100%; background: white; font-size: 13px; }}
th, td {{ padding: 6px 8px; border-bottom: 1px solid #e2e8f0; text-align: left; }} .num {{ text-align: right; }}
</style></head><body>
<h1>Accounts receivable - SME Pulse</h1>
<div class="sub">Snapshot {snapshot} &middot; model v{model} &middot; rendered {datetime.now(UTC):%Y-%m-%d %H:%M} UTC
from {html.escape(str(settings.gold_dir))}</div>
<div class="tiles">{tiles}</div>
<div class="grid">{grid}</div>
<h2>Top collection priorities</h2>{table}
</body></html>"""
    target = target or settings.reports_dir / "ar_dashboard.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
    return Dashboard(target, len(charts))
