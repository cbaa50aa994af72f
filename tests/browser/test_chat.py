"""The chat panel in headless Chromium, on the real API (no language model runs here: answers are templated, and
the panel says the model is not running)."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from components import ids
from tests.browser.helpers import assert_clean_console, exact_kpis, kpi_titles, sql_kpis

ANSWERS = f"#{ids.CHAT_MESSAGES} .nf-chat-answer"
XSS = '<img src=x onerror="window.nfXss=1">'

_STORE_DATA = """
const state = window.store.getState();
let node = state.layout;
for (const key of state.paths.strs[arguments[0]]) { node = node[key]; }
return node.props.data;
"""


def turns(dash_duo) -> list[dict]:
    """The answers the panel keeps in the browser's session storage (the API's JSON)."""
    kept = dash_duo.driver.execute_script("return JSON.parse(window.sessionStorage.getItem(arguments[0]))",
                                          ids.CHAT_HISTORY)
    return (kept or {}).get("turns") or []


def ask(dash_duo, question: str) -> dict:
    """Type ``question`` into the panel, press Enter and wait for its answer to be rendered; the answer's JSON."""
    before = len(dash_duo.find_elements(ANSWERS))
    box = dash_duo.find_element(f"#{ids.CHAT_INPUT}")
    box.send_keys(question, Keys.ENTER)
    dash_duo._wait_for(lambda _: len(dash_duo.find_elements(ANSWERS)) > before, timeout=60,
                       msg=f"no answer to {question!r}; status: {dash_duo.find_element(f'#{ids.CHAT_STATUS}').text}")
    answer = turns(dash_duo)[-1]
    assert answer["question"] == question
    return answer


def last_answer(dash_duo):
    return dash_duo.find_elements(ANSWERS)[-1]


def fact(answer: dict, name: str) -> dict:
    return next(f for f in answer["facts"] if f["name"] == name)


def assert_answer_with_facts(dash_duo, answer: dict) -> None:
    """The latest rendered answer shows the answer's text, its facts, and says it is the template's."""
    shown = last_answer(dash_duo)
    assert answer["facts"], answer
    assert shown.find_element(By.CSS_SELECTOR, ".nf-chat-text").text == answer["text"]
    assert shown.find_element(By.CSS_SELECTOR, ".nf-chat-facts-box summary").text == f"Facts used ({len(answer['facts'])})"
    assert shown.find_element(By.CSS_SELECTOR, ".nf-chat-source").text == "TEMPLATE"


def open_page(dash_duo, path: str) -> None:
    dash_duo.find_element(f'#{ids.NAV} a[href="{path}"]').click()
    dash_duo._wait_for(lambda d: urlsplit(d.current_url).path == path, timeout=20, msg=f"never reached {path}")


def wait_for_cards(dash_duo, expected: dict) -> None:
    """The Overview's KPI cards show exactly ``expected`` (a cold KPI model on the busy test machine takes a while)."""
    want = exact_kpis(expected)
    dash_duo._wait_for(lambda _: kpi_titles(dash_duo) == want, timeout=120,
                       msg=lambda _: f"KPI cards showed {kpi_titles(dash_duo)}, not {want}")


def open_panel_with_the_shortcut(dash_duo) -> None:
    """Ctrl+/ opens the panel and focuses the question box (once the shell has shown the launcher)."""
    launcher = dash_duo.find_element(f"#{ids.CHAT_LAUNCHER}")
    dash_duo._wait_for(lambda _: launcher.is_displayed(), timeout=60, msg="the launcher never showed")
    assert launcher.get_attribute("aria-expanded") == "false"
    ActionChains(dash_duo.driver).key_down(Keys.CONTROL).send_keys("/").key_up(Keys.CONTROL).perform()
    dash_duo._wait_for(lambda d: d.switch_to.active_element.get_attribute("id") == ids.CHAT_INPUT, timeout=10,
                       msg="Ctrl+/ did not focus the question box")
    assert launcher.get_attribute("aria-expanded") == "true"
    dash_duo.wait_for_text_to_equal(f"#{ids.CHAT_MODEL} .nf-chat-model", "MODEL NOT RUNNING")


def follow_up_and_citation(dash_duo, store_engine) -> str:
    """A question, its follow-up in the same conversation (facts equal to SQL), then the follow-up's citation
    opens the Overview with its filter. Returns the conversation's id."""
    first = ask(dash_duo, "revenue last 30 days")
    assert_answer_with_facts(dash_duo, first)
    assert "not running" in last_answer(dash_duo).find_element(By.CSS_SELECTOR, ".nf-chat-notice").text
    assert fact(first, "revenue")["value"] == pytest.approx(sql_kpis(store_engine, 30)["revenue"], rel=1e-9)
    follow_up = ask(dash_duo, "and for EMEA?")  # the period and the metric carry over
    assert follow_up["conversation"] == first["conversation"]
    emea = fact(follow_up, "revenue")
    assert emea["filters"] == {"region": "EMEA"}
    assert emea["value"] == pytest.approx(sql_kpis(store_engine, 30, region="EMEA")["revenue"], rel=1e-9)
    link = last_answer(dash_duo).find_element(By.CSS_SELECTOR, "a.nf-chat-cite")
    assert parse_qs(urlsplit(link.get_attribute("href")).query)["region"] == ["EMEA"]
    link.click()
    wait_for_cards(dash_duo, sql_kpis(store_engine, 30, region="EMEA"))
    assert parse_qs(urlsplit(dash_duo.driver.current_url).query)["region"] == ["EMEA"]
    return first["conversation"]


