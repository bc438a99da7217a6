"""Where every lakehouse table lives, relative to the lakehouse root: the one map of the layout."""

from __future__ import annotations

from pathlib import Path

from sme_pulse.settings import Settings

TABLES: dict[str, str] = {
    # Silver: typed, cleaned training truth
    "stg_ar_invoices": "silver/stg_ar_invoices",
    "quarantine_ar_invoices": "silver/quarantine/ar_invoices",
    "ingest_log_ar_invoices": "silver/_ingest_log/ar_invoices",
    # Silver: point-in-time feature tables (Feast sources)
    "ftr_customer_payment_behavior": "silver/features/ftr_customer_payment_behavior",
    "ftr_customer_open_ar": "silver/features/ftr_customer_open_ar",
    "ftr_business_payment_behavior": "silver/features/ftr_business_payment_behavior",
    "ftr_invoice_terms": "silver/features/ftr_invoice_terms",
    # Gold: scores and BI
    "score_payment_pred": "gold/score_payment_pred",
    "score_ar_priority": "gold/score_ar_priority",
    "score_payment_backtest": "gold/score_payment_backtest",
    # Gold: BI model (dimensions, fact, KPI marts, use cases)
    "dim_date": "gold/dim_date",
    "dim_business": "gold/dim_business",
    "dim_ar_customer": "gold/dim_ar_customer",
    "fact_ar_invoices": "gold/fact_ar_invoices",
    "kpi_ar_dso_analysis": "gold/kpi_ar_dso_analysis",
    "kpi_ar_aging": "gold/kpi_ar_aging",
    "kpi_collection_effectiveness": "gold/kpi_collection_effectiveness",
    "uc_ar_high_risk": "gold/uc_ar_high_risk",
    "uc_cash_flow_forecast": "gold/uc_cash_flow_forecast",
    "uc_payment_anomalies": "gold/uc_payment_anomalies",
}


def table_path(settings: Settings, name: str) -> Path:
    """Absolute path of a named table under ``settings.data_dir``."""
    try:
        relative = TABLES[name]
    except KeyError:
        raise KeyError(f"unknown lakehouse table {name!r}; known: {', '.join(sorted(TABLES))}") from None
    return settings.data_dir / relative
