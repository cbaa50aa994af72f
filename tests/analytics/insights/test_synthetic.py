"""Hand-made series with a planted spike, drop and level shift: each is found with its kind, scope and days,
and the promotion days the calendar knows are not (without the calendar they would be)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.forecasting.calendar import event_calendar
from analytics.insights import DetectedAnomaly
from analytics.insights._anomalies import NotEnoughHistory, detect_in_series
from analytics.insights._series import StoreSeries

DAYS = pd.date_range("2023-01-02", periods=730, freq="D")
SPIKE, DROP, SHIFT = 300, (450, 451), 550
PROMOTIONS = pd.DataFrame({"promo_id": [1, 2], "name": ["Spring Sale 2023", "Spring Sale 2024"],
                           "start_date": pd.to_datetime(["2023-04-10", "2024-04-08"]),
                           "end_date": pd.to_datetime(["2023-04-12", "2024-04-10"]),
                           "discount": [0.3, 0.3], "category": [None, None]})
WEEKDAY = np.array([0.95, 0.92, 0.95, 1.0, 1.1, 1.12, 0.96])


def _promotion_days() -> np.ndarray:
    on = np.zeros(DAYS.size, dtype=bool)
    for start, end in zip(PROMOTIONS["start_date"], PROMOTIONS["end_date"]):
        on |= (DAYS >= start) & (DAYS <= end)
    return on


def _series(with_promotions_in_calendar: bool = True) -> StoreSeries:
    """Region A (60 a day) and B (40 a day): weekday, a yearly wave, a growing base and a 2x promotion; the
    company is their sum. Planted: a company spike x3, a two-day drop to 10% in A, B up 50% for good."""
    rng = np.random.default_rng(16)
    t = np.arange(DAYS.size)
    base = WEEKDAY[DAYS.dayofweek] * (1 + 0.12 * np.cos(2 * np.pi * (DAYS.dayofyear.to_numpy() - 345) / 365.25))
    base *= np.exp(0.15 * t / 365) * np.where(_promotion_days(), 2.0, 1.0)
    mu = {"A": 60 * base, "B": 40 * base}
    for region in mu:
        mu[region][SPIKE] *= 3.0
    mu["A"][DROP[0]:DROP[1] + 1] *= 0.1
    mu["B"][SHIFT:] *= 1.5
    counts = {region: rng.poisson(m).astype(float) for region, m in mu.items()}
    values = {("orders", ()): counts["A"] + counts["B"]}
    values.update({("orders", (("region", region),)): v for region, v in counts.items()})
    promotions = PROMOTIONS if with_promotions_in_calendar else PROMOTIONS.iloc[:0]
    calendar = event_calendar(DAYS[0], DAYS[-1], promotions, None, countries=())
    return StoreSeries(DAYS, values, calendar, np.zeros(DAYS.size))


def _day(position: int) -> str:
    return DAYS[position].date().isoformat()


@pytest.fixture(scope="module")
def found() -> list[DetectedAnomaly]:
    return detect_in_series(_series(), metrics=("orders",))


def test_the_spike_is_company_wide_on_its_day(found):
    spikes = [a for a in found if a.kind == "spike"]
    assert [(a.scope, a.start_date, a.end_date) for a in spikes] == [({}, _day(SPIKE), _day(SPIKE))]
    assert spikes[0].relative == pytest.approx(2.0, abs=0.5)  # x3 is +200%
    assert {tuple(r["scope"].items()) for r in spikes[0].related} == {(("region", "A"),), (("region", "B"),)}


def test_the_drop_is_region_a_over_its_two_days(found):
    drops = [a for a in found if a.kind == "drop"]
    assert [(a.scope, a.start_date, a.end_date) for a in drops] == [({"region": "A"}, _day(DROP[0]), _day(DROP[1]))]
    assert drops[0].relative == pytest.approx(-0.9, abs=0.1)
    assert drops[0].size == pytest.approx(-0.9 * drops[0].expected, rel=0.15)


def test_the_level_shift_is_region_b_from_its_day_to_the_end(found):
    shifts = [a for a in found if a.kind == "level_shift"]
    assert len(shifts) == 1 and shifts[0].scope == {"region": "B"}
    assert abs((pd.Timestamp(shifts[0].start_date) - DAYS[SHIFT]).days) <= 2
    assert shifts[0].end_date == _day(DAYS.size - 1)
    assert shifts[0].relative == pytest.approx(0.5, abs=0.1)


def test_nothing_else_is_reported_and_scores_are_sorted(found):
    assert len(found) == 3
    assert [a.score for a in found] == sorted((a.score for a in found), reverse=True)
    assert all(a.score >= 5.5 for a in found)


def test_promotion_days_are_anomalies_only_when_the_calendar_does_not_know_them():
    promo = {d.date().isoformat() for d in DAYS[_promotion_days()]}
    unknown = detect_in_series(_series(with_promotions_in_calendar=False), metrics=("orders",))
    assert any(a.kind == "spike" and a.start_date in promo for a in unknown)
    known = detect_in_series(_series(), metrics=("orders",))
    assert not any(a.start_date in promo or a.end_date in promo for a in known if a.kind != "level_shift")


def test_to_dict_is_json_ready(found):
    record = found[0].to_dict()
    assert set(record) >= {"metric", "scope", "kind", "start_date", "end_date", "score", "size", "relative"}
    assert isinstance(record["scope"], dict) and isinstance(record["related"], list)


def test_too_short_a_history_or_bad_options_get_a_specific_message():
    series = _series()
    week = StoreSeries(DAYS[:7], {k: v[:7] for k, v in series.values.items()}, series.calendar, np.zeros(7))
    with pytest.raises(NotEnoughHistory, match=r"7 complete day\(s\).*at least 56 days"):
        detect_in_series(week)
    with pytest.raises(ValueError, match="'visits' is not a metric; use any of orders, revenue"):
        detect_in_series(series, metrics=("visits",))
    with pytest.raises(ValueError, match="min_score=0 must be a positive"):
        detect_in_series(series, min_score=0)
