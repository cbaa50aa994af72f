"""The sample company's tables are deterministic, use the vocabulary, and hang together."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from data.sample import params
from data import schema
from data.sample import SampleConfig, generate_sample
from data.vocabulary import CATEGORIES, CHANNELS, PLANS, REGIONS, SEGMENTS


def test_same_seed_gives_identical_tables(sample):
    again = generate_sample(dataclasses.replace(sample.config))
    assert again.tables.keys() == sample.tables.keys()
    for name, frame in sample.tables.items():
        pd.testing.assert_frame_equal(again.tables[name], frame, obj=name)
    assert again.ground_truth == sample.ground_truth


def test_different_seed_gives_different_data(sample):
    other = generate_sample(dataclasses.replace(sample.config, seed=sample.config.seed + 1))
    for name in ("customers", "orders", "order_lines", "support_tickets", "marketing_daily"):
        assert not other.tables[name].equals(sample.tables[name]), name


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns with None for every kind of null, so NaN, NaT and pd.NA compare equal."""
    return frame.astype(object).where(frame.notna(), None)


def test_store_holds_exactly_the_generated_tables(written_sample):
    for name, generated in written_sample.dataset.tables.items():
        stored = written_sample.table(name)
        expected = generated.reindex(columns=stored.columns).assign(source="sample")
        assert len(stored) == len(expected), name
        pd.testing.assert_frame_equal(_plain(stored), _plain(expected), check_dtype=False, obj=name)


def test_frames_have_exactly_the_schema_columns(sample):
    for name, frame in sample.tables.items():
        expected = set(schema.metadata.tables[name].c.keys()) - {"source"}
        assert set(frame.columns) == expected, name


def test_values_come_from_the_vocabulary(sample):
    t = sample.tables
    checks = [
        (t["customers"]["segment"], SEGMENTS),
        (t["customers"]["region"], REGIONS),
        (t["customers"]["channel"], CHANNELS),
        (t["customers"]["plan"], PLANS),
        (t["orders"]["channel"], CHANNELS),
        (t["order_lines"]["category"], CATEGORIES),
        (t["products"]["category"], CATEGORIES),
        (t["promotions"]["category"].dropna(), CATEGORIES),
        (t["campaigns"]["channel"], CHANNELS),
        (t["marketing_daily"]["channel"], CHANNELS),
    ]
    for values, vocabulary in checks:
        assert set(values) <= set(vocabulary), f"{values.name}: {set(values) - set(vocabulary)}"
    # Every value is actually used, so pages never show empty vocabulary entries.
    assert set(t["customers"]["region"]) == set(REGIONS)
    assert set(t["order_lines"]["category"]) == set(CATEGORIES)
    assert set(t["orders"]["channel"]) == set(CHANNELS)


def test_parameters_line_up_with_the_vocabulary():
    assert len(params.CUSTOMERS.segment_mix) == len(params.CUSTOMERS.plan_mix_by_segment) == len(SEGMENTS)
    assert len(params.CUSTOMERS.region_mix) == len(REGIONS)
    assert len(params.CUSTOMERS.channel_mix) == len(params.MARKETING.channel_efficiency) == len(CHANNELS)
    assert len(params.CUSTOMERS.plan_monthly_price) == len(params.CHURN.plan) == len(PLANS)
    assert (
        len(params.SEASONALITY.category_share) == len(params.SEASONALITY.category_peak_day) == len(CATEGORIES)
    )
    assert params.CHURN.price_change_plan in PLANS


def _is_subset(child: pd.Series, parent: pd.Series) -> bool:
    return bool(child.dropna().isin(parent).all())


