"""Data: sources and their quality, quarantined rows, and uploading a file in the browser."""
from __future__ import annotations

import logging

import dash
from dash import ALL, Input, Output, State, callback, dcc, html, no_update

from components import ids
from components.data_page import (
    RESUBMIT_ACCEPT, RESUBMIT_REJECTED, UPLOAD_ACCEPT, UPLOAD_ENCODING, UPLOAD_REJECTED, checks_figure,
    conflicts_view, data_layout, ingest_summary, mapping_table, quarantine_grid, source_detail, sources_grid,
    store_tables, upload_status,
)
from components.grid import data_grid
from components.messages import error_alert
from core.auth import Permission, audit, audit_request, protect_callback
from core.auth.limits import upload_refusal
from core.runtime import current_settings, job_engine, store_engine
from core.uploads import keep_upload, uploads_dir
from data.ingest import (ENTITIES, STORE_ERRORS, SourceError, Upload, decode_upload, discard_upload, failed_checks,
                         ingest, list_quarantine, mapping_from_dict, preview_upload, quality_report, quarantine_csv,
                         read_upload, recent_conflicts, resubmit, size_over_text, size_text, suggest_mapping,
                         table_summary)
from pages._jobs import allowed, background_action
from pages._url_state import Param, choice, read_query, register_url_state, text

dash.register_page(__name__, path="/data", name="Data", order=5, title="Data · Neon Foresight", view_3d=False)

log = logging.getLogger(__name__)
_QUARANTINE_COLUMNS = ["id", "entity", "source_name", "row_number", "reason", "payload", "created_at"]


URL_PARAMS = (
    Param("source", ids.DATA_SOURCE, "data", {"source": None, "entity": None}, text(200), keys=("source", "entity")),
    Param("upload", ids.DATA_ENTITY, "value", next(iter(ENTITIES)), choice(*ENTITIES)),
)
register_url_state("data", "/data", URL_PARAMS)
protect_callback([ids.DATA_UPLOAD_TOKEN, ids.DATA_PREVIEW, ids.DATA_UPLOAD_STATUS, ids.DATA_RESUBMIT_SUMMARY],
                 Permission.UPLOAD)  # checked by the request guard (core.auth.guard) before these callbacks run
protect_callback([ids.DATA_INGEST_SUMMARY], Permission.UPLOAD, audit=audit.INGEST)  # background: the guard audits
protect_callback([ids.DATA_QUARANTINE_DOWNLOAD], Permission.EXPORT)


def layout(**query):
    """The Data page, with the source drilled into and the upload's entity from the URL."""
    state = read_query(URL_PARAMS, query)
    limits = current_settings().ingest_limits
    source = state["source"] if state["source"].get("source") else None
    return data_layout(list(ENTITIES), limits.max_bytes, size_text(limits.max_bytes), source=source,
                       entity=state["upload"], can_upload=allowed(Permission.UPLOAD),
                       can_export=allowed(Permission.EXPORT))


def _uploads_dir():
    return uploads_dir(current_settings())


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


@callback(Output(ids.DATA_QUARANTINE_DOWNLOAD, "data"),
          Output(ids.DATA_RESUBMIT_SUMMARY, "children", allow_duplicate=True),
          Input(ids.DATA_QUARANTINE_DOWNLOAD_BTN, "n_clicks"), State(ids.DATA_SOURCE, "data"),
          prevent_initial_call=True)
def download_quarantine(_clicks, chosen):
    """The open quarantined rows of one source (the one drilled into, or the only one) as the CSV that
    re-submission accepts back unedited: it takes one entity and one source at a time."""
    engine = _engine()
    if chosen and chosen.get("source"):
        entity, source = chosen.get("entity"), chosen["source"]
    else:
        sources = list_quarantine(engine)[["entity", "source_name"]].drop_duplicates()
        if len(sources) != 1:
            names = ", ".join(sorted(sources["source_name"])[:6])
            return no_update, error_alert("Pick a source first", f"open rows come from {len(sources)} sources "
                                          f"({names}); select one in the Sources grid above and download again (a "
                                          "corrected file goes back one source at a time)")
        entity, source = sources.iloc[0]
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in f"quarantine-{entity}-{source}")[:120]
    csv_text = quarantine_csv(engine, entity=entity, source_name=source)
    audit_request(audit.EXPORT, target=f"{name}.csv")
    return dcc.send_string(csv_text, f"{name.removesuffix('.csv')}.csv"), None


