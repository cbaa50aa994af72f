"""Neon-themed AG Grid tables (dash-ag-grid): sort, filter, paginate and export to CSV."""
from __future__ import annotations

from collections.abc import Sequence

import dash_ag_grid as dag
import pandas as pd

from components.theme import FONT_FAMILY, PALETTE

__all__ = ["GRID_THEME", "data_grid", "grid_rows"]

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


def grid_rows(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON-safe records (dates as ISO text, missing values as null)."""
    clean = frame.copy()
    for column in clean.columns:
        if pd.api.types.is_datetime64_any_dtype(clean[column]):
            clean[column] = clean[column].dt.strftime("%Y-%m-%d")
    return clean.astype(object).where(clean.notna(), None).to_dict("records")


def data_grid(
    grid_id: str,
    frame: pd.DataFrame,
    *,
    file_name: str,
    columns: Sequence[str] | None = None,
    height: int = 360,
    page_size: int = 20,
) -> dag.AgGrid:
    """A sortable, filterable grid of ``frame``; ``exportDataAsCsv`` downloads ``file_name``."""
    shown = list(columns) if columns is not None else list(frame.columns)
    return dag.AgGrid(
        id=grid_id,
        rowData=grid_rows(frame[shown]) if len(frame) else [],
        columnDefs=[{"field": c, "headerName": c.replace("_", " "), "tooltipField": c} for c in shown],
        # cellDataType off: show values exactly as read (AG Grid would blank text it cannot parse as a date).
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "minWidth": 110, "cellDataType": False},
        columnSize="responsiveSizeToFit",
        dashGridOptions={"theme": GRID_THEME, "pagination": True, "paginationPageSize": page_size,
                         "paginationPageSizeSelector": sorted({page_size, 20, 50, 100}), "animateRows": False,
                         "tooltipShowDelay": 300},
        csvExportParams={"fileName": file_name},
        style={"height": f"{height}px"},
        className="nf-grid",
    )
