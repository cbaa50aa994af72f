"""Nothing new is left open: every route of the real app answers an anonymous caller with anything but 2xx,
except the open list; every Dash callback with side effects needs a permission."""
from __future__ import annotations

import re

import pytest

from core.auth.callbacks import callback_rules, output_ids
from core.auth.guard import OPEN_PATHS, OPEN_PREFIXES
from tests.browser.helpers import gunicorn_app

_SAMPLE = {"path": "x.css", "int": "1", "string": "x", "filename": "x.css"}


@pytest.fixture(scope="module")
def nf_app(tmp_path_factory):
    return gunicorn_app(tmp_path_factory)


def _sample_path(rule) -> str:
    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", lambda m: _SAMPLE.get(m.group(1) or "string", "x"), rule.rule)


def _is_open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


def test_no_route_answers_an_anonymous_caller_except_the_open_ones(nf_app):
    client = nf_app.server.test_client()
    answered = []
    for rule in nf_app.server.url_map.iter_rules():
        path = _sample_path(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            status = client.open(path, method=method).status_code
            if 200 <= status < 300 and not _is_open(path):
                answered.append(f"{method} {rule.rule} -> {status}")
    assert answered == []


def test_the_open_list_is_only_login_probes_and_static_assets():
    assert OPEN_PATHS == {"/login", "/logout", "/healthz", "/readyz", "/metrics", "/favicon.ico", "/_favicon.ico"}
    assert set(OPEN_PREFIXES) == {"/assets/", "/_dash-component-suites/", "/vendor/", "/embed/"}


def _has_side_effects(output: str, spec: dict) -> bool:
    """Background work, downloads, uploads and Dash's job cancel callbacks change state or let data out (a clientside
    callback never reaches the server: it works on what the browser already shows)."""
    if "callback" not in spec:
        return False
    inputs = [item.get("property") for item in spec.get("inputs", []) if isinstance(item, dict)]
    return bool(spec.get("background")) or "download" in output or output.endswith(".id") or "contents" in inputs


def test_every_callback_with_side_effects_needs_a_permission(nf_app):
    checked = [output for output, spec in nf_app.callback_map.items() if _has_side_effects(output, spec)]
    assert len(checked) >= 8  # the ingest, three jobs' runs and cancels, the CSV downloads, the admin page's…
    assert [output for output in checked if not any(i in callback_rules for i in output_ids(output))] == []