def test_no_orphans(sample):
    t = sample.tables
    assert _is_subset(t["orders"]["customer_id"], t["customers"]["customer_id"])
    assert _is_subset(t["support_tickets"]["customer_id"], t["customers"]["customer_id"])
    assert _is_subset(t["order_lines"]["order_id"], t["orders"]["order_id"])
    assert _is_subset(t["order_lines"]["product_id"], t["products"]["product_id"])
    assert _is_subset(t["orders"]["promo_id"], t["promotions"]["promo_id"])
    assert _is_subset(t["price_changes"]["product_id"], t["products"]["product_id"])
    assert _is_subset(t["marketing_daily"]["campaign_id"], t["campaigns"]["campaign_id"])
    assert set(t["orders"]["order_id"]) == set(t["order_lines"]["order_id"]), "every order has lines"


def test_keys_are_unique_and_lines_numbered(sample):
    t = sample.tables
    for name in schema.metadata.tables:
        if name in t:
            keys = [column.name for column in schema.metadata.tables[name].primary_key.columns]
            assert not t[name].duplicated(keys).any(), name
    lines = t["order_lines"]
    assert (
        lines.groupby("order_id")["line_number"].agg(["min", "max", "size"]).eval("min == 1 and max == size")
    ).all()
    assert lines.groupby("order_id").size().between(1, 5).all()
    assert not lines.duplicated(["order_id", "product_id"]).any()


def test_orders_only_while_customer_is_active(sample):
    t = sample.tables
    joined = t["orders"].merge(t["customers"], on="customer_id", suffixes=("", "_customer"))
    assert (joined["order_date"] >= joined["signup_date"]).all()
    churned = joined["cancel_date"].notna()
    assert (joined.loc[churned, "order_date"] < joined.loc[churned, "cancel_date"]).all()
    truth = sample.ground_truth
    assert joined["order_date"].min() >= pd.Timestamp(truth["start_date"])
    assert joined["order_date"].max() <= pd.Timestamp(truth["end_date"])


def test_tickets_only_while_customer_is_active(sample):
    t = sample.tables
    joined = t["support_tickets"].merge(t["customers"], on="customer_id")
    assert (joined["opened_date"] >= joined["signup_date"]).all()
    churned = joined["cancel_date"].notna()
    assert (joined.loc[churned, "opened_date"] < joined.loc[churned, "cancel_date"]).all()
    resolved = joined["resolved_date"].notna()
    assert (joined.loc[resolved, "resolved_date"] >= joined.loc[resolved, "opened_date"]).all()
    assert joined["satisfaction"].dropna().between(1, 5).all()


def test_cancel_dates_are_plausible(sample):
    customers = sample.tables["customers"]
    churned = customers["cancel_date"].notna()
    assert (customers.loc[churned, "cancel_date"] > customers.loc[churned, "signup_date"]).all()
    assert customers["cancel_date"].max() <= pd.Timestamp(sample.ground_truth["end_date"])
    assert customers["cancel_date"].min() >= pd.Timestamp(sample.ground_truth["start_date"])
    assert 0.2 < churned.mean() < 0.7


def test_line_dates_and_categories_match_their_order_and_product(sample):
    t = sample.tables
    lines = t["order_lines"].merge(
        t["orders"][["order_id", "order_date"]], on="order_id", suffixes=("", "_order")
    )
    assert (lines["order_date"] == lines["order_date_order"]).all()
    lines = lines.merge(t["products"][["product_id", "category", "launch_date"]], on="product_id")
    assert (lines["category_x"] == lines["category_y"]).all()
    assert (lines["order_date"] >= lines["launch_date"]).all(), "no sales before a product's launch"


def test_unit_price_is_the_shelf_price_on_the_order_date(sample):
    t = sample.tables
    changes = t["price_changes"].sort_values("effective_date")
    lines = t["order_lines"].sort_values("order_date")
    latest = pd.merge_asof(lines, changes, left_on="order_date", right_on="effective_date", by="product_id")
    first_old = changes.groupby("product_id")["old_price"].first()
    list_price = t["products"].set_index("product_id")["list_price"]
    before_any = latest["product_id"].map(first_old).fillna(latest["product_id"].map(list_price))
    expected = latest["new_price"].fillna(before_any)
    assert np.allclose(latest["unit_price"], expected)
    assert latest["new_price"].notna().sum() > 100, "price changes must actually show up in orders"


