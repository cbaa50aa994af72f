"""time_to_limit: a disk filling at a known rate crosses at the known time, inside the interval; the input checks."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.health import LimitForecast, time_to_limit

NOW = pd.Timestamp("2026-12-07 12:00", tz="UTC")


def _frame(at, value):
    return pd.DataFrame({"at": at, "value": value})


def _disk(rate_per_day=2.0, start=50.0, noise=0.3, freq="1h", days=7, seed=0):
    rng = np.random.default_rng(seed)
    at = pd.date_range(NOW - pd.Timedelta(days=days), NOW, freq=freq)
    elapsed = ((at - at[0]) / pd.Timedelta("1D")).to_numpy()
    return _frame(at, start + rate_per_day * elapsed + rng.normal(0, noise, len(at)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_linear_fill_crosses_at_the_known_time_inside_the_interval(seed):
    # 50% + 2%/day from a week ago: 64% now, 90% in 13 days
    result = time_to_limit(_disk(seed=seed), 90, NOW, what="disk full")
    assert isinstance(result, LimitForecast) and result.status == "crosses"
    assert result.days_to_limit == pytest.approx(13.0, abs=0.5)
    assert result.earliest_days <= 13.0 <= result.latest_days
    assert result.earliest_days < result.days_to_limit < result.latest_days
    assert result.rate_per_day == pytest.approx(2.0, rel=0.1)
    assert result.crossing_at == pytest.approx(NOW + pd.Timedelta(days=13), abs=pd.Timedelta("12h"))
    assert result.sentence.startswith("disk full in about 13") and "(80%: " in result.sentence
    assert "Sun 20 Dec" in result.sentence and result.sentence.endswith("UTC")
    assert list(result.forecast.columns) == ["at", "mean", "lo-80", "hi-80"]


def test_irregular_raw_samples_are_binned():
    rng = np.random.default_rng(4)
    seconds = np.sort(rng.uniform(0, 86400, 6000))
    at = NOW - pd.to_timedelta(86400 - seconds, unit="s")
    days = ((at - NOW) / pd.Timedelta("1D")).to_numpy()
    result = time_to_limit(_frame(at, 80 + 3 * days + rng.normal(0, 0.2, len(at))), 90, NOW)
    assert result.status == "crosses"
    assert result.days_to_limit == pytest.approx(10 / 3, abs=0.2)
    assert result.earliest_days <= 10 / 3 <= result.latest_days


def test_flat_and_falling_series_do_not_cross():
    flat = time_to_limit(_disk(rate_per_day=0.0, noise=0.5), 90, NOW)
    falling = time_to_limit(_disk(rate_per_day=-1.0, start=80), 90, NOW)
    for result in (flat, falling):
        assert result.status == "no_crossing" and result.crossing_at is None and result.days_to_limit is None
        assert "not expected within 30 days" in result.sentence
    assert falling.rate_per_day < 0


def test_crossing_beyond_the_horizon_is_not_reported():
    result = time_to_limit(_disk(rate_per_day=0.5), 90, NOW, horizon_days=10)
    assert result.status == "no_crossing" and result.horizon_days == 10


def test_already_over_and_not_enough_history():
    over = time_to_limit(_disk(start=95), 90, NOW)
    assert over.status == "already_over" and over.days_to_limit is None
    short = time_to_limit(_disk().tail(5), 90, NOW)
    assert short.status == "not_enough_history" and "not enough history" in short.sentence
    assert short.forecast.empty


def test_a_week_of_hourly_points_is_fast():
    import time
    start = time.perf_counter()
    time_to_limit(_disk(), 90, NOW)
    assert time.perf_counter() - start < 2.0  # generous: the target is well under a second


@pytest.mark.parametrize("frame, words", [
    (pd.DataFrame({"at": [], "value": []}), "no rows"),
    (pd.DataFrame({"time": [NOW], "value": [1.0]}), "`at`"),
    ([1, 2, 3], "DataFrame"),
    (_frame(pd.date_range(NOW, periods=3, freq="h"), [1.0, np.nan, 2.0]), "column `value` of series has 1 NaN"),
    (_frame(pd.date_range(NOW, periods=3, freq="h"), [1.0, "x", 2.0]), "non-numeric"),
    (_frame(pd.date_range(NOW, periods=3, freq="h")[::-1], [1.0, 2.0, 3.0]), "sort_values('at')"),
    (_frame([NOW, NOW, NOW + pd.Timedelta("1h")], [1.0, 2.0, 3.0]), "repeats 1 timestamps"),
    (_frame(["yesterday-ish", "2026-12-07", "2026-12-08"], [1.0, 2.0, 3.0]), "column `at`"),
])
def test_hostile_inputs_name_the_column_and_the_fix(frame, words):
    with pytest.raises(ValueError, match=None) as info:
        time_to_limit(frame, 90, NOW)
    assert words in str(info.value)


def test_bad_arguments():
    with pytest.raises(ValueError, match="limit must be a finite number"):
        time_to_limit(_disk(), float("nan"), NOW)
    with pytest.raises(ValueError, match="horizon_days must be > 0"):
        time_to_limit(_disk(), 90, NOW, horizon_days=0)
    with pytest.raises(ValueError, match="not a timestamp"):
        time_to_limit(_disk(), 90, "soon")


def test_a_long_horizon_on_a_short_fine_history_says_how_far_it_reaches():
    rng = np.random.default_rng(9)
    at = pd.date_range(NOW - pd.Timedelta("1h"), NOW, freq="10s")
    result = time_to_limit(_frame(at, 40 + rng.normal(0, 0.1, at.size)), 90, NOW, horizon_days=30)
    assert result.status == "no_crossing" and result.horizon_days < 30
    assert f"not expected within {result.horizon_days:.3g} days" in result.sentence


def test_results_are_frozen():
    import dataclasses
    result = time_to_limit(_disk(), 90, NOW)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.status = "changed"


def _cycling(seed):
    """Two weeks of hourly memory percent swinging 40-60 with the day, no trend."""
    rng = np.random.default_rng(seed)
    at = pd.date_range(NOW - pd.Timedelta(days=14), NOW, freq="1h")
    return _frame(at, 50 + 10 * np.sin(2 * np.pi * at.hour.to_numpy() / 24) + rng.normal(0, 1, len(at)))


def _falling(seed):
    """Two weeks of a queue length falling from 20 to ~0 (never below 0)."""
    rng = np.random.default_rng(seed)
    at = pd.date_range(NOW - pd.Timedelta(days=14), NOW, freq="1h")
    days = ((at - at[0]) / pd.Timedelta("1D")).to_numpy()
    return _frame(at, np.clip(20 * np.exp(-days / 3) + rng.normal(0, 0.3, len(at)), 0, None))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_daily_cycle_over_a_long_horizon_is_not_extrapolated(seed):
    # hourly steps 720 ahead once carried the last hour's slope (-80 per day) and a band of +-12,000 to 90 in 36 h
    result = time_to_limit(_cycling(seed), 90, NOW, horizon_days=30, what="memory full")
    assert result.status == "no_crossing" and result.earliest_at is None
    assert result.forecast["hi-80"].max() < 75 and result.forecast["lo-80"].min() > 25
    assert abs(result.rate_per_day) < 1


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("horizon_days", [30, 90])
def test_a_falling_series_keeps_its_band_non_negative_and_away_from_the_limit(seed, horizon_days):
    # the trend band once reached 90 within 30 days and went down to -480 for a series that only fell
    result = time_to_limit(_falling(seed), 90, NOW, horizon_days=horizon_days, what="queue full")
    assert result.status == "no_crossing" and result.earliest_at is None
    assert (result.forecast["lo-80"] >= 0).all() and result.forecast["hi-80"].max() < 90
