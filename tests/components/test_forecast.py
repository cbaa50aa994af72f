"""Forecast page builders: called on small seeded frames, asserted on structure."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from dash import dcc, html

from components import ids
from components.forecast import NO_REGRESSORS_MESSAGE, NOT_DISTINGUISHABLE, backtest_table, breadcrumb, \
    drill_buttons, effects_panel, forecast_layout, forecast_summary
from components.forecast_customers import customers_panel
from components.forecast_drivers import drivers_body
from components.glossary import DEFINITIONS
from components.forecast_figures import NO_CHILDREN_MESSAGE, children_figure, forecast_figure, ribbons_figure
from components.theme import PALETTE
from tests.components.helpers import assert_valid_neon as _assert_valid_neon, by_id as _by_id, luminance
from tests.layout_walk import walk as _walk

LEVELS = (50, 80, 95)


def _props(component) -> dict:
    return component.to_plotly_json()["props"]


def _history(days: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=days), "y": rng.normal(1000, 50, days)})


def _forecast(start: pd.Timestamp, horizon: int = 30, levels=LEVELS, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    mean = rng.normal(1000, 20, horizon)
    frame = pd.DataFrame({"ds": pd.date_range(start, periods=horizon), "mean": mean})
    for level in levels:
        frame[f"lo-{level}"], frame[f"hi-{level}"] = mean - level, mean + level
    return frame


def _siblings(members=("EMEA/Home", "EMEA/Beauty", "EMEA/Sports"), levels=LEVELS) -> pd.DataFrame:
    frames = []
    for i, member in enumerate(members):
        frame = _forecast(pd.Timestamp("2025-02-04"), horizon=20, levels=levels, seed=i)
        frame.insert(0, "label", member.split("/")[-1])
        frame.insert(0, "unique_id", member)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


# ---------- forecast_figure ----------

def test_forecast_figure_draws_history_mean_and_one_band_per_present_level_widest_first():
    history = _history()
    forecast = _forecast(history["ds"].max() + pd.Timedelta(days=1))
    fig = forecast_figure(history, forecast, [50, 99, 95], "Total revenue", "revenue", history_days=90)
    _assert_valid_neon(fig)
    names = [t["name"] for t in fig["data"]]
    assert names == ["Actual", "95% interval (low)", "95% interval", "50% interval (low)", "50% interval",
                     "Forecast"]  # 99 is not in the frame: skipped
    actual, mean = fig["data"][0], fig["data"][-1]
    assert len(actual["x"]) == 90 and actual["x"][-1] == "2025-02-03"
    assert mean["line"]["dash"] == "dash" and len(mean["x"]) == 30


def test_forecast_bands_fill_to_their_low_edge_and_wider_levels_are_fainter():
    history = _history()
    forecast = _forecast(history["ds"].max() + pd.Timedelta(days=1))
    data = forecast_figure(history, forecast, LEVELS, "t", "units")["data"]
    highs = [t for t in data if t.get("fill") == "tonexty"]
    assert [t["name"] for t in highs] == ["95% interval", "80% interval", "50% interval"]
    alphas = [float(t["fillcolor"].rsplit(",", 1)[1].rstrip(")")) for t in highs]
    assert alphas == sorted(alphas) and alphas[0] < alphas[-1]
    for high in highs:
        low = data[data.index(high) - 1]
        assert low["legendgroup"] == high["legendgroup"] and low["showlegend"] is False
        level = int(high["name"].split("%")[0])
        assert low["y"] == pytest.approx(forecast[f"lo-{level}"].round(2).tolist())
        assert high["customdata"] == low["y"]


def test_forecast_figure_marks_the_forecast_start_and_formats_hover_by_unit():
    history = _history()
    forecast = _forecast(history["ds"].max() + pd.Timedelta(days=1))
    revenue = forecast_figure(history, forecast, [80], "t", "revenue")
    (shape,) = revenue["layout"]["shapes"]
    assert shape["x0"] == shape["x1"] == "2025-02-04"
    assert [a["text"] for a in revenue["layout"]["annotations"]] == ["forecast →"]
    assert "$%{y:,.0f}" in revenue["data"][-1]["hovertemplate"]
    assert revenue["layout"]["xaxis"]["rangeselector"]["buttons"]
    units = forecast_figure(history, forecast, [80], "t", "units")
    assert "%{y:,.0f} units" in units["data"][-1]["hovertemplate"] and "$" not in units["data"][-1]["hovertemplate"]


def test_forecast_figure_rejects_unknown_units_and_handles_an_empty_forecast():
    history = _history(30)
    with pytest.raises(ValueError, match="unknown unit 'kg'; use one of 'revenue', 'units'"):
        forecast_figure(history, _forecast(pd.Timestamp("2024-02-01")), [80], "t", "kg")
    empty = forecast_figure(history, _forecast(pd.Timestamp("2024-02-01")).iloc[:0], [80], "t", "units")
    assert empty["data"] == [] and empty["layout"]["annotations"][0]["text"]


# ---------- ribbons_figure ----------

def test_ribbons_figure_has_a_scene_and_one_labelled_ribbon_per_member_in_order():
    fig = ribbons_figure(_siblings(), None, "EMEA by category", "revenue")
    _assert_valid_neon(fig)
    assert {t["type"] for t in fig["data"]} == {"surface"}
    assert [t["name"] for t in fig["data"]] == ["Home", "Beauty", "Sports"]
    assert len({t["colorscale"][0][1] for t in fig["data"]}) == 3  # a different neon per member
    scene = fig["layout"]["scene"]
    assert scene["yaxis"]["ticktext"] == ["Home", "Beauty", "Sports"] and scene["yaxis"]["tickvals"] == [0, 1, 2]
    assert all(scene[axis]["title"]["text"] for axis in ("xaxis", "yaxis", "zaxis"))
    home = fig["data"][0]
    assert home["y"][1] - home["y"][0] == pytest.approx(0.6) and len(home["z"]) == 2 and len(home["x"]) == 20
    assert "Home" in home["hovertemplate"] and "%{z:,.0f}" in home["hovertemplate"]


def test_ribbons_figure_adds_translucent_interval_surfaces_only_for_an_existing_level():
    frame = _siblings()
    with_band = ribbons_figure(frame, 95, "t", "units")["data"]
    assert len(with_band) == 3 * 3
    bands = [t for t in with_band if not t["showlegend"]]
    assert len(bands) == 6 and all(0.15 <= t["opacity"] <= 0.25 for t in bands)
    assert [t["name"] for t in bands[:2]] == ["Home 95% low", "Home 95% high"]
    assert len(ribbons_figure(frame, 99, "t", "units")["data"]) == 3
    assert ribbons_figure(frame.iloc[:0], 95, "t", "units")["data"] == []


# ---------- children_figure ----------

def test_children_figure_bars_carry_unique_ids_for_drill_down():
    children = pd.DataFrame({"unique_id": ["EMEA/Home", "EMEA/Beauty", "EMEA/Toys"],
                             "label": ["Home", "Beauty", "Toys"], "forecast_total": [3.4e6, 1.2e6, 5e5],
                             "change_pct": [4.1, -2.5, np.nan]})
    fig = children_figure(children, "Next 30 days by category", "revenue")
    _assert_valid_neon(fig)
    (bar,) = fig["data"]
    assert bar["customdata"] == ["EMEA/Home", "EMEA/Beauty", "EMEA/Toys"]
    assert bar["y"] == ["Home", "Beauty", "Toys"] and bar["orientation"] == "h"
    assert bar["text"] == ["▲ +4.1%", "▼ -2.5%", "n/a"]
    assert bar["marker"]["color"] == [PALETTE["lime"], PALETTE["danger"], PALETTE["muted"]]
    assert fig["layout"]["clickmode"] == "event"


def test_children_figure_of_a_leaf_says_it_is_the_lowest_level():
    empty = pd.DataFrame(columns=["unique_id", "label", "forecast_total", "change_pct"])
    fig = children_figure(empty, "t", "units")
    assert fig["data"] == [] and fig["layout"]["annotations"][0]["text"] == NO_CHILDREN_MESSAGE


# ---------- breadcrumb ----------

def test_breadcrumb_buttons_lead_back_up_and_the_last_crumb_is_the_current_page():
    nav = breadcrumb([("total", "Total"), ("EMEA", "EMEA"), ("EMEA/Home", "Home")])
    assert isinstance(nav, html.Nav) and _props(nav)["aria-label"]
    buttons = [c for c in _walk(nav) if isinstance(c, html.Button)]
    assert [b.id for b in buttons] == [ids.forecast_crumb("total"), ids.forecast_crumb("EMEA")]
    assert [b.children for b in buttons] == ["Total", "EMEA"] and all(b.n_clicks == 0 for b in buttons)
    current = [c for c in _walk(nav) if "aria-current" in _props(c)]
    assert [(c.children, _props(c)["aria-current"]) for c in current] == [("Home", "page")]


def test_breadcrumb_at_the_top_has_no_buttons_and_an_empty_path_is_an_error():
    nav = breadcrumb([("total", "Total")])
    assert not [c for c in _walk(nav) if isinstance(c, html.Button)]
    with pytest.raises(ValueError, match="path is empty"):
        breadcrumb([])


# ---------- backtest_table ----------

def test_backtest_table_puts_the_ensemble_first_with_formatted_scores():
    frame = pd.DataFrame({"model": ["AutoETS", "SeasonalNaive", "ensemble"], "weight": [0.625, 0.375, np.nan],
                          "mase": [0.91234, 1.0, 0.8], "smape": [12.345, 14.0, 11.0],
                          "note": ["", "baseline", "weighted mean"]})
    panel = backtest_table(frame, n_windows=4)
    (grid,) = [c for c in _walk(panel) if getattr(c, "id", None) == ids.FORECAST_BACKTEST]
    assert [row["model"] for row in grid.rowData] == ["ensemble", "AutoETS", "SeasonalNaive"]
    assert grid.rowData[1] == {"model": "AutoETS", "ensemble_weight": "62.5%", "MASE": "0.912", "sMAPE": "12.35%",
                               "note": ""}
    assert grid.rowData[0]["ensemble_weight"] is None
    caption = next(c for c in _walk(panel) if isinstance(c, html.P))
    text = "".join(part if isinstance(part, str) else part.children[0] for part in caption.children)
    assert text.startswith("Rolling-origin backtest over the last 4 windows") and "MASE < 1" in text
    terms = {c.children[0]: c.title for c in _walk(caption) if getattr(c, "className", None) == "nf-term"}
    assert terms["MASE"] == DEFINITIONS["mase"] and terms["sMAPE"] == DEFINITIONS["smape"]
    assert terms["ensemble weight"] == DEFINITIONS["ensemble_weight"]


def test_backtest_table_shows_the_ensemble_weight_the_analytics_report():
    frame = pd.DataFrame({"model": ["ensemble", "Theta"], "weight": [1.0, 1.0], "mase": [0.8, 0.8],
                          "smape": [11.0, 11.0]})
    grid = next(c for c in _walk(backtest_table(frame)) if getattr(c, "id", None) == ids.FORECAST_BACKTEST)
    assert [row["ensemble_weight"] for row in grid.rowData] == ["100.0%", "100.0%"]


def test_backtest_table_adds_event_day_scores_and_weights_when_the_backtests_have_them():
    frame = pd.DataFrame({"model": ["GBMForecaster", "Theta", "ensemble"], "weight": [0.2, 0.8, np.nan],
                          "event_weight": [0.9, 0.1, np.nan], "mase": [0.95, 0.81, 0.8],
                          "smape": [12.0, 10.0, 9.5], "mase_events": [0.712, np.nan, 0.9004],
                          "event_days": [12, 0, 1]})
    panel = backtest_table(frame)
    grid = next(c for c in _walk(panel) if getattr(c, "id", None) == ids.FORECAST_BACKTEST)
    assert [c["field"] for c in grid.columnDefs] == ["model", "ensemble_weight", "event_day_weight", "MASE",
                                                     "event_days", "sMAPE"]
    assert [c["headerName"] for c in grid.columnDefs][2:5] == ["event day weight", "MASE", "event days"]
    assert [(r["model"], r["ensemble_weight"], r["event_day_weight"], r["event_days"]) for r in grid.rowData] == [
        ("ensemble", None, None, "0.900 (1)"), ("GBMForecaster", "20.0%", "90.0%", "0.712 (12)"),
        ("Theta", "80.0%", "10.0%", "—")]
    caption = next(c for c in _walk(panel) if isinstance(c, html.P))
    terms = {c.children[0]: c.title for c in _walk(caption) if getattr(c, "className", None) == "nf-term"}
    assert terms["event days"].startswith("Event days: MASE on the backtest days that fell on a promotion")


# ---------- drill_buttons ----------

def test_drill_buttons_are_one_keyboard_button_per_child_keyed_by_node():
    nav = drill_buttons([("EMEA", "EMEA"), ("North America", "North America")])
    buttons = [c for c in _walk(nav) if isinstance(c, html.Button)]
    assert [b.id for b in buttons] == [ids.forecast_drill("EMEA"), ids.forecast_drill("North America")]
    assert [b.children[0] for b in buttons] == ["EMEA", "North America"]
    assert all(b.type == "button" and b.n_clicks == 0 for b in buttons)
    assert _props(nav)["aria-label"] == "Drill down into"
    leaf = drill_buttons([])
    assert isinstance(leaf, html.P) and "lowest level" in leaf.children


# ---------- effects_panel ----------

def _effect_rows(panel) -> list[list[str]]:
    """Each driver's row as its texts: label, lift (with its tone class), amount, note."""
    rows = [c for c in _walk(panel) if "nf-effect" == getattr(c, "className", None)]
    return [[part.children + (f" [{part.className.split()[-1]}]" if "nf-kpi-delta" in part.className else "")
             for part in row.children] for row in rows]


