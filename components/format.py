"""Number formatting shared by cards, figures and tables."""
from __future__ import annotations

import math

__all__ = ["MISSING", "finite", "format_value", "format_exact", "format_delta"]

MISSING = "—"  # what a missing number reads as, on cards, tiles and in grids
_SUFFIXES = ((1e9, "B"), (1e6, "M"), (1e3, "k"))


def _compact(value: float) -> str:
    for threshold, suffix in _SUFFIXES:
        if abs(value) >= threshold:
            return f"{value / threshold:.2f}{suffix}"
    return f"{value:,.0f}"


def finite(value) -> float | None:
    """``value`` as a float, or None when it is missing (None, NaN, inf)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def format_value(value: float | None, unit: str) -> str:
    """Render a KPI value: ``currency`` ($1.23M), ``count`` (12,345) or ``percent`` (2.31%)."""
    if value is None or not math.isfinite(value):
        return MISSING
    if unit == "currency":
        return f"${_compact(value)}" if abs(value) >= 1e3 else f"${value:,.2f}"
    if unit == "percent":
        return f"{value * 100:.2f}%"
    if unit == "count":
        return f"{value:,.0f}"
    raise ValueError(f"unknown unit {unit!r}; use 'currency', 'count' or 'percent'")


def format_exact(value: float | None, unit: str) -> str:
    """The full-precision rendering shown on hover (cents, whole counts, 4-decimal percent)."""
    if value is None or not math.isfinite(value):
        return MISSING
    if unit == "currency":
        return f"${value:,.2f}"
    if unit == "percent":
        return f"{value * 100:.4f}%"
    return format_value(value, unit)


def format_delta(delta: float | None) -> str:
    """Render a relative change as an arrow and a signed percentage."""
    if delta is None or not math.isfinite(delta):
        return "n/a"
    arrow = "▲" if delta > 0 else "▼" if delta < 0 else "■"
    return f"{arrow} {delta * 100:+.1f}%"