@callback(Output(ids.DATA_RESUBMIT_SUMMARY, "children"), Output(ids.DATA_REFRESH, "data", allow_duplicate=True),
          Input(ids.DATA_RESUBMIT, "contents"), State(ids.DATA_RESUBMIT, "filename"), State(ids.DATA_ENTITY, "value"),
          State(ids.DATA_REFRESH, "data"), prevent_initial_call=True)
def resubmit_corrected(contents, filename, entity, refresh):
    """Re-validate corrected quarantined rows (the downloaded CSV, edited) and ingest those now valid."""
    if refusal := upload_refusal():
        return error_alert("Cannot re-submit", refusal), no_update
    try:
        content = decode_upload(contents, filename or "corrected.csv", current_settings().ingest_limits)
    except SourceError as error:
        return error_alert("Cannot re-submit", error.reason), no_update
    result = resubmit(_engine(), entity, content, source_priority=current_settings().source_priority,
                      rules=current_settings().validation_rules)
    audit_request(audit.RESUBMIT, target=f"{entity}: {(filename or 'corrected.csv')[:200]}")
    return ingest_summary(result.summary()), (refresh or 0) + 1


def _held_back(rejected, accept: str):
    """The message for a file the browser held back (assets/upload-limit.js): too large, or not a type it reads."""
    if not isinstance(rejected, dict) or not isinstance(rejected.get("filename"), str):
        return no_update
    size = rejected.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return no_update
    name = rejected["filename"][:200]
    if rejected.get("type"):
        kinds = accept.split(",")
        listed = ", ".join(kinds[:-1]) + f" or {kinds[-1]}" if len(kinds) > 1 else kinds[0]
        return error_alert("Not a data file", f"{name} is not a file this page reads; upload a {listed} file")
    limit = current_settings().ingest_limits.max_bytes
    return error_alert("File too large", f"{name} is {size_over_text(size, limit)} for one "
                       "file (FORESIGHT_MAX_FILE_MB); split it, or ingest it with `python -m data ingest` on the "
                       "server (where an operator can raise FORESIGHT_MAX_FILE_MB)")


@callback(Output(ids.DATA_UPLOAD_STATUS, "children", allow_duplicate=True), Input(UPLOAD_REJECTED, "data"),
          prevent_initial_call=True)
def report_rejected_upload(rejected):
    """Say why the browser did not upload a file (dcc.Upload drops it without a word)."""
    return _held_back(rejected, UPLOAD_ACCEPT)


@callback(Output(ids.DATA_RESUBMIT_SUMMARY, "children", allow_duplicate=True), Input(RESUBMIT_REJECTED, "data"),
          prevent_initial_call=True)
def report_rejected_resubmission(rejected):
    """Say why the browser did not send a corrected file."""
    return _held_back(rejected, RESUBMIT_ACCEPT)


@callback(Output(ids.DATA_UPLOAD_TOKEN, "data"), Output(ids.DATA_UPLOAD_STATUS, "children"),
          Input(ids.DATA_UPLOAD, "contents"), State(ids.DATA_UPLOAD, "filename"), prevent_initial_call=True)
def receive_upload(contents, filename):
    """Keep the uploaded file on the server; the browser keeps only its token."""
    if contents is None:  # an ingest emptied the upload, so that choosing the same file again counts
        return no_update, no_update
    if refusal := upload_refusal():
        return None, error_alert("Cannot use this file", refusal)
    try:
        content = decode_upload(contents, filename or "upload", current_settings().ingest_limits)
        upload = keep_upload(filename or "upload", content, current_settings())
    except SourceError as error:
        return None, error_alert("Cannot use this file", error.reason)
    audit_request(audit.UPLOAD, target=upload.filename[:200])
    return {"token": upload.token, "filename": upload.filename}, None


