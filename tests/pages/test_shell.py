"""The shell's callbacks as plain functions (the dataset version every page follows, the freshness badge), the 404
page, and what core.warm precomputes for the pages."""
from __future__ import annotations

import pytest
from dash import no_update

from components import ids
from core.runtime import complete_through, dataset_version
from core.warm import warm_entries
from tests.pages.helpers import by_id, text_of


def test_the_fallback_poll_publishes_the_version_once_per_change(pages, company):
    version = dataset_version().version
    first = pages.shell.poll_dataset_version(0, None, None)
    assert first["version"] == version and first["first"] is True
    assert pages.shell.poll_dataset_version(1, None, first) is no_update
    newer = pages.shell.poll_dataset_version(1, 1765000000000, {**first, "version": version - 1})
    assert newer["version"] == version and newer["first"] is False


def test_the_fallback_poll_is_off_until_the_push_channel_asks_for_it():
    """Before: a one-second dcc.Interval polled from every tab; now only assets/push.js enables it, at 30 s."""
    import dash

    from components.layout import FALLBACK_POLL_MS, create_shell

    shell = create_shell([], dash.html.Div())
    poll = by_id(shell, ids.VERSION_POLL)
    assert poll.disabled is True and poll.interval == FALLBACK_POLL_MS == 30_000
    assert by_id(shell, ids.HEADER_USER).children is None


def test_an_empty_store_publishes_no_version(pages, unmigrated_store):
    assert pages.shell.poll_dataset_version(0, None, None)["version"] is None
    badge = pages.shell.update_freshness(None, "/")
    assert text_of(badge) == "NO DATA" and "is-empty" in badge.className


@pytest.mark.parametrize("kind, role, shown", [("session", "analyst", "ana analyst Logout"),
                                               ("sso", "admin", "ana admin Admin Logout"),
                                               ("embed", "viewer", "Embedded view")])
def test_the_header_names_the_user_and_role_with_a_logout_form(pages, kind, role, shown):
    from flask import Flask, g

    from core.auth import Principal

    with Flask(__name__).test_request_context("/_dash-update-component", method="POST"):
        g.principal = Principal(username="ana", role=role, kind=kind)
        menu = pages.shell.show_user(ids.HEADER_USER)
    assert " ".join(text_of(part) for part in menu) == shown
    forms = [part for part in menu if part.__class__.__name__ == "Form"]
    if kind == "embed":
        assert forms == []
    else:
        assert (forms[0].action, forms[0].method) == ("/logout", "post")


def test_outside_a_request_nobody_is_shown(pages):
    assert pages.shell.show_user(ids.HEADER_USER) == []


def test_the_badge_names_the_last_complete_day_and_the_version_and_says_live_for_new_data(pages, company):
    version = dataset_version().version
    through = complete_through().through
    badge = pages.shell.update_freshness({"version": version, "first": True}, "/")
    assert text_of(badge) == f"DATA TO {through:%d %b %Y}".upper() + f" · V{version}"
    assert "is-live" not in badge.className
    live = pages.shell.update_freshness({"version": version, "first": False}, "/forecast")
    assert text_of(live).startswith("LIVE · DATA TO") and "is-live" in live.className


def test_core_warm_fills_what_each_page_job_looks_up_first(pages, company):
    through = complete_through().iso
    opening = pages.forecast.layout()
    metric, horizon = by_id(opening, ids.FORECAST_METRIC).value, by_id(opening, ids.FORECAST_HORIZON).value
    first_lookups = [(pages.overview.KPI_JOB.compute, pages.overview.KPI_JOB.to_params()),
                     (pages.forecast.FORECAST_JOB.compute, pages.forecast.FORECAST_JOB.to_params(metric, horizon)),
                     (pages.forecast.EXPLAIN_JOB.compute, pages.forecast.EXPLAIN_JOB.to_params(
                         metric, horizon, by_id(opening, ids.FORECAST_NODE).data)),
                     (pages.retention.RETENTION_JOB.compute, pages.retention.RETENTION_JOB.to_params()),
                     (pages.insights.INSIGHTS_JOB.compute, pages.insights.INSIGHTS_JOB.to_params(
                         by_id(pages.insights.layout(), ids.INSIGHTS_PERIOD).data))]
    assert first_lookups == list(warm_entries(through))


def test_an_unknown_address_is_a_styled_404_with_a_way_back(pages):
    page = pages.not_found_404.layout(utm_source="mail", x="<script>")
    assert text_of(page).startswith("404 Signal lost: there is no page at this address.")
    assert page.children[-1].href == "/"


def test_a_store_that_cannot_be_read_shows_a_data_error_badge_with_the_error_id(pages, private_company, caplog):
    """Before: the badge's callback raised (a 500) and the header lost its badge."""
    import logging
    import re

    from sqlalchemy import text

    with private_company.engine.begin() as connection:
        connection.execute(text("UPDATE orders SET order_date = 'not a date' "
                                "WHERE order_id = (SELECT max(order_id) FROM orders)"))
    with caplog.at_level(logging.ERROR):
        badge = pages.shell.update_freshness(None, "/")
    shown = text_of(badge)
    error_id = re.search(r"DATA ERROR · ID ([0-9a-f]{8})", shown).group(1)
    assert "is-stale" in badge.className and "not a date" not in shown + badge.title
    assert error_id in badge.title and any(error_id in r.getMessage() for r in caplog.records)
