"""The Overview's callbacks as plain functions: KPIs equal to analytics and to SQL, drill-down, periods, and a
specific message (never a traceback) for every input that cannot be used."""
from __future__ import annotations

import datetime as dt

import pytest
from dash import Patch, no_update

from analytics.kpis import DIMENSIONS, KPI_DEFINITIONS, load_kpi_model, overview_snapshot
from components import ids
from components.format import format_exact
from core.runtime import complete_through, dataset_version
from data.vocabulary import CATEGORIES, REGIONS
from tests.browser.helpers import exact_kpis, sql_kpis
from tests.pages.helpers import by_id, figure_text, run_page_job, text_of, trace_names, triggered_by

# Where each output sits in update_overview's answer: KPIs, trend, a breakdown per dimension, filter bar, message,
# trend meta, live note, then what describes the data (today so far, the note, the picker's bounds, the drill lists).
KPIS, TREND = 0, 1
FILTER_BAR = TREND + 1 + len(DIMENSIONS)
MESSAGE, META = FILTER_BAR + 1, FILTER_BAR + 2
CONTEXT = META + 2


@pytest.fixture
def ready(pages, company) -> dict:
    """The KPI model on screen, computed through the page's job (it is small: every test may ask)."""
    return run_page_job(pages.overview.KPI_JOB).ready


def _outputs(pages, period, filters, ready) -> dict:
    """``update_overview``'s outputs by what they are (every branch returns all of them)."""
    values = pages.overview.update_overview(period, filters, ready)
    assert len(values) == len(pages.overview._OUTPUTS)
    breakdowns = dict(zip(DIMENSIONS, values[TREND + 1:TREND + 1 + len(DIMENSIONS)]))
    return {"kpis": values[KPIS], "trend": values[TREND], "breakdowns": breakdowns, "filter_bar": values[FILTER_BAR],
            "message": values[MESSAGE], "meta": values[META], "context": values[CONTEXT:]}


def _shown_kpis(grid) -> dict[str, str]:
    """The exact value each KPI card shows on hover."""
    return {key.replace("_", "-"): by_id(grid, f"{ids.OVERVIEW_KPI_PREFIX}-{key.replace('_', '-')}-value").title
            for key in KPI_DEFINITIONS}


@pytest.mark.parametrize("window, filters", [(30, None), (90, {"region": "EMEA"}), (7, {"region": "APAC"})])
def test_kpi_cards_equal_analytics_and_sql_on_the_same_store_and_filters(pages, company, ready, window, filters):
    shown = _outputs(pages, {"window": window}, filters, ready)
    model = load_kpi_model(company.engine, through=complete_through().iso)
    expected = {kpi.key.replace("_", "-"): format_exact(kpi.value, KPI_DEFINITIONS[kpi.key].unit)
                for kpi in overview_snapshot(model, window, filters).kpis}
    assert _shown_kpis(shown["kpis"]) == expected
    region = (filters or {}).get("region")
    assert expected == exact_kpis(sql_kpis(company.engine, window, region=region))
    revenue = sql_kpis(company.engine, window, region=region)["revenue"]
    assert sum(shown["trend"]["data"][0]["y"][-window:]) == pytest.approx(revenue, rel=1e-9)
    by_category = shown["breakdowns"]["category"]["data"][0]  # within the filters, like every chart
    assert sum(by_category["x"]) == pytest.approx(revenue, rel=1e-9)
    assert list(by_category["y"]) == list(CATEGORIES)
    assert shown["message"] is None
    assert shown["meta"]["version"] == dataset_version().version


def test_a_custom_range_equals_sql_and_compares_with_as_long_a_period_before(pages, company, ready):
    last = complete_through().through
    start, end = (last - dt.timedelta(days=40)).isoformat(), (last - dt.timedelta(days=20)).isoformat()
    shown = _outputs(pages, {"start": start, "end": end}, {"region": "EMEA"}, ready)
    assert shown["message"] is None
    assert _shown_kpis(shown["kpis"]) == exact_kpis(sql_kpis(company.engine, start=start, end=end, region="EMEA"))
    assert "vs previous 21 days" in text_of(shown["kpis"])
    assert "Region: EMEA" in text_of(shown["filter_bar"])


