"""capacity_plan: traffic growing so that 2 workers run out on a known date; the date and the workers recovered."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.health import CapacityPlan, HorizonPlan, capacity_plan

NOW = pd.Timestamp("2026-12-07 00:00", tz="UTC")


def _load(seed=0, growth_per_day=1.0, weeks=8):
    """Weekday peaks of 1.5x the level at 15:00, weekends at 60%, level 50 + growth per day, 3% noise."""
    rng = np.random.default_rng(seed)
    at = pd.date_range(NOW - pd.Timedelta(weeks=weeks), NOW, freq="1h", inclusive="left")
    days = ((at - at[0]) / pd.Timedelta("1D")).to_numpy()
    daily = 1 + 0.5 * np.sin(2 * np.pi * (at.hour.to_numpy() - 9) / 24)
    weekly = np.where(at.dayofweek.to_numpy() >= 5, 0.6, 1.0)
    true = (50 + growth_per_day * days) * daily * weekly
    return pd.DataFrame({"at": at, "value": true * np.exp(rng.normal(0, 0.03, at.size))}), at[0]


@pytest.mark.parametrize("seed", [0, 1])
def test_two_workers_run_out_near_the_known_date(seed):
    load, start = _load(seed)
    # the weekday peak 1.5 * (50 + d) passes 2 x 100 at d = 83.3 days after the start: Sun 3 Jan 2027
    known = start + pd.Timedelta(days=200 / 1.5 - 50)
    plan = capacity_plan(load, per_worker_capacity=100, current_workers=2)
    assert isinstance(plan, CapacityPlan) and plan.status == "planned"
    assert known - pd.Timedelta(days=7) <= plan.runs_out_on <= known + pd.Timedelta(days=1)
    mean_daily = plan.forecast.set_index("at")["mean"].resample("1D").max()
    assert abs(mean_daily[mean_daily > 200].index[0] - known) <= pd.Timedelta(days=3)
    # peaks: 1.5 * (50 + 86) = 204 in 30 days, 1.5 * (50 + 146) = 294 in 90; with 20% headroom 3 and 4 workers
    h30, h90 = plan.horizons
    assert isinstance(h30, HorizonPlan) and (h30.days, h90.days) == (30, 90)
    assert h30.peak_mean == pytest.approx(204, rel=0.05) and h90.peak_mean == pytest.approx(294, rel=0.05)
    assert h30.peak_mean <= h30.peak_hi80 <= h30.peak_hi95
    assert (h30.recommended_workers, h90.recommended_workers) == (3, 4)
    assert "2 workers (capacity 200) run out around" in plan.sentence
    assert len(plan.forecast) == 90 * 24
    assert {"at", "mean", "lo-80", "hi-80", "lo-95", "hi-95"} <= set(plan.forecast.columns)


def test_flat_traffic_never_runs_out_and_needs_one_worker():
    load, _ = _load(2, growth_per_day=0.0)
    plan = capacity_plan(load, per_worker_capacity=100, current_workers=2)
    assert plan.runs_out_on is None and "suffice for the next 90 days" in plan.sentence
    assert [h.recommended_workers for h in plan.horizons] == [1, 1]  # peak 75 * 1.2 = 90 < 100


def test_short_history_and_bad_arguments():
    load, _ = _load(3)
    short = capacity_plan(load.tail(30), per_worker_capacity=100, current_workers=2)
    assert short.status == "not_enough_history" and short.runs_out_on is None and short.forecast.empty
    with pytest.raises(ValueError, match="per_worker_capacity must be a positive number"):
        capacity_plan(load, per_worker_capacity=0, current_workers=2)
    with pytest.raises(ValueError, match="horizons must be whole numbers of days"):
        capacity_plan(load, per_worker_capacity=100, current_workers=2, horizons=(0,))
    with pytest.raises(ValueError, match="level must be 80 or 95"):
        capacity_plan(load, per_worker_capacity=100, current_workers=2, level=90)
    with pytest.raises(ValueError, match="column `value` of load has 1 NaN"):
        capacity_plan(load.assign(value=load["value"].where(load.index != 5)), per_worker_capacity=100,
                      current_workers=2)
