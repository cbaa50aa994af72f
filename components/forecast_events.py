"""Calendar events on the Forecast chart: bands per event run, labelled upcoming runs, hover on every event day.

``events`` frames follow ``DemandForecast.events`` for one node: ``ds, name, kind, lift, lift_lo, lift_hi``
(``kind``: promotion | holiday | commercial | one_off; ``lift`` the model's relative lift that day, 1.6 = +160%,
``lift_lo/hi`` its 95% interval, NaN where not estimable).
"""
from __future__ import annotations

import html as html_text
import math

import numpy as np
import pandas as pd
from dash import html

from components.primitives import rgba
from components.theme import PALETTE

__all__ = ["EVENT_COLUMNS", "EVENT_KINDS", "MAX_EVENT_LABELS", "EVENT_LANE_PX", "signed_percent", "lift_text",
           "crosses_zero", "event_runs", "event_overlay", "events_list"]

EVENT_COLUMNS = ("ds", "name", "kind", "lift", "lift_lo", "lift_hi")
# kind -> (what the viewer reads, colour); every colour is >= 4.5:1 on the card surface (labels are text)
EVENT_KINDS = {
    "promotion": ("promotion", PALETTE["lime"]),
    "holiday": ("public holiday", PALETTE["amber"]),
    "commercial": ("commercial day", "#ff8a3d"),
    "one_off": ("one-off event", "#b3a6ff"),
}
MAX_EVENT_LABELS = 4  # more labels would cover the forecast; the rest are bands with hover text and the list
# One label per lane, stacked under the "forecast →" label in headroom added above the data (see
# forecast_figures), so labels never overlap each other, the peaks they name or the "forecast →" label.
EVENT_LANE_PX = 20
_FUTURE_ALPHA, _PAST_ALPHA = 0.13, 0.07
_DAY = pd.Timedelta(days=1)


def signed_percent(pct: float) -> str:
    """Whole percent from 9.5% up, one decimal from 0.95%, else two significant digits (never a false "+0.0%")."""
    if pct == 0:
        return "±0%"
    if abs(pct) >= 9.5:
        return f"{pct:+.0f}%"
    if abs(pct) < 0.01:
        return f"{'+' if pct > 0 else '−'}<0.01%"
    return f"{pct:+.1f}%" if abs(pct) >= 0.95 else f"{pct:+.2g}%"


def _finite(value) -> bool:
    return value is not None and not pd.isna(value) and math.isfinite(float(value))


def lift_text(lift, lo=None, hi=None) -> str:
    """A relative lift with its 95% interval: ``"+42% (+30% to +55%)"``; the interval is left out when unknown."""
    if not _finite(lift):
        return "lift not estimable"
    text = signed_percent(100 * float(lift))
    if _finite(lo) and _finite(hi):
        text += f" ({signed_percent(100 * float(lo))} to {signed_percent(100 * float(hi))})"
    return text


def crosses_zero(lo, hi) -> bool:
    """True when a known interval holds zero: the effect is not distinguishable from no effect."""
    return _finite(lo) and _finite(hi) and float(lo) <= 0 <= float(hi)


def _escape(name) -> str:
    """An event name as Plotly text: markup characters escaped (an analyst typed it), apostrophes kept."""
    return html_text.escape(str(name), quote=False)


def _kind(kind) -> tuple[str, str]:
    return EVENT_KINDS.get(str(kind), (str(kind).replace("_", " "), PALETTE["muted"]))


def event_runs(events: pd.DataFrame | None) -> pd.DataFrame:
    """Consecutive days of one event as one run: ``name, kind, start, end, days, lift, lift_lo, lift_hi``
    (lifts averaged over the run's days), sorted by start."""
    columns = ["name", "kind", "start", "end", "days", "lift", "lift_lo", "lift_hi"]
    if events is None or events.empty:
        return pd.DataFrame(columns=columns)
    frame = events.assign(ds=pd.to_datetime(events["ds"])).sort_values(["name", "kind", "ds"])
    same = (frame["name"].eq(frame["name"].shift()) & frame["kind"].eq(frame["kind"].shift())
            & frame["ds"].diff().eq(_DAY))
    runs = frame.groupby((~same).cumsum().to_numpy(), sort=False).agg(
        name=("name", "first"), kind=("kind", "first"), start=("ds", "min"), end=("ds", "max"),
        days=("ds", "size"), lift=("lift", "mean"), lift_lo=("lift_lo", "mean"), lift_hi=("lift_hi", "mean"))
    return runs.sort_values(["start", "name"], kind="stable").reset_index(drop=True)[columns]