@pytest.mark.parametrize("period, filters, message", [
    ({"window": 30}, {"region": "Mars"}, "unknown region 'Mars'"),
    ({"window": 45}, None, "window must be one of [7, 30, 90] days, got 45"),
    ({"start": "2001-01-01", "end": "2001-02-01"}, None, "is outside the complete data"),
    ({"start": "2026-09-10", "end": "2026-09-01"}, None, "before it starts"),
    ({"start": "2026-09-10", "end": None}, None, "the date range has no end date"),
    ({"start": "<script>", "end": "2026-09-01"}, None, "the start date '<script>' is not a date; use YYYY-MM-DD"),
])
def test_inputs_that_cannot_be_used_get_a_specific_message_and_usable_controls(pages, company, ready, period,
                                                                               filters, message):
    shown = _outputs(pages, period, filters, ready)
    assert text_of(shown["message"]).startswith("Cannot compute the Overview: ")
    assert message in text_of(shown["message"])
    assert "Traceback" not in text_of(shown["message"])
    assert shown["kpis"] is None and shown["meta"] is None
    today, note, first, last, *drills = shown["context"]
    assert dt.date.fromisoformat(last) == complete_through().through  # the date picker still knows the data
    assert [option["value"] for option in drills[DIMENSIONS.index("region")]][-len(REGIONS):] == list(REGIONS)


def test_while_the_kpis_are_computed_every_chart_says_so(pages, company):
    shown = _outputs(pages, {"window": 30}, None, None)
    assert shown["message"] is None and shown["kpis"] is None
    assert "Computing the KPIs…" in figure_text(shown["trend"])


def test_a_result_gone_from_the_cache_says_how_to_get_it_back(pages, company, ready):
    gone = {**ready, "version": ready["version"] + 50}
    shown = _outputs(pages, {"window": 30}, None, gone)
    assert "no longer in the results cache; press Recompute KPIs" in figure_text(shown["trend"])


def test_an_empty_store_says_how_to_get_data(pages, unmigrated_store):
    shown = _outputs(pages, {"window": 30}, None, None)
    assert text_of(shown["message"]).startswith("No data: The store has no data yet.")
    assert "python -m data sample" in text_of(shown["message"])


def test_the_kpi_job_answers_from_the_cache_once_computed(pages, company, ready):
    again = run_page_job(pages.overview.KPI_JOB)
    assert again.ready["version"] == ready["version"] and again.ready["params"] == ready["params"]
    assert (again.progress, again.status) == ([], f"KPIs for dataset v{ready['version']}: from the cache.")


@pytest.mark.parametrize("trigger, values, expected", [
    (ids.OVERVIEW_WINDOW, (90, None, None), (90, None, None, {"window": 90})),
    (ids.OVERVIEW_RANGE, (30, "2026-08-01", "2026-08-31"),
     (None, "2026-08-01", "2026-08-31", {"start": "2026-08-01", "end": "2026-08-31"})),
    (ids.OVERVIEW_RANGE, (None, None, None), (30, None, None, {"window": 30})),  # clearing the range
])
def test_a_preset_and_a_custom_range_replace_each_other(pages, trigger, values, expected):
    with triggered_by(trigger, "value" if trigger == ids.OVERVIEW_WINDOW else "start_date"):
        assert pages.overview.choose_period(*values) == expected


def _drill(pages, trigger, value, filters, drills=(None, None, None)):
    args = [None] * (len(DIMENSIONS) + 2) + list(drills) + [filters]
    with triggered_by(trigger, "clickData" if isinstance(trigger, str) else "n_clicks", value):
        return pages.overview.apply_drilldown(*args)


def test_drill_down_by_bar_chip_dropdown_and_3d_scene(pages):
    bar = {"points": [{"y": "EMEA"}]}
    assert _drill(pages, ids.overview_breakdown("region"), bar, {}) == (
        {"region": "EMEA", "category": None, "channel": None}, "EMEA", None, None)
    # the same bar again clears it; a chip removes its filter
    assert _drill(pages, ids.overview_breakdown("region"), bar, {"region": "EMEA"})[0]["region"] is None
    assert _drill(pages, ids.overview_filter_chip("category"), 1, {"category": "Home"})[0]["category"] is None
    scene = {"points": [{"customdata": ["APAC", "Home", 1.0]}]}
    assert _drill(pages, ids.OVERVIEW_MATRIX_3D, scene, {})[0] == {"region": "APAC", "category": "Home",
                                                                  "channel": None}
    dropdown = _drill(pages, ids.overview_drill("channel"), "Web", {"region": "EMEA"}, drills=(None, None, "Web"))
    assert dropdown == ({"region": "EMEA", "category": None, "channel": "Web"}, "EMEA", None, "Web")


