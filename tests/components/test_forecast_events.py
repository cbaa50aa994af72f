"""Calendar events on the Forecast chart, on hand-made DemandForecast-like frames: known events -> known marks."""
from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd
import pytest
from dash import html

from components.forecast_events import EVENT_KINDS, EVENT_LANE_PX, MAX_EVENT_LABELS, crosses_zero, event_runs, \
    events_list, lift_text
from components.forecast_figures import forecast_figure
from components.theme import PALETTE
from tests.components.helpers import assert_valid_neon, contrast_ratio

AS_OF = pd.Timestamp("2025-11-15")  # the last day of history; the forecast runs 16 Nov – 30 Dec


def _history(days: int = 400) -> pd.DataFrame:
    ds = pd.date_range(end=AS_OF, periods=days)
    return pd.DataFrame({"ds": ds, "y": 1000.0 + 100 * np.sin(np.arange(days))})


def _forecast(horizon: int = 45) -> pd.DataFrame:
    frame = pd.DataFrame({"ds": pd.date_range(AS_OF + pd.Timedelta(days=1), periods=horizon), "mean": 1100.0})
    for level in (80, 95):
        frame[f"lo-{level}"], frame[f"hi-{level}"] = 1100.0 - level, 1100.0 + level
    return frame


def _days(name, kind, start, end, lift, lo, hi) -> list[tuple]:
    return [(day, name, kind, lift, lo, hi) for day in pd.date_range(start, end)]


def _events(*runs: list[tuple]) -> pd.DataFrame:
    rows = [row for run in runs for row in run]
    return pd.DataFrame(rows, columns=["ds", "name", "kind", "lift", "lift_lo", "lift_hi"])


BLACK_FRIDAY = _days("Black Friday", "commercial", "2025-11-28", "2025-11-28", 1.6, 1.2, 2.0)
CYBER_MONDAY = _days("Cyber Monday", "commercial", "2025-12-01", "2025-12-01", 0.9, 0.6, 1.2)
RUN_UP = _days("Christmas run-up", "holiday", "2025-12-02", "2025-12-23", 0.34, 0.2, 0.5)
PROMO_IN_RUN_UP = _days("Winter promotion", "promotion", "2025-12-05", "2025-12-07", 0.25, 0.1, 0.4)
PAST_SALE = _days("Summer sale", "promotion", "2025-07-04", "2025-07-05", 0.3, 0.1, 0.5)
TOO_OLD = _days("Black Friday", "commercial", "2024-11-29", "2024-11-29", 1.5, 1.1, 1.9)  # before the window


def _figure(events, **kwargs) -> dict:
    return forecast_figure(_history(), _forecast(), [80, 95], "Revenue — Total", "revenue", events=events, **kwargs)


def _labels(fig) -> list[dict]:
    return [a for a in fig["layout"]["annotations"] if a.get("name") == "event-label"]


# ---------- text ----------

@pytest.mark.parametrize("lift, lo, hi, text", [
    (1.6, 1.2, 2.0, "+160% (+120% to +200%)"),
    (0.42, 0.30, 0.55, "+42% (+30% to +55%)"),
    (-0.6, -0.7, -0.5, "-60% (-70% to -50%)"),
    (0.031, -0.004, 0.07, "+3.1% (-0.4% to +7.0%)"),
    (0.42, np.nan, np.nan, "+42%"),
    (np.nan, 0.1, 0.2, "lift not estimable"),
])
def test_lift_text_states_the_lift_and_its_interval(lift, lo, hi, text):
    assert lift_text(lift, lo, hi) == text


def test_an_interval_that_holds_zero_is_not_distinguishable_from_no_effect():
    assert crosses_zero(-0.05, 0.2) and crosses_zero(0.0, 0.3)
    assert not crosses_zero(0.01, 0.3) and not crosses_zero(-0.4, -0.1) and not crosses_zero(np.nan, 0.2)


# ---------- runs ----------

