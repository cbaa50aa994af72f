"""The assistant per request: conversations per user, events in order, costly parts made once per process, and the
CLI answering with the app's cache configuration."""
from __future__ import annotations

import threading

import pytest

from analytics.kpis import kpi_values, load_range_kpis
from core.auth.principal import Principal
from core.cache import cached_value
from core.chat import conversations, service
from tests.core.api.conftest import COMPANY, build_api
from tests.sample_stores import copy_store, write_template

ADA = Principal(username="ada", role="viewer", kind="session", user_id=1)
BOB = Principal(username="bob", role="analyst", kind="session", user_id=2)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return write_template(tmp_path_factory.mktemp("chat-service"), COMPANY)


@pytest.fixture(scope="module")
def api(template, tmp_path_factory):
    folder = tmp_path_factory.mktemp("chat-service-app")
    return build_api(copy_store(template, folder), folder, FORESIGHT_CHAT_MODEL="none")


@pytest.fixture
def request_context(api):
    service.embedder()  # loaded (requests do not wait for it: the first questions of a process use the rules only)
    with api.app.test_request_context("/api/v1/chat", method="POST"):
        yield


def test_a_follow_up_continues_the_askers_conversation_only(request_context):
    conversation, first = service.ask(ADA, None, "what was revenue last month?")
    assert first.parse.intent == "kpi" and conversations.conversation_id(conversation) == conversation
    same, follow_up = service.ask(ADA, conversation, "and for EMEA?")
    assert same == conversation
    assert follow_up.parse.entities["region"] == "EMEA" and follow_up.parse.entities["metric"] == "revenue"
    assert "metric" in follow_up.parse.carried
    _, stranger = service.ask(BOB, conversation, "and for EMEA?")
    assert "metric" not in stranger.parse.carried and "period" not in stranger.parse.carried


def test_a_malformed_conversation_id_starts_a_new_conversation(request_context):
    conversation, _ = service.ask(ADA, "../etc/passwd", "what was revenue last month?")
    assert conversation != "../etc/passwd" and len(conversations.load("user:ada", conversation)) == 1


def test_stream_gives_the_parse_then_the_answer_and_saves_the_turn_first(request_context):
    conversation, events = service.stream(ADA, None, "how many orders in the last 7 days?")
    kinds = []
    for kind, value in events:
        kinds.append(kind)
        if kind == "answer":
            saved = conversations.load(conversations.owner_of(ADA), conversation)
            assert saved.last is not None and saved.last.intent == value.parse.intent == "kpi"
    assert kinds == ["parse", "answer"], "no model: no tokens"


def test_the_parser_is_made_once_per_dataset_version_and_day(api, request_context):
    first = service.assistant_for(api.settings)
    second = service.assistant_for(api.settings)
    assert first.parser is second.parser and first.results is not second.results
    assert first.parser.embedder is service.embedder()


def test_the_embedder_loads_once_when_threads_ask_at_once():
    found = []
    threads = [threading.Thread(target=lambda: found.append(service.embedder())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 4 and all(item is found[0] for item in found) and found[0] is not None
    assert service.embedder(wait=False) is found[0], "a request gets it without waiting once it is loaded"


def test_the_cli_answers_from_the_apps_cache_and_keeps_its_session(api, monkeypatch):
    url = api.settings.database_url
    for name in ("REDIS_URL", "FORESIGHT_DATABASE_URL", "FORESIGHT_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FORESIGHT_INSTANCE_DIR", str(api.settings.instance_dir))  # the app's filesystem cache
    monkeypatch.setenv("FORESIGHT_CHAT_MODEL", "none")
    answer = service.answer_cli("what was revenue in the last 14 days?", "cli-session", url)
    assert answer["session"] == "cli-session" and answer["source"] == "template"
    assert answer["parse"]["intent"] == "kpi" and answer["citations"] and answer["confidence"]["level"]
    revenue = next(fact for fact in answer["facts"] if fact["name"] == "revenue")
    start, end = revenue["period"]
    ranged = load_range_kpis(api.engine, start=start, end=end)
    assert revenue["value"] == pytest.approx(next(v.value for v in kpi_values(ranged, ranged.windows[0], None)
                                                  if v.key == "revenue"))
    with api.app.app_context():  # the web app reads what the CLI computed (same dataset version, same key)
        assert cached_value(load_range_kpis, answer["dataset_version"], start=start, end=end) is not None
    follow_up = service.answer_cli("and for APAC?", "cli-session", url)
    assert follow_up["parse"]["entities"]["region"] == "APAC"
    assert follow_up["parse"]["entities"]["period"] == {"start": start, "end": end}
