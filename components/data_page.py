"""Layout pieces of the Data page: sources and their quality, quarantine, and the upload flow."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from components import ids
from components.charts import chart
from components.grid import data_grid
from components.primitives import card, empty_figure, figure
from components.theme import SERIES_COLORS

__all__ = [
    "UPLOAD_ENCODING",
    "UPLOAD_REJECTED",
    "RESUBMIT_REJECTED",
    "ENCODINGS",
    "UPLOAD_ACCEPT",
    "RESUBMIT_ACCEPT",
    "data_layout",
    "mapping_table",
    "ingest_summary",
    "upload_status",
    "source_detail",
    "SUMMARY_FIELDS",
    "sources_grid",
    "store_tables",
    "checks_figure",
    "conflicts_view",
    "quarantine_grid",
]

SUMMARY_FIELDS = ("accepted", "quarantined", "duplicates", "conflicts")
_SOURCE_COLUMNS = ("source_name", "entity", "last_status", "quality_score", "accepted", "quarantined",
                   "open_quarantine", "duplicates", "conflicts", "last_success_at", "newest_business_date")
_NOT_MAPPED = "— not in this file —"
UPLOAD_ENCODING = ids.child_id(ids.DATA_UPLOAD, "encoding")
# dcc.Stores that assets/upload-limit.js fills with {"filename", "size", "type"} for a file dcc.Upload held back.
UPLOAD_REJECTED = ids.child_id(ids.DATA_UPLOAD, "rejected")
RESUBMIT_REJECTED = ids.child_id(ids.DATA_RESUBMIT, "rejected")
# The encodings the connectors' messages suggest, as the upload offers them.
ENCODINGS = {"utf-8": "UTF-8", "cp1252": "Windows (cp1252)", "latin-1": "Latin-1 (ISO 8859-1)", "utf-16": "UTF-16"}
UPLOAD_ACCEPT = ".csv,.tsv,.txt,.xlsx,.xlsm,.json,.jsonl"
RESUBMIT_ACCEPT = ".csv"


def _limited(upload: dcc.Upload, max_bytes: int, report: str) -> html.Div:
    """``upload`` refusing files over ``max_bytes`` in the browser, and saying so: dcc.Upload drops such files (and
    files of other types) without a word, so assets/upload-limit.js reads these attributes and fills ``report``."""
    upload.max_size = max_bytes
    return html.Div([upload, dcc.Store(id=report)], **{"data-max-bytes": max_bytes, "data-report": report,
                                                       "data-accept": upload.accept})


def _labelled(label: str, control_id: str, control, title: str | None = None) -> html.Div:
    # One label width, so the controls line up when they wrap onto two lines (phones).
    return html.Div([html.Label(label, htmlFor=control_id, className="nf-kpi-label mb-0",
                                style={"minWidth": "4.75rem"}), control],
                    className="d-flex align-items-center gap-2", title=title)


def _upload_controls(entities: Sequence[str], entity: str | None) -> html.Div:
    """The upload's entity and the text encoding its file is read in."""
    encodings = [{"label": label, "value": value} for value, label in ENCODINGS.items()]
    return html.Div(
        [
            _labelled("Entity", ids.DATA_ENTITY, dcc.Dropdown(
                id=ids.DATA_ENTITY, options=list(entities), value=entity or entities[0], clearable=False,
                style={"minWidth": "12rem"})),
            _labelled("Encoding", UPLOAD_ENCODING, dcc.Dropdown(
                id=UPLOAD_ENCODING, options=encodings, value="utf-8", clearable=False, searchable=False,
                style={"minWidth": "12rem"}),
                title="How the text of a CSV or JSON file is encoded; the messages say which one a file needs"),
        ],
        className="d-flex align-items-center gap-3 mb-2 flex-wrap",
    )


