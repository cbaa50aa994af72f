"""Calling page callbacks as plain functions: the store and app they run on, Dash's callback context, a page's
job, and reading what came back."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from dash import Dash, _get_app, _get_paths, _pages, no_update
from dash._callback_context import context_value
from dash._utils import AttributeDict, stringify_id
from sqlalchemy import Engine

from core.cache import cache, cache_config
from core.runtime import SETTINGS_KEY, dataset_version
from core.settings import Settings
from data.store import get_engine
from pages._jobs import Job, ready_result, resolve, run
from tests.layout_walk import walk


class PageStore(NamedTuple):
    """A store the pages read, with the settings and the Dash app that lead their callbacks to it."""

    url: str
    engine: Engine
    settings: Settings
    app: Dash


def page_store(url: str, instance: Path, **env: str) -> PageStore:
    """The store at ``url`` with its settings (more of them in ``env``) and a Dash app of its own (its results cache
    in ``instance``)."""
    settings = Settings.from_env({"FORESIGHT_DATABASE_URL": url, "FORESIGHT_INSTANCE_DIR": str(instance),
                                  "FORESIGHT_SECRET_KEY": "page-tests-only", **env})
    process_app = (_get_app.APP, _pages.CONFIG, _get_paths.CONFIG)
    try:
        app = Dash(__name__)
    finally:  # a new Dash makes itself the process's app; the real one (and its pages) stays that
        _get_app.APP, _pages.CONFIG, _get_paths.CONFIG = process_app
    app.server.config[SETTINGS_KEY] = settings
    cache.init_app(app.server, config=cache_config(settings))
    return PageStore(url, get_engine(url), settings, app)


@contextmanager
def current(store: PageStore):
    """``store``'s app is the current Dash app (``dash.get_app()``) and Flask app (the results cache)."""
    token = _get_app.app_context.set(store.app)
    try:
        with store.app.server.app_context():
            yield store
    finally:
        _get_app.app_context.reset(token)


@contextmanager
def triggered_by(component_id: str | dict, prop: str, value=None) -> Iterator[None]:
    """Dash's callback context while a callback runs because ``component_id.prop`` changed to ``value``: what
    ``ctx.triggered`` and ``ctx.triggered_id`` read (Dash's docs, "Testing callbacks")."""
    token = context_value.set(AttributeDict(
        triggered_inputs=[{"prop_id": f"{stringify_id(component_id)}.{prop}", "value": value}]))
    try:
        yield
    finally:
        context_value.reset(token)


class JobRun(NamedTuple):
    """A page job's run: the ``ready`` marker the page reads, the progress reported, the status line, the result."""

    ready: dict
    progress: list
    status: str
    result: Any


def run_page_job(job: Job, *values) -> JobRun:
    """A page's job as the browser runs it: the lookup asks for a computation, the background run computes it
    and reports each step, and the page's view callbacks read the result through ``ready``."""
    version = dataset_version()
    request, ready, status = resolve(job, values, version.version, False, None, None)
    progress = []
    if request is not no_update:  # not in the results cache yet
        ready, status = run(job, progress.append, request)
    return JobRun(ready, progress, text_of(status), ready_result(job, ready))


def text_of(component) -> str:
    """Every piece of text in a component tree, in order, separated by single spaces."""
    if component is None or component is no_update:
        return ""
    if isinstance(component, (str, int, float)):
        return " ".join(str(component).split())
    if isinstance(component, (list, tuple)):
        return " ".join(filter(None, map(text_of, component)))
    return text_of(getattr(component, "children", None))


def figure_text(figure) -> str:
    """A figure's title and annotations (what an empty figure says instead of data)."""
    layout = figure["layout"] if isinstance(figure, dict) else figure.layout.to_plotly_json()
    title = layout.get("title") or {}
    notes = [note.get("text", "") for note in layout.get("annotations") or []]
    return " ".join([title.get("text", "") if isinstance(title, dict) else str(title), *notes]).strip()


def by_id(tree, component_id: str):
    """The component with ``component_id`` in a tree or a list of trees (LookupError when there is none)."""
    for root in tree if isinstance(tree, (list, tuple)) else [tree]:
        for component in walk(root):
            if getattr(component, "id", None) == component_id:
                return component
    raise LookupError(f"no component {component_id!r} in the tree")


def trace_names(figure) -> list[str]:
    """The names of a figure's traces (a dict or a plotly Figure)."""
    data = figure["data"] if isinstance(figure, dict) else figure.data
    return [trace["name"] for trace in data]
