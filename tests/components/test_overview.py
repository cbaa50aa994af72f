"""Overview builders: period controls from the URL state, keyboard drill-down, today so far, the complete-days note."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dash import dcc

from components import ids
from components.overview import complete_note, drill_options, overview_layout, period_label, today_panel


def _find(node, component_id):
    """The component with ``component_id`` in a layout tree (None when absent)."""
    if getattr(node, "id", None) == component_id:
        return node
    children = getattr(node, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            found = _find(child, component_id)
            if found is not None:
                return found
    return None


def _text(node) -> str:
    if isinstance(node, (str, int, float)):
        return str(node)
    children = getattr(node, "children", None)
    if children is None:
        return ""
    return " ".join(_text(c) for c in (children if isinstance(children, (list, tuple)) else [children]))


@dataclass(frozen=True)
class Partial:
    first: dt.date
    last: dt.date
    revenue: float
    orders: int
    lines: int
    as_of: dt.datetime

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def test_the_default_layout_is_30_days_without_a_range_or_filters():
    page = overview_layout()
    assert _find(page, ids.OVERVIEW_WINDOW).value == 30
    picker = _find(page, ids.OVERVIEW_RANGE)
    assert isinstance(picker, dcc.DatePickerRange) and (picker.start_date, picker.end_date) == (None, None)
    assert _find(page, ids.OVERVIEW_PERIOD).data == {"window": 30}
    assert _find(page, ids.OVERVIEW_FILTERS).data == {"region": None, "category": None, "channel": None}
    assert [o["label"] for o in _find(page, ids.OVERVIEW_WINDOW).options] == ["7 days", "30 days", "90 days"]


def test_a_custom_range_from_the_url_wins_over_the_preset_and_filters_fill_the_dropdowns():
    page = overview_layout(window=7, start="2026-08-01", end="2026-08-31", filters={"region": "EMEA"})
    assert _find(page, ids.OVERVIEW_WINDOW).value is None
    assert _find(page, ids.OVERVIEW_PERIOD).data == {"start": "2026-08-01", "end": "2026-08-31"}
    drill = _find(page, ids.overview_drill("region"))
    assert isinstance(drill, dcc.Dropdown) and drill.value == "EMEA" and drill.options == drill_options(["EMEA"])
    assert _find(page, ids.overview_drill("channel")).value is None
    assert "Region: EMEA" in _text(_find(page, ids.OVERVIEW_FILTER_BAR))


def test_half_a_range_is_not_a_range():
    page = overview_layout(window=90, start="2026-08-01", end=None)
    assert _find(page, ids.OVERVIEW_WINDOW).value == 90 and _find(page, ids.OVERVIEW_PERIOD).data == {"window": 90}


def test_today_so_far_is_labelled_partial_with_its_figures():
    partial = Partial(dt.date(2026, 11, 1), dt.date(2026, 11, 1), 764.75, 3, 4, dt.datetime(2026, 11, 1, 14, 5))
    panel = today_panel(partial, dt.date(2026, 10, 31))
    text = _text(panel)
    assert "Today so far" in text and "Partial · not in KPIs or trend" in text
    assert _find(panel, f"{ids.OVERVIEW_TODAY}-revenue").title == "$764.75"
    assert _text(_find(panel, f"{ids.OVERVIEW_TODAY}-orders")) == "3"
    assert _text(_find(panel, f"{ids.OVERVIEW_TODAY}-lines")) == "4"
    assert "01 Nov 2026 so far · as of 01 Nov 14:05 UTC" in text


def test_today_so_far_without_partial_orders_says_so():
    assert "No orders dated after 31 Oct 2026 yet." in _text(today_panel(None, dt.date(2026, 10, 31)))


def test_period_labels_and_the_complete_days_note():
    assert period_label(30) == "last 30 days"
    assert period_label(45, dt.date(2026, 8, 10), dt.date(2026, 9, 23)) == "2026-08-10 – 2026-09-23"
    note = "".join(_text(part) for part in complete_note(dt.date(2026, 10, 31), "stream", "2026-11-01 is in progress"))
    assert "Complete days through 31 Oct 2026" in note and "the live stream's clock: 2026-11-01 is in progress" in note