def test_discounts_follow_promotions(sample):
    t = sample.tables
    days = pd.concat(
        [
            pd.DataFrame(
                {
                    "order_date": pd.date_range(p.start_date, p.end_date),
                    "promo_day": p.promo_id,
                    "promo_discount": p.discount,
                    "promo_category": p.category,
                }
            )
            for p in t["promotions"].itertuples()
        ]
    )
    orders = t["orders"].merge(t["customers"][["customer_id", "segment"]], on="customer_id")
    lines = (
        t["order_lines"]
        .merge(orders[["order_id", "segment"]], on="order_id")
        .merge(days, on="order_date", how="left")
    )
    contract = lines["segment"].map(dict(zip(SEGMENTS, params.CUSTOMERS.contract_discount_by_segment)))
    covered = lines["promo_day"].notna() & (
        lines["promo_category"].isna() | (lines["promo_category"] == lines["category"])
    )
    expected = np.where(covered, np.maximum(lines["promo_discount"].fillna(0.0), contract), contract)
    assert np.allclose(lines["discount"], expected)
    assert covered.sum() > 100
    orders = orders.merge(days, on="order_date", how="left")
    tagged = orders["promo_id"].notna()
    assert (orders.loc[tagged, "promo_id"] == orders.loc[tagged, "promo_day"]).all()
    sitewide = orders["promo_day"].notna() & orders["promo_category"].isna()
    assert tagged[sitewide].all(), "every order on a sitewide promotion day carries the promotion"
    assert not tagged[orders["promo_day"].isna()].any()


def test_marketing_metrics_are_consistent(sample):
    daily = sample.tables["marketing_daily"].merge(sample.tables["campaigns"], on="campaign_id")
    assert (daily["channel_x"] == daily["channel_y"]).all()
    assert (daily["spend"] > 0).all()
    assert (daily["clicks"] <= daily["impressions"]).all() and (daily["conversions"] <= daily["clicks"]).all()
    ended = daily["end_date"].notna()
    assert (
        daily.loc[ended, "date"].between(daily.loc[ended, "start_date"], daily.loc[ended, "end_date"]).all()
    )
    assert set(sample.tables["campaigns"]["kind"]) == {"always_on", "seasonal"}


def test_rows_grow_linearly_with_customers():
    small = generate_sample(SampleConfig(customers=400, seed=3)).tables
    large = generate_sample(SampleConfig(customers=1600, seed=3)).tables
    for name in ("customers", "orders", "order_lines", "support_tickets"):
        assert 3.3 < len(large[name]) / len(small[name]) < 4.7, name
    spend_ratio = large["marketing_daily"]["spend"].sum() / small["marketing_daily"]["spend"].sum()
    assert 3.6 < spend_ratio < 4.4
    assert len(large["products"]) < 2 * len(small["products"]), "the catalogue does not scale with customers"


@pytest.mark.parametrize(
    ("settings", "message"),
    [({"customers": 3}, "at least 10"), ({"years": 0}, "1 to 10 years"), ({"seed": -1}, "non-negative")],
)
def test_config_rejects_bad_settings(settings, message):
    with pytest.raises(ValueError, match=message):
        SampleConfig(**settings)


@pytest.mark.parametrize(("end_date", "years"), [("2025-01-15", 1), ("2024-02-29", 2), ("2030-06-30", 5)])
def test_other_windows_keep_every_rule(end_date, years):
    config = SampleConfig(customers=200, seed=1, end_date=pd.Timestamp(end_date).date(), years=years)
    dataset = generate_sample(config)
    truth, orders = dataset.ground_truth, dataset.tables["orders"]
    assert truth["end_date"] == end_date
    assert orders["order_date"].between(truth["start_date"], truth["end_date"]).all()
    for anomaly in truth["anomalies"]:
        assert truth["start_date"] <= anomaly["start_date"] <= (anomaly["end_date"] or end_date) <= end_date