def _upload_card(entities: Sequence[str], max_bytes: int, max_text: str, entity: str | None = None) -> html.Section:
    upload = _limited(dcc.Upload(
        html.Div([html.Strong("Drop a CSV, Excel or JSON file here"), f" or click to choose one (up to {max_text})."]),
        id=ids.DATA_UPLOAD,
        accept=UPLOAD_ACCEPT,
        className="nf-upload",
    ), max_bytes, UPLOAD_REJECTED)
    return card(
        "Upload",
        html.Div(
            [
                _upload_controls(entities, entity),
                upload,
                dcc.Store(id=ids.DATA_UPLOAD_TOKEN),
                dcc.Store(id=ids.DATA_MAPPING_COLUMNS),
                html.Div(id=ids.DATA_UPLOAD_STATUS, role="alert"),
                html.Div(id=ids.DATA_PREVIEW, className="mt-3"),
                html.Div(id=ids.DATA_MAPPING, className="mt-3"),
                html.Div(
                    [
                        dbc.Button("Ingest", id=ids.DATA_INGEST, className="nf-btn", disabled=True, n_clicks=0),
                        dbc.Spinner(html.Div(id=ids.DATA_INGEST_SUMMARY), size="sm", color="info"),
                    ],
                    className="d-flex align-items-start gap-3 mt-3 flex-wrap",
                ),
            ]
        ),
        className="mb-3",
        id=ids.child_id(ids.DATA_UPLOAD, "card"),
    )


def _quarantine_card(max_bytes: int, can_upload: bool = True, can_export: bool = True) -> html.Section:
    """Open quarantined rows: download them as CSV (``can_export``), re-submit the corrected file (``can_upload``)."""
    resubmit = dcc.Upload(dbc.Button("Re-submit corrected CSV", className="nf-btn nf-btn-magenta"),
                          id=ids.DATA_RESUBMIT, accept=RESUBMIT_ACCEPT)
    download = [dbc.Button("Download CSV", id=ids.DATA_QUARANTINE_DOWNLOAD_BTN, className="nf-btn", n_clicks=0),
                dcc.Download(id=ids.DATA_QUARANTINE_DOWNLOAD)]
    return card("Quarantine", html.Div(
        [
            html.Div(
                [*(download if can_export else []), *([_limited(resubmit, max_bytes, RESUBMIT_REJECTED)]
                                                      if can_upload else [])],
                className="d-flex gap-2 mb-2 flex-wrap",
            ),
            html.Div(id=ids.DATA_RESUBMIT_SUMMARY, role="status"),
            html.Div(id=ids.DATA_QUARANTINE),
        ]
    ), className="mb-3")


def _read_only_card(entity: str | None) -> html.Section:
    """What a viewer sees instead of the upload. The entity stays as a hidden value: it is part of the page's URL
    state, and the URL-state callback needs every one of its components in the page."""
    return card("Upload", html.P(
        "Your role can read every page but not upload or ingest files. An analyst or an admin can, or an admin can "
        "give you the analyst role.", className="nf-role-notice mb-0", id=ids.child_id(ids.DATA_UPLOAD, "notice")),
        dcc.Input(id=ids.DATA_ENTITY, type="hidden", value=entity),
        className="mb-3", id=ids.child_id(ids.DATA_UPLOAD, "card"))


def data_layout(entities: Sequence[str], max_bytes: int, max_text: str, *, source: dict | None = None,
                entity: str | None = None, can_upload: bool = True, can_export: bool = True) -> html.Div:
    """The Data page: sources with their quality, drill-down, quarantine and upload.

    ``source`` (``{"source", "entity"}``) is the source drilled into and ``entity`` the upload's entity, both
    from the URL. Without ``can_upload`` a short notice replaces the upload (and re-submission); without
    ``can_export`` the quarantine download is left out.
    """
    return html.Div(
        [
            html.H1("Data", className="nf-page-title"),
            html.P("Where the numbers come from, how good they are, and what was held back for review.",
                   className="nf-page-subtitle"),
            dcc.Store(id=ids.DATA_REFRESH, data=0),
            dcc.Store(id=ids.DATA_SOURCE, data=source),
            card("Sources", html.Div(id=ids.DATA_SOURCES), className="mb-3"),
            card("Source detail", html.Div(
                html.P("Select a source above to see its failed checks over time and its quarantined rows.",
                       className="nf-kpi-sub"),
                id=ids.DATA_DETAIL), className="mb-3"),
            card("Conflicts", html.Div(id=ids.DATA_CONFLICTS), className="mb-3"),
            _quarantine_card(max_bytes, can_upload, can_export),
            _upload_card(entities, max_bytes, max_text, entity) if can_upload else _read_only_card(entity),
        ],
        className="nf-page nf-fade-in",
    )


