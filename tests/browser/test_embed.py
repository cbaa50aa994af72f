"""Signed embed links in a real cross-site iframe: a portal page on another local origin frames the app.

The app runs under gunicorn on ``http://localhost:P`` with ``FORESIGHT_FRAME_ANCESTORS`` naming the portal
``http://127.0.0.1:Q`` (another site: the session cookie must be ``SameSite=None; Secure``, which Chromium accepts on
http://localhost, a secure context). A second portal on ``http://127.0.0.1:R`` is not on the list.
"""
from __future__ import annotations

import datetime as dt
import html
import os
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from components import ids
from core.auth import create_link, revoke_link
from core.auth.embeds import sign, verify
from data.store import get_engine
from tests.browser.helpers import fresh_browser
from tests.sample_stores import snapshot_store
from tests.services import free_port, start_server, stop

KEY = "embed-browser-tests-only"
KPI = "#overview-kpi-revenue-value"


class _Portal(BaseHTTPRequestHandler):
    """``/?src=<url>``: an intranet page with the app in an iframe."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        src = parse_qs(urlsplit(self.path).query).get("src", [""])[0]
        body = (f'<!doctype html><title>Portal</title><h1>Intranet portal</h1>'
                f'<iframe id="embed" src="{html.escape(src)}" width="1200" height="900"></iframe>').encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


def _serve_portal() -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Portal)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def embedding(sample_store, tmp_path_factory):
    """(app base URL, allowed portal URL, other portal URL, store engine): gunicorn on a private store copy."""
    instance = tmp_path_factory.mktemp("embed")
    url = snapshot_store(sample_store[1] / "foresight.db", instance / "foresight.db")
    allowed, other = _serve_portal(), _serve_portal()
    portal = f"http://127.0.0.1:{allowed.server_port}"
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("FORESIGHT_")}
    env.update(FORESIGHT_DATABASE_URL=url, FORESIGHT_INSTANCE_DIR=str(instance), FORESIGHT_SECRET_KEY=KEY,
               FORESIGHT_FRAME_ANCESTORS=f"'self' {portal}", PYTHONUNBUFFERED="1")
    web = start_server([sys.executable, "-m", "gunicorn", "app:server", "--config", "gunicorn.conf.py", "--workers",
                        "1", "--bind", f"127.0.0.1:{port}"], "Booting worker", env)
    engine = get_engine(url)
    try:
        yield f"http://localhost:{port}", portal, f"http://127.0.0.1:{other.server_port}", engine
    finally:
        stop(web)
        engine.dispose()
        allowed.shutdown()
        other.shutdown()


def _link(engine, page="/", query="window=90") -> str:
    return create_link(engine, page, query, hours=2, actor="tests", secret_key=KEY)[1]


def _framed(driver, portal: str, src: str) -> None:
    """Open the portal with ``src`` in its iframe and switch into the frame."""
    driver.switch_to.default_content()
    driver.get(f"{portal}/?src={urllib.parse.quote(src, safe='')}")
    driver.switch_to.frame(driver.find_element(By.ID, "embed"))


def _text(driver, selector: str, timeout: float = 30) -> str:
    found = []
    WebDriverWait(driver, timeout).until(
        lambda d: found.append(d.execute_script(
            f"const el = document.querySelector({selector!r}); return el ? el.innerText : null;")) or found[-1])
    return found[-1]


_FETCH = "const done = arguments[arguments.length - 1]; fetch(arguments[0]).then(r => done(r.status));"


def test_the_embed_link_shows_its_page_in_the_portal_and_nothing_else(embedding):
    app, portal, _other, engine = embedding
    with fresh_browser() as driver:
        _framed(driver, portal, f"{app}/embed/{_link(engine)}")
        ninety = _text(driver, KPI)  # the Overview's revenue, computed and drawn inside the cross-site frame
        assert driver.execute_script("return location.pathname + location.search") == "/?window=90"
        driver.find_element(By.XPATH, f"//*[@id='{ids.OVERVIEW_WINDOW}']//label[text()='7 days']").click()
        WebDriverWait(driver, 30).until(lambda d: _text(d, KPI) != ninety)  # its filters work in the frame
        cookie = {c["name"]: c for c in driver.get_cookies()}["session"]
        assert cookie["sameSite"] == "None" and cookie["secure"] and cookie["httpOnly"]
        driver.set_script_timeout(20)
        statuses = [driver.execute_async_script(_FETCH, path) for path in ("/forecast", "/admin", "/api/v1/kpis")]
        assert statuses == [403, 403, 403]


@pytest.mark.parametrize("spoil, title", [
    (lambda token: token.split(".")[0], "Embed link unsigned"),
    (lambda token: token[:-4] + ("abcd" if not token.endswith("abcd") else "wxyz"), "Embed link tampered"),
    (lambda token: sign(KEY, 1, "/", "", dt.datetime(2020, 1, 1)), "Embed link expired"),
    ("revoke", "Embed link revoked"),
])
def test_an_unsigned_tampered_expired_or_revoked_link_is_refused_in_the_frame(embedding, spoil, title):
    app, portal, _other, engine = embedding
    token = _link(engine)
    if spoil == "revoke":
        revoke_link(engine, verify(KEY, token)["id"], "tests")
    else:
        token = spoil(token)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{app}/embed/{token}")
    assert refused.value.code == 403
    with fresh_browser() as driver:
        _framed(driver, portal, f"{app}/embed/{token}")
        assert _text(driver, "#nf-embed-refused-title").lower() == title.lower()
        assert "ask an admin for a new link" in _text(driver, "#nf-embed-refused-detail")
        assert "embed" not in str([c["value"] for c in driver.get_cookies()])


def test_a_portal_not_on_the_list_cannot_frame_the_app(embedding):
    app, _portal, other, engine = embedding
    with fresh_browser() as driver:
        _framed(driver, other, f"{app}/embed/{_link(engine)}")
        WebDriverWait(driver, 20).until(lambda d: d.execute_script("return document.readyState") == "complete")
        frame_url = driver.execute_script("return location.href")
        assert frame_url.startswith("chrome-error://"), frame_url  # Chromium's blocked-frame page
        assert driver.execute_script(f"return document.querySelector({KPI!r})") is None