def _dates(start: pd.Timestamp, end: pd.Timestamp) -> str:
    if start == end:
        return f"{start:%a %d %b %Y}"
    return f"{start:%a %d %b} – {end:%a %d %b %Y} ({(end - start).days + 1} days)"


def _run_hover(run) -> str:
    kind, _ = _kind(run.kind)
    average = "average lift a day" if run.days > 1 else "lift"
    return (f"<b>{_escape(run.name)}</b> · {kind}<br>{_dates(run.start, run.end)}<br>"
            f"{average} {lift_text(run.lift, run.lift_lo, run.lift_hi)} (95% interval)")


def _band(run, alpha: float) -> dict:
    """A full-height band from the middle of the night before the run's first day to the night after its last."""
    return {"type": "rect", "xref": "x", "yref": "paper", "y0": 0, "y1": 1, "layer": "below",
            "x0": f"{run.start - _DAY / 2:%Y-%m-%d %H:%M}", "x1": f"{run.end + _DAY / 2:%Y-%m-%d %H:%M}",
            "fillcolor": rgba(_kind(run.kind)[1], alpha), "line": {"width": 0}}


def _lane_shift(lane: int) -> int:
    """Pixels from the plot's top edge to the middle of ``lane`` (0 the top one, under "forecast →")."""
    return -EVENT_LANE_PX * (lane + 1) - EVENT_LANE_PX // 2


def _label(run, lane: int) -> dict:
    """The run's name and lift, ending at an arrow into its band, in a lane of its own."""
    color = _kind(run.kind)[1]
    lift = f" {signed_percent(100 * float(run.lift))}" if _finite(run.lift) else ""
    return {"x": f"{run.start:%Y-%m-%d}", "xref": "x", "y": 1, "yref": "paper", "yshift": _lane_shift(lane),
            "text": f"{_escape(run.name)}{lift}", "showarrow": True, "arrowhead": 0,
            "arrowwidth": 1.5, "arrowcolor": color, "ax": -14, "ay": 0, "xanchor": "right", "yanchor": "middle",
            "font": {"color": color, "size": 11}, "bgcolor": PALETTE["surface"], "bordercolor": color,
            "borderwidth": 1, "borderpad": 2, "hovertext": _run_hover(run), "name": "event-label"}


def _labelled(future: pd.DataFrame) -> pd.DataFrame:
    """The upcoming runs that get a label: a known lift whose 95% interval excludes zero (an event the forecast
    moves for), the :data:`MAX_EVENT_LABELS` largest, in date order."""
    clear = future[[_finite(r.lift) and not crosses_zero(r.lift_lo, r.lift_hi) for r in future.itertuples()]]
    size = clear["lift"].abs()
    return clear.loc[size.sort_values(ascending=False, kind="stable").index[:MAX_EVENT_LABELS]].sort_index()


def _day_lines(events: pd.DataFrame, runs: pd.DataFrame) -> pd.Series:
    """Hover text per event day: one line per event that day (its run's dates, that day's lift)."""
    lines = []
    for run in runs.itertuples(index=False):
        days = events[(events["name"] == run.name) & (events["kind"] == run.kind)
                      & events["ds"].between(run.start, run.end)]
        kind = _kind(run.kind)[0]
        head = f"<b>{_escape(run.name)}</b> · {kind} · {_dates(run.start, run.end)}"
        lines += [(day.ds, f"{head}<br>lift {lift_text(day.lift, day.lift_lo, day.lift_hi)}")
                  for day in days.itertuples(index=False)]
    frame = pd.DataFrame(lines, columns=["ds", "line"])
    return frame.groupby("ds")["line"].agg("<br>".join)


