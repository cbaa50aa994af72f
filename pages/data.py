"""Data: sources and their quality, quarantined rows, and uploading a file in the browser."""
from __future__ import annotations

import logging

import dash
from dash import ALL, Input, Output, State, callback, dcc, html, no_update

from components import ids
from components.data_page import (
    checks_figure, conflicts_view, data_layout, ingest_summary, mapping_table, quarantine_grid, source_detail,
    sources_grid, store_tables, upload_status,
)
from components.grid import data_grid
from components.messages import error_alert
from core.runtime import current_settings, job_engine, store_engine
from data.ingest import (ENTITIES, STORE_ERRORS, SourceError, Upload, decode_upload, failed_checks, ingest,
                         list_quarantine, mapping_from_dict, preview_upload, quality_report, quarantine_csv,
                         read_upload, recent_conflicts, resubmit, save_upload, size_text, suggest_mapping,
                         table_summary)
from pages._jobs import background_action
from pages._url_state import Param, choice, read_query, register_url_state, text

dash.register_page(__name__, path="/data", name="Data", order=5, title="Data · Neon Foresight", view_3d=False)

log = logging.getLogger(__name__)
_QUARANTINE_COLUMNS = ["id", "entity", "source_name", "row_number", "reason", "payload", "created_at"]


URL_PARAMS = (
    Param("source", ids.DATA_SOURCE, "data", {"source": None, "entity": None}, text(200), keys=("source", "entity")),
    Param("upload", ids.DATA_ENTITY, "value", next(iter(ENTITIES)), choice(*ENTITIES)),
)
register_url_state("data", "/data", URL_PARAMS)


def layout(**query):
    """The Data page, with the source drilled into and the upload's entity from the URL."""
    state = read_query(URL_PARAMS, query)
    limits = current_settings().ingest_limits
    source = state["source"] if state["source"].get("source") else None
    return data_layout(list(ENTITIES), limits.max_bytes, size_text(limits.max_bytes), source=source,
                       entity=state["upload"])


def _uploads_dir():
    return current_settings().instance_dir / "uploads"


_OLD_SCHEMA = ("The store's schema is older than this app (the ingestion tables are missing). "
               "Run `python -m data upgrade` (make run does it), then reload.")


def _engine():
    """The store engine (migrations run before the app starts: `python -m data upgrade`)."""
    return store_engine()


@callback(Output(ids.DATA_SOURCES, "children"), Input(ids.DATA_REFRESH, "data"), Input(ids.DATASET_VERSION, "data"))
def update_sources(_refresh, _version):
    """Every ingested source with its status, quality score and freshness, then the store's tables."""
    engine = _engine()
    try:
        report = quality_report(engine).drop(columns=["null_rates"])
    except STORE_ERRORS:
        return error_alert("Store needs an upgrade", _OLD_SCHEMA)
    return [sources_grid(report), store_tables(table_summary(engine))]


@callback(Output(ids.DATA_SOURCE, "data"), Input(ids.DATA_SOURCES_GRID, "selectedRows"), prevent_initial_call=True)
def select_source(selected):
    """A row of the sources grid drills into that source."""
    if not selected:
        return no_update
    return {"source": selected[0]["source_name"], "entity": selected[0]["entity"]}


@callback(Output(ids.DATA_DETAIL, "children"), Input(ids.DATA_SOURCE, "data"))
def show_source_detail(chosen):
    """Drill into one source: its failed checks over time and its open quarantined rows."""
    if not chosen or not chosen.get("source"):
        return no_update
    source, entity = chosen["source"], chosen.get("entity")
    engine = _engine()
    try:
        report = quality_report(engine)
    except STORE_ERRORS:
        return error_alert("Store needs an upgrade", _OLD_SCHEMA)
    row = report[(report["source_name"] == source) & (report["entity"] == entity)]
    if row.empty:
        return error_alert("No such source", f"the store has no source named {source!r} for {entity!r}; "
                                             "pick one in the sources grid above")
    quarantine = list_quarantine(engine)
    quarantine = quarantine[quarantine["source_name"] == source]
    null_rates = row["null_rates"].iloc[0]
    return source_detail(source, checks_figure(failed_checks(engine, source), source),
                         quarantine.reindex(columns=_QUARANTINE_COLUMNS), null_rates)


