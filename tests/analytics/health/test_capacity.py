"""capacity_plan: traffic growing so that 2 workers run out on a known date; the date and the workers recovered.
Falling, near-zero, flat noisy, spiky and short loads keep bounded, non-negative bands and modest plans."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.health import CapacityPlan, HorizonPlan, capacity_plan

NOW = pd.Timestamp("2026-12-07 00:00", tz="UTC")


def _load(seed=0, growth_per_day=1.0, weeks=8, noise=0.03):
    """Weekday peaks of 1.5x the level at 15:00, weekends at 60%, level 50 + growth per day, 3% noise."""
    rng = np.random.default_rng(seed)
    at = pd.date_range(NOW - pd.Timedelta(weeks=weeks), NOW, freq="1h", inclusive="left")
    days = ((at - at[0]) / pd.Timedelta("1D")).to_numpy()
    daily = 1 + 0.5 * np.sin(2 * np.pi * (at.hour.to_numpy() - 9) / 24)
    weekly = np.where(at.dayofweek.to_numpy() >= 5, 0.6, 1.0)
    true = (50 + growth_per_day * days) * daily * weekly
    return pd.DataFrame({"at": at, "value": true * np.exp(rng.normal(0, noise, at.size))}), at[0]


@pytest.mark.parametrize("seed", [0, 1])
def test_two_workers_run_out_near_the_known_date(seed):
    load, start = _load(seed)
    # the weekday peak 1.5 * (50 + d) passes 2 x 100 at d = 83.3 days after the start: Sun 3 Jan 2027
    known = start + pd.Timedelta(days=200 / 1.5 - 50)
    plan = capacity_plan(load, per_worker_capacity=100, current_workers=2)
    assert isinstance(plan, CapacityPlan) and plan.status == "planned"
    assert known - pd.Timedelta(days=7) <= plan.runs_out_on <= known + pd.Timedelta(days=1)
    mean_daily = plan.forecast.set_index("at")["mean"].resample("1D").max()
    # the forecast is of the daily peak of noisy hours, ~3% above the noise-free peak: it passes 200 days earlier
    crossing = mean_daily[mean_daily > 200].index[0]
    assert known - pd.Timedelta(days=6) <= crossing <= known + pd.Timedelta(days=3)
    # peaks: 1.5 * (50 + 86) = 204 in 30 days, 1.5 * (50 + 146) = 294 in 90; with 20% headroom 3 and 4 workers
    h30, h90 = plan.horizons
    assert isinstance(h30, HorizonPlan) and (h30.days, h90.days) == (30, 90)
    assert h30.peak_mean == pytest.approx(204, rel=0.05) and h90.peak_mean == pytest.approx(294, rel=0.05)
    assert h30.peak_mean <= h30.peak_hi80 <= h30.peak_hi95
    assert (h30.recommended_workers, h90.recommended_workers) == (3, 4)
    assert "2 workers (capacity 200) run out around" in plan.sentence
    assert len(plan.forecast) == 90 * 24  # the daily peak forecast laid out over the hours
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


def _declining(seed=0, weeks=4):
    """A load falling from ~6 to ~0.1 requests/s, zero at night (a daily cycle), 20% noise."""
    rng = np.random.default_rng(seed)
    at = pd.date_range(NOW - pd.Timedelta(weeks=weeks), NOW, freq="1h", inclusive="left")
    days = ((at - at[0]) / pd.Timedelta("1D")).to_numpy()
    cycle = np.clip(np.sin(2 * np.pi * (at.hour.to_numpy() - 9) / 24), 0, None)
    level = 3.0 * np.exp(-days / 5) + 0.05
    return pd.DataFrame({"at": at, "value": level * (0.1 + 2 * cycle) * np.exp(rng.normal(0, 0.2, at.size))})


def _spiky(seed=0):
    """The flat load with a 1-hour burst of 5x on 12 random hours."""
    load, _ = _load(seed, growth_per_day=0.0)
    hits = np.random.default_rng(seed).choice(len(load), 12, replace=False)
    load.loc[hits, "value"] *= 5
    return load


def _bands_sound(plan):
    f = plan.forecast
    assert np.isfinite(f[["mean", "lo-80", "hi-80", "lo-95", "hi-95"]].to_numpy()).all()
    assert (f["lo-95"] >= 0).all() and (f["lo-95"] <= f["lo-80"] + 1e-9).all()
    assert (f["lo-80"] <= f["mean"] + 1e-9).all() and (f["mean"] <= f["hi-80"] + 1e-9).all()
    assert (f["hi-80"] <= f["hi-95"] + 1e-9).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_declining_load_near_zero_needs_one_worker_and_never_runs_out(seed):
    load = _declining(seed)
    plan = capacity_plan(load, per_worker_capacity=25, current_workers=2)
    # the hourly-profile ETS forecast a 90-day upper peak of 54-230 here and planned up to 12 workers
    assert plan.runs_out_on is None and [h.recommended_workers for h in plan.horizons] == [1, 1]
    assert plan.horizons[-1].peak_hi95 <= 1.5 * load["value"].max()
    _bands_sound(plan)


@pytest.mark.parametrize("seed", [0, 1])
def test_a_flat_noisy_load_stays_within_its_history(seed):
    load, _ = _load(seed, growth_per_day=0.0, noise=0.25)
    plan = capacity_plan(load, per_worker_capacity=100, current_workers=2)
    assert plan.horizons[-1].peak_hi80 <= 1.5 * load["value"].max()
    assert plan.horizons[-1].peak_mean <= load["value"].max()
    _bands_sound(plan)


@pytest.mark.parametrize("seed", [0, 1])
def test_a_spiky_load_does_not_explode(seed):
    load = _spiky(seed)
    plan = capacity_plan(load, per_worker_capacity=100, current_workers=4)
    assert plan.horizons[-1].peak_hi95 <= 1.5 * load["value"].max()
    assert plan.horizons[-1].recommended_workers <= int(np.ceil(1.5 * load["value"].max() * 1.2 / 100))
    _bands_sound(plan)


def test_a_short_history_plans_with_bounded_bands():
    load, _ = _load(4, growth_per_day=0.0)
    plan = capacity_plan(load.tail(24 * 3), per_worker_capacity=100, current_workers=2)
    assert plan.status == "planned" and len(plan.forecast) == 90 * 24
    assert plan.horizons[-1].peak_hi80 <= 1.5 * load["value"].tail(24 * 3).max()
    _bands_sound(plan)


def test_a_history_ending_mid_day_is_continued_from_the_next_hour():
    load, _ = _load(5)
    plan = capacity_plan(load.iloc[:-11], per_worker_capacity=100, current_workers=2)  # ends at 12:00
    assert plan.forecast["at"].iloc[0] == load["at"].iloc[-11]
    # the rest of today is forecast as tomorrow's peak, ~1.5 * (50 + 56), not as the 90th day's ~300
    assert 80 < plan.forecast["mean"].iloc[:24].max() < 190