def test_effects_panel_states_each_lift_with_its_interval_largest_first_and_lists_assumptions():
    effects = pd.DataFrame({
        "regressor": ["Marketing spend", "Sitewide promotion", "Black Friday", "Category promotion"],
        "effect": [310.0, 12300.4, 45000.0, -3.25], "effect_lo": [120.0, 9000.0, 30000.0, -20.0],
        "effect_hi": [500.0, 15000.0, 60000.0, 14.0],
        "relative": [0.003, 0.42, 1.6, -0.002], "relative_lo": [0.001, 0.30, 1.2, -0.02],
        "relative_hi": [0.005, 0.55, 2.0, 0.014],
        "per": ["per +100 daily spend", "per promotion day", "on the day", "per promotion day"]})
    panel = effects_panel(effects, ["Promotions follow the marketing calendar", "Ad spend stays at its 28-day mean"],
                          "revenue")
    assert _effect_rows(panel) == [
        ["Black Friday", "+160% (+120% to +200%) [is-up]", "+$45,000 revenue on the day"],
        ["Sitewide promotion", "+42% (+30% to +55%) [is-up]", "+$12,300 revenue per promotion day"],
        ["Marketing spend", "+0.3% (+0.1% to +0.5%) [is-up]", "+$310 revenue per +100 daily spend"],
        ["Category promotion", "-0.2% (-2.0% to +1.4%) [is-flat]", "-$3.2 revenue per promotion day"],
    ]
    (folded,) = [c for c in _walk(panel) if isinstance(c, html.Details)]
    assert folded.children[0].children == "1 more: not distinguishable from no effect (the 95% interval includes zero)"
    assert folded.open is False and [r[0] for r in _effect_rows(folded)] == ["Category promotion"]
    assumptions = [c.children for c in _walk(panel) if isinstance(c, html.Li) and isinstance(c.children, str)]
    assert assumptions == ["Promotions follow the marketing calendar", "Ad spend stays at its 28-day mean"]