def navigate_and_ask_on_each_page(dash_duo, store_engine) -> None:
    """"show the forecast for EMEA Electronics" moves to the Forecast page with that node in its URL and its state;
    then a question typed on the Forecast, Retention, Data and Admin pages (the Admin link reloads the app: the
    open panel and the conversation come back from the session)."""
    ask(dash_duo, "show the forecast for EMEA Electronics")
    dash_duo._wait_for(lambda d: urlsplit(d.current_url).path == "/forecast", timeout=20, msg="never moved")
    assert parse_qs(urlsplit(dash_duo.driver.current_url).query)["node"] == ["EMEA/Electronics"]
    dash_duo._wait_for(lambda d: d.execute_script(_STORE_DATA, ids.FORECAST_NODE) == "EMEA/Electronics",
                       timeout=20, msg="the Forecast page did not select EMEA/Electronics")
    orders = ask(dash_duo, "how many orders last week")
    assert_answer_with_facts(dash_duo, orders)
    start, end = fact(orders, "orders")["period"]
    assert fact(orders, "orders")["value"] == sql_kpis(store_engine, start=start, end=end)["orders"]
    for path, question in (("/retention", "active customers in the last 90 days"),
                           ("/data", "Is the system healthy?")):
        open_page(dash_duo, path)
        assert_answer_with_facts(dash_duo, ask(dash_duo, question))
    dash_duo.find_element(".nf-user-admin").click()
    dash_duo._wait_for(lambda d: urlsplit(d.current_url).path == "/admin", timeout=20, msg="never reached /admin")
    dash_duo._wait_for(lambda _: len(dash_duo.find_elements(ANSWERS)) == 6, timeout=30,
                       msg="the conversation was lost")
    assert_answer_with_facts(dash_duo, ask(dash_duo, "average order value last 7 days"))


def html_stays_text(dash_duo) -> None:
    """A question with HTML, and a server answer naming a customer with HTML (handed over the way assets/chat.js
    hands the API's JSON to Dash), render as text: no element is created, nothing runs."""
    ask(dash_duo, f"revenue for {XSS}")
    assert dash_duo.find_elements(f"#{ids.CHAT_MESSAGES} .nf-chat-q-text")[-1].text == f"revenue for {XSS}"
    hostile = {**turns(dash_duo)[-1], "text": f"Top customer: {XSS}", "table": [{"customer": XSS, "risk": 0.9}],
               "citations": [{"page": XSS, "section": "At risk", "href": "/retention?customer=1", "dataset_version": 1}]}
    dash_duo.driver.execute_script("window.dash_clientside.set_props(arguments[0], {data: {answer: arguments[1]}})",
                                   ids.CHAT_ANSWER, hostile)
    dash_duo.wait_for_text_to_equal(f"{ANSWERS}:last-child .nf-chat-text", f"Top customer: {XSS}", timeout=60)
    assert XSS in last_answer(dash_duo).find_element(By.CSS_SELECTOR, ".nf-chat-table").text
    assert dash_duo.find_elements(f"#{ids.CHAT} img") == []
    assert dash_duo.driver.execute_script("return window.nfXss") is None
    with pytest.raises(NoAlertPresentException):
        dash_duo.driver.switch_to.alert.text


def refusals_say_why(dash_duo) -> None:
    """Too long (checked before sending) and a control character (the API's 422): each said in the panel."""
    dash_duo.driver.execute_script("window.nfChat.ask('x'.repeat(501))")
    dash_duo.wait_for_contains_text(f"#{ids.CHAT_STATUS}", "the limit is 500")
    dash_duo.driver.execute_script("window.nfChat.ask('revenue\\u0007 last week')")
    dash_duo.wait_for_contains_text(f"#{ids.CHAT_STATUS}", "That question was refused: ")
    assert "control" in dash_duo.find_element(f"#{ids.CHAT_STATUS}").text
    assert dash_duo.find_element(f"#{ids.CHAT_PENDING}").text == ""


def test_the_chat_panel_on_every_page(dash_duo, nf_app, store_engine, default_forecast):
    """One page load for the whole conversation (browser tests are the suite's slowest part): the shortcut, a
    follow-up, a citation, navigation with filters, a question on every page, HTML kept as text, refusals, and a
    console that stays clean (but for the refused request the browser logs itself). The forecast it asks about is
    cached first (``default_forecast``), so no fit runs on in the background after the test."""
    dash_duo.start_server(nf_app)
    open_panel_with_the_shortcut(dash_duo)
    conversation = follow_up_and_citation(dash_duo, store_engine)
    navigate_and_ask_on_each_page(dash_duo, store_engine)
    html_stays_text(dash_duo)
    assert {turn["conversation"] for turn in turns(dash_duo)} == {conversation}
    assert_clean_console(dash_duo)
    refusals_say_why(dash_duo)
    logs = dash_duo.get_logs()
    assert len(logs) == 1 and "422" in logs[0]["message"], logs