@callback(Output(ids.DATA_PREVIEW, "children"), Output(ids.DATA_MAPPING, "children"),
          Output(ids.DATA_INGEST, "disabled"), Output(ids.DATA_UPLOAD_STATUS, "children", allow_duplicate=True),
          Output(ids.DATA_MAPPING_COLUMNS, "data"),
          Input(ids.DATA_UPLOAD_TOKEN, "data"), Input(ids.DATA_ENTITY, "value"), Input(UPLOAD_ENCODING, "value"),
          prevent_initial_call=True)
def preview_and_map(token, entity, encoding="utf-8"):
    """Show the file's first rows (read in the chosen encoding) and a column mapping to confirm or adjust."""
    if not token:
        return None, None, True, no_update, None
    upload = Upload(**token)
    try:
        mapping = mapping_from_dict({"csv": {"encoding": encoding}}, origin="the encoding chosen on this page",
                                    entity=entity)
        preview, total = preview_upload(_uploads_dir(), upload, entity, mapping,
                                        limits=current_settings().ingest_limits)
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


def _mapping_dict(entity: str, layout_columns: dict, sources: list, formats: list, decimal: str,
                  encoding: str) -> dict:
    """The TOML mapping's structure, from the mapping table's choices and the upload's encoding."""
    spec = ENTITIES[entity]
    columns = {column: value for column, value in zip(layout_columns["sources"], sources) if value}
    types = {column: {"format": value.strip()} for column, value in zip(layout_columns["formats"], formats)
             if value and value.strip().lower() != "iso"}
    if decimal == ",":
        for column, dtype in spec.dtypes.items():
            if dtype == "float":
                types.setdefault(column, {}).update(decimal=",", thousands=".")
    return {"entity": entity, "columns": columns, "types": types, "csv": {"encoding": encoding}}


@background_action(
    Output(ids.DATA_INGEST_SUMMARY, "children"),
    Output(ids.DATA_REFRESH, "data", allow_duplicate=True),
    Output(ids.DATA_UPLOAD_TOKEN, "data", allow_duplicate=True),
    Output(ids.DATA_UPLOAD, "contents"),
    Input(ids.DATA_INGEST, "n_clicks"),
    State(ids.DATA_UPLOAD_TOKEN, "data"), State(ids.DATA_ENTITY, "value"), State(ids.DATA_MAPPING_COLUMNS, "data"),
    State(ids.data_mapping_source(ALL), "value"), State(ids.data_mapping_format(ALL), "value"),
    State(ids.DATA_DECIMAL, "value"), State(ids.DATA_REFRESH, "data"), State(UPLOAD_ENCODING, "value"),
    trigger=ids.DATA_INGEST,
)
def ingest_upload(_clicks, token, entity, layout_columns, sources, formats, decimal, refresh, encoding="utf-8"):
    """Validate and ingest the uploaded file with the confirmed mapping; show the CLI's summary.

    Once the file was read, its token is dropped: the preview and mapping clear and Ingest is disabled, so the
    same file cannot be ingested twice by accident (upload it again to do so on purpose).
    """
    if not token or not layout_columns:
        return error_alert("Nothing to ingest", "upload a file first"), no_update, no_update, no_update
    upload = Upload(**token)
    try:
        mapping = mapping_from_dict(_mapping_dict(entity, layout_columns, sources, formats, decimal, encoding),
                                    origin="the column mapping on this page", entity=entity)
        content = read_upload(_uploads_dir(), upload)
    except SourceError as error:
        return error_alert("Cannot ingest", error.reason), no_update, no_update, no_update
    engine = job_engine()
    result = ingest(engine, entity, content, mapping=mapping, filename=upload.filename,
                    limits=current_settings().ingest_limits, source_priority=current_settings().source_priority,
                    rules=current_settings().validation_rules)
    log.info("upload %s as %s: %s", upload.filename, entity, result.to_json())
    done = result.rejected_reason is None  # a rejected file keeps its mapping, to be fixed and tried again
    if done:  # read and ingested: it stops counting against the upload quota
        discard_upload(_uploads_dir(), upload)
    cleared = None if done else no_update
    return ingest_summary(result.summary()), (refresh or 0) + 1, cleared, cleared