def test_effects_are_ordered_by_size_up_or_down_and_all_unclear_ones_stay_open():
    effects = pd.DataFrame({"regressor": ["Easter", "Christmas Day", "Singles' Day"], "effect": [10.0, -60.0, 5.0],
                            "relative": [0.1, -0.62, 0.24], "relative_lo": [-0.1, -0.71, -0.05],
                            "relative_hi": [0.3, -0.5, 0.64], "per": ["per event day"] * 3})
    assert [r[0] for r in _effect_rows(effects_panel(effects, [], "units"))] == ["Christmas Day", "Singles' Day",
                                                                                 "Easter"]
    unclear = effects.drop(index=1)
    (folded,) = [c for c in _walk(effects_panel(unclear, [], "units")) if isinstance(c, html.Details)]
    assert folded.open is True, "nothing else to show: the unclear effects are not hidden"
    assert NOT_DISTINGUISHABLE.startswith("Not distinguishable from no effect")


def test_effects_without_intervals_or_relative_lift_still_say_what_is_known():
    effects = pd.DataFrame({"regressor": ["Ad spend", "Sitewide promotion"], "effect": [-3.25, 12300.4],
                            "relative": [np.nan, 0.11], "per": ["per +1,000 daily spend", "per promotion day"]})
    assert _effect_rows(effects_panel(effects, [], "units")) == [
        ["Sitewide promotion", "+11% [is-up]", "+12,300 units per promotion day"],
        ["Ad spend", "-3.2 units per +1,000 daily spend [is-down]"]]


