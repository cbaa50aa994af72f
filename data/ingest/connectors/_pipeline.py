"""The shared step after every connector: raw columns -> an entity's canonical, coerced columns."""

from __future__ import annotations

import pandas as pd

from data.ingest.connectors._coerce import TARGET_DTYPES, coerce_column
from data.ingest.contract import EntitySpec, IngestLimits, SourceError, SourceFrame, empty_errors
from data.ingest.mapping import Mapping

__all__ = ["to_source_frame"]

_SHOWN_COLUMNS = 20


def _normal(name: object) -> str:
    return str(name).strip().casefold()


def _found(headers: list[str]) -> str:
    shown = ", ".join(repr(header) for header in headers[:_SHOWN_COLUMNS])
    return shown + (f" and {len(headers) - _SHOWN_COLUMNS} more" if len(headers) > _SHOWN_COLUMNS else "")


def _match(headers: list[str], wanted: str, candidates: list[int]) -> list[int]:
    """Positions whose header is ``wanted`` exactly, else equal ignoring case and outer spaces."""
    exact = [i for i in candidates if headers[i] == wanted]
    return exact or [i for i in candidates if _normal(headers[i]) == _normal(wanted)]


def _resolve(headers: list[str], spec: EntitySpec, mapping: Mapping, source_name: str) -> dict[str, int]:
    """Canonical column -> position of the source column that feeds it."""
    everywhere = list(range(len(headers)))
    claimed = {i for source in mapping.columns.values() for i in _match(headers, source, everywhere)}
    unclaimed = [i for i in everywhere if i not in claimed]
    positions: dict[str, int] = {}
    for canonical in spec.columns:
        source = mapping.columns.get(canonical)
        matches = _match(headers, source, everywhere) if source else _match(headers, canonical, unclaimed)
        if len(matches) > 1:
            raise SourceError(f"{source_name} has {len(matches)} columns that could be {canonical}: "
                              f"{_found([headers[i] for i in matches])}; rename one or map {canonical} exactly")
        if source and not matches:
            raise SourceError(f"{source_name} has no column {source!r}, which {mapping.origin} maps to {canonical}; "
                              f"columns found: {_found(headers)}")
        if matches:
            positions[canonical] = matches[0]
    return positions


def _check_required(positions: dict[str, int], spec: EntitySpec, mapping: Mapping, headers: list[str],
                    source_name: str) -> None:
    missing = [c for c in spec.required if c not in positions and c not in mapping.defaults]
    if missing:
        raise SourceError(
            f"{source_name} is missing required column(s) {', '.join(missing)} for {spec.name}; columns found: "
            f"{_found(headers)}; rename them or map them in a mapping file ([columns] {missing[0]} = \"Your header\")"
        )


def _constant(value: object, dtype: str, rows: int) -> pd.Series:
    if dtype in ("date", "datetime"):
        value = pd.Timestamp(value)
    return pd.Series([value] * rows, dtype=TARGET_DTYPES[dtype])


def _errors(raw: pd.Series, reasons: pd.Series, canonical: str) -> pd.DataFrame:
    failed = reasons.notna().to_numpy()
    return pd.DataFrame({
        "row_number": raw.index[failed].astype("int64"),
        "column": canonical,
        "value": raw[failed].map(str).to_numpy(),
        "reason": reasons[failed].to_numpy(),
    })


def to_source_frame(raw: pd.DataFrame, *, spec: EntitySpec, mapping: Mapping, source_name: str,
                    limits: IngestLimits) -> SourceFrame:
    """Map and coerce a connector's raw frame (index = source row numbers) into a SourceFrame."""
    if len(raw) > limits.max_rows:
        raise SourceError(f"{source_name} has {len(raw):,} rows, over the {limits.max_rows:,} limit; "
                          "split it or raise FORESIGHT_MAX_ROWS")
    headers = [str(header) for header in raw.columns]
    positions = _resolve(headers, spec, mapping, source_name)
    _check_required(positions, spec, mapping, headers, source_name)
    columns, errors = {}, []
    for canonical in spec.columns:
        dtype = spec.dtypes[canonical]
        if canonical in positions:
            values = raw.iloc[:, positions[canonical]]
            coerced = coerce_column(values, dtype, mapping.rule(canonical), canonical)
            columns[canonical] = coerced.values.reset_index(drop=True)
            errors.append(_errors(values, coerced.reasons, canonical))
        elif canonical in mapping.defaults or canonical in spec.defaults:
            value = mapping.defaults.get(canonical, spec.defaults.get(canonical))
            columns[canonical] = _constant(value, dtype, len(raw))
    used = set(positions.values())
    found = [frame for frame in errors if not frame.empty]
    return SourceFrame(
        entity=spec.name,
        source_name=source_name,
        frame=pd.DataFrame(columns, index=pd.RangeIndex(len(raw))),
        row_numbers=pd.Series(raw.index.to_numpy(dtype="int64"), name="row_number"),
        errors=pd.concat(found, ignore_index=True).sort_values(["row_number"], kind="stable", ignore_index=True)
        if found else empty_errors(),
        extra_columns=tuple(header for i, header in enumerate(headers) if i not in used),
    )
