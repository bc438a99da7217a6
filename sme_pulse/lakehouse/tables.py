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
}


def table_path(settings: Settings, name: str) -> Path:
    """Absolute path of a named table under ``settings.data_dir``."""
    try:
        relative = TABLES[name]
    except KeyError:
        raise KeyError(f"unknown lakehouse table {name!r}; known: {', '.join(sorted(TABLES))}") from None
    return settings.data_dir / relative
