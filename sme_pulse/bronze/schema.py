"""The raw invoice file's layout, exactly as Kaggle/HighRadius publishes it.

The header repeats ``document_create_date``; the second occurrence is the posting date in ``yyyymmdd``.
Bronze keeps the header as it is; readers refer to columns by position through ``RAW_FIELDS``.
"""

from __future__ import annotations

RAW_HEADER: tuple[str, ...] = (
    "business_code",
    "cust_number",
    "name_customer",
    "clear_date",
    "buisness_year",
    "doc_id",
    "posting_date",
    "document_create_date",
    "document_create_date",
    "due_in_date",
    "invoice_currency",
    "document type",
    "posting_id",
    "area_business",
    "total_open_amount",
    "baseline_create_date",
    "cust_payment_terms",
    "invoice_id",
    "isOpen",
)

# Unique, code-friendly names for the same positions (what Spark and pandas readers use).
RAW_FIELDS: tuple[str, ...] = (
    "business_code",
    "cust_number",
    "name_customer",
    "clear_date",
    "buisness_year",
    "doc_id",
    "posting_date",
    "document_create_date",
    "document_create_date_1",
    "due_in_date",
    "invoice_currency",
    "document_type",
    "posting_id",
    "area_business",
    "total_open_amount",
    "baseline_create_date",
    "cust_payment_terms",
    "invoice_id",
    "isOpen",
)


def header_problems(header: list[str]) -> list[str]:
    """Human-readable differences between a file's header and the expected one (empty when equal)."""
    cleaned = [name.strip().lstrip("\ufeff") for name in header]
    if tuple(cleaned) == RAW_HEADER:
        return []
    problems: list[str] = []
    missing = [name for name in dict.fromkeys(RAW_HEADER) if name not in cleaned]
    extra = [name for name in cleaned if name not in RAW_HEADER]
    if missing:
        problems.append(f"missing columns: {', '.join(missing)}")
    if extra:
        problems.append(f"unexpected columns: {', '.join(extra)}")
    if not problems:
        problems.append(f"columns are in a different order or count ({len(cleaned)} found, {len(RAW_HEADER)} expected)")
    return problems
