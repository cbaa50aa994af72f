"""Page state from the URL: valid values are taken, hostile or stale ones fall back to the defaults."""
from __future__ import annotations

from urllib.parse import parse_qs

from pages._url_state import Param, choice, int_choice, int_list, positive_int, read_query, text

PARAMS = (
    Param("metric", "forecast-metric", "value", "revenue", choice("revenue", "units")),
    Param("h", "forecast-horizon", "value", 30, int_choice(14, 30, 60, 90)),
    Param("levels", "forecast-levels", "value", [80, 95], int_list(50, 80, 90, 95, 99)),
    Param("node", "forecast-node", "data", "total", text()),
    Param("customer", "retention-customer", "data", None, positive_int),
    Param("filters", "overview-filters", "data", {"region": None}, text(), keys=("region", "category")),
)
DEFAULTS = {"metric": "revenue", "h": 30, "levels": [80, 95], "node": "total", "customer": None,
            "filters": {"region": None}}


def test_a_shared_link_restores_every_value():
    query = parse_qs("metric=units&h=14&levels=95,50&node=EMEA%2FApparel&customer=42&region=EMEA&category=Home")
    assert read_query(PARAMS, query) == {"metric": "units", "h": 14, "levels": [50, 95], "node": "EMEA/Apparel",
                                         "customer": 42, "filters": {"region": "EMEA", "category": "Home"}}


def test_dash_layout_kwargs_are_read_the_same_way():
    assert read_query(PARAMS, {"metric": "units", "h": "60"})["h"] == 60


def test_hostile_and_stale_values_fall_back_to_the_defaults():
    query = {"metric": "<script>alert(1)</script>", "h": "1e9", "levels": "80,banana", "node": "x" * 500,
             "customer": "-3", "region": "\x00bad", "utm_source": "portal"}
    assert read_query(PARAMS, query) == DEFAULTS
    assert read_query(PARAMS, {}) == DEFAULTS
    assert read_query(PARAMS, {"h": ["14", "60"]})["h"] == 60  # a repeated key: the last one counts
