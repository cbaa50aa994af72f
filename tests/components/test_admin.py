"""Admin page builders: four sections with labelled controls, grids that select one row, secrets shown once."""
from __future__ import annotations

from components import admin as ui
from components import ids
from tests.components.helpers import by_id, texts
from tests.layout_walk import walk

ROLES = ("viewer", "analyst", "admin")
PAGES = {"/": "Overview", "/forecast": "Forecast"}
ACTIONS = ("login", "user_add")
OUTCOMES = ("ok", "denied", "failed")


def _layout():
    return ui.admin_layout(ROLES, PAGES, ACTIONS, OUTCOMES, 90)


def test_the_page_has_users_tokens_embeds_and_the_audit_log_in_that_order():
    found = by_id(_layout())
    sections = [c for c in found if c in (ids.ADMIN_USERS, ids.ADMIN_TOKENS, ids.ADMIN_EMBEDS, ids.ADMIN_AUDIT)]
    assert sections == [ids.ADMIN_USERS, ids.ADMIN_TOKENS, ids.ADMIN_EMBEDS, ids.ADMIN_AUDIT]
    assert [found[s].children[0].children for s in sections] == ["Users", "API tokens", "Embed links", "Audit log"]
    assert found[ids.ADMIN_REFRESH].data == 0


def test_every_control_has_a_label_pointing_at_it():
    tree = _layout()
    found = by_id(tree)
    labels = {c.htmlFor for c in walk(tree) if getattr(c, "htmlFor", None)}
    controls = [ui.USER_NAME, ui.USER_ROLE, ui.USER_PASSWORD, ui.USER_NEW_ROLE, ui.TOKEN_USER, ui.TOKEN_NAME,
                ui.TOKEN_DAYS, ui.EMBED_PAGE, ui.EMBED_QUERY, ui.EMBED_HOURS, ui.EMBED_NOTE, ui.AUDIT_ACTION,
                ui.AUDIT_ACTOR, ui.AUDIT_OUTCOME, ui.AUDIT_DATES]
    assert set(controls) <= labels and set(controls) <= set(found)


def test_the_choices_come_from_the_arguments():
    found = by_id(_layout())
    assert found[ui.USER_ROLE].options == list(ROLES) and found[ui.USER_ROLE].value == "viewer"
    assert [o["value"] for o in found[ui.EMBED_PAGE].options] == ["/", "/forecast"]
    assert found[ui.EMBED_PAGE].options[1]["label"] == "Forecast (/forecast)"
    assert found[ui.AUDIT_ACTION].options == list(ACTIONS) and found[ui.AUDIT_OUTCOME].options == list(OUTCOMES)
    assert found[ui.TOKEN_DAYS].value == 90 and found[ui.USER_PASSWORD].type == "password"


def test_every_list_is_a_grid_selecting_one_row_and_the_ids_derive_from_their_section():
    found = by_id(_layout())
    for grid_id, section in ((ui.USER_GRID, ids.ADMIN_USERS), (ui.TOKEN_GRID, ids.ADMIN_TOKENS),
                             (ui.EMBED_GRID, ids.ADMIN_EMBEDS), (ui.AUDIT_GRID, ids.ADMIN_AUDIT)):
        assert grid_id.startswith(section + "-")
        assert found[grid_id].dashGridOptions["rowSelection"] == {"mode": "singleRow", "enableClickSelection": True}
    audit_grid = found[ui.AUDIT_GRID]  # the server pages it (dbc.Pagination under it), so the grid does not
    assert audit_grid.dashGridOptions["pagination"] is False and "domLayout" not in audit_grid.dashGridOptions
    assert audit_grid.style == {"height": "520px"} and found[ui.AUDIT_PAGES].max_value == 1


def test_grids_show_the_rows_given_in_their_columns():
    grid = ui.users_grid([{"username": "ada", "role": "admin", "status": "active", "source": "local",
                           "created_at": "2026-12-01 10:00", "last_login_at": None}])
    assert [c["field"] for c in grid.columnDefs] == ["username", "role", "status", "source", "created_at",
                                                     "last_login_at"]
    assert grid.rowData[0]["username"] == "ada"
    embeds = ui.embeds_grid([])
    assert "status" in [c["field"] for c in embeds.columnDefs] and embeds.rowData == []


def test_a_secret_is_shown_once_with_a_copy_button_aimed_at_it():
    alert = ui.secret_once("Token nf_abc… for ada:", "nf_secret", "Copy it now.", ui.TOKEN_MESSAGE)
    found = by_id(alert)
    secret_id = ids.child_id(ui.TOKEN_MESSAGE, "secret")
    assert found[secret_id].children == "nf_secret"
    clipboard = [c for c in walk(alert) if type(c).__name__ == "Clipboard"]
    assert [c.target_id for c in clipboard] == [secret_id]
    assert "Copy it now." in texts(alert)


def test_refusals_and_results_read_as_sentences():
    alert = ui.refused("select a user in the list first")
    assert alert.children[0].children == "Not done: " and alert.children[1] == "select a user in the list first"
    assert ui.refused("x").color == "warning" and ui.done("ok").color == "success"


def test_a_non_admin_sees_admins_only_and_who_they_are():
    page = ui.admins_only("vic (viewer)")
    assert texts(page)[0] == "Admins only" and "You are signed in as vic (viewer)." in texts(page)[1]
    assert "signed in" not in texts(ui.admins_only(None))[1]
    assert not any(c.startswith("admin-users") for c in by_id(page))
