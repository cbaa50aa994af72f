"""What the browser tests share: the sample store and the app on it, the numbers to expect, and reading,
waiting for and driving what the pages draw (``dash_duo`` for the test server, plain drivers for a served app)."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait
from sqlalchemy import create_engine, text

from components import ids
from components.format import format_exact
from data.ingest import ENTITIES
from data.watermark import complete_through
from tests.conftest import pytest_setup_options

SAMPLE_CUSTOMERS = 1500
SAMPLE_SEED = 7
FIT_TIMEOUT = 420  # a forecast or retention fit of the test company on 2 busy cores, with room
# Users of the browser test store (one per role), created with the sample store: name -> password.
PASSWORDS = {"admin": "neon-root-key-4711", "analyst": "chart-reader-key-4712", "viewer": "glass-window-key-4713"}
KPI_UNITS = {"revenue": "currency", "orders": "count", "active-customers": "count", "aov": "currency",
             "churn-rate": "percent"}

# --- The sample store and the app on it: once per test process --------------------------------------------------
_ONCE: dict[str, object] = {}


def sample_store(tmp_path_factory) -> tuple[str, Path]:
    """The sample company (fixed seed) in its own SQLite file, written once per test process: (url, instance dir)."""
    if "store" not in _ONCE:
        instance = tmp_path_factory.mktemp("instance")
        url = f"sqlite:///{instance / 'foresight.db'}"
        subprocess.run([sys.executable, "-m", "data", "sample", "--customers", str(SAMPLE_CUSTOMERS),
                        "--seed", str(SAMPLE_SEED), "--database-url", url], check=True, capture_output=True, text=True)
        create_users(url)
        _ONCE["store"] = (url, instance)
    return _ONCE["store"]


def served_store(tmp_path_factory) -> Path:
    """The sample company of ``sample_store`` over two years instead of three, written once per test process, with
    the users: the served app starts with an empty cache, so each of its tests waits for real fits, and on two years
    of history a forecast fits in half the time (the fits are what the served tests wait on, not what they test)."""
    if "served" not in _ONCE:
        path = tmp_path_factory.mktemp("served-template") / "foresight.db"
        url = f"sqlite:///{path}"
        subprocess.run([sys.executable, "-m", "data", "sample", "--customers", str(SAMPLE_CUSTOMERS), "--years", "2",
                        "--seed", str(SAMPLE_SEED), "--database-url", url], check=True, capture_output=True, text=True)
        create_users(url)
        _ONCE["served"] = path
    return _ONCE["served"]


def create_users(store_url: str) -> None:
    """The users ``admin``, ``analyst`` and ``viewer`` (each with the role of its name) with ``PASSWORDS``."""
    from core.auth import create_user

    engine = create_engine(store_url)
    try:
        for name, password in PASSWORDS.items():
            create_user(engine, name, name, password, actor="tests")
    finally:
        engine.dispose()


def login(browser, base_url: str, username: str, password: str | None = None, next_path: str = "/healthz") -> None:
    """Sign in through the /login form (``browser``: dash_duo or a WebDriver), landing on ``next_path``.

    The default lands on the light health probe, so the test's own first page load is the only Dash page load.
    """
    driver = getattr(browser, "driver", browser)
    driver.get(f"{base_url.rstrip('/')}/login?next={next_path}")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(PASSWORDS[username] if password is None else password)
    driver.find_element(By.ID, "login-submit").click()
    try:
        WebDriverWait(driver, 20).until(lambda d: urlsplit(d.current_url).path == urlsplit(next_path).path)
    except TimeoutException:
        raise AssertionError(f"signing in as {username} stayed on {driver.current_url}: "
                             f"{driver.find_element(By.TAG_NAME, 'body').text[:300]}") from None


def signed_in_client(server, username: str = "admin"):
    """A Flask test client of ``server`` signed in as ``username`` through the /login form."""
    import re

    client = server.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    answer = client.post("/login", data={"username": username, "password": PASSWORDS[username], "csrf_token": token})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:300]
    return client


def sign_in_on_start(dash_duo, username: str = "admin") -> None:
    """Make ``dash_duo.start_server`` sign in as ``username`` before it opens the app (every page test's login)."""
    start = dash_duo.start_server

    def start_signed_in(app, navigate=True, **kwargs):
        start(app, navigate=False, **kwargs)
        login(dash_duo, dash_duo.server.url, username)
        if navigate:
            dash_duo.server_url = dash_duo.server.url  # opens the app and waits for it, as dash_duo does

    dash_duo.start_server = start_signed_in


def gunicorn_app(tmp_path_factory):
    """The app exactly as gunicorn loads it (``app:app``) on the sample store, configured by environment variables.

    One per test process, shared by the browser tests and tests/pages: building it runs every page module through
    Dash's page scanner, and a second scan in the same process would register every page callback twice.
    """
    url, instance = sample_store(tmp_path_factory)
    if "app" not in sys.modules:
        os.environ.update(FORESIGHT_DATABASE_URL=url, FORESIGHT_INSTANCE_DIR=str(instance),
                          FORESIGHT_SECRET_KEY="browser-tests-only")
    import app as app_module

    return app_module.app


# --- Numbers to expect, straight from the store ------------------------------------------------------------------
def sql_kpis(engine, window: int | None = None, region: str | None = None, start: str | None = None,
             end: str | None = None) -> dict[str, float]:
    """The Overview's KPIs straight from the store with SQL: the ``window`` days up to the last complete day,
    or the custom range ``start``..``end`` (both included)."""
    if start is None:
        last = complete_through(engine).through
        start, end = (last - dt.timedelta(days=window - 1)).isoformat(), last.isoformat()
    with engine.connect() as conn:
        params = {"start": start, "end": end, "region": region}
        region_sql = " AND c.region = :region" if region else ""
        revenue, orders, active = conn.execute(text(
            "SELECT SUM(ol.quantity * ol.unit_price * (1 - ol.discount)), COUNT(DISTINCT ol.order_id),"
            " COUNT(DISTINCT o.customer_id) FROM order_lines ol JOIN orders o ON o.order_id = ol.order_id"
            " JOIN customers c ON c.customer_id = o.customer_id"
            f" WHERE ol.order_date >= :start AND ol.order_date <= :end{region_sql}"), params).one()
        base, churned = conn.execute(text(
            "SELECT COUNT(*), SUM(CASE WHEN c.cancel_date >= :start AND c.cancel_date <= :end THEN 1 ELSE 0 END)"
            " FROM customers c WHERE c.signup_date < :start"
            f" AND (c.cancel_date IS NULL OR c.cancel_date >= :start){region_sql}"), params).one()
    return {"revenue": revenue, "orders": orders, "active-customers": active, "aov": revenue / orders,
            "churn-rate": churned / base}


def exact_kpis(expected: dict[str, float]) -> dict[str, str]:
    """What each KPI card shows on hover (its exact value) for these KPI values."""
    return {key: format_exact(value, KPI_UNITS[key]) for key, value in expected.items()}


def store_version(store_url: str) -> int:
    """The store's newest dataset version."""
    engine = create_engine(store_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT max(version) FROM dataset_versions")).scalar())
    finally:
        engine.dispose()


def add_new_data(store_url: str, tmp_path) -> int:
    """Ingest a changed customer through the CLI (a real new dataset version); returns the new version."""
    engine = create_engine(store_url)
    columns = list(ENTITIES["customers"].columns)
    row = pd.read_sql(text("SELECT * FROM customers ORDER BY customer_id LIMIT 1"), engine).reindex(columns=columns)
    engine.dispose()
    row["name"] = row["name"] + " Jr"
    # Newer than the stored row: the row read back carries the stored updated_at, and the same timestamp with other
    # content is a conflict that lands nothing (no new version, so nothing for the page to move to).
    row["updated_at"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    before = store_version(store_url)
    path = tmp_path / f"customers-{before}.csv"
    row.to_csv(path, index=False)
    ran = subprocess.run([sys.executable, "-m", "data", "ingest", "customers", str(path), "--database-url", store_url],
                         check=True, capture_output=True, text=True)
    after = store_version(store_url)
    assert after > before, f"the ingest made no new dataset version: {ran.stdout.strip()} {ran.stderr.strip()}"
    return after


# --- Reading and driving a page through dash_duo -----------------------------------------------------------------
_TRACE_FIELDS_JS = """
const el = document.getElementById(arguments[0]);
const gd = el && (el.classList.contains('js-plotly-plot') ? el : el.querySelector('.js-plotly-plot'));
if (!gd || !gd.data || !gd.data.length) { return null; }
const plain = (a) => (a && a._inputArray) ? plain(a._inputArray)
    : ArrayBuffer.isView(a) ? Array.from(a) : Array.isArray(a) ? a.map(plain) : a;
return gd.data.map(t => Object.fromEntries(arguments[1].map(key => [key, plain(t[key])])));
"""


def traces(dash_duo, graph_id: str, *fields: str) -> list[dict]:
    """The drawn traces of a graph with the given fields (nested typed arrays as plain lists), once it has data."""
    found = []
    dash_duo._wait_for(lambda _: found.append(dash_duo.driver.execute_script(_TRACE_FIELDS_JS, graph_id, fields))
                       or found[-1] is not None, timeout=90, msg=f"{graph_id} never drew any data")
    return found[-1]


def plot_data(dash_duo, graph_id: str) -> list[dict]:
    """The name, type, x and y of every trace of a graph once Plotly has drawn it."""
    return traces(dash_duo, graph_id, "name", "type", "x", "y")


def kpi_titles(dash_duo) -> dict[str, str | None]:
    """The exact value each KPI card shows on hover, read in one script (no stale elements)."""
    return dash_duo.driver.execute_script(
        "const out = {};"
        "for (const key of arguments[0]) {"
        "  const el = document.getElementById('overview-kpi-' + key + '-value');"
        "  out[key] = el ? el.title : null; }"
        "return out;", list(KPI_UNITS))


def wait_for_kpis(dash_duo, expected: dict[str, float]) -> None:
    """Wait until every KPI card shows exactly the expected value."""
    want = exact_kpis(expected)
    dash_duo._wait_for(lambda _: kpi_titles(dash_duo) == want, timeout=20,
                       msg=f"KPI cards never showed {want}")


def assert_clean_console(dash_duo) -> None:
    assert dash_duo.get_logs() == [], dash_duo.get_logs()


def scroll_to(dash_duo, element) -> None:
    """Scroll ``element`` to the middle of the window (WebDriver scrolls targets under the sticky header)."""
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)


def choose(dash_duo, control_id: str, label: str) -> None:
    """Click the option labelled exactly ``label`` of a radio or checklist control."""
    dash_duo.find_element(f"#{control_id}").find_element(By.XPATH, f".//label[text()='{label}']").click()


def run_job_to_completion(dash_duo, job: ids.JobIds, timeout: float = 60) -> None:
    """Press the job panel's run button once it is enabled and wait until the job says it computed, bar full.

    Dash also calls the background job once as the page arrives (it answers at once: nothing was asked), so the
    button is disabled for a moment first.
    """
    button = dash_duo.find_element(f"#{job.run}")
    dash_duo._wait_for(lambda _: button.is_enabled(), timeout=60, msg=f"{job.run} stayed disabled")
    button.click()
    dash_duo.wait_for_contains_text(f"#{job.status}", "computed in", timeout=timeout)
    assert dash_duo.find_element(f"#{job.progress} .progress-bar").get_attribute("aria-valuenow") == "100"
    assert dash_duo.find_element(f"#{job.run}").is_enabled()


# --- Plain browsers on a served app (tests/browser/test_served.py) -----------------------------------------------
_RENDERED = """
const plots = [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.offsetParent !== null);
const drawn = plots.filter(p => Array.isArray(p.data) && p.data.length > 0);
return [plots.length, drawn.length];
"""


@contextmanager
def fresh_browser(base_url: str | None = None, username: str = "admin"):
    """A new Chromium with an empty profile (no cookies, no cache, no local storage), signed in as ``username``
    on ``base_url`` when one is given."""
    driver = webdriver.Chrome(options=pytest_setup_options())
    try:
        if base_url:
            login(driver, base_url, username)
        yield driver
    finally:
        driver.quit()


def console_errors(driver) -> list[dict]:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def wait_until_drawn(driver, minimum: int, timeout: float = FIT_TIMEOUT) -> None:
    """Every visible chart has data, and there are at least ``minimum`` of them."""
    def drawn(_):
        shown, with_data = driver.execute_script(_RENDERED)
        return shown >= minimum and with_data == shown
    try:
        WebDriverWait(driver, timeout, poll_frequency=0.5).until(drawn)
    except TimeoutException:
        raise AssertionError(f"(visible charts, drawn) = {driver.execute_script(_RENDERED)}; "
                             f"console: {console_errors(driver)}") from None


def status(driver, job_status_id: str) -> str:
    return driver.find_element(By.ID, job_status_id).text


def wait_for_status(driver, job: ids.JobIds, done, timeout: float = FIT_TIMEOUT) -> None:
    """Wait until ``done(status text)``; a timeout says what the page showed instead."""
    try:
        WebDriverWait(driver, timeout, poll_frequency=0.5).until(lambda d: done(status(d, job.status)))
    except TimeoutException:
        shown = {name: driver.find_element(By.ID, getattr(job, name)).text for name in ("status", "progress_text",
                                                                                       "error")}
        raise AssertionError(f"the page showed {shown}; console: {console_errors(driver)}") from None
