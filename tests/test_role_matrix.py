"""The role matrix: every page, every callback with side effects and every API route, for every kind of caller.

Callers: anonymous, a signed-in viewer, analyst and admin, an analyst's API token, and an embed link for /forecast.
The expected answer of each cell comes from ``core.auth.roles`` (the one table of who may do what) and the
permission each page, callback and route declares; a cell that disagrees fails with the caller and the route.
Callback requests name a real protected output but no registered callback, so an allowed request is answered by
Dash without running anything (and a refused one never reaches Dash).
"""
from __future__ import annotations

import re

import pytest

import dash
from components import ids
from core.auth import Permission, allows, create_link, create_token, protected_callbacks, protected_pages
from core.auth.callbacks import callback_rules
from data.store import get_engine
from tests.browser.helpers import PASSWORDS, gunicorn_app, sample_store

CALLERS = ("anonymous", "viewer", "analyst", "admin", "token", "embed")
ROLE = {"viewer": "viewer", "analyst": "analyst", "admin": "admin", "token": "analyst", "embed": "viewer"}
EMBED_PAGE = "/forecast"
ORIGIN = "http://localhost"
# Every API route and what it needs (the API's own declaration is checked against this table).
API_ROUTES = {
    ("GET", "/api/v1/kpis"): Permission.VIEW,
    ("GET", "/api/v1/forecast"): Permission.VIEW,
    ("GET", "/api/v1/forecast/backtests"): Permission.VIEW,
    ("GET", "/api/v1/forecast/table"): Permission.VIEW,
    ("GET", "/api/v1/sources"): Permission.VIEW,
    ("GET", "/api/v1/quality"): Permission.VIEW,
    ("GET", "/api/v1/versions"): Permission.VIEW,
    ("GET", "/api/v1/me"): Permission.VIEW,
    ("GET", "/api/v1/churn"): Permission.VIEW,
    ("GET", "/api/v1/customers/at-risk"): Permission.VIEW,
    ("GET", "/api/v1/customers/<int:customer_id>"): Permission.VIEW,
    ("GET", "/api/v1/clv"): Permission.VIEW,
    ("GET", "/api/v1/segments"): Permission.VIEW,
    ("GET", "/api/v1/jobs"): Permission.VIEW,
    ("GET", "/api/v1/jobs/<job_id>"): Permission.VIEW,
    ("GET", "/api/v1/openapi.json"): Permission.VIEW,
    ("GET", "/api/v1/docs"): Permission.VIEW,
    ("POST", "/api/v1/ingest/<entity>"): Permission.UPLOAD,
    ("POST", "/api/v1/retrain"): Permission.RETRAIN,
    ("POST", "/api/v1/jobs/<job_id>/cancel"): Permission.RETRAIN,
    ("POST", "/api/v1/chat"): Permission.CHAT,
    ("GET", "/api/v1/alerts"): Permission.VIEW,
    ("GET", "/api/v1/alerts/rules"): Permission.ALERTS,
    ("POST", "/api/v1/alerts/rules"): Permission.ALERTS,
    ("GET", "/api/v1/alerts/rules/<int:rule_id>"): Permission.ALERTS,
    ("PATCH", "/api/v1/alerts/rules/<int:rule_id>"): Permission.ALERTS,
    ("DELETE", "/api/v1/alerts/rules/<int:rule_id>"): Permission.ALERTS,
    ("POST", "/api/v1/alerts/<int:event_id>/ack"): Permission.ALERTS,
    ("POST", "/api/v1/alerts/<int:event_id>/snooze"): Permission.ALERTS,
    ("GET", "/api/v1/alerts/<int:event_id>/deliveries"): Permission.ALERTS,
}
SAMPLES = {"<int:rule_id>": "999999", "<int:event_id>": "999999", "<int:customer_id>": "1", "<job_id>": "no-such-job", "<entity>": "orders"}
# Routes outside the table: the push channel (its own tests), the docs' trailing slash and files, and the catch-all
# that answers unknown /api/v1 paths with a problem+json 404.
UNLISTED = {"/api/v1/events", "/api/v1/docs/", "/api/v1/docs/static/<name>", "/api/v1/", "/api/v1/<path:rest>"}


def _sample(rule: str) -> str:
    for pattern, value in SAMPLES.items():
        rule = rule.replace(pattern, value)
    return rule


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return gunicorn_app(tmp_path_factory)