def test_consecutive_days_of_one_event_make_one_run_with_the_average_lift():
    gap = _days("Flash sale", "promotion", "2025-12-10", "2025-12-11", 0.2, 0.1, 0.3) + \
        _days("Flash sale", "promotion", "2025-12-14", "2025-12-14", 0.5, 0.3, 0.7)
    ramp = [(day, "Christmas run-up", "holiday", lift, lift - 0.1, lift + 0.1)
            for day, lift in zip(pd.date_range("2025-12-20", periods=3), (0.1, 0.2, 0.6))]
    runs = event_runs(_events(BLACK_FRIDAY, CYBER_MONDAY, gap, ramp))
    assert runs[["name", "days"]].values.tolist() == [["Black Friday", 1], ["Cyber Monday", 1], ["Flash sale", 2],
                                                      ["Flash sale", 1], ["Christmas run-up", 3]]
    christmas = runs.iloc[-1]
    assert (christmas["start"], christmas["end"]) == (pd.Timestamp("2025-12-20"), pd.Timestamp("2025-12-22"))
    assert christmas[["lift", "lift_lo", "lift_hi"]].tolist() == pytest.approx([0.3, 0.2, 0.4])
    assert event_runs(None).empty and event_runs(_events()).empty


# ---------- the chart ----------

def test_each_upcoming_run_gets_a_band_and_a_label_with_its_lift_in_a_lane_of_its_own():
    fig = _figure(_events(BLACK_FRIDAY, CYBER_MONDAY, RUN_UP, PAST_SALE, TOO_OLD))
    assert_valid_neon(fig)
    labels = _labels(fig)
    assert [a["text"] for a in labels] == ["Black Friday +160%", "Cyber Monday +90%", "Christmas run-up +34%"]
    assert [a["x"] for a in labels] == ["2025-11-28", "2025-12-01", "2025-12-02"]
    shifts = [a["yshift"] for a in labels]
    assert all(high - low >= EVENT_LANE_PX for high, low in pairwise(shifts)), "labels never share a row"
    assert all(a["xanchor"] == "right" and a["showarrow"] for a in labels)
    bands = [s for s in fig["layout"]["shapes"] if s["type"] == "rect"]
    assert [(s["x0"], s["x1"]) for s in bands] == [
        ("2025-07-03 12:00", "2025-07-05 12:00"), ("2025-11-27 12:00", "2025-11-28 12:00"),
        ("2025-11-30 12:00", "2025-12-01 12:00"), ("2025-12-01 12:00", "2025-12-23 12:00")]
    alphas = [float(s["fillcolor"].rsplit(",", 1)[1].rstrip(")")) for s in bands]
    assert alphas[0] < min(alphas[1:]), "past events are marked more discreetly than upcoming ones"


def test_label_hover_names_the_event_its_kind_dates_and_lift_with_interval():
    run_up = next(a for a in _labels(_figure(_events(RUN_UP))) if a["text"].startswith("Christmas"))
    assert run_up["hovertext"] == ("<b>Christmas run-up</b> · public holiday<br>Tue 02 Dec – Tue 23 Dec 2025 "
                                   "(22 days)<br>average lift a day +34% (+20% to +50%) (95% interval)")
    friday = _labels(_figure(_events(BLACK_FRIDAY)))[0]
    assert friday["hovertext"].startswith("<b>Black Friday</b> · commercial day<br>Fri 28 Nov 2025<br>lift +160%")


def test_every_event_day_in_view_hovers_with_its_events_on_the_drawn_line():
    fig = _figure(_events(BLACK_FRIDAY, RUN_UP, PROMO_IN_RUN_UP, PAST_SALE, TOO_OLD))
    (hover,) = [t for t in fig["data"] if t["name"] == "Events"]
    assert len(hover["x"]) == 1 + 22 + 2 and "2024-11-29" not in hover["x"]
    assert hover["marker"]["opacity"] == 0 and hover["showlegend"] is False
    text = dict(zip(hover["x"], hover["text"]))
    assert text["2025-11-28"] == ("<b>Black Friday</b> · commercial day · Fri 28 Nov 2025"
                                  "<br>lift +160% (+120% to +200%)")
    both = text["2025-12-06"].split("<br>")
    assert both[0].startswith("<b>Christmas run-up</b>") and both[2].startswith("<b>Winter promotion</b>")
    y = dict(zip(hover["x"], hover["y"]))
    assert y["2025-11-28"] == 1100.0 and y["2025-07-04"] == pytest.approx(1000 + 100 * np.sin(400 - 1 - 134), abs=0.01)


