"""The Insights page in headless Chromium: the feed with its evidence charts, a finding's link that opens the page
filtered, and an alert rule created in the form that fires on new data and shows under the header's bell."""
from __future__ import annotations

import os
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.webdriver.common.by import By

from components import ids
from core import alerts
from core.alerts import watcher_of
from core.cache import cached_call
from core.insight_feed import load_insight_feed
from core.settings import Settings
from data.store import current_version, get_engine
from data.watermark import complete_through
from tests.webhook_receiver import running_receiver
from tests.browser.helpers import FIT_TIMEOUT, add_new_data, assert_clean_console, plot_data, scroll_to

_FILTERS = ("region", "category", "channel")


@pytest.fixture(scope="module")
def feed(nf_app, sample_store, default_forecast):
    """The page's default 30-day feed of the store's version, computed once through the app's cache (as
    ``python -m core.warm`` does), so the page opens from the cache."""
    engine = get_engine(sample_store[0])
    with nf_app.server.app_context():
        return cached_call(load_insight_feed, current_version(engine).version, engine, period_days=30,
                           end=complete_through(engine).iso, models=True,
                           countries=Settings.from_env().holiday_countries)


@pytest.fixture
def receiver():
    """A webhook endpoint on 127.0.0.1 that checks signatures (``tests/webhook_receiver.py``)."""
    with running_receiver() as found:
        yield found


def _screenshots(dash_duo) -> None:
    """With NF_SCREENSHOTS set, the page at 1440 px and 390 px wide (for people to look at)."""
    folder = os.environ.get("NF_SCREENSHOTS")
    if not folder:
        return
    for width in (1440, 390):
        dash_duo.driver.set_window_size(width, 1600)
        dash_duo._wait_for(lambda d: d.execute_script(  # the responsive evidence charts have followed the window
            "return document.querySelector('.nf-insight-evidence .main-svg').getBoundingClientRect().right"
            " <= window.innerWidth"), timeout=10, msg="the evidence chart did not follow the window")
        dash_duo.driver.save_screenshot(os.path.join(folder, f"insights-{width}.png"))
    dash_duo.driver.set_window_size(1400, 1000)


def test_the_feed_renders_each_finding_with_its_evidence_chart(dash_duo, nf_app, feed):
    assert feed, "the sample company has findings in its last 30 days"
    dash_duo.start_server(nf_app)
    dash_duo.driver.get(f"{dash_duo.server.url}/insights")
    dash_duo.wait_for_contains_text(f"#{ids.INSIGHTS_FEED}", f"{len(feed)} finding", timeout=FIT_TIMEOUT)
    assert "from the cache" in dash_duo.find_element(f"#{ids.INSIGHTS_JOB.status}").text
    cards = dash_duo.find_elements(".nf-insight")
    assert len(cards) == len(feed)
    assert cards[0].find_element(By.CSS_SELECTOR, ".nf-insight-title").text == feed[0].title
    for rank, finding in enumerate(feed[:3], start=1):
        drawn = plot_data(dash_duo, ids.child_id(ids.INSIGHTS_FEED, f"evidence-{rank}"))
        assert [trace["name"] for trace in drawn] == list(finding.evidence.series), rank
        assert len(drawn[0]["x"]) == len(finding.evidence.x)
    _screenshots(dash_duo)
    assert_clean_console(dash_duo)


