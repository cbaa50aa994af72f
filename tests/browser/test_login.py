"""Signing in and out in a real browser, the lockout message, and what a viewer does not get to see."""
from __future__ import annotations

from selenium.webdriver.common.by import By

from components import ids
from core.auth.limits import limiter
from tests.browser.helpers import assert_clean_console, PASSWORDS, login


def _fail(driver, base: str, username: str) -> str:
    driver.get(f"{base}/login")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys("not-the-password")
    driver.find_element(By.ID, "login-submit").click()
    return driver.find_element(By.CSS_SELECTOR, ".nf-login-message").text


def test_logout_then_a_lockout_says_when_to_retry_then_the_right_password_signs_in(dash_duo, nf_app):
    dash_duo.start_server(nf_app)  # signed in as admin by the fixture
    dash_duo.wait_for_contains_text(".nf-logout", "Logout", timeout=20)
    dash_duo.find_element(".nf-logout").click()
    dash_duo._wait_for(lambda d: d.current_url.endswith("/login"), timeout=20, msg="logout did not reach /login")
    base = dash_duo.server_url
    dash_duo.driver.get(f"{base}/data")
    assert "/login?next=%2Fdata" in dash_duo.driver.current_url  # signed out for real
    try:
        messages = [_fail(dash_duo.driver, base, "analyst") for _ in range(6)]
        assert messages[:5] == ["Wrong username or password."] * 5
        assert messages[5].startswith("Too many failed sign-ins for this account or from this address. Try again "
                                      "after ") and messages[5].endswith("(in 15 min).")
    finally:
        with nf_app.server.app_context():
            limiter.reset()  # the address lockout would hold every later test of this process
    login(dash_duo, base, "analyst", PASSWORDS["analyst"], next_path="/data")
    dash_duo.wait_for_element(f"#{ids.DATA_UPLOAD}", timeout=20)


def test_a_viewer_sees_a_notice_instead_of_the_upload_and_no_retrain_button(dash_duo, nf_app):
    dash_duo.start_server(nf_app, navigate=False)
    dash_duo.driver.delete_all_cookies()
    login(dash_duo, dash_duo.server.url, "viewer", next_path="/data")
    dash_duo.wait_for_contains_text(f"#{ids.child_id(ids.DATA_UPLOAD, 'notice')}", "not upload or ingest", timeout=20)
    assert dash_duo.driver.find_elements(By.ID, ids.DATA_UPLOAD) == []
    assert dash_duo.driver.find_elements(By.ID, ids.DATA_QUARANTINE_DOWNLOAD_BTN) == []
    dash_duo.wait_for_element(f"#{ids.DATA_SOURCES_GRID}", timeout=30)
    assert_clean_console(dash_duo)  # the URL state still finds every component it follows (the entity, hidden)
    dash_duo.driver.get(f"{dash_duo.server.url}/")
    dash_duo.wait_for_element(f"#{ids.OVERVIEW_JOB.status}", timeout=20)
    assert not dash_duo.find_element(f"#{ids.OVERVIEW_JOB.run}").is_displayed()
    dash_duo.wait_for_contains_text(".nf-user-id", "viewer", timeout=20)  # the header names who is signed in