def test_labels_go_to_the_largest_clear_lifts_and_a_note_says_how_many_more_are_listed():
    small = [_days(f"Promo {i}", "promotion", f"2025-12-{10 + i:02d}", f"2025-12-{10 + i:02d}", 0.1 * (i + 1),
                   0.05, 0.6) for i in range(3)]
    unclear = _days("Boxing Day", "holiday", "2025-12-26", "2025-12-26", 0.9, -0.1, 1.9)  # large but unclear
    fig = _figure(_events(BLACK_FRIDAY, CYBER_MONDAY, RUN_UP, unclear, *small))
    labels = _labels(fig)
    assert len(labels) == MAX_EVENT_LABELS
    assert [a["text"] for a in labels] == ["Black Friday +160%", "Cyber Monday +90%", "Christmas run-up +34%",
                                           "Promo 2 +30%"]  # in date order
    more = [a for a in fig["layout"]["annotations"] if a["text"].startswith("+")]
    assert [a["text"] for a in more] == ["+3 more events: listed below"]
    assert more[0]["yshift"] < min(a["yshift"] for a in labels), "the note sits in a row below the labels"


def test_the_y_range_keeps_the_label_rows_free_above_the_highest_drawn_value():
    fig = _figure(_events(BLACK_FRIDAY, CYBER_MONDAY))
    layout = fig["layout"]
    plot_px = layout["height"] - layout["margin"]["t"] - 40
    low, high = layout["yaxis"]["range"]
    top_value = 1100.0 + 95  # the widest band drawn
    assert low == 0 and (high - top_value) / high * plot_px == pytest.approx(EVENT_LANE_PX * 3 + 6)
    assert "range" not in _figure(None)["layout"]["yaxis"], "no labels: Plotly's autorange"


def test_event_names_are_escaped_and_no_events_leaves_the_chart_as_before():
    hostile = _days("<img src=x onerror=alert(1)>", "one_off", "2025-12-03", "2025-12-03", 0.5, np.nan, np.nan)
    (label,) = _labels(_figure(_events(hostile)))
    assert label["text"] == "&lt;img src=x onerror=alert(1)&gt; +50%" and "<img" not in label["hovertext"]
    plain = _figure(None)
    assert [t["name"] for t in plain["data"]] == [t["name"] for t in _figure(_events())["data"]]
    assert "Events" not in [t["name"] for t in plain["data"]] and not _labels(plain)
    assert len(plain["layout"]["shapes"]) == 1  # the forecast-start line alone


def test_event_colours_are_readable_text_on_the_card():
    for kind, (_, colour) in EVENT_KINDS.items():
        assert contrast_ratio(colour, PALETTE["surface"]) >= 4.5, kind
    (label,) = _labels(_figure(_events(CYBER_MONDAY)))
    assert label["bgcolor"] == PALETTE["surface"] and label["font"]["color"] == EVENT_KINDS["commercial"][1]


# ---------- the list under the chart ----------

def _flat(component) -> str:
    """A component's text as a reader gets it: its strings in order."""
    if isinstance(component, str):
        return component
    children = getattr(component, "children", None)
    return "".join(_flat(c) for c in (children if isinstance(children, list) else [children]) if c is not None)


def test_events_list_states_the_forecast_period_events_in_date_order_with_lift_and_interval():
    listed = events_list(_events(RUN_UP, CYBER_MONDAY, BLACK_FRIDAY, PAST_SALE), AS_OF + pd.Timedelta(days=1))
    items = [c for c in listed.children[1].children if isinstance(c, html.Li)]
    assert [_flat(item) for item in items] == [
        "Fri 28 Nov Black Friday (commercial day): +160% (+120% to +200%)",
        "Mon 01 Dec Cyber Monday (commercial day): +90% (+60% to +120%)",
        "Tue 02 Dec – Tue 23 Dec Christmas run-up (public holiday): +34% (+20% to +50%) a day on average"]
    assert [item.className for item in items] == ["nf-event is-commercial"] * 2 + ["nf-event is-holiday"]
    assert listed.open is True and listed.children[0].children.startswith("Events in the forecast period (3)")
    none = events_list(_events(PAST_SALE), AS_OF + pd.Timedelta(days=1))
    assert none.children == "No promotion, holiday or other event in the forecast period."
    assert events_list(None, AS_OF).children == none.children
