"""The ground truth describes the data: its effects are really there, with the right sign and size."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from data.sample import ground_truth
from data.sample import SampleConfig, generate_sample
from data.vocabulary import CATEGORIES, CHANNELS, PLANS, REGIONS

# Effects measured on single days or customer groups need more customers than the shared sample.
LARGE = SampleConfig(customers=20000, seed=11)
NEIGHBOURS = 7


@pytest.fixture(scope="module")
def large_sample():
    return generate_sample(LARGE)


def _daily(frame: pd.DataFrame, truth: dict, values: str | None = None) -> pd.Series:
    days = pd.date_range(truth["start_date"], truth["end_date"])
    grouped = frame.groupby("order_date")
    series = grouped.size() if values is None else grouped[values].sum()
    return series.reindex(days, fill_value=0).astype(float)


def _metric_by_day(sample, anomaly: dict) -> pd.Series:
    t, truth = sample.tables, sample.ground_truth
    orders = t["orders"].merge(t["customers"][["customer_id", "region"]], on="customer_id")
    for dimension, value in anomaly["scope"].items():
        orders = orders[orders[dimension] == value]
    if anomaly["metric"] == "orders":
        return _daily(orders, truth)
    lines = t["order_lines"][t["order_lines"]["order_id"].isin(orders["order_id"])]
    return _daily(
        lines.assign(revenue=lines.eval("quantity * unit_price * (1 - discount)")), truth, "revenue"
    )


def test_file_beside_the_store_is_the_truth_of_that_store(written_sample):
    stored = json.loads(written_sample.truth_path.read_text())
    assert written_sample.truth_path.name == "sample.ground_truth.json"
    assert stored == ground_truth.load_ground_truth(written_sample.truth_path)
    assert stored["dataset_version"] == 1
    assert {k: v for k, v in stored.items() if k != "dataset_version"} == json.loads(
        json.dumps(written_sample.dataset.ground_truth)
    )
    for name, rows in stored["rows"].items():
        assert len(written_sample.table(name)) == rows, name


def test_truth_records_the_settings(sample):
    truth = sample.ground_truth
    assert (truth["seed"], truth["customers"], truth["end_date"]) == (7, 1500, "2026-10-31")
    assert truth["start_date"] == "2023-11-01"
    assert truth["churn"]["churned_customers"] == sample.tables["customers"]["cancel_date"].notna().sum()
    names = {driver["name"] for driver in truth["churn"]["drivers"]}
    assert {"tickets_per_year", "log_engagement", "after_plan_price_increase", "log_tenure_days"} <= names


def test_promotions_in_truth_match_the_table(sample):
    table = sample.tables["promotions"]
    truth = pd.DataFrame(sample.ground_truth["promotions"])
    assert truth["promo_id"].tolist() == table["promo_id"].tolist()
    assert (pd.to_datetime(truth["start_date"]) == table["start_date"]).all()
    assert set(truth["category"].dropna()) <= set(CATEGORIES)


def test_anomalies_stand_out_from_their_neighbours(large_sample):
    sample = large_sample
    anomalies = sample.ground_truth["anomalies"]
    assert {a["kind"] for a in anomalies} == {"spike", "drop", "level_shift"}
    for anomaly in anomalies:
        series = _metric_by_day(sample, anomaly)
        start = pd.Timestamp(anomaly["start_date"])
        magnitude = anomaly["magnitude"]
        if anomaly["kind"] == "level_shift":
            window = pd.Timedelta(days=41)
            before = series[start - window : start - pd.Timedelta(days=1)].mean()
            ratio = series[start : start + window].mean() / before
            assert ratio > 1 + (magnitude - 1) / 2, anomaly
            continue
        end = pd.Timestamp(anomaly["end_date"])
        one, span = pd.Timedelta(days=1), pd.Timedelta(days=NEIGHBOURS)
        around = pd.concat([series[start - span : start - one], series[end + one : end + span]])
        ratio = series[start:end].mean() / around.median()
        if anomaly["kind"] == "spike":
            assert ratio > 1 + (magnitude - 1) / 2, anomaly
        else:
            assert ratio < 1 - (1 - magnitude) / 2, anomaly


def test_anomalies_use_the_vocabulary(sample):
    for anomaly in sample.ground_truth["anomalies"]:
        assert anomaly["metric"] in {"orders", "revenue"}
        for dimension, value in anomaly["scope"].items():
            assert value in {"region": REGIONS, "channel": CHANNELS}[dimension]


def test_weekly_seasonality_and_black_friday_show(sample):
    truth = sample.ground_truth
    daily = _daily(sample.tables["orders"], truth)
    by_weekday = daily.groupby(daily.index.dayofweek).mean()
    weekly = truth["seasonality"]["weekly_order_multiplier"]
    assert weekly["Sat"] > weekly["Tue"] and by_weekday[5] > 1.1 * by_weekday[1]
    for holiday in truth["seasonality"]["holidays"]:
        if holiday["name"] == "black_friday":
            day = pd.Timestamp(holiday["date"])
            baseline = daily[day - pd.Timedelta(days=35) : day - pd.Timedelta(days=8)].median()
            assert daily[day] > 2 * baseline


def _weekday_matched_ratio(daily: pd.Series, days: pd.DatetimeIndex) -> float:
    """Mean over ``days`` divided by the mean of the same weekdays in the four weeks before."""
    baseline = [daily[day - pd.Timedelta(weeks=k)] for day in days for k in range(1, 5)]
    return daily[days].mean() / np.mean(baseline)


def test_sitewide_promotions_lift_orders(large_sample):
    truth = large_sample.ground_truth
    daily = _daily(large_sample.tables["orders"], truth)
    spring = [p for p in truth["promotions"] if p["name"].startswith("Spring Sitewide")]
    assert spring and all(p["category"] is None for p in spring)
    days = pd.DatetimeIndex(np.concatenate([pd.date_range(p["start_date"], p["end_date"]) for p in spring]))
    expected = 1 + truth["promotion_effects"]["sitewide_order_lift_per_discount"] * spring[0]["discount"]
    assert _weekday_matched_ratio(daily, days) > 1 + (expected - 1) / 2


def test_promotions_planned_after_the_window_are_listed_without_orders(sample):
    truth, promotions = sample.ground_truth, sample.tables["promotions"]
    end = pd.Timestamp(truth["end_date"])
    planned = promotions[promotions["start_date"] > end]
    assert len(planned), "the ERP holds the promotions planned after the window (future regressors)"
    assert (planned["start_date"] <= end + pd.Timedelta(days=120)).all()
    assert not sample.tables["orders"]["promo_id"].isin(planned["promo_id"]).any()
    assert (promotions["updated_at"] <= end + pd.Timedelta(days=1)).all(), "entered by the window's last night"


def test_category_promotions_shift_the_category_mix(large_sample):
    truth, lines = large_sample.ground_truth, large_sample.tables["order_lines"]
    for promo in truth["promotions"]:
        start, end = pd.Timestamp(promo["start_date"]), pd.Timestamp(promo["end_date"])
        planned = start > pd.Timestamp(truth["end_date"])
        if planned or promo["category"] is None or start < pd.Timestamp(truth["start_date"]) + pd.Timedelta(days=28):
            continue
        during = lines[lines["order_date"].between(start, end)]
        before = lines[
            lines["order_date"].between(start - pd.Timedelta(days=28), start - pd.Timedelta(days=1))
        ]
        share = (during["category"] == promo["category"]).mean() / (
            before["category"] == promo["category"]
        ).mean()
        assert share > 1 + promo["discount"], promo["name"]


def _exposure_and_events(customers: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp):
    """Customer-years at risk and cancellations between start (inclusive) and end (exclusive)."""
    entered = customers["signup_date"].clip(lower=start)
    left = customers["cancel_date"].fillna(end).clip(upper=end)
    years = ((left - entered).dt.days.clip(lower=0)) / 365.25
    events = customers["cancel_date"].between(start, end - pd.Timedelta(days=1))
    return years, events


def _hazard(customers: pd.DataFrame, mask, start, end) -> float:
    years, events = _exposure_and_events(customers[mask], start, end)
    return events.sum() / years.sum()


def _hazards_by_rate(sample, table: str, low_quantile: float, high_quantile: float) -> tuple[float, float]:
    """Churn hazards of the customers with the fewest and the most ``table`` rows per year of exposure."""
    t, truth = sample.tables, sample.ground_truth
    start, end = pd.Timestamp(truth["start_date"]), pd.Timestamp(truth["end_date"]) + pd.Timedelta(days=1)
    customers = t["customers"]
    years, _ = _exposure_and_events(customers, start, end)
    rows = customers["customer_id"].map(t[table].groupby("customer_id").size()).fillna(0)
    rate = rows / years.where(years > 0.25)
    low, high = rate <= rate.quantile(low_quantile), rate >= rate.quantile(high_quantile)
    return _hazard(customers, low, start, end), _hazard(customers, high, start, end)


def test_customers_with_more_tickets_churn_more(large_sample):
    few, many = _hazards_by_rate(large_sample, "support_tickets", 0.5, 0.8)
    assert many > 1.5 * few


def test_engaged_customers_churn_less(large_sample):
    rare, frequent = _hazards_by_rate(large_sample, "orders", 1 / 3, 2 / 3)
    assert rare > 1.3 * frequent


def test_price_increase_plan_churns_more_after_the_change(large_sample):
    t, truth = large_sample.tables, large_sample.ground_truth
    change = truth["plan_price_changes"][0]
    assert change["plan"] in PLANS and change["new_monthly_price"] > change["old_monthly_price"]
    day = pd.Timestamp(change["effective_date"])
    year = pd.Timedelta(days=365)
    customers = t["customers"]
    affected = customers["plan"] == change["plan"]
    before = _hazard(customers, affected, day - year, day) / _hazard(customers, ~affected, day - year, day)
    after = _hazard(customers, affected, day, day + year) / _hazard(customers, ~affected, day, day + year)
    assert after > 1.4 * before, (before, after)


def test_marketing_truth_is_positive_and_ranked_by_efficiency(sample):
    marketing = sample.ground_truth["marketing"]
    per_1000 = marketing["incremental_signups_per_1000_spend"]
    assert set(per_1000) == set(CHANNELS) and all(value > 0 for value in per_1000.values())
    efficiency = marketing["channel_efficiency"]
    assert np.sign(per_1000["Partner"] - per_1000["Retail"]) == np.sign(
        efficiency["Partner"] - efficiency["Retail"]
    )
    incremental = sum(marketing["incremental_signups"].values())
    in_window = (sample.tables["customers"]["signup_date"] >= sample.ground_truth["start_date"]).sum()
    assert incremental == pytest.approx(marketing["signup_share"] * in_window, rel=1e-6)


def test_write_sample_puts_a_readable_truth_beside_a_sqlite_store(tmp_path):
    from data import store
    from data.sample import write_sample

    engine = store.get_engine(f"sqlite:///{tmp_path / 'tiny.db'}")
    dataset = generate_sample(SampleConfig(customers=100, seed=2))
    version = write_sample(engine, dataset)
    path = tmp_path / "tiny.ground_truth.json"
    assert ground_truth.load_ground_truth(path)["dataset_version"] == version.version == 1
    assert path.stat().st_mode & 0o044 == 0o044, "readable by the app's user and group"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary files left"