@pytest.mark.parametrize("relative, shown", [
    (0.00047, "+0.047%"), (-0.0021, "-0.21%"), (0.031, "+3.1%"), (0.124, "+12%"), (0.00002, "+<0.01%"),
    (0.0, "±0%"),
])
def test_small_relative_effects_keep_two_significant_digits(relative, shown):
    effects = pd.DataFrame({"regressor": ["Category promotion"], "effect": [46.5], "relative": [relative],
                            "per": ["per promotion day"]})
    (row,) = _effect_rows(effects_panel(effects, [], "revenue"))
    assert row[1:] == [f"{shown} [is-up]", "+$46.5 revenue per promotion day"]


def test_effects_panel_without_regressors_says_so():
    empty = pd.DataFrame(columns=["regressor", "effect", "relative", "per"])
    panel = effects_panel(empty, [], "units")
    assert [c.children for c in _walk(panel) if isinstance(c, html.P)] == [NO_REGRESSORS_MESSAGE]
    assert not [c for c in _walk(panel) if isinstance(c, html.Ul)]


# ---------- forecast_summary ----------

def test_forecast_summary_has_one_tile_per_card():
    tiles = forecast_summary([("Next 30 days", "3.4 M", "+4.1% vs previous 30 days"),
                              ("95% interval", "3.1–3.7 M", "total over the horizon")]).children
    assert len(tiles) == 2
    assert [[part.children for part in tile.children] for tile in tiles][0] == [
        "Next 30 days", "3.4 M", "+4.1% vs previous 30 days"]
    assert all("nf-kpi-card" in tile.className for tile in tiles)