def sources_grid(report: pd.DataFrame) -> html.Div:
    """One row per source: status, quality score, volumes and freshness; rows are selectable."""
    if report.empty:
        return html.P("No source has been ingested yet.", className="nf-kpi-sub")
    columns = [c for c in _SOURCE_COLUMNS if c in report.columns]
    grid = data_grid(ids.DATA_SOURCES_GRID, report, columns=columns, file_name="sources.csv", height=420)
    # The name identifies a source and the timestamp says when it last worked: they wrap, never cut off.
    grid.columnDefs = [{**column, "wrapText": True, "autoHeight": True}
                       if column.get("field") in ("source_name", "last_success_at") else column
                       for column in grid.columnDefs]
    grid.dashGridOptions = {**grid.dashGridOptions,
                            "rowSelection": {"mode": "singleRow", "enableClickSelection": True}}
    return grid


def quarantine_grid(grid_id: str, rows: pd.DataFrame, file_name: str) -> dag.AgGrid:
    """Quarantined rows with their reasons in full (the reason wraps; nothing is cut off)."""
    return data_grid(grid_id, rows, file_name=file_name, height=420, wrap=[c for c in ("reason",) if c in rows])


def source_detail(source_name: str, checks_figure: dict, quarantine: pd.DataFrame,
                  null_rates: Mapping[str, float]) -> list:
    """Failed checks over time, the newest batch's null rates and the open quarantined rows of one source."""
    rates = ", ".join(f"{column} {rate:.1%}" for column, rate in sorted(null_rates.items()) if rate) or "none"
    return [
        html.H3(source_name, className="nf-kpi-label"),
        html.P(f"Empty cells in the newest batch: {rates}.", className="nf-kpi-sub"),
        chart(ids.DATA_CHECKS_CHART, 260, f"{source_name}-failed-checks.csv", figure=checks_figure, loading=False),
        quarantine_grid(ids.child_id(ids.DATA_DETAIL, "quarantine"), quarantine, f"{source_name}-quarantine.csv"),
    ]


def upload_status(filename: str, rows: int, columns: Sequence[str]) -> dbc.Alert:
    """What was received: file, size in rows, columns."""
    return dbc.Alert(f"{filename}: {rows:,} data rows, columns {', '.join(columns)}. Check the mapping, then ingest.",
                     color="info", className="nf-alert")


