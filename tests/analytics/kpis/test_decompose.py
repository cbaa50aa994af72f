"""The revenue change decomposition: known answers on a hand-made cube, exact additivity on the sample company."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.kpis import build_kpi_model, decompose_change, previous_period, revenue_change


def _cube() -> pd.DataFrame:
    rows = [  # date, region, category, channel, revenue
        ("2026-02-10", "EMEA", "Home", "Web", 100.0), ("2026-02-20", "EMEA", "Home", "Web", 50.0),
        ("2026-02-11", "APAC", "Home", "Retail", 200.0), ("2026-02-28", "APAC", "Sports", "Web", 40.0),
        ("2026-03-01", "EMEA", "Home", "Web", 30.0), ("2026-03-31", "APAC", "Sports", "Web", 90.0),
        ("2026-03-15", "APAC", "Home", "Retail", 60.0), ("2026-04-01", "EMEA", "Home", "Web", 999.0),
        ("2026-01-31", "EMEA", "Home", "Web", 999.0),
    ]
    frame = pd.DataFrame(rows, columns=["date", "region", "category", "channel", "revenue"])
    return frame.assign(date=pd.to_datetime(frame["date"]))


def test_march_against_february_known_answer():
    result = decompose_change(_cube(), "2026-03-01", "2026-03-31")
    assert result.previous_period == ("2026-02-01", "2026-02-28")
    assert (result.current, result.previous, result.change) == (180.0, 390.0, -210.0)
    assert result.relative == pytest.approx(-210 / 390)
    region = result.by["region"].set_index("region")
    assert region.loc["EMEA", "change"] == 30 - 150 and region.loc["APAC", "change"] == 150 - 240
    assert list(result.by["region"]["region"]) == ["EMEA", "APAC"], "largest absolute change first"
    channel = result.by["channel"].set_index("channel")["change"].to_dict()
    assert channel == {"Web": (30 + 90) - (150 + 40), "Retail": 60 - 200}
    category = result.by["category"].set_index("category")["share"].to_dict()
    assert category == pytest.approx({"Home": (90 - 350) / -210, "Sports": 50 / -210})


def test_every_dimension_adds_up_to_the_whole_change():
    result = decompose_change(_cube(), "2026-03-01", "2026-03-31")
    for frame in (*result.by.values(), result.cells):
        assert frame["change"].sum() == pytest.approx(result.change)
        assert frame["share"].sum() == pytest.approx(1.0)


@pytest.mark.parametrize("start, end, expected", [
    ("2026-03-01", "2026-03-31", ("2026-02-01", "2026-02-28")),
    ("2026-01-01", "2026-01-31", ("2025-12-01", "2025-12-31")),
    ("2026-03-02", "2026-03-31", ("2026-01-31", "2026-03-01")),
    ("2026-03-10", "2026-03-16", ("2026-03-03", "2026-03-09")),
])
def test_previous_period_is_the_previous_month_or_as_long_just_before(start, end, expected):
    assert previous_period(start, end) == expected


def test_bad_inputs_say_what_is_wrong():
    with pytest.raises(ValueError, match="ends .* before it starts"):
        previous_period("2026-03-31", "2026-03-01")
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['channel'\]"):
        decompose_change(_cube().drop(columns="channel"), "2026-03-01", "2026-03-31")


def test_on_a_kpi_model_the_change_matches_the_raw_order_lines():
    rng = np.random.default_rng(5)
    days = pd.date_range("2026-01-01", "2026-03-31")
    orders = pd.DataFrame({"order_id": range(300), "customer_id": rng.integers(0, 40, 300),
                           "order_date": rng.choice(days, 300), "channel": rng.choice(["Web", "Retail"], 300)})
    lines = pd.DataFrame({"order_id": rng.integers(0, 300, 700), "category": rng.choice(["Home", "Sports"], 700),
                          "revenue": rng.uniform(5, 50, 700).round(2)})
    customers = pd.DataFrame({"customer_id": range(40), "signup_date": pd.Timestamp("2025-01-01"),
                              "cancel_date": pd.NaT, "region": rng.choice(["EMEA", "APAC"], 40),
                              "channel": "Web"})
    model = build_kpi_model(orders, lines, customers, as_of=pd.Timestamp("2026-03-31"))
    result = revenue_change(model, "2026-03-01", "2026-03-31", {"region": "EMEA"})
    joined = lines.merge(orders, on="order_id").merge(customers[["customer_id", "region"]], on="customer_id")
    emea = joined[joined["region"] == "EMEA"]
    in_month = lambda month: emea.loc[emea["order_date"].dt.month == month, "revenue"].sum()  # noqa: E731
    assert result.current == pytest.approx(in_month(3)) and result.previous == pytest.approx(in_month(2))
    by_channel = emea.assign(month=emea["order_date"].dt.month).pivot_table(
        index="channel", columns="month", values="revenue", aggfunc="sum")
    expected = (by_channel[3] - by_channel[2]).to_dict()
    assert result.by["channel"].set_index("channel")["change"].to_dict() == pytest.approx(expected)
    assert set(result.by["region"]["region"]) == {"EMEA"}