# ---------- forecast_layout ----------

def _layout():
    return forecast_layout([("revenue", "Revenue"), ("units", "Units")], [14, 30, 60, 90], 30,
                           [50, 80, 90, 95, 99], [80, 95])


def test_layout_has_every_forecast_id_exactly_once():
    """The page's layout plus the customers tab and the drivers (drawn by the page when asked for) hold every id
    once."""
    found = [c.id for tree in (_layout(), customers_panel(), drivers_body()) for c in _walk(tree)
             if getattr(c, "id", None) is not None]
    constants = {name: value for name, value in vars(ids).items()
                 if name.startswith("FORECAST_") and isinstance(value, str)}
    made_later = {"FORECAST_BACKTEST", "FORECAST_CUSTOMERS_BACKTEST"}  # by the backtest tables, inside their panels
    expected = {v for k, v in constants.items() if k not in made_later} | set(vars(ids.FORECAST_JOB).values()) \
        | set(vars(ids.FORECAST_CUSTOMERS_JOB).values()) | set(vars(ids.FORECAST_EXPLAIN_JOB).values())
    assert {value: found.count(value) for value in expected} == {value: 1 for value in expected}
    assert ids.FORECAST_BACKTEST not in found and ids.FORECAST_CUSTOMERS_BACKTEST not in found
    tab_ids = {c.id for c in _walk(_layout()) if isinstance(getattr(c, "id", None), str)}
    assert ids.FORECAST_CUSTOMERS_CHART not in tab_ids  # not in the page until the tab is opened
    crumbs = [i for i in found if isinstance(i, dict) and i["type"] in ("forecast-crumb", "forecast-drill")]
    assert not crumbs  # the top level has no crumb or drill buttons
    graphs = {ids.FORECAST_MAIN, ids.FORECAST_RIBBONS, ids.FORECAST_CHILDREN, ids.FORECAST_IMPORTANCE,
              ids.FORECAST_DAY_DRIVERS, ids.FORECAST_COMPONENTS, ids.FORECAST_CUSTOMERS_CHART,
              ids.FORECAST_WHATIF_CHART}
    assert {i["graph"] for i in found if isinstance(i, dict) and i["type"] == "chart-csv"} == graphs


