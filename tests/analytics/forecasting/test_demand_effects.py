"""Driver effects against planted lifts: a known promotion lift and spend effect are read back."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.forecasting.demand_effects import driver_effects

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


def test_a_planted_promotion_lift_and_spend_effect_are_read_back():
    y, X = _planted(lift=0.25, per_spend=0.06)
    effects = driver_effects(DAYS, y, X, ["sitewide_promo", "marketing_spend"]).set_index("regressor")
    assert effects.loc["sitewide_promo", "relative"] == pytest.approx(0.25, abs=0.02)
    assert effects.loc["marketing_spend", "relative"] == pytest.approx(0.06, abs=0.015)
    level = y[-365:].mean()
    assert effects.loc["sitewide_promo", "effect"] == pytest.approx(0.25 * level, rel=0.08)
    np.testing.assert_allclose(effects["effect"], effects["relative"] * level)


def test_no_lift_reads_as_about_zero_and_a_fall_as_negative():
    y, X = _planted(lift=0.0, per_spend=0.0, seed=1)
    flat = driver_effects(DAYS, y, X, ["promo", "spend"]).set_index("regressor")["relative"]
    assert abs(flat["promo"]) < 0.015 and abs(flat["spend"]) < 0.015
    y, X = _planted(lift=-0.2, per_spend=0.0, seed=2)
    assert driver_effects(DAYS, y, X, ["promo", "spend"])["relative"].iloc[0] == pytest.approx(-0.2, abs=0.02)


def test_a_series_with_many_zero_days_is_measured_additively():
    rng = np.random.default_rng(3)
    promo = (np.arange(DAYS.size) % 50 < 4).astype(float)
    y = np.where(rng.uniform(size=DAYS.size) < 0.1, 0.0, 20.0) + 8.0 * promo  # 10% empty days, +8 on promotions
    effects = driver_effects(DAYS, y, promo[:, None], ["promo"])
    assert effects["effect"].iloc[0] == pytest.approx(8.0, abs=1.5)
    assert effects["relative"].iloc[0] == pytest.approx(effects["effect"].iloc[0] / y[-365:].mean())


def test_a_driver_that_never_varies_is_left_out_and_bad_shapes_are_named():
    y, X = _planted(lift=0.1, per_spend=0.0)
    X[:, 0] = 0.0
    assert list(driver_effects(DAYS, y, X, ["promo", "spend"])["regressor"]) == ["spend"]
    with pytest.raises(ValueError, match="X has 2 columns but 1 regressors were named"):
        driver_effects(DAYS, y, X, ["promo"])
