"""The assistant's results are the pages' and the API's cache entries: same keys, same numbers, same jobs."""
from __future__ import annotations

import datetime as dt

import pytest

from analytics.chat import NotReady
from analytics.kpis import kpi_values, load_kpi_model, load_range_kpis
from core.api import jobs
from core.cache import cached_value
from core.chat.config import ChatSettings
from core.chat.llm import LocalModel
from core.chat.results import NO_DATA, CachedResults
from core.settings import Settings
from data import store
from tests.core.api.conftest import COMPANY, build_api
from tests.sample_stores import copy_store, write_template
from tests.services import free_port


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    folder = tmp_path_factory.mktemp("chat-results")
    template = write_template(folder, COMPANY)
    return build_api(copy_store(template, folder), folder, FORESIGHT_CHAT_MODEL="none")


@pytest.fixture
def results(api):
    with api.app.test_request_context("/api/v1/chat"):
        yield CachedResults(api.settings)


@pytest.fixture
def stop_jobs(api):
    """Cancel what a test started and wait for it to stop (a forecast job only notices at its next step)."""
    yield
    with api.app.app_context():
        for job in jobs.active():
            jobs.cancel(job["id"])
        for job in jobs.active():
            jobs.wait(job["id"], timeout=300)


def test_the_kpis_are_the_cache_entry_the_overview_and_the_api_read(api, results):
    assert cached_value(load_kpi_model, results.version, through=results.through) is None
    model = results.kpi_model()
    assert cached_value(load_kpi_model, results.version, through=results.through) is not None
    body = api.get("/api/v1/kpis?window=30").get_json()
    expected = {v.key: v.value for v in kpi_values(model, 30, None)}
    assert {item["key"]: item["value"] for item in body["items"]} == pytest.approx(expected)
    assert results.kpi_model() is model, "read once per request"


def test_a_custom_range_is_the_apis_range_entry(api, results):
    end = dt.date.fromisoformat(results.through)
    start = end - dt.timedelta(days=13)
    ranged = results.range_kpis(start.isoformat(), end.isoformat())
    assert cached_value(load_range_kpis, results.version, start=start.isoformat(), end=end.isoformat()) is not None
    body = api.get(f"/api/v1/kpis?start={start}&end={end}").get_json()
    expected = [v.value for v in kpi_values(ranged, ranged.windows[0], None)]
    assert [item["value"] for item in body["items"]] == pytest.approx(expected)


def test_a_forecast_not_cached_starts_one_job_that_the_api_follows_too(api, results, stop_jobs):
    with pytest.raises(NotReady) as first:
        results.forecast("revenue", 11)
    assert first.value.job_id and first.value.what == f"revenue forecast 11 days ahead (dataset v{results.version})"
    with pytest.raises(NotReady) as again:
        CachedResults(api.settings).forecast("revenue", 11)
    assert again.value.job_id == first.value.job_id, "asking again follows the same job"
    record = jobs.status(first.value.job_id)
    assert record["kind"] == "compute" and record["params"] == {
        "loader": "store_demand_forecast", "version": results.version, "metric": "revenue", "h": 11,
        "through": results.through, "countries": api.settings.holiday_countries}
    answer = api.get("/api/v1/forecast?metric=revenue&h=11")
    assert answer.status_code == 202 and answer.get_json()["job"]["id"] == first.value.job_id


def test_the_retention_models_not_cached_start_the_apis_job(api, results, stop_jobs):
    with pytest.raises(NotReady) as raised:
        results.retention()
    answer = api.get("/api/v1/churn")
    assert answer.status_code == 202 and answer.get_json()["job"]["id"] == raised.value.job_id


def test_health_says_what_the_assistant_stands_on(api, results):
    health = results.health()
    assert health["store"] == "reachable" and health["dataset_version"] == results.version
    assert health["through"] == results.through and health["cache"] == "filesystem"
    assert isinstance(health["jobs_running"], int)
    assert health["model"] == "none (FORESIGHT_CHAT_MODEL=none): answers come from templates"


def test_health_says_when_the_model_process_does_not_answer(api):
    chat = ChatSettings(model="smollm2", model_url=f"http://127.0.0.1:{free_port()}")
    with api.app.test_request_context("/api/v1/chat"):
        health = CachedResults(api.settings, model=LocalModel(chat)).health()
    assert health["model"].startswith(f"smollm2: its process at {chat.model_url} does not answer")
    assert "python -m core.chat.llm --model smollm2" in health["model"]


def test_an_empty_store_says_how_to_get_data(api, tmp_path):
    engine = store.get_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    store.upgrade(engine)
    with api.app.test_request_context("/api/v1/chat"):
        results = CachedResults(api.settings, engine=engine)
        assert (results.version, results.through, results.health()["store"]) == (None, None, "empty")
        with pytest.raises(NotReady, match="python -m data sample") as raised:
            results.kpi_model()
    assert raised.value.what == NO_DATA and raised.value.job_id is None


def test_an_unreachable_store_is_said_so(api, tmp_path):
    settings = Settings.from_env({"FORESIGHT_DATABASE_URL": f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}",
                                  "FORESIGHT_INSTANCE_DIR": str(tmp_path)})
    with api.app.test_request_context("/api/v1/chat"):
        results = CachedResults(settings)
        assert (results.store, results.version) == ("unreachable", None)
        with pytest.raises(NotReady):
            results.forecast("revenue", 7)
