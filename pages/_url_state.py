"""Every page's state in its URL: bookmark or share any view, and Back restores the previous one.

The 2D/3D view is app-wide (``view=3d``), kept in the URL by the shell (``components/layout.py``).

A page lists its state as ``Param``s and calls ``register_url_state(page, path, PARAMS)`` at module level;
its ``layout(**query)`` starts from ``read_query(PARAMS, query)``. A change of any control pushes a history
entry (clientside, without re-rendering the page); Back or Forward within the same page sets the controls
back from the URL (``assets/url-state.js`` catches the popstate and hands it to the page). Hostile or stale
query values fall back to the defaults, never to an error.

The module name starts with an underscore so Dash's page scanner skips it.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from dash import Input, Output, callback, clientside_callback, no_update

from components import ids

__all__ = ["Param", "read_query", "register_url_state", "choice", "int_choice", "int_list", "positive_int", "text"]

_MAX_VALUE = 200  # characters of one query value that are even looked at


@dataclass(frozen=True)
class Param:
    """One piece of page state: its query key, the component property holding it, its default and parser.

    ``keys`` makes a dict-valued property (a filters store) span several query keys, one per field.
    """

    name: str
    component_id: str
    prop: str
    default: Any
    parse: Callable[[str], Any]
    keys: tuple[str, ...] = ()


def choice(*allowed: str) -> Callable[[str], str]:
    """A parser accepting only ``allowed`` values."""
    def parse(raw: str) -> str:
        if raw not in allowed:
            raise ValueError(raw)
        return raw
    return parse


def int_choice(*allowed: int) -> Callable[[str], int]:
    """A parser for a whole number among ``allowed``."""
    def parse(raw: str) -> int:
        value = int(raw)
        if value not in allowed:
            raise ValueError(raw)
        return value
    return parse


def int_list(*allowed: int) -> Callable[[str], list[int]]:
    """A parser for a comma-separated subset of ``allowed`` (sorted, without repeats)."""
    def parse(raw: str) -> list[int]:
        values = sorted({int(part) for part in raw.split(",") if part.strip()})
        if any(value not in allowed for value in values):
            raise ValueError(raw)
        return values
    return parse


def positive_int(raw: str) -> int:
    """A parser for an id: a whole number from 1."""
    value = int(raw)
    if value < 1:
        raise ValueError(raw)
    return value


def text(max_length: int = 80) -> Callable[[str], str]:
    """A parser for free text of printable characters (names, node paths)."""
    def parse(raw: str) -> str:
        if len(raw) > max_length or not raw.isprintable():
            raise ValueError(raw)
        return raw
    return parse




def _first(query: Mapping[str, Any], key: str) -> str | None:
    raw = query.get(key)
    if isinstance(raw, (list, tuple)):
        raw = raw[-1] if raw else None
    return None if raw is None else str(raw)[:_MAX_VALUE]


def _read(param: Param, query: Mapping[str, Any]) -> Any:
    if param.keys:
        fields = {}
        for key in param.keys:
            raw = _first(query, key)
            try:
                fields[key] = param.parse(raw) if raw else None
            except (TypeError, ValueError):
                fields[key] = None
        return {**(param.default or {}), **{k: v for k, v in fields.items() if v is not None}}
    raw = _first(query, param.name)
    if raw in (None, ""):
        return param.default
    try:
        return param.parse(raw)
    except (TypeError, ValueError):
        return param.default


def read_query(params: Sequence[Param], query: Mapping[str, Any]) -> dict[str, Any]:
    """The validated value of every param from a query mapping (Dash's ``layout(**query)`` or ``parse_qs``)."""
    return {param.name: _read(param, query) for param in params}


def _dump_default(param: Param) -> Any:
    if param.keys:
        return None
    value = param.default
    return ",".join(map(str, value)) if isinstance(value, (list, tuple)) else None if value is None else str(value)


_PUSH = """
function (...values) {
    const spec = SPEC;
    if (window.location.pathname !== PATH) { return dash_clientside.no_update; }
    const query = new URLSearchParams(window.location.search);  // keeps keys the page does not own (view)
    spec.forEach(param => { query.delete(param.name); param.keys.forEach(key => query.delete(key)); });
    spec.forEach((param, i) => {
        const value = values[i];
        if (param.keys.length) {
            param.keys.forEach(key => {
                if (value && value[key] !== null && value[key] !== undefined && value[key] !== "All") {
                    query.set(key, value[key]);
                }
            });
            return;
        }
        if (value === null || value === undefined) { return; }
        const text = Array.isArray(value) ? value.join(",") : String(value);
        if (text !== param.default) { query.set(param.name, text); }
    });
    const qs = query.toString();
    const search = qs ? "?" + qs : "";
    if (search !== window.location.search) {
        window.history.pushState({nf: true}, "", window.location.pathname + search + window.location.hash);
    }
    return search;
}
"""


def register_url_state(page: str, path: str, params: Sequence[Param]) -> None:
    """Push a history entry when the page's state changes; restore the state on Back/Forward."""
    spec = [{"name": p.name, "default": _dump_default(p), "keys": list(p.keys)} for p in params]
    clientside_callback(
        _PUSH.replace("SPEC", json.dumps(spec)).replace("PATH", json.dumps(path)),
        Output(ids.URL_STATE, "data", allow_duplicate=True),
        *[Input(p.component_id, p.prop) for p in params],
        prevent_initial_call=True,
    )

    @callback(*[Output(p.component_id, p.prop, allow_duplicate=True) for p in params],
              Input(ids.URL_POPSTATE, "data"), prevent_initial_call=True)
    def restore_state_from_url(popped):
        """Back or Forward within the page: set every control from the URL it returned to."""
        if not isinstance(popped, dict) or popped.get("path") != path:
            return [no_update] * len(params)
        values = read_query(params, parse_qs(str(popped.get("search") or "").lstrip("?")))
        return [values[p.name] for p in params]

    restore_state_from_url.__name__ = f"restore_{page}_state_from_url"
