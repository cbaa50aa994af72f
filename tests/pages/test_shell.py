"""The shell's callbacks as plain functions (the dataset version every page follows, the freshness badge), the 404
page, and what core.warm precomputes for the pages."""
from __future__ import annotations

from dash import no_update

from components import ids
from core.runtime import complete_through, dataset_version
from core.warm import warm_entries
from tests.pages.helpers import by_id, text_of


def test_the_version_is_published_once_per_change(pages, company):
    version = dataset_version().version
    first = pages.shell.poll_dataset_version(0, None)
    assert first["version"] == version and first["first"] is True
    assert pages.shell.poll_dataset_version(1, first) is no_update
    newer = pages.shell.poll_dataset_version(2, {**first, "version": version - 1})
    assert newer["version"] == version and newer["first"] is False


def test_an_empty_store_publishes_no_version(pages, unmigrated_store):
    assert pages.shell.poll_dataset_version(0, None)["version"] is None
    badge = pages.shell.update_freshness(None, "/")
    assert text_of(badge) == "NO DATA" and "is-empty" in badge.className


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
                     (pages.retention.RETENTION_JOB.compute, pages.retention.RETENTION_JOB.to_params())]
    assert first_lookups == list(warm_entries(through))


def test_an_unknown_address_is_a_styled_404_with_a_way_back(pages):
    page = pages.not_found_404.layout(utm_source="mail", x="<script>")
    assert text_of(page).startswith("404 Signal lost: there is no page at this address.")
    assert page.children[-1].href == "/"
