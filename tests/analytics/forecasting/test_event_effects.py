"""The event regression against planted lifts: a known promotion lift and spend effect are read back, with
95% intervals that hold them."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.forecasting.events import EventFit, fit_event_effects, relative_lift

DAYS = pd.date_range("2023-01-02", periods=3 * 365, freq="D")


def _planted(lift: float, per_spend: float, seed: int = 0):
    """Demand with weekday, yearly season, trend and noise; promotions (5-day runs) and spend multiply it."""
    rng = np.random.default_rng(seed)
    t = np.arange(DAYS.size)
    weekday = np.array([0.94, 0.92, 0.95, 1.0, 1.08, 1.13, 0.98])[DAYS.dayofweek]
    season = 1 + 0.12 * np.cos(2 * np.pi * (DAYS.dayofyear.to_numpy() - 345) / 365.25)
    promo = np.zeros(DAYS.size)
    for start in range(30, DAYS.size - 5, 61):
        promo[start:start + 5] = 1.0
    spend = 2.0 + 0.5 * np.sin(2 * np.pi * t / 41) + rng.uniform(-0.3, 0.3, DAYS.size)  # hundreds per day
    base = 1000.0 * (1 + 0.0004 * t) * weekday * season
    y = base * (1 + lift * promo) * (1 + per_spend) ** (spend - 2.0) * rng.lognormal(0, 0.04, DAYS.size)
    return y, np.column_stack([promo, spend])


def _lifts(fit: EventFit, z: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Relative lift of each event column (per unit) and of each extra control, ``z`` standard errors up."""
    extra = EventFit(fit.extra_coef, fit.extra_se, fit.multiplicative, fit.level, fit.extra_coef, fit.extra_se)
    return relative_lift(fit, 1.0, z), relative_lift(extra, 1.0, z)


def test_a_planted_promotion_lift_and_spend_effect_are_read_back_inside_their_intervals():
    y, X = _planted(lift=0.25, per_spend=0.06)
    fit = fit_event_effects(y, X[:, :1], extra=X[:, 1:])
    (promo,), (spend,) = _lifts(fit)
    assert fit.multiplicative
    assert promo == pytest.approx(0.25, abs=0.02)
    assert spend == pytest.approx(0.06, abs=0.015)
    (low,), (spend_low,) = _lifts(fit, -1.96)
    (high,), (spend_high,) = _lifts(fit, 1.96)
    assert low <= 0.25 <= high and spend_low <= 0.06 <= spend_high
    assert high - low < 0.1, "three years of daily data pin a promotion lift down to a few points"


def test_no_lift_reads_as_about_zero_and_a_fall_as_negative():
    y, X = _planted(lift=0.0, per_spend=0.0, seed=1)
    (promo,), (spend,) = _lifts(fit_event_effects(y, X[:, :1], extra=X[:, 1:]))
    assert abs(promo) < 0.015 and abs(spend) < 0.015
    y, X = _planted(lift=-0.2, per_spend=0.0, seed=2)
    (promo,), _ = _lifts(fit_event_effects(y, X[:, :1], extra=X[:, 1:]))
    assert promo == pytest.approx(-0.2, abs=0.02)


def test_a_series_with_many_zero_days_is_measured_additively():
    rng = np.random.default_rng(3)
    promo = (np.arange(DAYS.size) % 50 < 4).astype(float)
    y = np.where(rng.uniform(size=DAYS.size) < 0.1, 0.0, 20.0) + 8.0 * promo  # 10% empty days, +8 on promotions
    fit = fit_event_effects(y, promo[:, None])
    assert not fit.multiplicative
    assert fit.coef[0] == pytest.approx(8.0, abs=1.5)
    assert relative_lift(fit, 1.0)[0] == pytest.approx(fit.coef[0] / y[-365:].mean())
    np.testing.assert_allclose(fit.restore(fit.remove(y, promo[:, None]), promo[:, None]), y)


def test_removing_and_restoring_events_round_trips_on_the_log_scale():
    y, X = _planted(lift=0.3, per_spend=0.0, seed=4)
    fit = fit_event_effects(y, X[:, :1])
    adjusted = fit.remove(y, X[:, :1])
    on = X[:, 0] == 1
    assert adjusted[on].mean() < y[on].mean() / 1.2, "promotion days are brought down to a normal level"
    np.testing.assert_allclose(fit.restore(adjusted, X[:, :1]), y)