def test_gestures_that_change_nothing_leave_everything_as_it_is(pages):
    nothing = (no_update,) * (1 + len(DIMENSIONS))
    assert _drill(pages, ids.overview_breakdown("region"), {"points": []}, {}) == nothing
    assert _drill(pages, ids.overview_breakdown("region"), None, {}) == nothing
    assert _drill(pages, ids.overview_filter_chip("region"), 0, {"region": "EMEA"}) == nothing  # a new chip
    # filters set from the URL: only the dropdowns follow
    from_url = {"region": "LATAM", "category": None, "channel": None}
    assert _drill(pages, ids.OVERVIEW_FILTERS, None, from_url) == (no_update, "LATAM", None, None)


def test_the_3d_scene_is_built_only_in_3d_and_shows_every_category(pages, company, ready):
    assert pages.overview.update_matrix_3d("2d", {"window": 30}, None, ready) is no_update
    scene = pages.overview.update_matrix_3d("3d", {"window": 30}, None, ready)
    assert trace_names(scene) == list(CATEGORIES)
    bad = pages.overview.update_matrix_3d("3d", {"window": 45}, None, ready)
    assert "window must be one of" in figure_text(bad)


def test_new_data_patches_the_trend_and_says_the_cards_follow(pages, company, ready):
    view = _outputs(pages, {"window": 30}, None, ready)
    meta = {**view["meta"], "version": ready["version"] - 1}  # the page drew an older version
    known = {"version": ready["version"]}
    patch, new_meta, note, today = pages.overview.patch_trend_with_new_data(known, None, meta, {"window": 30})
    assert isinstance(patch, Patch) and new_meta["length"] == meta["length"]
    assert note.startswith(f"Live: the trend includes dataset v{ready['version']}")
    assert pages.overview.patch_trend_with_new_data(known, None, view["meta"], {"window": 30}) == (no_update,) * 4
    assert pages.overview.patch_trend_with_new_data(None, None, None, None) == (no_update,) * 4


def test_the_layout_tolerates_any_query_string(pages, company):
    hostile = pages.overview.layout(window="<script>", start="2026-13-45", region="x" * 500, utm_source="mail")
    assert by_id(hostile, ids.OVERVIEW_WINDOW).value == 30
    assert by_id(hostile, ids.OVERVIEW_RANGE).start_date is None
    shared = pages.overview.layout(window="90", region="EMEA")
    assert by_id(shared, ids.OVERVIEW_WINDOW).value == 90
    assert by_id(shared, ids.OVERVIEW_FILTERS).data["region"] == "EMEA"


def _corrupt_an_order_date(store) -> None:
    """A row another tool wrote into the store by hand: a date SQLite keeps as text, that no parser reads."""
    from sqlalchemy import text

    with store.engine.begin() as connection:
        connection.execute(text("UPDATE orders SET order_date = 'not a date' "
                                "WHERE order_id = (SELECT max(order_id) FROM orders)"))


def test_an_unexpected_error_shows_an_error_id_and_logs_the_traceback(pages, private_company, caplog):
    import logging
    import re

    ready = run_page_job(pages.overview.KPI_JOB).ready
    _corrupt_an_order_date(private_company)
    with caplog.at_level(logging.ERROR):
        shown = _outputs(pages, {"window": 30}, None, ready)
    message = text_of(shown["message"])
    assert "isoformat" not in message and "not a date" not in message  # Python's text stays in the log
    assert message.startswith("Unexpected error: Something unexpected went wrong while computing the Overview")
    error_id = re.search(r"error id ([0-9a-f]{8})", message).group(1)
    logged = next(r for r in caplog.records if error_id in r.getMessage())
    assert "Invalid isoformat string" in str(logged.exc_info[1]) and "Traceback" in caplog.text
    assert shown["kpis"] is None and shown["meta"] is None


def test_an_unexpected_error_in_the_kpi_job_shows_an_error_id(pages, private_company, caplog):
    import logging
    import re

    from pages._jobs import resolve

    _corrupt_an_order_date(private_company)
    with caplog.at_level(logging.ERROR):
        _request, _ready, status = resolve(pages.overview.KPI_JOB, [], dataset_version().version, False, None, None)
    shown = text_of(status)
    assert "isoformat" not in shown and "not a date" not in shown
    error_id = re.search(r"error id ([0-9a-f]{8})", shown).group(1)
    assert any(error_id in r.getMessage() for r in caplog.records)
    charts = _outputs(pages, {"window": 30}, None, _ready)
    assert f"error id {error_id}" in figure_text(charts["trend"])  # not "Computing the KPIs…" forever
