"""degradation: a planted 3x latency rise (and an error-rate jump) is found; none is found when absent."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.health import Degradation, degradation

NOW = pd.Timestamp("2026-12-07 12:00", tz="UTC")
AT = pd.date_range(NOW - pd.Timedelta("7h"), NOW, freq="10s")
RECENT = np.asarray(AT > NOW - pd.Timedelta("1h"))


def _latency(seed, factor=1.0):
    rng = np.random.default_rng(seed)
    values = 100 + rng.gamma(2.0, 10.0, AT.size)
    values[RECENT] *= factor
    return pd.DataFrame({"at": AT, "value": values})


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_planted_threefold_latency_rise_is_found(seed):
    result = degradation(_latency(seed, 3.0), baseline="6h", recent="1h", name="web.request_p95_ms")
    assert isinstance(result, Degradation) and result.changed and result.status == "degraded"
    assert result.ratio == pytest.approx(3.0, rel=0.1) and result.p_value < 1e-6
    assert result.sentence.startswith("web.request_p95_ms rose since Mon 07 Dec 11:00 UTC")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_no_rise_no_change(seed):
    result = degradation(_latency(seed), baseline="6h", recent="1h")
    assert not result.changed and result.status == "stable" and result.ratio == pytest.approx(1.0, abs=0.1)


def test_a_small_but_significant_shift_is_not_a_degradation():
    result = degradation(_latency(3, 1.1), baseline="6h", recent="1h")
    assert result.p_value < 0.01 and not result.changed  # below min_ratio


def test_error_rate_from_zero_and_explicit_windows():
    rng = np.random.default_rng(4)
    errors = np.where(RECENT, rng.uniform(0.05, 0.1, AT.size), 0.0)
    result = degradation(pd.DataFrame({"at": AT, "value": errors}),
                         baseline=(NOW - pd.Timedelta("7h"), NOW - pd.Timedelta("1h")),
                         recent=(NOW - pd.Timedelta("1h"), NOW))
    assert result.changed and np.isinf(result.ratio) and "from 0" in result.sentence


def test_hit_rate_drop_with_direction_down():
    rng = np.random.default_rng(5)
    hit = np.where(RECENT, 0.3, 0.9) + rng.normal(0, 0.02, AT.size)
    result = degradation(pd.DataFrame({"at": AT, "value": hit}), baseline="6h", recent="1h", direction="down",
                         name="cache.hit_rate")
    assert result.changed and result.ratio == pytest.approx(1 / 3, rel=0.1) and "fell" in result.sentence


def test_not_enough_data_and_bad_arguments():
    short = degradation(_latency(0).tail(8), baseline="6h", recent="1h")
    assert short.status == "not_enough_data" and not short.changed
    with pytest.raises(ValueError, match="direction must be 'up' or 'down'"):
        degradation(_latency(0), direction="sideways")
    with pytest.raises(ValueError, match="neither a duration nor a"):
        degradation(_latency(0), recent="lately")
    frame = _latency(0)
    with pytest.raises(ValueError, match=r"column `at` of latency is not in time order .*sort_values"):
        degradation(frame.iloc[::-1], name="latency")
