"""forecast() and backtest() on long frames: shapes, fallbacks, parallelism and bad input."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.forecasting import GBMForecaster, SeasonalNaive, Theta, backtest, forecast
from analytics.forecasting.api import _scores
from analytics.forecasting.members import global_members

COLUMNS = ["unique_id", "ds", "mean", "lo-80", "hi-80", "lo-95", "hi-95", "model"]
FAST = [SeasonalNaive(), Theta()]


def _series(uid, n, m=12, level=20.0, seed=0, start="2024-01-01"):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = level + 4 * np.sin(2 * np.pi * t / m) + rng.normal(0, 1, n)
    return pd.DataFrame({"unique_id": uid, "ds": pd.date_range(start, periods=n, freq="h"), "y": y})


@pytest.fixture(scope="module")
def panel():
    constant = _series("flat", 40).assign(y=7.0)
    return pd.concat([_series("long", 96, seed=1), _series("nonseasonal", 15, seed=2),
                      _series("tiny", 3, seed=3), constant], ignore_index=True)


def test_forecast_returns_long_frame_with_fallbacks_reported(panel):
    out = forecast(panel, h=6, season_length=12, models=FAST)
    assert list(out.columns) == COLUMNS
    assert out.groupby("unique_id").size().to_dict() == {"flat": 6, "long": 6, "nonseasonal": 6, "tiny": 6}
    model = out.groupby("unique_id")["model"].first()
    assert model["long"] == "ensemble" or "best member" in model["long"]
    assert "non-seasonal" in model["nonseasonal"]
    assert model["tiny"] == "naive (short series)"
    assert model["flat"] == "naive (constant series)"
    long = out[out.unique_id == "long"]
    assert long["ds"].iloc[0] == pd.Timestamp("2024-01-01") + pd.Timedelta(hours=96)
    assert (long["ds"].diff().dropna() == pd.Timedelta(hours=1)).all()
    flat = out[out.unique_id == "flat"]
    assert np.allclose(flat["mean"], 7.0) and (flat["hi-95"] > flat["lo-95"]).all()
    assert (flat["hi-95"] - flat["lo-95"] < 1.0).all()


def test_parallel_equals_sequential(panel):
    pd.testing.assert_frame_equal(
        forecast(panel, 6, 12, models=FAST, n_jobs=2), forecast(panel, 6, 12, models=FAST)
    )


def test_multiple_seasons_and_default_members():
    df = _series("a", 120, m=12)
    out = forecast(df, 12, season_length=[12, 24], level=[90])
    assert list(out.columns) == ["unique_id", "ds", "mean", "lo-90", "hi-90", "model"]
    assert len(out) == 12


def test_regressors_reach_members_that_use_them():
    df = _series("a", 120, seed=4)
    promo = (np.arange(120) % 5 == 0).astype(float)
    df["y"] += 8 * promo
    X = df[["unique_id", "ds"]].assign(promo=promo)
    future = pd.date_range(df.ds.iloc[-1], periods=7, freq="h")[1:]
    X_future = pd.DataFrame({"unique_id": "a", "ds": future, "promo": [1, 0, 0, 0, 0, 0]})
    gbm = GBMForecaster(max_iter=60, random_state=0)
    out = forecast(df, 6, 12, models=[gbm], X=X, X_future=X_future, n_windows=2)
    without = forecast(df, 6, 12, models=[gbm], X=X, X_future=X_future.assign(promo=0.0), n_windows=2)
    assert out["mean"].iloc[0] - without["mean"].iloc[0] > 4  # the true promo effect is 8
    with pytest.raises(ValueError, match="regressor 'promo' of series 'a' has 1 missing"):
        forecast(df, 6, 12, models=[gbm], X=X.iloc[1:], X_future=X_future, n_windows=2)
    with pytest.raises(ValueError, match="X_future needs 6 rows"):
        forecast(df, 6, 12, models=[gbm], X=X, X_future=X_future.iloc[:3])


def test_backtest_scores_every_member_and_the_ensemble(panel):
    out = backtest(panel, h=6, n_windows=2, season_length=12, models=FAST)
    assert list(out.columns) == ["unique_id", "model", "n_windows", "mase", "smape", "coverage-80", "coverage-95"]
    long = out[out.unique_id == "long"].set_index("model")
    assert {"ensemble", "SeasonalNaive", "Theta"} <= set(long.index)
    assert (long["n_windows"] == 2).all() and (long["mase"] > 0).all()
    assert out.loc[out.unique_id == "tiny", "model"].tolist() == ["(too short to backtest)"]
    flat = out[out.unique_id == "flat"].iloc[0]
    assert flat["model"] == "naive (constant series)" and np.isnan(flat["mase"])  # undefined: zero scale


def test_scores_follow_the_m4_definitions():
    pred = pd.DataFrame({"mean": [10.0, 0.0], "lo-80": [9.0, -1.0], "hi-80": [11.0, 1.0]})
    row = _scores(np.array([12.0, 0.0]), pred, scale=2.0, levels=(80,))
    assert row["mase"] == pytest.approx(0.5)
    assert row["smape"] == pytest.approx((200 * 2 / 22 + 0) / 2)
    assert row["coverage-80"] == 0.5


@pytest.mark.parametrize("change, match", [
    (lambda d: d.rename(columns={"y": "sales"}), r"missing column\(s\) \['y'\]"),
    (lambda d: pd.concat([d, d.tail(1)]), "share a \\(unique_id, ds\\) pair"),
    (lambda d: d.drop(index=[10, 11]), "series 'a' has a gap: 2 missing timestamps, the first at 2024-01-01 10:00"),
    (lambda d: d.assign(y=d.y.where(d.index != 5)), "series 'a' has 1 NaN values"),
    (lambda d: d.assign(ds=d.ds + pd.to_timedelta(np.r_[0, 17, np.zeros(len(d) - 2)], "min")), "irregular timestamps"),
])
def test_bad_input_names_what_where_and_how(change, match):
    with pytest.raises(ValueError, match=match):
        forecast(change(_series("a", 48)), 6, 12, models=FAST)


def test_horizon_must_be_positive():
    for h in (0, -1):
        with pytest.raises(ValueError, match="positive integer"):
            forecast(_series("a", 48), h, 12)
        with pytest.raises(ValueError, match="positive integer"):
            backtest(_series("a", 48), h, 2, 12)


def test_gaps_are_interpolated_on_request_and_negatives_warn():
    df = _series("a", 48).drop(index=[10, 11])
    out = forecast(df, 4, 12, models=FAST, fill="interpolate")
    assert len(out) == 4
    with pytest.warns(UserWarning, match="negative values"):
        forecast(_series("a", 48, level=0.0), 4, 12, models=FAST)


def test_integer_timestamps_and_extra_columns_are_fine():
    df = _series("a", 48).assign(ds=np.arange(100, 148), region="north")
    out = forecast(df, 3, 12, models=FAST)
    assert out["ds"].tolist() == [148, 149, 150]
    assert len(backtest(df, 3, 2, 12, models=FAST)) == 3  # ensemble and both members


@pytest.fixture(scope="module")
def many():
    """Six related seasonal series (scaled copies with their own noise) and one too short for the global model."""
    frames = [_series(f"s{k}", 120, level=20.0 * (k + 1), seed=10 + k) for k in range(6)]
    return pd.concat([*frames, _series("short", 30, seed=20)], ignore_index=True)


def test_global_models_join_the_ensemble_of_every_long_series(many):
    gbm = GBMForecaster(12, max_iter=30, random_state=0, holdout=0.0)
    local = forecast(many, 6, 12, models=FAST, n_windows=2)
    both = forecast(many, 6, 12, models=FAST, n_windows=2, global_models=[gbm])
    assert list(both.columns) == COLUMNS and len(both) == len(local)
    changed = both.groupby("unique_id")["mean"].sum() != local.groupby("unique_id")["mean"].sum()
    assert not changed["short"]  # 30 - 2 * 6 points leave less than two seasons before the first cutoff
    assert changed.drop("short").any()
    pd.testing.assert_frame_equal(both, forecast(many, 6, 12, models=FAST, n_windows=2, global_models=[gbm], n_jobs=2))


def test_global_members_default_runs_with_regressors(many):
    X = many[["unique_id", "ds"]].assign(promo=(many.groupby("unique_id").cumcount() % 7 == 0).astype(float))
    last = many.groupby("unique_id")["ds"].max()
    X_future = pd.concat([pd.DataFrame({"unique_id": u, "ds": pd.date_range(d, periods=7, freq="h")[1:],
                                        "promo": 0.0}) for u, d in last.items()])
    (gbm,) = global_members(12)
    out = forecast(many, 6, 12, models=FAST, n_windows=2, X=X, X_future=X_future,
                   global_models=[gbm.set_params(max_iter=20)])
    assert len(out) == 7 * 6 and np.isfinite(out["mean"]).all()


def test_criterion_reaches_every_ensemble(many):
    out = forecast(many, 6, 12, models=FAST, n_windows=2, criterion="mase_smape")
    assert len(out) == 7 * 6 and np.isfinite(out["mean"]).all()
    with pytest.raises(ValueError, match="criterion='owa' is not an option"):
        forecast(many, 6, 12, models=FAST, n_windows=2, criterion="owa")
