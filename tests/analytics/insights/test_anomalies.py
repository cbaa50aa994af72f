"""Known answers on the sample company: the ground truth's planted anomalies are found with their kind, scope and
dates, no promotion or holiday day is reported, and hostile stores get a specific message, never a traceback.

Two companies (seeds 42 and 7) of 5,000 customers over three years. Tolerances: a spike or a drop within one day
at both ends; a level shift starting within 14 days (a 40% step in a region of ~15 orders a day is located only
to about two weeks) and, as it lasts, ending on the last complete day. The metric is not compared: every planted
anomaly multiplies orders, so orders and revenue move together and the detector reports the clearer of the two.
These companies are a quarter of the benchmark's size (benchmarks/insights.py), so effects are half as many
standard errors large; the tests use ``MIN_SCORE`` accordingly.
"""
from __future__ import annotations

import datetime as dt
import io
import json

import pandas as pd
import pytest

from analytics.insights import NotEnoughHistory, detect_anomalies
from analytics.insights.cli import main
from data import store
from data.sample import SampleConfig, generate_sample, write_sample
from data.sample.ground_truth import load_ground_truth

SEEDS, CUSTOMERS, MIN_SCORE = (42, 7), 5000, 4.5
DAY_TOLERANCE, SHIFT_TOLERANCE = 1, 14


@pytest.fixture(scope="module")
def companies(tmp_path_factory) -> dict[int, tuple[str, dict, list]]:
    """Per seed: the store's URL, its ground truth and the anomalies detected (written and detected once)."""
    out = {}
    for seed in SEEDS:
        folder = tmp_path_factory.mktemp(f"anomalies-{seed}")
        url = f"sqlite:///{folder / 'store.db'}"
        engine = store.get_engine(url)
        write_sample(engine, generate_sample(SampleConfig(customers=CUSTOMERS, seed=seed)), folder / "truth.json")
        out[seed] = (url, load_ground_truth(folder / "truth.json"), detect_anomalies(engine, min_score=MIN_SCORE))
    return out


def _apart(a: str, b: str) -> int:
    return abs((dt.date.fromisoformat(a) - dt.date.fromisoformat(b)).days)


def _found(planted: dict, anomalies: list, last_day: str) -> bool:
    for a in anomalies:
        if a.kind != planted["kind"] or a.scope != planted["scope"]:
            continue
        if planted["kind"] == "level_shift":
            if _apart(a.start_date, planted["start_date"]) <= SHIFT_TOLERANCE and a.end_date == last_day:
                return True
        elif (_apart(a.start_date, planted["start_date"]) <= DAY_TOLERANCE
              and _apart(a.end_date, planted["end_date"]) <= DAY_TOLERANCE):
            return True
    return False


@pytest.mark.parametrize("seed", SEEDS)
def test_every_planted_anomaly_is_found_with_its_kind_scope_and_dates(companies, seed):
    _, truth, anomalies = companies[seed]
    assert len(truth["anomalies"]) == 4
    missed = [p["name"] for p in truth["anomalies"] if not _found(p, anomalies, truth["end_date"])]
    assert not missed, [a.to_dict() for a in anomalies[:8]]


@pytest.mark.parametrize("seed", SEEDS)
def test_one_event_is_one_anomaly(companies, seed):
    """The viral post lifts every region, channel and category: reported once, at the company, the rest related."""
    _, truth, anomalies = companies[seed]
    viral = next(p for p in truth["anomalies"] if p["name"] == "viral_social_post")
    on_that_day = [a for a in anomalies if a.start_date <= viral["start_date"] <= a.end_date and a.kind == "spike"]
    assert len(on_that_day) == 1 and on_that_day[0].scope == {}
    assert len(on_that_day[0].related) >= 3


@pytest.mark.parametrize("seed", SEEDS)
def test_no_promotion_or_holiday_day_is_reported(companies, seed):
    _, truth, anomalies = companies[seed]
    busy = {h["date"] for h in truth["seasonality"]["holidays"]}
    for promo in truth["promotions"]:
        busy |= {d.date().isoformat() for d in pd.date_range(promo["start_date"], promo["end_date"])}
    for a in anomalies:
        days = [a.start_date] if a.kind == "level_shift" else [
            d.date().isoformat() for d in pd.date_range(a.start_date, a.end_date)]
        assert not busy.intersection(days), a.to_dict()


@pytest.mark.parametrize("seed", SEEDS)
def test_sorted_by_score_and_the_planted_ones_lead(companies, seed):
    _, truth, anomalies = companies[seed]
    assert [a.score for a in anomalies] == sorted((a.score for a in anomalies), reverse=True)
    leaders = anomalies[:4]
    assert sum(any(_found(p, [a], truth["end_date"]) for p in truth["anomalies"]) for a in leaders) >= 3


def test_the_cli_prints_one_json_object_per_anomaly_in_score_order(companies):
    url, _, anomalies = companies[SEEDS[0]]
    out = io.StringIO()
    assert main(["anomalies", "--database-url", url, "--json", "--min-score", str(MIN_SCORE)], stdout=out) == 0
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(r["kind"], r["scope"], r["start_date"], r["end_date"]) for r in lines] == [
        (a.kind, a.scope, a.start_date, a.end_date) for a in anomalies]
    assert all({"metric", "scope", "kind", "start_date", "end_date", "score"} <= set(r) for r in lines)


def test_an_empty_store_gets_a_specific_message(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    store.upgrade(store.get_engine(url))
    with pytest.raises(NotEnoughHistory, match="no complete day of orders yet; load orders first"):
        detect_anomalies(store.get_engine(url))
    assert main(["anomalies", "--database-url", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the store has no complete day of orders") and "Traceback" not in err


def test_a_week_of_history_gets_a_specific_message(companies, capsys):
    url, truth, _ = companies[SEEDS[0]]
    week = (dt.date.fromisoformat(truth["start_date"]) + dt.timedelta(days=6)).isoformat()
    with pytest.raises(NotEnoughHistory, match=r"7 complete day\(s\) of orders .* at least 56 days"):
        detect_anomalies(store.get_engine(url), through=week)
    assert main(["anomalies", "--database-url", url, "--through", week]) == 2
    assert "at least 56 days" in capsys.readouterr().err