@pytest.fixture(scope="module")
def clients(app, tmp_path_factory):
    """A Flask test client per caller, each signed in its own way."""
    url, _instance = sample_store(tmp_path_factory)
    engine = get_engine(url)  # the app's own pooled engine on the sample store
    token = create_token(engine, "analyst", "role-matrix", days=1, actor="tests")[1]
    _link, embed_token = create_link(engine, EMBED_PAGE, "", hours=1, actor="tests",
                                     secret_key=app.server.config["SECRET_KEY"])
    made = {}
    for caller in CALLERS:
        client = app.server.test_client()
        client.environ_base["HTTP_ORIGIN"] = ORIGIN
        if caller in PASSWORDS:
            page = client.get("/login").text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            answer = client.post("/login", data={"username": caller, "password": PASSWORDS[caller],
                                                 "csrf_token": csrf, "next": "/healthz"})
            assert answer.status_code == 303, f"{caller} could not sign in: {answer.status_code}"
        elif caller == "token":
            client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        elif caller == "embed":
            assert client.get(f"/embed/{embed_token}").status_code in (302, 303)
        made[caller] = client
    return made


def _may(caller: str, permission: Permission) -> bool:
    if caller == "anonymous":
        return False
    if caller == "embed":
        return permission is Permission.VIEW
    return allows(ROLE[caller], permission)


def _pages() -> list[str]:
    return sorted(page["path"] for page in dash.page_registry.values() if page["path"] != "/404")


def test_the_matrix_covers_every_page_protected_callback_and_api_route(app):
    assert len(_pages()) >= 5 and "/admin" in _pages()
    assert len(protected_callbacks) >= 8
    declared = {(method, rule.rule) for rule in app.server.url_map.iter_rules()
                if rule.rule.startswith("/api/v1/") and rule.rule not in UNLISTED
                for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert declared == set(API_ROUTES), "a new API route needs its row in API_ROUTES"


@pytest.mark.parametrize("caller", CALLERS)
def test_pages(clients, caller):
    wrong = []
    for path in _pages():
        status = clients[caller].get(path).status_code
        needed = protected_pages.get(path, Permission.VIEW)
        if caller == "anonymous":
            expected = {302}
        elif caller == "embed" and path != EMBED_PAGE:
            expected = {403}
        else:
            expected = {200} if _may(caller, needed) else {403}
        if status not in expected:
            wrong.append(f"{path}: {status}, expected {sorted(expected)}")
    assert wrong == [], caller


def _callback_body(output_id: str) -> dict:
    """A callback request naming ``output_id`` with every job's run click and refresh flag set, so a rule that
    applies only to some requests (``when``) applies here."""
    jobs = [value for value in vars(ids).values() if isinstance(value, ids.JobIds)]
    return {"output": f"{output_id}.role-matrix", "outputs": {"id": output_id, "property": "role-matrix"},
            "inputs": [{"id": job.request, "property": "data", "value": {"refresh": True}} for job in jobs],
            "changedPropIds": [f"{job.run}.n_clicks" for job in jobs]}


@pytest.mark.parametrize("caller", CALLERS)
def test_callbacks_with_side_effects(clients, caller):
    wrong = []
    for output_id, rule in sorted(callback_rules.items()):
        body = _callback_body(output_id)
        assert rule.when is None or rule.when(body), output_id
        status = clients[caller].post("/_dash-update-component", json=body).status_code
        allowed = _may(caller, rule.permission)
        if caller == "anonymous":
            ok = status == 401
        else:
            ok = (status not in (401, 403)) if allowed else status == 403
        if not ok:
            wrong.append(f"{output_id} ({rule.permission.value}): {status}")
    assert wrong == [], caller


@pytest.mark.parametrize("caller", CALLERS)
def test_api_routes(clients, caller):
    wrong = []
    for (method, path), permission in API_ROUTES.items():
        # Write requests carry nothing valid: an allowed caller gets a 4xx about the request, never a job or a write.
        answer = clients[caller].open(_sample(path), method=method, data=b"", content_type="application/json")
        status = answer.status_code
        if caller == "anonymous":
            ok = status == 401
        elif caller == "embed":
            ok = status == 403  # an embed link shows one page; the API is not part of it
        else:
            ok = (status not in (401, 403)) if _may(caller, permission) else status == 403
        if not ok or not answer.mimetype.startswith(("application/problem+json", "application/json", "text/html")):
            wrong.append(f"{method} {path} ({permission.value}): {status} {answer.mimetype}")
        if status >= 400:
            assert answer.mimetype == "application/problem+json" or path.endswith("/docs"), (path, answer.mimetype)
    assert wrong == [], caller


@pytest.mark.parametrize("caller", CALLERS)
def test_the_push_channel_follows_every_signed_in_caller_and_no_one_else(clients, caller):
    """Every page follows new data through /api/v1/events, an embedded one too; anonymous callers get 401."""
    answer = clients[caller].get("/api/v1/events", buffered=False)
    try:
        assert answer.status_code == (401 if caller == "anonymous" else 200), answer.status_code
        if caller != "anonymous":
            assert answer.mimetype == "text/event-stream"
            assert next(answer.response)  # the stream opens with its first event (retry: and the version)
    finally:
        answer.close()
