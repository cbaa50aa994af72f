"""detect_leak: a steady growth is found at its slope and start; a GC sawtooth, flat noise and a random walk are not."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.health import LeakReport, detect_leak

NOW = pd.Timestamp("2026-12-07 12:00", tz="UTC")
MB = 2 ** 20
AT = pd.date_range(NOW - pd.Timedelta("12h"), NOW, freq="10s")
HOURS = ((AT - AT[0]) / pd.Timedelta("1h")).to_numpy()


def _rss(values):
    return pd.DataFrame({"at": AT, "value": values})


def _sawtooth(period_min=45.0):
    return 200 * MB + 60 * MB * ((HOURS * 60 / period_min) % 1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_steady_growth_is_a_leak_at_its_slope(seed):
    rng = np.random.default_rng(seed)
    report = detect_leak(_rss(200 * MB + 8 * MB * HOURS + rng.normal(0, 3 * MB, HOURS.size)))
    assert isinstance(report, LeakReport) and report.leaking and report.status == "leaking"
    assert report.slope_per_hour == pytest.approx(8 * MB, rel=0.05)
    assert report.p_value < 1e-6
    assert report.since <= AT[0] + pd.Timedelta("30min")
    assert "RSS leaks: grows 8.0 MB per hour" in report.sentence


def test_growth_under_a_gc_sawtooth_is_a_leak():
    rng = np.random.default_rng(3)
    report = detect_leak(_rss(_sawtooth() + 8 * MB * HOURS + rng.normal(0, MB, HOURS.size)))
    assert report.leaking and report.slope_per_hour == pytest.approx(8 * MB, rel=0.1)


def test_a_leak_that_starts_later_is_dated():
    rng = np.random.default_rng(5)
    report = detect_leak(_rss(200 * MB + 8 * MB * np.maximum(HOURS - 6, 0) + rng.normal(0, 2 * MB, HOURS.size)))
    assert report.leaking
    assert abs(report.since - (AT[0] + pd.Timedelta("6h"))) <= pd.Timedelta("30min")
    assert report.slope_per_hour == pytest.approx(8 * MB, rel=0.1)  # the rate since it began, not the average


@pytest.mark.parametrize("period_min", [20.0, 45.0, 170.0])
def test_gc_sawtooth_is_not_a_leak(period_min):
    rng = np.random.default_rng(6)
    report = detect_leak(_rss(_sawtooth(period_min) + rng.normal(0, MB, HOURS.size)))
    assert not report.leaking and report.status == "no_leak" and report.since is None
    assert report.sentence.startswith("RSS shows no leak")


def test_flat_noise_and_a_small_random_walk_are_not_leaks():
    rng = np.random.default_rng(7)
    assert not detect_leak(_rss(200 * MB + rng.normal(0, 8 * MB, HOURS.size))).leaking
    walk = detect_leak(_rss(200 * MB + np.cumsum(rng.normal(0, 0.3 * MB, HOURS.size))))
    assert not walk.leaking  # may be significant, but far below 10% of the size over the window


def test_hourly_downsampled_points_work_and_short_history_is_reported():
    rng = np.random.default_rng(8)
    at = pd.date_range(NOW - pd.Timedelta("3D"), NOW, freq="1h")
    hours = np.arange(len(at), dtype=float)
    report = detect_leak(pd.DataFrame({"at": at, "value": 300 * MB + 2 * MB * hours + rng.normal(0, MB, len(at))}))
    assert report.leaking and report.slope_per_hour == pytest.approx(2 * MB, rel=0.05)
    short = detect_leak(_rss(200 * MB + np.zeros(HOURS.size)).head(30))
    assert short.status == "not_enough_history" and not short.leaking


def test_hostile_input():
    frame = _rss(200 * MB + np.zeros(HOURS.size)).astype({"value": object})
    frame.loc[3, "value"] = "12 MB"
    with pytest.raises(ValueError, match="column `value` of series has 1 non-numeric entries in rows 3"):
        detect_leak(frame)
