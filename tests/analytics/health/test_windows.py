"""low_traffic_windows / next_slots: a planted weekly trough at Sunday 03:00 is the first window."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.health import LowTrafficWindow, low_traffic_windows, next_slots

START = pd.Timestamp("2026-10-05", tz="UTC")  # a Monday


def _load(weeks=6, seed=0):
    rng = np.random.default_rng(seed)
    at = pd.date_range(START, periods=24 * 7 * weeks, freq="1h")
    values = 100 + 50 * np.sin(2 * np.pi * (at.hour.to_numpy() - 9) / 24) + rng.normal(0, 5, at.size)
    values[(at.dayofweek == 6) & (at.hour == 3)] = 5.0  # the weekly trough
    return pd.DataFrame({"at": at, "value": values})


def test_planted_sunday_trough_is_the_first_window():
    windows = low_traffic_windows(_load(), duration_hours=1, count=3)
    assert len(windows) == 3 and all(isinstance(w, LowTrafficWindow) for w in windows)
    first = windows[0]
    assert (first.weekday, first.hour, first.duration_hours) == (6, 3, 1)
    assert first.label == "Sun 03:00–04:00 UTC" and first.relative_load < 0.1
    assert [w.mean_load for w in windows] == sorted(w.mean_load for w in windows)
    assert all(w.hour in (1, 2, 3, 4, 5) for w in windows[1:])  # then the nightly lows (trough at 03:00)


def test_multi_hour_windows_do_not_overlap():
    windows = low_traffic_windows(_load(), duration_hours=3, count=4)
    covered = [(w.weekday * 24 + w.hour + k) % 168 for w in windows for k in range(3)]
    assert len(covered) == len(set(covered))
    assert windows[0].weekday == 6 and windows[0].hour in (1, 2, 3)


def test_next_slots_gives_the_next_concrete_times():
    windows = low_traffic_windows(_load(), count=1)
    now = pd.Timestamp("2026-12-07 12:00", tz="UTC")  # Monday
    assert next_slots(windows, now, days=7) == [pd.Timestamp("2026-12-13 03:00", tz="UTC")]
    assert next_slots(windows, now, days=14) == [pd.Timestamp("2026-12-13 03:00", tz="UTC"),
                                                 pd.Timestamp("2026-12-20 03:00", tz="UTC")]
    at_start = pd.Timestamp("2026-12-13 03:00", tz="UTC")
    assert next_slots(windows, at_start, days=1) == [at_start]
    assert next_slots(windows, "2026-12-13 03:30", days=1) == []


def test_less_than_a_week_gives_daily_windows():
    windows = low_traffic_windows(_load().head(72), duration_hours=2, count=2)
    assert all(w.weekday is None for w in windows) and windows[0].label.startswith("daily ")
    slots = next_slots(windows, pd.Timestamp("2026-12-07 12:00", tz="UTC"), days=2)
    assert len(slots) == 4 and slots == sorted(slots)


def test_bad_inputs():
    with pytest.raises(ValueError, match="at least 24 hours"):
        low_traffic_windows(_load().head(10))
    with pytest.raises(ValueError, match="duration_hours must be a whole number"):
        low_traffic_windows(_load(), duration_hours=0)
    with pytest.raises(ValueError, match="lacks column"):
        low_traffic_windows(_load().rename(columns={"value": "load"}))
    with pytest.raises(ValueError, match="days must be > 0"):
        next_slots([], "2026-12-07", days=0)
