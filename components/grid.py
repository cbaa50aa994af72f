"""Neon-themed AG Grid tables (dash-ag-grid): sort, filter, paginate and export to CSV.

Every grid hides nothing: headers wrap instead of truncating, small grids grow to show every row
(``domLayout: autoHeight``), long text columns wrap, counts carry thousands separators, and a CSV
export holds the raw values, never the display strings, with formula-like text neutralised.
"""
from __future__ import annotations

from collections.abc import Sequence

import dash_ag_grid as dag
import pandas as pd

from components.theme import FONT_FAMILY, PALETTE

__all__ = ["GRID_THEME", "NUMBER_FORMATS", "SAFE_CSV_EXPORT", "data_grid", "grid_rows", "is_identifier"]

# AG Grid's Theming API, evaluated by dash-ag-grid on the client; the neon palette as parameters.
GRID_THEME = {
    "function": (
        "themeQuartz.withParams({"
        f"backgroundColor: '{PALETTE['surface']}', foregroundColor: '{PALETTE['text']}', "
        f"headerBackgroundColor: '{PALETTE['surface_2']}', headerTextColor: '{PALETTE['cyan']}', "
        f"accentColor: '{PALETTE['cyan']}', borderColor: '{PALETTE['border']}', "
        f"oddRowBackgroundColor: '{PALETTE['bg']}', fontFamily: '{FONT_FAMILY}', "
        "fontSize: 12, browserColorScheme: 'dark'})"
    )
}
# d3 formats for numeric columns: whole numbers with thousands separators, others to 2 decimals at most.
NUMBER_FORMATS = {"int": ",d", "float": ",.2~f"}
# AG Grid's own CSV export: text cells and headers through assets/csv-safe.js (the rule of data/csv_safe.py),
# so a cell a spreadsheet would run as a formula gets a leading apostrophe. AG Grid quotes every value itself.
SAFE_CSV_EXPORT = {"processCellCallback": {"function": "csvSafeCell(params)"},
                   "processHeaderCallback": {"function": "csvSafeHeader(params)"}}
_WRAPPED = {"wrapText": True, "autoHeight": True, "flex": 2, "minWidth": 240,
            "cellStyle": {"lineHeight": "1.35", "paddingTop": "6px", "paddingBottom": "6px"}}


def grid_rows(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON-safe records (dates as ISO text, missing values as null)."""
    clean = frame.copy()
    for column in clean.columns:
        if pd.api.types.is_datetime64_any_dtype(clean[column]):
            clean[column] = clean[column].dt.strftime("%Y-%m-%d")
    return clean.astype(object).where(clean.notna(), None).to_dict("records")


def is_identifier(column: str) -> bool:
    """Ids and row numbers are labels, not quantities: no thousands separators."""
    return column in ("id", "row_number") or column.endswith("_id")


def _number_format(kind: str) -> dict:
    return {"function": f"params.value == null ? '' : d3.format('{NUMBER_FORMATS[kind]}')(params.value)"}


def _column(frame: pd.DataFrame, column: str, wrapped: bool) -> dict:
    header = column.replace("_", " ")
    # wide enough for the header's longest word, so a wrapped header breaks between words, never inside one
    longest = max((len(word) for word in header.split()), default=0)
    definition = {"field": column, "headerName": header, "tooltipField": column,
                  "minWidth": max(100, round(7.5 * longest + 52))}
    dtype = frame[column].dtype if column in frame.columns else None
    numeric = dtype is not None and pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    if numeric and not is_identifier(column):
        kind = "int" if pd.api.types.is_integer_dtype(dtype) else "float"
        definition.update(valueFormatter=_number_format(kind), filter="agNumberColumnFilter", type="rightAligned")
    return {**definition, **(_WRAPPED if wrapped else {})}


def data_grid(
    grid_id: str,
    frame: pd.DataFrame,
    *,
    file_name: str,
    columns: Sequence[str] | None = None,
    height: int = 360,
    page_size: int = 20,
    wrap: Sequence[str] = (),
) -> dag.AgGrid:
    """A sortable, filterable grid of ``frame``; ``exportDataAsCsv`` downloads ``file_name`` (raw values).

    Up to ``page_size`` rows the grid grows to fit them all; longer frames scroll inside ``height`` pixels.
    Columns in ``wrap`` (long text such as a reason) wrap onto several lines instead of being cut off.
    """
    shown = list(columns) if columns is not None else list(frame.columns)
    fits = len(frame) <= page_size
    return dag.AgGrid(
        id=grid_id,
        rowData=grid_rows(frame[shown]) if len(frame) else [],
        columnDefs=[_column(frame, c, c in wrap) for c in shown],
        # cellDataType off: show values exactly as read (AG Grid would blank text it cannot parse as a date).
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "minWidth": 110, "cellDataType": False,
                       "wrapHeaderText": True, "autoHeaderHeight": True, "useValueFormatterForExport": False},
        columnSize="responsiveSizeToFit",
        dashGridOptions={"theme": GRID_THEME, "pagination": True, "paginationPageSize": page_size,
                         "paginationPageSizeSelector": sorted({page_size, 20, 50, 100}), "animateRows": False,
                         "tooltipShowDelay": 300, **({"domLayout": "autoHeight"} if fits else {})},
        csvExportParams={"fileName": file_name, **SAFE_CSV_EXPORT},
        style={} if fits else {"height": f"{height}px"},
        className="nf-grid",
    )
