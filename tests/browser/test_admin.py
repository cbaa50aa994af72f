"""The Admin page in headless Chromium: an admin adds a user, changes their role and disables them."""
from __future__ import annotations

from components import admin as ui
from core.auth import get_user
from tests.browser.helpers import assert_clean_console, scroll_to


def _click(dash_duo, element_id: str) -> None:
    button = dash_duo.find_element(f"#{element_id}")
    scroll_to(dash_duo, button)
    button.click()


def test_the_admin_page_manages_a_user(dash_duo, nf_app, store_engine):
    dash_duo.start_server(nf_app)
    dash_duo.driver.get(dash_duo.server_url + "/admin")
    dash_duo.wait_for_contains_text(f"#{ui.USER_GRID}", "viewer", timeout=20)  # the fixture's users are listed

    dash_duo.find_element(f"#{ui.USER_NAME}").send_keys("e2e-grace")
    dash_duo.select_dcc_dropdown(f"#{ui.USER_ROLE}", value="viewer")
    _click(dash_duo, ui.USER_ADD)
    dash_duo.wait_for_contains_text(f"#{ui.USER_MESSAGE}", "Added e2e-grace (viewer)", timeout=15)
    password = dash_duo.find_element(f"#{ui.USER_MESSAGE}-secret").text
    assert len(password) >= 20 and get_user(store_engine, "e2e-grace").role == "viewer"

    row = f"#{ui.USER_GRID} .ag-center-cols-container .ag-row[row-id='e2e-grace']"
    dash_duo.wait_for_element(row, timeout=15).find_element("css selector", "[col-id='username']").click()
    dash_duo.select_dcc_dropdown(f"#{ui.USER_NEW_ROLE}", value="analyst")
    _click(dash_duo, ui.USER_SET_ROLE)
    dash_duo.wait_for_contains_text(f"#{ui.USER_MESSAGE}", "e2e-grace is now analyst", timeout=15)
    dash_duo.wait_for_text_to_equal(f"{row} [col-id='role']", "analyst", timeout=15)

    _click(dash_duo, ui.USER_DISABLE)  # the row stays selected while the list is read again
    dash_duo.wait_for_contains_text(f"#{ui.USER_MESSAGE}", "e2e-grace is disabled", timeout=15)
    dash_duo.wait_for_text_to_equal(f"{row} [col-id='status']", "disabled", timeout=15)
    user = get_user(store_engine, "e2e-grace")
    assert (user.role, user.disabled) == ("analyst", True)
    assert_clean_console(dash_duo)