def test_a_findings_link_opens_the_page_filtered_where_it_can_be_seen(dash_duo, nf_app, feed):
    rank, finding = next(((i, f) for i, f in enumerate(feed, start=1)
                          if urlsplit(f.link).path == "/" and any(k in f.link for k in _FILTERS)),
                         (1, feed[0]))
    dash_duo.start_server(nf_app)
    dash_duo.driver.get(f"{dash_duo.server.url}/insights")
    dash_duo.wait_for_contains_text(f"#{ids.INSIGHTS_FEED}", "finding", timeout=FIT_TIMEOUT)
    link = dash_duo.find_elements(".nf-insight-link")[rank - 1]
    scroll_to(dash_duo, link)
    link.click()
    target = urlsplit(finding.link)
    dash_duo._wait_for(lambda d: urlsplit(d.current_url).path == target.path, timeout=20, msg="the link did not open")
    query = {key: values[0] for key, values in parse_qs(target.query).items()}
    if target.path == "/":
        for dimension in _FILTERS:
            if dimension in query:
                dash_duo.wait_for_contains_text(f"#{ids.OVERVIEW_FILTER_BAR}", query[dimension], timeout=60)
        if "start" in query:
            assert dash_duo.find_element(f"#{ids.child_id(ids.OVERVIEW_RANGE, 'start')}").get_attribute("value") \
                == query["start"]
    shown = {key: values[0] for key, values in parse_qs(urlsplit(dash_duo.driver.current_url).query).items()}
    assert {key: shown.get(key) for key in query} == query


def _type(dash_duo, field: str, text: str) -> None:
    box = dash_duo.find_element(f"#{ids.insights_rule_field(field)}")
    scroll_to(dash_duo, box)
    box.clear()
    box.send_keys(text)


def test_a_rule_created_in_the_form_fires_on_new_data_the_bell_shows_it_and_the_webhook_gets_it(
        dash_duo, nf_app, sample_store, tmp_path, receiver):
    engine = get_engine(sample_store[0])
    dash_duo.start_server(nf_app)
    dash_duo.driver.get(f"{dash_duo.server.url}/insights?tab=rules")
    dash_duo.wait_for_element(f"#{ids.INSIGHTS_RULE_CREATE}", timeout=30)
    _type(dash_duo, "name", "Browser revenue watch")
    create = dash_duo.find_element(f"#{ids.INSIGHTS_RULE_CREATE}")
    scroll_to(dash_duo, create)
    create.click()  # no threshold yet: the form says so under the field
    dash_duo.wait_for_contains_text(f"#{ids.insights_rule_error('threshold')}", "`threshold` is missing", timeout=20)
    _type(dash_duo, "threshold", "1000000000000")  # revenue over the last 7 days < 10^12: fires on any data
    _type(dash_duo, "webhook_url", receiver.url)
    create.click()
    dash_duo.wait_for_contains_text(f"#{ids.INSIGHTS_RULE_STATUS}", "created", timeout=20)
    receiver.secret = dash_duo.find_element(f"#{ids.INSIGHTS_RULE_STATUS} code").text  # shown this once
    dash_duo.wait_for_contains_text(f"#{ids.INSIGHTS_RULE_LIST}", "Browser revenue watch", timeout=20)
    (rule,) = [r for r in alerts.list_rules(engine) if r.name == "Browser revenue watch"]
    version = add_new_data(sample_store[0], tmp_path)
    watcher = watcher_of(nf_app.server)

    def fired(_):
        watcher.poll_once()  # the running watcher may have claimed the version already: then it evaluates it
        return alerts.list_alerts(engine, rule_id=rule.id)[0] > 0
    dash_duo._wait_for(fired, timeout=120, msg=f"rule {rule.id} did not fire on dataset v{version}")
    bell = dash_duo.find_element(f"#{ids.ALERTS_BELL}")
    bell.click()  # opening the panel reads the alerts again (the push of the new version may have come first)
    dash_duo._wait_for(lambda _: dash_duo.find_element(f"#{ids.ALERTS_COUNT}").text not in ("", "0"), timeout=30,
                       msg="the bell shows no unread alert")
    dash_duo.wait_for_contains_text(f"#{ids.ALERTS_LIST}", "Browser revenue watch", timeout=20)
    assert "unread" in bell.get_attribute("aria-label")
    dash_duo._wait_for(lambda _: receiver.requests, timeout=60, msg="the webhook receiver got nothing")
    (delivered,) = receiver.requests  # one alert, delivered once (no retry after a 200)
    assert delivered["verified"], "the signature does not match the secret the form showed"
    body = delivered["body"]["alert"]
    assert body["rule"]["name"] == "Browser revenue watch" and body["rule"]["id"] == rule.id
    assert "Browser revenue watch" in body["body"]
    assert_clean_console(dash_duo)
