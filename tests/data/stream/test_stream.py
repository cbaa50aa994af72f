"""The live stream against a real Redis: micro-batches into the store, effectively-once delivery,
dead letters, the replay producer and the two command lines.

Every test gets its own copy of a 300-customer sample store and an empty Redis database; loops
stop by themselves (``idle_exit_s=0`` with 20 ms blocking reads, or ``max_events``).
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
import redis
from sqlalchemy import event as sa_event

from data import schema, store
from data.sample import following_days, replay_events
from data.stream import DEFAULT_STREAM, main_replay, main_stream, replay
from data.stream.events import PoisonEvent, encode_event, parse_event
from tests.data.stream import helpers as h


# --- happy path ------------------------------------------------------------------------------
def test_each_event_type_lands_in_the_store_and_bumps_the_version(client, store_url, clean_redis):
    ids, events = h.one_of_each(store_url)
    before = store.current_version(store.get_engine(store_url)).version
    h.publish(client, *events)

    metrics = h.processor(clean_redis, store_url).run(idle_exit_s=0)

    assert (metrics.processed, metrics.applied, metrics.dead_lettered, metrics.duplicates) == (4, 4, 0, 0)
    assert metrics.batches == 1 and len(metrics.latencies_ms) == 4 and metrics.latency_ms(95) >= 0
    signup = h.scalar(store_url, "SELECT email FROM customers WHERE customer_id = :id", id=ids["customer"])
    assert signup == f"ada.vance{ids['customer']}@example.com"
    assert h.scalar(store_url, "SELECT channel FROM orders WHERE order_id = :id", id=ids["order"]) == "Mobile"
    lines = h.scalar(store_url, "SELECT group_concat(quantity || '@' || discount, ' ') FROM order_lines "
                               "WHERE order_id = :id ORDER BY line_number", id=ids["order"])
    assert lines == "2@0.0 1@0.1", "a line without a discount has none"
    assert h.scalar(store_url, "SELECT cancel_date FROM customers WHERE customer_id = :id",
                   id=ids["active"]) == h.NEXT_DAY
    spend = h.scalar(store_url, "SELECT spend FROM marketing_daily m JOIN campaigns c USING (campaign_id) "
                               "WHERE m.date = :day AND c.name = 'Web Search - Always On'", day=h.NEXT_DAY)
    assert spend == 123.45
    version = store.current_version(store.get_engine(store_url))
    assert version.version > before and version.source == "stream:foresight:events"
    assert metrics.dataset_version == version.version
    assert h.scalar(store_url, "SELECT count(*) FROM stream_events WHERE status = 'applied'") == 4
    assert h.pending(client) == 0 and client.xlen(h.DEAD) == 0


def test_a_replayed_day_arrives_complete(client, store_url, clean_redis):
    engine = store.get_engine(store_url)
    before = h.counts(store_url)
    drawn = following_days(engine, days=3, seed=5)
    summary = replay(engine, client, days=3, seed=5)

    metrics = h.processor(clean_redis, store_url, batch_size=10).run(idle_exit_s=0)

    after = h.counts(store_url)
    assert metrics.applied == metrics.processed == summary.events and metrics.batches > 1
    assert metrics.dead_lettered == 0 and after["quarantine"] == before["quarantine"]
    assert after["orders"] - before["orders"] == drawn.orders["order_id"].nunique()
    assert after["order_lines"] - before["order_lines"] == len(drawn.orders)
    assert after["customers"] - before["customers"] == len(drawn.signups)
    assert after["marketing_daily"] - before["marketing_daily"] == len(drawn.marketing)
    cancelled = h.scalar(store_url, "SELECT count(*) FROM customers WHERE cancel_date >= :day", day=h.NEXT_DAY)
    assert cancelled == len(drawn.cancellations)
    assert h.scalar(store_url, "SELECT max(order_date) FROM orders") <= drawn.last.isoformat()


def test_signup_and_cancellation_of_one_customer_in_one_batch(client, store_url, clean_redis):
    customer = h.next_ids(store_url)["customer"]
    h.publish(client, h.event("s", "signup", h.signup(customer, updated_at="2026-11-01T09:00:00")),
             h.event("c", "cancellation", {"customer_id": customer, "cancel_date": "2026-11-02",
                                          "updated_at": "2026-11-02T10:00:00"}))

    metrics = h.processor(clean_redis, store_url).run(idle_exit_s=0)

    assert (metrics.applied, metrics.batches) == (2, 1)
    assert h.scalar(store_url, "SELECT cancel_date FROM customers WHERE customer_id = :id", id=customer) == "2026-11-02"
    assert h.scalar(store_url, "SELECT winner FROM conflicts WHERE key = :key", key=json.dumps({"customer_id": customer})) \
        == "incoming", "the newer updated_at wins, and the change is logged"


# --- effectively once ------------------------------------------------------------------------
class _Crash(Exception):
    """The process dies between the commit and the acknowledgement."""


def _crash(*_args, **_kwargs):
    raise _Crash


def test_redelivery_after_a_crash_between_commit_and_ack_is_skipped(client, store_url, clean_redis, monkeypatch):
    _, events = h.one_of_each(store_url)
    h.publish(client, *events)
    first = h.processor(clean_redis, store_url, consumer="a").start()
    monkeypatch.setattr(first, "_dead_letter_and_ack", _crash)
    with pytest.raises(_Crash):
        first.run(idle_exit_s=0)
    committed = h.counts(store_url)
    version = store.current_version(store.get_engine(store_url)).version
    assert committed["stream_events"] == 4 and h.pending(client) == 4

    restarted = h.processor(clean_redis, store_url, consumer="b").run(idle_exit_s=0)

    assert (restarted.processed, restarted.duplicates, restarted.applied) == (4, 4, 0)
    assert h.counts(store_url) == committed, "no row written twice"
    assert store.current_version(store.get_engine(store_url)).version == version
    assert h.pending(client) == 0


def test_the_same_event_published_twice_is_applied_once(client, store_url, clean_redis):
    ids = h.next_ids(store_url)
    order = h.event("dup", "order", h.order(ids["order"], ids["active"], ids["product"]))
    h.publish(client, order, order)
    metrics = h.processor(clean_redis, store_url).run(idle_exit_s=0)
    h.publish(client, order)
    again = h.processor(clean_redis, store_url).run(idle_exit_s=0)

    assert (metrics.applied, metrics.duplicates, again.duplicates, again.applied) == (1, 1, 1, 0)
    assert h.scalar(store_url, "SELECT count(*) FROM order_lines WHERE order_id = :id", id=ids["order"]) == 2


def _refuse_commits(connection):
    raise RuntimeError("disk full (injected)")


def test_a_failed_commit_leaves_the_entries_pending_and_the_store_unchanged(client, store_url, clean_redis):
    _, events = h.one_of_each(store_url)
    h.publish(client, *events)
    engine = store.get_engine(store_url)
    before, version = h.counts(store_url), store.current_version(engine).version
    processor = h.processor(clean_redis, store_url).start()
    sa_event.listen(engine, "commit", _refuse_commits)
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            processor.run(idle_exit_s=0)
    finally:
        sa_event.remove(engine, "commit", _refuse_commits)

    assert h.counts(store_url) == before and store.current_version(engine).version == version
    assert h.pending(client) == 4 and processor.metrics_.failed_batches == 1 and processor.metrics_.processed == 0

    restarted = h.processor(clean_redis, store_url).run(idle_exit_s=0)
    assert restarted.applied == 4 and h.pending(client) == 0
    assert h.counts(store_url)["stream_events"] == before["stream_events"] + 4


def test_an_entry_the_store_keeps_failing_on_is_dead_lettered_after_max_deliveries(client, store_url, clean_redis):
    ids = h.next_ids(store_url)
    h.publish(client, h.event("stuck", "signup", h.signup(ids["customer"])))
    engine = store.get_engine(store_url)
    processor = h.processor(clean_redis, store_url, max_deliveries=1).start()
    sa_event.listen(engine, "commit", _refuse_commits)
    try:
        with pytest.raises(RuntimeError):
            processor.run(idle_exit_s=0)
    finally:
        sa_event.remove(engine, "commit", _refuse_commits)

    restarted = h.processor(clean_redis, store_url, max_deliveries=1).run(idle_exit_s=0)

    assert (restarted.dead_lettered, restarted.applied, h.pending(client)) == (1, 0, 0)
    [(_, letter)] = client.xrange(h.DEAD)
    assert b"delivered 2 times without a successful commit" in letter[b"dead_reason"]
    assert letter[b"event_id"] == b"stuck"


# --- dead letters ----------------------------------------------------------------------------
def _poison(url: str) -> dict[str, tuple[dict, str]]:
    """Entries that can never be applied, and the words their dead-letter reason must contain."""
    ids = h.next_ids(url)
    good = h.event("x", "signup", h.signup(ids["customer"]))
    without = lambda name: {key: value for key, value in good.items() if key != name}  # noqa: E731
    negative = h.order(ids["order"] + 1, ids["active"], ids["product"], quantity=-3)
    negative["lines"] = negative["lines"][:1]
    return {
        "bad-json": ({**good, "event_id": "bad-json", "payload": '{"customer_id": 1,'}, "not valid JSON"),
        "not-object": ({**good, "event_id": "not-object", "payload": "[1, 2]"}, "must be a JSON object"),
        "no-id": (without("event_id"), "missing envelope field(s) ['event_id']"),
        "no-produced-at": ({**without("produced_at"), "event_id": "no-produced-at"}, "['produced_at']"),
        "bad-produced-at": ({**good, "event_id": "bad-produced-at", "produced_at": "yesterday"},
                            "not epoch milliseconds"),
        "not-utf8": ({**good, "event_id": "not-utf8", "payload": b"\xff\xfe{}"}, "not UTF-8"),
        "no-email": (h.event("no-email", "signup", {k: v for k, v in h.signup(ids["customer"] + 1).items()
                                                   if k != "email"}), "signup payload is missing ['email']"),
        "no-lines": (h.event("no-lines", "order", {**negative, "lines": []}), "non-empty list of order lines"),
        "negative": (h.event("negative", "order", negative), "every row was quarantined"),
        "unknown-customer": (h.event("unknown-customer", "cancellation",
                                    {"customer_id": 10**9, "cancel_date": h.NEXT_DAY}), "the store does not hold"),
    }


def test_poison_goes_to_the_dead_letter_stream_and_good_events_commit(client, store_url, clean_redis):
    ids, good = h.one_of_each(store_url)
    poison = _poison(store_url)
    h.publish(client, good[0], *(fields for fields, _ in poison.values()), *good[1:])

    metrics = h.processor(clean_redis, store_url).run(idle_exit_s=0)

    assert (metrics.applied, metrics.dead_lettered, metrics.processed) == (4, len(poison), 4 + len(poison))
    assert h.pending(client) == 0
    assert h.scalar(store_url, "SELECT count(*) FROM orders WHERE order_id = :id", id=ids["order"]) == 1
    letters = {fields.get(b"event_id", b"no-id").decode(): fields for _, fields in client.xrange(h.DEAD)}
    assert set(letters) == set(poison)
    for name, (original, expected) in poison.items():
        letter = letters[name]
        assert expected in letter[b"dead_reason"].decode(), (name, letter[b"dead_reason"])
        for key, value in original.items():
            assert letter[key.encode()] == (value if isinstance(value, bytes) else value.encode())
        assert letter[b"dead_stream"] == DEFAULT_STREAM.encode() and letter[b"dead_message_id"]
    assert "quantity" in letters["negative"][b"dead_reason"].decode()
    assert h.scalar(store_url, "SELECT count(*) FROM quarantine WHERE source_name = 'stream:foresight:events'") == 1
    assert h.scalar(store_url, "SELECT status FROM stream_events WHERE event_id = 'negative'") == "dead_letter"


@pytest.mark.parametrize("event_type", ["refund", "Order", "signup.v2", " order"])
def test_unknown_event_types_are_dead_lettered(client, store_url, clean_redis, event_type):
    fields = {**h.event("odd", "signup", h.signup(h.next_ids(store_url)["customer"])), "type": event_type}
    h.publish(client, fields, h.event("fine", "marketing_spend", h.spend()))

    metrics = h.processor(clean_redis, store_url).run(idle_exit_s=0)

    assert (metrics.dead_lettered, metrics.applied) == (1, 1)
    [(_, letter)] = client.xrange(h.DEAD)
    assert f"unknown event type {event_type!r}; use one of order, signup, cancellation, marketing_spend" \
        in letter[b"dead_reason"].decode()


@pytest.mark.parametrize("fields, expected", [
    ({"event_id": "e", "type": "", "payload": "{}", "produced_at": "1"}, "missing envelope field(s) ['type']"),
    ({"event_id": "e", "type": "order", "payload": "{}", "produced_at": "1"}, "order payload is missing"),
    ({"event_id": "e", "type": "order", "produced_at": "1",
      "payload": json.dumps({"order_id": 1, "customer_id": 1, "order_date": "2026-11-01", "lines": [{"sku": 1}]})},
     "order line 1 is missing ['product_id', 'quantity', 'unit_price']"),
    ({"event_id": "e" * 129, "type": "order", "payload": "{}", "produced_at": "1"}, "the limit is 128"),
])
def test_parse_event_names_what_is_wrong(fields, expected):
    with pytest.raises(PoisonEvent) as caught:
        parse_event({key.encode(): value.encode() for key, value in fields.items()})
    assert expected in caught.value.reason


def test_encode_and_parse_round_trip():
    payload = {"date": pd.Timestamp("2026-11-01"), "campaign": "X", "channel": "Web", "spend": 1.5,
               "impressions": pd.Series([7]).iloc[0], "clicks": 1, "conversions": 0}
    fields = encode_event("id-1", "marketing_spend", payload, 1234)
    parsed = parse_event({key.encode(): value.encode() for key, value in fields.items()})
    assert (parsed.event_id, parsed.entity, parsed.produced_at) == ("id-1", "marketing", 1234)
    assert parsed.payload["date"].startswith("2026-11-01") and parsed.payload["impressions"] == 7


# --- replay producer -------------------------------------------------------------------------
def test_replay_continues_the_store_deterministically(store_url):
    engine = store.get_engine(store_url)
    drawn = following_days(engine, days=7, seed=3)
    again = following_days(engine, days=7, seed=3)
    other = following_days(engine, days=7, seed=4)
    assert replay_events(drawn, 3) == replay_events(again, 3)
    assert replay_events(drawn, 3) != replay_events(other, 4)

    customers = pd.read_sql_table("customers", engine)
    products = pd.read_sql_table("products", engine)
    last_order = pd.Timestamp(h.scalar(store_url, "SELECT max(order_date) FROM orders"))
    assert (drawn.first, drawn.last) == ((last_order + pd.Timedelta(days=1)).date(), h.END + dt.timedelta(days=7))
    assert drawn.signups["customer_id"].min() == customers["customer_id"].max() + 1
    known = set(customers["customer_id"]) | set(drawn.signups["customer_id"])
    assert set(drawn.orders["customer_id"]) <= known
    assert set(drawn.orders["product_id"]) <= set(products["product_id"])
    assert drawn.orders["order_id"].min() == h.next_ids(store_url)["order"]
    assert drawn.orders["order_date"].between(pd.Timestamp(drawn.first), pd.Timestamp(drawn.last)).all()
    active = set(customers.loc[customers["cancel_date"].isna(), "customer_id"]) | set(drawn.signups["customer_id"])
    assert set(drawn.cancellations["customer_id"]) <= active
    assert len(drawn.orders) and len(drawn.marketing) and len(drawn.signups)


def test_replay_refuses_a_store_without_orders(tmp_path):
    engine = store.get_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    store.upgrade(engine)
    with pytest.raises(ValueError, match="no orders to continue from"):
        following_days(engine, days=1, seed=1)


# --- command lines ---------------------------------------------------------------------------
def test_replay_then_stream_command_lines(clean_redis, store_url, client, capsys):
    connection = ["--redis-url", clean_redis, "--database-url", store_url, "--json"]
    assert main_replay([*connection, "--days", "2", "--seed", "9", "--as-fast-as-possible"]) == 0
    published = json.loads(capsys.readouterr().out)
    assert published["events"] == client.xlen(DEFAULT_STREAM) > 5 and published["first_day"] == h.NEXT_DAY

    options = ["--block-ms", "20", "--linger-ms", "0", "--today", h.TODAY.isoformat()]
    assert main_stream([*connection, *options, "--max-events", "5"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["processed"] == 5 and first["applied"] == 5
    assert main_stream([*connection, *options, "--idle-exit-s", "0"]) == 0
    rest = json.loads(capsys.readouterr().out)
    assert first["processed"] + rest["processed"] == published["events"] and rest["dead_lettered"] == 0
    assert rest["latency_p50_ms"] is not None and h.pending(client) == 0


def test_python_m_data_hands_the_environment_s_settings_to_replay_and_stream(clean_redis, tmp_path, monkeypatch,
                                                                            capsys):
    """``python -m data replay|stream`` without URL options use $REDIS_URL and $FORESIGHT_DATABASE_URL."""
    from data.__main__ import main

    url = f"sqlite:///{tmp_path / 'from-env.db'}"
    monkeypatch.setenv("REDIS_URL", clean_redis)
    monkeypatch.setenv("FORESIGHT_DATABASE_URL", url)
    assert main(["replay", "--customers", "60", "--seed", "2", "--as-fast-as-possible", "--json"]) == 0
    published = json.loads(capsys.readouterr().out)
    assert published["events"] == redis.Redis.from_url(clean_redis).xlen(DEFAULT_STREAM) > 0
    assert main(["stream", "--block-ms", "20", "--idle-exit-s", "0", "--today", "2030-01-01", "--json"]) == 0
    applied = json.loads(capsys.readouterr().out)
    assert applied["processed"] == published["events"] and applied["dead_lettered"] == 0
    assert store.row_count(store.get_engine(url), schema.customers) >= 60


def test_replay_on_an_empty_store_writes_the_sample_company_first(clean_redis, tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    code = main_replay(["--redis-url", clean_redis, "--database-url", url, "--customers", "60", "--seed", "2",
                        "--as-fast-as-possible"])
    assert code == 0 and capsys.readouterr().out.startswith("published ")
    assert store.row_count(store.get_engine(url), schema.customers) >= 60


def test_stream_command_reports_an_unreachable_redis(store_url, capsys):
    from tests.services import free_port

    code = main_stream(["--redis-url", f"redis://127.0.0.1:{free_port()}/0", "--database-url", store_url,
                        "--idle-exit-s", "0"])
    assert code == 1
    assert capsys.readouterr().err.startswith("stream stopped: ConnectionError")


def test_a_dead_lettered_event_sent_again_after_the_fix_is_applied(client, store_url, clean_redis):
    customer = h.next_ids(store_url)["customer"]
    cancellation = h.event("late", "cancellation", {"customer_id": customer, "cancel_date": "2026-11-03"})
    h.publish(client, cancellation)
    first = h.processor(clean_redis, store_url).run(idle_exit_s=0)
    h.publish(client, h.event("signup", "signup", h.signup(customer, updated_at="2026-11-01T08:00:00")), cancellation)
    second = h.processor(clean_redis, store_url).run(idle_exit_s=0)

    assert (first.dead_lettered, second.applied, second.dead_lettered) == (1, 2, 0)
    assert h.scalar(store_url, "SELECT cancel_date FROM customers WHERE customer_id = :id", id=customer) == "2026-11-03"
    assert h.scalar(store_url, "SELECT status FROM stream_events WHERE event_id = 'late'") == "applied"


def test_a_crash_before_the_dead_letter_was_written_still_dead_letters_on_redelivery(
        client, store_url, clean_redis, monkeypatch):
    h.publish(client, h.event("orphan", "cancellation", {"customer_id": 10**9, "cancel_date": h.NEXT_DAY}))
    first = h.processor(clean_redis, store_url, consumer="a").start()
    monkeypatch.setattr(first, "_dead_letter_and_ack", _crash)
    with pytest.raises(_Crash):
        first.run(idle_exit_s=0)
    assert client.xlen(h.DEAD) == 0 and h.pending(client) == 1

    restarted = h.processor(clean_redis, store_url, consumer="b").run(idle_exit_s=0)

    assert (restarted.dead_lettered, h.pending(client)) == (1, 0)
    [(_, letter)] = client.xrange(h.DEAD)
    assert b"the store does not hold" in letter[b"dead_reason"]


def test_python_m_data_stream_validates_events_with_the_configured_plausible_dates(client, store_url, clean_redis,
                                                                                   monkeypatch, capsys):
    """FORESIGHT_EARLIEST_DATE reaches the stream as it reaches file ingests: an order dated before it is
    quarantined with the setting named, not applied."""
    from data.__main__ import main

    ids = h.next_ids(store_url)
    h.publish(client, h.event("early", "order", h.order(ids["order"], ids["active"], ids["product"])))
    monkeypatch.setenv("REDIS_URL", clean_redis)
    monkeypatch.setenv("FORESIGHT_DATABASE_URL", store_url)
    monkeypatch.setenv("FORESIGHT_EARLIEST_DATE", "2026-12-01")  # after the event's order date, 2026-11-01
    assert main(["stream", "--block-ms", "20", "--idle-exit-s", "0", "--today", h.TODAY.isoformat(), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["processed"] == 1
    assert h.scalar(store_url, "SELECT count(*) FROM orders WHERE order_id = :id", id=ids["order"]) == 0
    reason = h.scalar(store_url, "SELECT reason FROM quarantine ORDER BY id DESC LIMIT 1")
    assert "2026-11-01" in reason and "FORESIGHT_EARLIEST_DATE" in reason
    [(_, letter)] = client.xrange(h.DEAD)
    assert b"FORESIGHT_EARLIEST_DATE" in letter[b"dead_reason"]


def test_an_invalid_date_setting_stops_python_m_data_stream_with_its_message(monkeypatch, capsys):
    from data.__main__ import main

    monkeypatch.setenv("FORESIGHT_EARLIEST_DATE", "01/02/2000")
    assert main(["stream", "--max-events", "1"]) == 2
    assert "FORESIGHT_EARLIEST_DATE='01/02/2000' is not a date" in capsys.readouterr().err


@pytest.mark.parametrize("option, url, expected", [
    ("--database-url", "mysql://x/y", "replay: database 'mysql' in mysql://x/y is not supported"),
    ("--redis-url", "nope://x", "replay: Redis URL must specify one of the following schemes"),
])
def test_replay_with_an_unusable_url_says_which_in_one_line(tmp_path, capsys, option, url, expected):
    argv = [option, url] + ([] if option == "--database-url" else ["--database-url", f"sqlite:///{tmp_path}/s.db"])
    assert main_replay(argv) == 2  # before: a ValueError traceback for the database URL
    assert capsys.readouterr().err.startswith(expected)
