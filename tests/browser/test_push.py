"""The push channel in headless Chromium: a new dataset version reaches the header's LIVE badge through
GET /api/v1/events without any polling callback, and the slow fallback poll takes over while the browser cannot
reach the endpoint (blocked with the DevTools protocol, as a firewall or proxy would), then stops again."""
from __future__ import annotations

from components import ids
from tests.browser.helpers import add_new_data, assert_clean_console

# Installed before the page's own scripts: every Dash callback request the page sends, by its output.
_RECORD_CALLBACKS = """
window.nfCallbackOutputs = [];
const nfFetch = window.fetch;
window.fetch = function (resource, init) {
    const url = typeof resource === "string" ? resource : resource.url;
    if (url.indexOf("_dash-update-component") !== -1 && init && typeof init.body === "string") {
        window.nfCallbackOutputs.push(JSON.parse(init.body).output);
    }
    return nfFetch.apply(this, arguments);
};
"""
_POLL_OUTPUT = f"{ids.DATASET_VERSION}.data"
_FRESHNESS_OUTPUT = f"{ids.FRESHNESS}.children"


def _open_recorded(dash_duo, nf_app, blocked: tuple[str, ...] = ()) -> None:
    """Sign in, record the page's callback requests (and block ``blocked`` URL patterns), then open the app."""
    dash_duo.start_server(nf_app, navigate=False)
    driver = dash_duo.driver
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _RECORD_CALLBACKS})
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": list(blocked)})
    dash_duo.server_url = dash_duo.server.url
    dash_duo.wait_for_contains_text(f"#{ids.FRESHNESS} .nf-freshness", "DATA TO", timeout=30)


def _push(dash_duo) -> dict:
    return dash_duo.driver.execute_script("return window.nfPush.status();")


def _outputs(dash_duo) -> list[str]:
    return dash_duo.driver.execute_script("return window.nfCallbackOutputs;")


def test_a_new_dataset_version_turns_the_badge_live_through_the_push_channel_without_polling(
        dash_duo, nf_app, sample_store, tmp_path):
    _open_recorded(dash_duo, nf_app)
    dash_duo._wait_for(lambda _: _push(dash_duo)["events"] > 0, timeout=20, msg="no push event arrived")
    header = dash_duo.find_element(f"#{ids.HEADER_USER}")
    assert header.text.split() == ["admin", "ADMIN", "Admin", "Logout"]  # the role chip is upper case (CSS)
    assert "LIVE" not in dash_duo.find_element(f"#{ids.FRESHNESS}").text
    version = add_new_data(sample_store[0], tmp_path)
    dash_duo.wait_for_contains_text(f"#{ids.FRESHNESS}", "LIVE", timeout=30)
    assert f"V{version}" in dash_duo.find_element(f"#{ids.FRESHNESS}").text
    outputs = _outputs(dash_duo)
    assert outputs.count(_FRESHNESS_OUTPUT) >= 2  # the recorder sees callbacks: the badge at load and on the push
    assert _POLL_OUTPUT not in outputs, "the page polled the dataset version although the stream was open"
    status = _push(dash_duo)
    assert status["open"] and not status["polling"] and status["failures"] == 0
    assert_clean_console(dash_duo)


def test_a_blocked_channel_falls_back_to_slow_polling_and_back_when_the_stream_works_again(dash_duo, nf_app):
    _open_recorded(dash_duo, nf_app, blocked=("*/api/v1/events*",))
    dash_duo._wait_for(lambda _: _push(dash_duo)["polling"], timeout=20, msg="the fallback poll did not start")
    status = _push(dash_duo)
    assert status["failures"] >= 3 and status["events"] == 0 and status["connects"] >= 3
    dash_duo._wait_for(lambda _: _POLL_OUTPUT in _outputs(dash_duo), timeout=10, msg="no fallback poll was sent")
    dash_duo.driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
    dash_duo._wait_for(lambda _: not _push(dash_duo)["polling"], timeout=40,
                       msg="the stream came back but the page kept polling")
    assert _push(dash_duo)["open"]