def _hover_trace(text: pd.Series, level: pd.Series) -> dict:
    """Invisible points on the drawn line at every event day, so the unified hover names the day's events."""
    days = text.index.intersection(level.index)
    return {"type": "scatter", "mode": "markers", "name": "Events", "x": [f"{d:%Y-%m-%d}" for d in days],
            "y": [None if not np.isfinite(v) else round(float(v), 2) for v in level.loc[days].astype(float)],
            "text": text.loc[days].tolist(), "hovertemplate": "%{text}<extra></extra>", "showlegend": False,
            "marker": {"size": 8, "opacity": 0, "color": PALETTE["amber"]}}


def event_overlay(events: pd.DataFrame | None, level: pd.Series,
                  forecast_start: pd.Timestamp) -> tuple[list[dict], list[dict], list[dict]]:
    """Shapes, annotations and traces marking the events on the days of ``level`` (the drawn line by date).

    Upcoming runs (from ``forecast_start`` on) get a clear band and, for the :data:`MAX_EVENT_LABELS` largest
    lifts distinguishable from zero, a label "Black Friday +160%" in a lane of its own; past runs a faint band only.
    Every event day hovers with its events' names, kinds, dates and lifts with their 95% intervals.
    """
    if events is None or events.empty or level.empty:
        return [], [], []
    shown = events.assign(ds=pd.to_datetime(events["ds"]))
    shown = shown[shown["ds"].between(level.index.min(), level.index.max())]
    runs = event_runs(shown)
    if runs.empty:
        return [], [], []
    upcoming = runs["end"] >= forecast_start
    shapes = [_band(run, _FUTURE_ALPHA if ahead else _PAST_ALPHA)
              for run, ahead in zip(runs.itertuples(index=False), upcoming)]
    labelled = _labelled(runs[upcoming])
    hidden = int(upcoming.sum()) - len(labelled)
    annotations = [_label(run, lane) for lane, run in enumerate(labelled.itertuples(index=False))]
    if hidden:
        # ends at the last day drawn: Plotly widens the x range to fit annotations, so nothing may stick out
        annotations.append({"x": f"{level.index.max():%Y-%m-%d}", "xref": "x", "y": 1, "yref": "paper",
                            "yshift": _lane_shift(len(labelled)), "xanchor": "right", "yanchor": "middle",
                            "showarrow": False,
                            "text": f"+{hidden} more {'events' if hidden > 1 else 'event'}: listed below",
                            "font": {"color": PALETTE["muted"], "size": 11}, "bgcolor": PALETTE["surface"]})
    return shapes, annotations, [_hover_trace(_day_lines(shown, runs), level)]


def _list_item(run) -> html.Li:
    kind, _ = _kind(run.kind)
    dates = f"{run.start:%a %d %b}" if run.start == run.end else f"{run.start:%a %d %b} – {run.end:%a %d %b}"
    average = " a day on average" if run.days > 1 and _finite(run.lift) else ""
    return html.Li([html.Span(dates, className="nf-event-dates"), " ",
                    html.Span(str(run.name), className="nf-event-name"), f" ({kind}): ",
                    html.Span(lift_text(run.lift, run.lift_lo, run.lift_hi) + average, className="nf-event-lift")],
                   className=f"nf-event is-{str(run.kind).replace('_', '-')}")


def events_list(events: pd.DataFrame | None, forecast_start: pd.Timestamp) -> html.Details | html.P:
    """The events of the forecast period as text (what the chart marks, for screen readers and narrow screens)."""
    shown = None if events is None or events.empty else events.assign(ds=pd.to_datetime(events["ds"]))
    runs = event_runs(None if shown is None else shown[shown["ds"] >= forecast_start])
    if runs.empty:
        return html.P("No promotion, holiday or other event in the forecast period.", className="nf-kpi-sub mb-0")
    summary = f"Events in the forecast period ({len(runs)}), with their expected lift and 95% interval"
    return html.Details([html.Summary(summary, className="nf-kpi-sub"),
                         html.Ul([_list_item(run) for run in runs.itertuples(index=False)], className="nf-events")],
                        open=True, className="nf-events-list")
