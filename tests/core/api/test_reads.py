"""Read endpoints give the analytics' numbers, as JSON or CSV, with ETags, pagination and problem+json errors."""
from __future__ import annotations

import csv
import io

import pytest

from analytics.kpis import kpi_values, load_kpi_model, load_range_kpis
from data.ingest import quality_report
from data.watermark import complete_through


@pytest.fixture(scope="module")
def kpi_model(api):
    return load_kpi_model(api.engine, through=complete_through(api.engine).iso)


def test_kpis_are_the_overviews_numbers_for_the_window_and_filters(api, kpi_model):
    region = kpi_model.members["region"][0]
    body = api.get(f"/api/v1/kpis?window=7&region={region}").get_json()
    expected = kpi_values(kpi_model, 7, {"region": region})
    assert [item["key"] for item in body["items"]] == [v.key for v in expected]
    for item, value in zip(body["items"], expected):
        assert item["value"] == pytest.approx(value.value) and item["previous"] == pytest.approx(value.previous)
    assert body["filters"] == {"region": region, "category": "All", "channel": "All"}
    assert (body["window"], body["end"]) == (7, kpi_model.as_of.date().isoformat())


def test_kpis_of_a_custom_range(api, kpi_model):
    end = kpi_model.as_of.date()
    start = end.replace(day=1)
    body = api.get(f"/api/v1/kpis?start={start}&end={end}").get_json()
    ranged = load_range_kpis(api.engine, start=start.isoformat(), end=end.isoformat())
    expected = kpi_values(ranged, ranged.windows[0], None)
    assert [i["value"] for i in body["items"]] == pytest.approx([v.value for v in expected])
    assert (body["start"], body["end"]) == (start.isoformat(), end.isoformat())


@pytest.mark.parametrize("query, words", [
    ("region=Atlantis", ["unknown region 'Atlantis'", "choose one of"]),
    ("window=12", ["window must be one of [7, 30, 90]"]),
    ("window=abc", ["query parameter `window`", "'abc'"]),
    ("start=2020-01-01&end=2020-02-01", ["outside the complete data"]),
    ("colour=red", ["`colour` is not a query parameter of /api/v1/kpis"]),
])
def test_bad_kpi_queries_are_400_problems_with_the_pages_message(api, query, words):
    response = api.get(f"/api/v1/kpis?{query}")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    detail = response.get_json(force=True)["detail"]
    assert all(word in detail for word in words), detail


def test_an_unknown_region_lists_the_valid_ones(api, kpi_model):
    detail = api.get("/api/v1/kpis?region=Atlantis").get_json(force=True)["detail"]
    assert all(region in detail for region in kpi_model.members["region"])


def test_csv_by_query_or_accept_header_is_the_same_table(api):
    by_query = api.get("/api/v1/kpis?format=csv")
    by_header = api.get("/api/v1/kpis", Accept="text/csv")
    as_json = api.get("/api/v1/kpis").get_json()
    assert by_query.mimetype == by_header.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(by_query.get_data(as_text=True))))
    assert by_query.get_data() == by_header.get_data()
    assert [r["key"] for r in rows] == [i["key"] for i in as_json["items"]]
    assert [float(r["value"]) for r in rows] == pytest.approx([i["value"] for i in as_json["items"]])


def test_etag_gives_304_until_the_data_or_the_query_changes(api):
    first = api.get("/api/v1/kpis?window=30")
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag
    again = api.get("/api/v1/kpis?window=30", **{"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag and not again.get_data()
    other = api.get("/api/v1/kpis?window=7", **{"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["ETag"] != etag
    as_csv = api.get("/api/v1/kpis?window=30", Accept="text/csv", **{"If-None-Match": etag})
    assert as_csv.status_code == 200, "CSV is another representation with its own ETag"


def test_sources_are_the_data_pages_report(api):
    body = api.get("/api/v1/sources").get_json()
    report = quality_report(api.engine)
    assert [(r["source_name"], r["entity"]) for r in body["items"]] == list(zip(report["source_name"],
                                                                                report["entity"]))
    assert [r["quality_score"] for r in body["items"]] == pytest.approx(list(report["quality_score"]))
    assert {t["table"] for t in body["tables"]} >= {"customers", "orders"}


def test_quality_of_one_source_and_of_an_unknown_one(api):
    source = quality_report(api.engine)["source_name"].iloc[0]
    body = api.get(f"/api/v1/quality?source={source}").get_json()
    assert body["source"] == source and isinstance(body["null_rates"], dict)
    missing = api.get("/api/v1/quality?source=nowhere")
    assert missing.status_code == 404 and source in missing.get_json(force=True)["detail"]


def test_versions_paginate_with_total_and_a_next_link(api):
    body = api.get("/api/v1/versions?limit=1").get_json()
    assert body["total"] >= 1 and len(body["items"]) == 1 and body["items"][0]["version"] >= 1
    if body["total"] == 1:
        assert body["next"] is None
    assert api.get("/api/v1/versions?limit=0").status_code == 400


@pytest.mark.parametrize("method, path, status, words", [
    ("get", "/api/v1/no-such-thing", 404, "the API has no route /api/v1/no-such-thing"),
    ("get", "/api/v2/kpis", 404, "this server speaks /api/v1"),
    ("delete", "/api/v1/kpis", 405, "does not take DELETE; use GET"),
    ("get", "/api/v1/customers/abc", 404, "the API has no route"),
    ("get", "/api/v1/jobs/0000", 404, "no job '0000'"),
])
def test_errors_are_problem_json(api, method, path, status, words):
    response = getattr(api.client(), method)(path, headers=api.headers())
    assert response.status_code == status and response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status and body["type"].startswith("/api/v1/problems/") and words in body["detail"]
    if status == 405:
        assert "GET" in response.headers["Allow"]


def test_openapi_31_document_and_docs_page_served_by_the_app(api):
    spec = api.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    assert {"/api/v1/kpis", "/api/v1/forecast", "/api/v1/ingest/{entity}", "/api/v1/jobs/{job_id}/cancel"} <= set(
        spec["paths"])
    errors = spec["paths"]["/api/v1/kpis"]["get"]["responses"]["400"]["content"]
    assert list(errors) == ["application/problem+json"]
    page = api.get("/api/v1/docs").get_data(as_text=True)
    assert "http" not in page.replace("http-equiv", ""), "the docs page loads nothing from elsewhere"
    assert "<script>" not in page, "no inline script: the CSP allows scripts from 'self' only"
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "docs.js"):
        assert api.get(f"/api/v1/docs/static/{asset}").status_code == 200
