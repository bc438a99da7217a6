"""Identifier normalization shared by Silver (Spark) and serving (Python): one rule, two implementations.

ERP extracts write the same customer as ``0200769623`` and ``200769623``: numeric ids lose their leading
zeros. Non-numeric ids (``CCU013``) are trimmed and upper-cased. Both implementations are tested against
the same cases (tests/unit/test_ids.py).
"""

from __future__ import annotations

import re

_DIGITS = re.compile(r"^[0-9]+$")
_FLOAT_ID = re.compile(r"^([0-9]+)\.0*$")


def normalize_customer_id(raw: str) -> str:
    """Canonical customer id: numeric ids without leading zeros, others trimmed and upper-case."""
    value = raw.strip().upper()
    if _DIGITS.match(value):
        return value.lstrip("0") or "0"
    return value


def normalize_document_id(raw: str) -> str | None:
    """``1929003413.0`` -> ``1929003413``; None when the value is not an integer id."""
    value = raw.strip()
    match = _FLOAT_ID.match(value)
    if match:
        value = match.group(1)
    if not _DIGITS.match(value):
        return None
    return value.lstrip("0") or "0"