def test_layout_controls_defaults_and_stores():
    by_id = _by_id(_layout())
    assert by_id[ids.FORECAST_METRIC].value == "revenue"
    assert [o["value"] for o in by_id[ids.FORECAST_METRIC].options] == ["revenue", "units"]
    horizon = by_id[ids.FORECAST_HORIZON]
    assert horizon.value == 30 and horizon.clearable is False
    assert horizon.options[0] == {"label": "14 days", "value": 14}
    assert by_id[ids.FORECAST_LEVELS].value == [80, 95] and by_id[ids.FORECAST_LEVELS].inline is True
    assert by_id[ids.FORECAST_NODE].data == "total" and by_id[ids.FORECAST_READY].data is None
    assert isinstance(by_id[ids.FORECAST_DOWNLOAD], dcc.Download)


def test_layout_hides_the_3d_wrapper_and_wraps_graphs_in_the_matrix_loader():
    root = _layout()
    by_id = _by_id(root)
    assert by_id[ids.FORECAST_MAIN_3D].style == {"display": "none"}
    assert ids.FORECAST_RIBBONS in _by_id(by_id[ids.FORECAST_MAIN_3D])
    assert ids.FORECAST_MAIN in _by_id(by_id[ids.FORECAST_MAIN_2D])
    loaders = [c for c in _walk(root) if isinstance(c, dcc.Loading)]
    wrapped = {getattr(c.children, "id", None) for c in loaders}
    assert {ids.FORECAST_MAIN, ids.FORECAST_RIBBONS, ids.FORECAST_CHILDREN} <= wrapped
    assert all("nf-matrix" in c.custom_spinner.className for c in loaders)


def test_layout_rejects_a_default_horizon_that_is_not_offered():
    with pytest.raises(ValueError, match=r"default_horizon 45 is not one of the horizons \[14, 30\]"):
        forecast_layout([("revenue", "Revenue")], [14, 30], 45, [80], [80])


def test_band_edges_are_outlined_at_3_to_1_against_the_dark_card():
    history = _history()
    forecast = _forecast(history["ds"].max() + pd.Timedelta(days=1))
    bands = [t for t in forecast_figure(history, forecast, [80, 95], "t", "revenue")["data"] if "interval" in t["name"]]
    assert len(bands) == 4 and all(t["line"]["width"] >= 1 for t in bands)
    surface = tuple(int(PALETTE["surface"][i:i + 2], 16) for i in (1, 3, 5))
    for trace in bands:
        *rgb, alpha = (float(v) for v in trace["line"]["color"][5:-1].split(","))
        blended = [alpha * c + (1 - alpha) * s for c, s in zip(rgb, surface)]
        ratio = (luminance(blended) + 0.05) / (luminance(surface) + 0.05)
        assert ratio >= 3, (trace["name"], ratio)


def test_title_legend_and_range_buttons_sit_in_separate_rows():
    history = _history()
    layout = forecast_figure(history, _forecast(history["ds"].max() + pd.Timedelta(days=1)), [80], "t",
                             "revenue")["layout"]
    height, top = layout["height"], layout["margin"]["t"]
    title_bottom_px = (1 - layout["title"]["y"]) * height + 20
    legend_top_px = (1 - layout["legend"]["y"]) * height
    assert layout["legend"]["yref"] == layout["title"]["yref"] == "container"
    assert title_bottom_px <= legend_top_px, "legend starts below the title"
    assert legend_top_px + 2 * 22 + 26 <= top, "a two-row legend ends above the range buttons"
    assert layout["xaxis"]["rangeselector"]["y"] == 1.0 and layout["xaxis"]["rangeselector"]["yanchor"] == "bottom"


def test_layout_lists_the_forecast_period_events_under_the_2d_chart():
    from components.forecast import FORECAST_EVENTS

    wrapper = _by_id(_layout())[ids.FORECAST_MAIN_2D]
    assert FORECAST_EVENTS == "forecast-main-events" and FORECAST_EVENTS in _by_id(wrapper)
    assert [getattr(c, "id", None) for c in _walk(_layout())].count(FORECAST_EVENTS) == 1
