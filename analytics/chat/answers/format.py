"""Numbers written the way the pages write them ($1.23M, 12,345, 2.31%), without importing components.

The guard reads numbers back with the same rules (``analytics.chat.guard``), so a figure the model copies from a
fact, or rounds the way these displays round, is recognised.
"""
from __future__ import annotations

import math

__all__ = ["MISSING", "display", "money", "count", "percent", "days"]

MISSING = "—"
_SUFFIXES = ((1e9, "B"), (1e6, "M"), (1e3, "k"))


def _finite(value) -> float | None:
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def money(value) -> str:
    """``$1.23M`` from a thousand up (like the KPI cards), ``$812.40`` below."""
    value = _finite(value)
    if value is None:
        return MISSING
    sign = "-" if value < 0 else ""
    for threshold, suffix in _SUFFIXES:
        if abs(value) >= threshold:
            return f"{sign}${abs(value) / threshold:.2f}{suffix}"
    return f"{sign}${abs(value):,.2f}"


def count(value) -> str:
    """A whole count with thousands separators."""
    value = _finite(value)
    return MISSING if value is None else f"{value:,.0f}"


def percent(value, digits: int = 1) -> str:
    """A share (0..1) as a percentage."""
    value = _finite(value)
    return MISSING if value is None else f"{value * 100:.{digits}f}%"


def days(value) -> str:
    value = _finite(value)
    return MISSING if value is None else f"{value:,.0f} days"


def display(value, unit: str) -> str:
    """``value`` written for its unit (see ``analytics.chat.facts.Fact``)."""
    if unit == "currency":
        return money(value)
    if unit == "count":
        return count(value)
    if unit == "percent":
        return percent(value)
    if unit == "days":
        return days(value)
    if unit == "score":
        number = _finite(value)
        return MISSING if number is None else f"{number:.2f}"
    return str(value)