def mapping_table(entity_columns: Mapping[str, bool], dtypes: Mapping[str, str], source_columns: Sequence[str],
                  suggested: Mapping[str, str | None]) -> html.Div:
    """One row per canonical column: the source column feeding it, and a format for dates."""
    options = [{"label": _NOT_MAPPED, "value": ""}] + [{"label": c, "value": c} for c in source_columns]
    rows = []
    for column, required in entity_columns.items():
        dtype = dtypes[column]
        fmt = (dcc.Input(id=ids.data_mapping_format(column), type="text", placeholder="iso or %d/%m/%Y",
                         value="iso", debounce=True, className="form-control form-control-sm")
               if dtype in ("date", "datetime") else html.Span("—", className="nf-kpi-sub"))
        rows.append(html.Tr([
            html.Td([html.Code(column), html.Span(" required" if required else " optional", className="nf-kpi-sub")]),
            html.Td(dtype, className="nf-kpi-sub"),
            html.Td(dcc.Dropdown(id=ids.data_mapping_source(column), options=options,
                                 value=suggested.get(column) or "", clearable=False)),
            html.Td(fmt),
        ]))
    header = html.Thead(html.Tr([html.Th("Canonical column"), html.Th("Type"), html.Th("Source column"),
                                 html.Th("Date format")]))
    decimal = dbc.RadioItems(
        id=ids.DATA_DECIMAL, options=[{"label": "1234.5", "value": "."}, {"label": "1234,5", "value": ","}],
        value=".", inline=True, className="nf-kpi-sub",
    )
    return html.Div([
        html.H3("Column mapping", className="nf-kpi-label"),
        dbc.Table([header, html.Tbody(rows)], size="sm", className="nf-table", responsive=True),
        html.Div([html.Span("Decimal separator in numbers: ", className="nf-kpi-sub"), decimal],
                 className="d-flex gap-2 align-items-center"),
    ])


def ingest_summary(summary: Mapping[str, object]) -> html.Div:
    """The same summary the CLI prints with --json, as cards."""
    reason = summary.get("rejected_reason")
    if reason:
        return dbc.Alert([html.Strong("Nothing was written: "), str(reason)], color="danger", className="nf-alert")
    notes = [html.Li(str(text)) for text in summary.get("warnings") or ()]
    cells = [html.Div([html.Div(name, className="nf-kpi-label"),
                       html.Div(f"{int(summary.get(name) or 0):,}", className="nf-kpi-value",
                                id=ids.child_id(ids.DATA_INGEST_SUMMARY, name))],
                      className="nf-kpi-card accent-" + accent)
             for name, accent in zip(SUMMARY_FIELDS, ("lime", "amber", "cyan", "magenta"))]
    if not notes:
        return html.Div(cells, className="nf-kpi-grid")
    return html.Div([html.Div(cells, className="nf-kpi-grid"),
                     html.Ul(notes, className="nf-kpi-sub mt-2 mb-0", id=ids.child_id(ids.DATA_INGEST_SUMMARY, "notes"))])


def store_tables(summary: pd.DataFrame) -> html.Div:
    """What the store holds right now: rows and newest date per table."""
    return html.Div([
        html.H3("In the store", className="nf-kpi-label mt-3"),
        data_grid(ids.child_id(ids.DATA_SOURCES, "tables"), summary, file_name="store-tables.csv", height=440, page_size=10),
    ])


def checks_figure(checks: pd.DataFrame, source_name: str) -> dict:
    """Failed rows per check and run over time (stacked bars), from ``data.ingest.failed_checks``."""
    if checks.empty:
        return empty_figure(f"No failed checks for {source_name}")
    data = []
    for i, (check, rows) in enumerate(checks.groupby("check", sort=True)):
        data.append({"type": "bar", "name": check, "x": rows["created_at"].dt.strftime("%Y-%m-%d %H:%M:%S").tolist(),
                     "y": rows["failed_rows"].tolist(), "marker": {"color": SERIES_COLORS[i % len(SERIES_COLORS)]},
                     "hovertemplate": "%{x}<br>%{y} failed rows<extra>" + str(check) + "</extra>"})
    title = {"text": f"Failed checks over time — {source_name}", "x": 0.01, "font": {"size": 14}}
    return figure(data, barmode="stack", height=260, title=title, margin={"t": 40},
                  yaxis={"title": {"text": "failed rows"}})


def conflicts_view(conflicts: pd.DataFrame) -> html.Div:
    """Every logged conflict: key, differing values, the winner and the rule that decided."""
    if conflicts.empty:
        return html.P("No conflicts: no source has disagreed with the store.", className="nf-kpi-sub")
    return data_grid(ids.child_id(ids.DATA_CONFLICTS, "grid"), conflicts, file_name="conflicts.csv", height=280)
