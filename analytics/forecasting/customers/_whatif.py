"""What-if scenarios on the customer forecast: churn in a group, new-customer volume, average order value.

A scenario changes the fitted model's inputs, never refits: a churn multiplier m on a group multiplies those
customers' cancellation hazard by m (their survival to day d becomes ``S(d) ** m``; new customers keep theirs,
their early revenue being measured); the new-customer multiplier scales expected signups; the AOV multiplier
scales every purchase's spend.

Intervals of the change: the forecast's errors are relative (:mod:`._intervals`), so the change of each part
carries that part's relative 90-day total interval, ``change_p * (1 -/+ q_p)``; the total's bounds add the parts'
(their errors taken to move together, which errs wide). The model's parameters are held fixed: the intervals say
how far the revenue itself may land, not how uncertain the hazard or spend estimates are.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.forecasting.customers._existing import ATTRIBUTES

__all__ = ["WhatIf", "WHATIF_COLUMNS", "churn_multipliers", "checked_multiplier"]

WHATIF_COLUMNS = ["part", "baseline", "scenario", "change", "change_pct", "lo-80", "hi-80", "lo-95", "hi-95"]
EVERYONE = "all"


@dataclass(frozen=True)
class WhatIf:
    """The change in the next ``h`` days of revenue under a scenario.

    ``summary``: one row per part (``existing``, ``new``, ``total``) with ``WHATIF_COLUMNS`` (the bounds are
    the change's); ``daily``: ``part, ds, baseline, scenario``.
    """

    summary: pd.DataFrame
    daily: pd.DataFrame
    churn_multiplier: dict
    new_customer_multiplier: float
    aov_multiplier: float

    @property
    def change(self) -> float:
        """The change of total revenue over the horizon."""
        return float(self.summary.loc[self.summary["part"] == "total", "change"].iloc[0])


def checked_multiplier(name: str, value) -> float:
    """``value`` as a finite multiplier >= 0, or a ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0 (1 = as forecast, 2 = double); got {value!r}")
    return float(value)


def _group(customers: pd.DataFrame, key: str) -> np.ndarray:
    """Rows of ``customers`` in the group ``key``: ``"all"``, ``"region=APAC"`` or a value such as ``"APAC"``."""
    if key == EVERYONE:
        return np.ones(len(customers), dtype=bool)
    column, _, value = key.partition("=") if "=" in key else (None, "", key)
    columns = [column] if column else [c for c in ATTRIBUTES if (customers[c].astype(str) == value).any()]
    if column and column not in ATTRIBUTES:
        raise ValueError(f"churn_multiplier key {key!r}: {column!r} is not a customer attribute; use one of "
                         f"{list(ATTRIBUTES)} (e.g. 'region=APAC') or 'all'")
    if not columns or not (customers[columns[0]].astype(str) == value).any():
        known = {c: sorted(customers[c].astype(str).unique()) for c in ATTRIBUTES}
        raise ValueError(f"churn_multiplier key {key!r} matches no active customer; use 'all', a value of "
                         f"{known} or 'column=value'")
    if len(columns) > 1:
        raise ValueError(f"churn_multiplier key {key!r} is a value of {columns}; say which, e.g. "
                         f"'{columns[0]}={value}'")
    return (customers[columns[0]].astype(str) == value).to_numpy()


def churn_multipliers(customers: pd.DataFrame, churn: dict | None) -> np.ndarray:
    """Per active customer, the product of the multipliers of the groups they belong to."""
    out = np.ones(len(customers))
    if churn is None:
        return out
    if not isinstance(churn, dict):
        raise ValueError(f"churn_multiplier must be a dict such as {{'region=APAC': 2.0}}; got {churn!r}")
    for key, value in churn.items():
        out[_group(customers, str(key))] *= checked_multiplier(f"churn_multiplier[{key!r}]", value)
    return out


def _bounds(change: float, q: float) -> tuple[float, float]:
    ends = (change * (1 - q), change * (1 + q))
    return min(ends), max(ends)


def summary_rows(baseline: dict, scenario: dict, relative: dict) -> pd.DataFrame:
    """``WHATIF_COLUMNS`` rows from the parts' totals and their relative interval half-widths per level."""
    rows, total = [], {f"{side}-{lv}": 0.0 for lv in (80, 95) for side in ("lo", "hi")}
    for part in ("existing", "new"):
        change = scenario[part] - baseline[part]
        row = {"part": part, "baseline": baseline[part], "scenario": scenario[part], "change": change}
        for lv in (80, 95):
            row[f"lo-{lv}"], row[f"hi-{lv}"] = _bounds(change, relative[part][lv])
            total[f"lo-{lv}"] += row[f"lo-{lv}"]
            total[f"hi-{lv}"] += row[f"hi-{lv}"]
        rows.append(row)
    rows.append({"part": "total", "baseline": baseline["total"], "scenario": scenario["total"],
                 "change": scenario["total"] - baseline["total"], **total})
    frame = pd.DataFrame(rows)
    frame["change_pct"] = frame["change"] / frame["baseline"].where(frame["baseline"] > 0)
    return frame[WHATIF_COLUMNS]