@callback(Output(ids.DATA_CONFLICTS, "children"), Input(ids.DATA_REFRESH, "data"), Input(ids.DATASET_VERSION, "data"))
def update_conflicts(_refresh, _version):
    """The newest conflicts between sources and the store, with the winner and the rule."""
    try:
        return conflicts_view(recent_conflicts(_engine()))
    except STORE_ERRORS:
        return error_alert("Store needs an upgrade", _OLD_SCHEMA)


@callback(Output(ids.DATA_QUARANTINE, "children"), Input(ids.DATA_REFRESH, "data"), Input(ids.DATASET_VERSION, "data"))
def update_quarantine(_refresh, _version):
    """The open quarantined rows of every source, with their reasons."""
    try:
        rows = list_quarantine(_engine())
    except STORE_ERRORS:
        return error_alert("Store needs an upgrade", _OLD_SCHEMA)
    if rows.empty:
        return html.P("Nothing is in quarantine.", className="nf-kpi-sub")
    return quarantine_grid(f"{ids.DATA_QUARANTINE}-grid", rows.reindex(columns=_QUARANTINE_COLUMNS), "quarantine.csv")


@callback(Output(ids.DATA_QUARANTINE_DOWNLOAD, "data"), Input(ids.DATA_QUARANTINE_DOWNLOAD_BTN, "n_clicks"),
          prevent_initial_call=True)
def download_quarantine(_clicks):
    """All open quarantined rows as the CSV that re-submission accepts back."""
    return dcc.send_string(quarantine_csv(_engine()), "quarantine.csv")


@callback(Output(ids.DATA_RESUBMIT_SUMMARY, "children"), Output(ids.DATA_REFRESH, "data", allow_duplicate=True),
          Input(ids.DATA_RESUBMIT, "contents"), State(ids.DATA_RESUBMIT, "filename"), State(ids.DATA_ENTITY, "value"),
          State(ids.DATA_REFRESH, "data"), prevent_initial_call=True)
def resubmit_corrected(contents, filename, entity, refresh):
    """Re-validate corrected quarantined rows (the downloaded CSV, edited) and ingest those now valid."""
    try:
        content = decode_upload(contents, filename or "corrected.csv", current_settings().ingest_limits)
    except SourceError as error:
        return error_alert("Cannot re-submit", error.reason), no_update
    result = resubmit(_engine(), entity, content, source_priority=current_settings().source_priority)
    return ingest_summary(result.summary()), (refresh or 0) + 1


@callback(Output(ids.DATA_UPLOAD_TOKEN, "data"), Output(ids.DATA_UPLOAD_STATUS, "children"),
          Input(ids.DATA_UPLOAD, "contents"), State(ids.DATA_UPLOAD, "filename"), prevent_initial_call=True)
def receive_upload(contents, filename):
    """Keep the uploaded file on the server; the browser keeps only its token."""
    if contents is None:  # an ingest emptied the upload, so that choosing the same file again counts
        return no_update, no_update
    try:
        content = decode_upload(contents, filename or "upload", current_settings().ingest_limits)
        upload = save_upload(_uploads_dir(), filename or "upload", content)
    except SourceError as error:
        return None, error_alert("Cannot use this file", error.reason)
    return {"token": upload.token, "filename": upload.filename}, None


@callback(Output(ids.DATA_PREVIEW, "children"), Output(ids.DATA_MAPPING, "children"),
          Output(ids.DATA_INGEST, "disabled"), Output(ids.DATA_UPLOAD_STATUS, "children", allow_duplicate=True),
          Output(ids.DATA_MAPPING_COLUMNS, "data"),
          Input(ids.DATA_UPLOAD_TOKEN, "data"), Input(ids.DATA_ENTITY, "value"), prevent_initial_call=True)
def preview_and_map(token, entity):
    """Show the file's first rows and a column mapping to confirm or adjust."""
    if not token:
        return None, None, True, no_update, None
    upload = Upload(**token)
    try:
        preview, total = preview_upload(_uploads_dir(), upload, entity, limits=current_settings().ingest_limits)
    except SourceError as error:
        return None, None, True, error_alert("Cannot read this file", error.reason), None
    source_columns = [c for c in preview.columns if c != "row_number"]
    spec = ENTITIES[entity]
    columns = {c: c in spec.required for c in spec.columns}
    return (
        data_grid(f"{ids.DATA_PREVIEW}-grid", preview, file_name=f"preview-{upload.filename}.csv", height=280),
        mapping_table(columns, spec.dtypes, source_columns, suggest_mapping(entity, source_columns)),
        False,
        upload_status(upload.filename, total, source_columns),
        # The mapping inputs' columns in layout order, which is the order ALL-matched values arrive in.
        {"sources": list(spec.columns),
         "formats": [c for c in spec.columns if spec.dtypes[c] in ("date", "datetime")]},
    )


def _mapping_dict(entity: str, layout_columns: dict, sources: list, formats: list, decimal: str) -> dict:
    """The TOML mapping's structure, from the mapping table's choices."""
    spec = ENTITIES[entity]
    columns = {column: value for column, value in zip(layout_columns["sources"], sources) if value}
    types = {column: {"format": value.strip()} for column, value in zip(layout_columns["formats"], formats)
             if value and value.strip().lower() != "iso"}
    if decimal == ",":
        for column, dtype in spec.dtypes.items():
            if dtype == "float":
                types.setdefault(column, {}).update(decimal=",", thousands=".")
    return {"entity": entity, "columns": columns, "types": types}


@background_action(
    Output(ids.DATA_INGEST_SUMMARY, "children"),
    Output(ids.DATA_REFRESH, "data", allow_duplicate=True),
    Output(ids.DATA_UPLOAD_TOKEN, "data", allow_duplicate=True),
    Output(ids.DATA_UPLOAD, "contents"),
    Input(ids.DATA_INGEST, "n_clicks"),
    State(ids.DATA_UPLOAD_TOKEN, "data"), State(ids.DATA_ENTITY, "value"), State(ids.DATA_MAPPING_COLUMNS, "data"),
    State(ids.data_mapping_source(ALL), "value"), State(ids.data_mapping_format(ALL), "value"),
    State(ids.DATA_DECIMAL, "value"), State(ids.DATA_REFRESH, "data"),
    trigger=ids.DATA_INGEST,
)
def ingest_upload(_clicks, token, entity, layout_columns, sources, formats, decimal, refresh):
    """Validate and ingest the uploaded file with the confirmed mapping; show the CLI's summary.

    Once the file was read, its token is dropped: the preview and mapping clear and Ingest is disabled, so the
    same file cannot be ingested twice by accident (upload it again to do so on purpose).
    """
    if not token or not layout_columns:
        return error_alert("Nothing to ingest", "upload a file first"), no_update, no_update, no_update
    upload = Upload(**token)
    try:
        mapping = mapping_from_dict(_mapping_dict(entity, layout_columns, sources, formats, decimal),
                                    origin="the column mapping on this page", entity=entity)
        content = read_upload(_uploads_dir(), upload)
    except SourceError as error:
        return error_alert("Cannot ingest", error.reason), no_update, no_update, no_update
    engine = job_engine()
    result = ingest(engine, entity, content, mapping=mapping, filename=upload.filename,
                    limits=current_settings().ingest_limits, source_priority=current_settings().source_priority)
    log.info("upload %s as %s: %s", upload.filename, entity, result.to_json())
    done = result.rejected_reason is None  # a rejected file keeps its mapping, to be fixed and tried again
    cleared = None if done else no_update
    return ingest_summary(result.summary()), (refresh or 0) + 1, cleared, cleared
