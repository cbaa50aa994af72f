"""Poison events against a real Redis: an event that can never be applied dead-letters alone, with its
true reason, and the rest of its batch lands in the store.

Limits on what an event may be (entry size, payload size, nesting, keys, order lines, values that
must be scalars) are checked before the payload is parsed further; a store error on one event of a
batch is found by applying the batch in halves, so only that event is dead-lettered.
"""

from __future__ import annotations

import json

import pytest

from data import store
from data.stream import main_stream
from data.stream.events import EventLimits, PoisonEvent, parse_event
from tests.data.stream import helpers as h

LIMITS = EventLimits()


def _letters(client) -> dict[str, str]:
    return {fields[b"event_id"].decode(): fields[b"dead_reason"].decode() for _, fields in client.xrange(h.DEAD)}


def _good_batch(url: str, size: int) -> list[dict]:
    """``size`` signups of new customers, each followed in the stream by an order of that customer."""
    ids = h.next_ids(url)
    events = []
    for n in range(size):
        customer = ids["customer"] + n
        events.append(h.event(f"good-signup-{n}", "signup", h.signup(customer)))
        events.append(h.event(f"good-order-{n}", "order", h.order(ids["order"] + n, customer, ids["product"])))
    return events


def _nested(depth: int) -> str:
    return '{"customer_id": 1, "name": ' + "[" * depth + "]" * depth + "}"


def test_a_deeply_nested_payload_dead_letters_alone_and_its_batch_lands(client, store_url, clean_redis):
    """Before: RecursionError out of run() on every start, then the whole batch dead-lettered after
    max_deliveries with a reason about a store error."""
    good = _good_batch(store_url, 10)
    poison = {**h.event("deep", "signup", h.signup(10**6)), "payload": _nested(20_000)}
    h.publish(client, *good[:7], poison, *good[7:])

    metrics = h.processor(clean_redis, store_url).run(idle_exit_s=0)

    assert (metrics.applied, metrics.dead_lettered, metrics.processed) == (20, 1, 21)
    letters = _letters(client)
    assert list(letters) == ["deep"]
    assert "payload is nested deeper than 3 levels" in letters["deep"]
    assert h.scalar(store_url, "SELECT count(*) FROM stream_events WHERE event_id LIKE 'good-%' "
                               "AND status = 'applied'") == 20
    assert h.pending(client) == 0


@pytest.mark.parametrize("name, change, expected", [
    ("deep", lambda fields: {**fields, "payload": _nested(5000)}, "payload is nested deeper than 3 levels"),
    ("shallow-but-too-deep", lambda fields: {**fields, "payload": _nested(3)}, "nested deeper than 3 levels"),
    ("oversized", lambda fields: {**fields, "payload": json.dumps({**json.loads(fields["payload"]),
                                                                    "note": "x" * LIMITS.max_payload_bytes})},
     f"bytes; the limit is {LIMITS.max_payload_bytes}"),
    ("many-keys", lambda fields: {**fields, "payload": json.dumps({**json.loads(fields["payload"]),
                                                                    **{f"k{n}": n for n in range(100)}})},
     f"payload has 108 keys; the limit is {LIMITS.max_keys}"),
    ("many-fields", lambda fields: {**fields, **{f"extra{n}": "1" for n in range(100)}},
     "the entry has 104 fields; the limit is"),
    ("huge-type", lambda fields: {**fields, "type": "x" * (2 * LIMITS.max_payload_bytes)}, "the entry is"),
    ("object-value", lambda fields: {**fields, "payload": json.dumps({**json.loads(fields["payload"]),
                                                                       "name": {"first": "Ada"}})},
     "`name` must be a JSON number, text, true/false or null, not an object"),
])
def test_limits_are_checked_before_the_payload_is_used(name, change, expected):
    fields = change(h.event(name, "signup", h.signup(7)))
    with pytest.raises(PoisonEvent) as caught:
        parse_event({key.encode(): value.encode() for key, value in fields.items()})
    assert expected in caught.value.reason
    assert len(caught.value.reason) < 500, "a reason never echoes a huge field"


def test_an_order_with_too_many_lines_or_a_line_too_deep_or_wide_is_refused():
    ids = {"order": 1, "customer": 2, "product": 3}
    order = h.order(ids["order"], ids["customer"], ids["product"])
    many = {**order, "lines": order["lines"][:1] * (LIMITS.max_lines + 1)}
    nested = {**order, "lines": [{**order["lines"][0], "quantity": [2]}]}
    wide = {**order, "lines": [{**order["lines"][0], **{f"k{n}": n for n in range(LIMITS.max_keys)}}]}
    for payload, expected in ((many, f"order has {LIMITS.max_lines + 1} lines; the limit is {LIMITS.max_lines}"),
                              (nested, "payload is nested deeper than 3 levels"),
                              (wide, f"order line 1 has {LIMITS.max_keys + 4} keys; the limit is {LIMITS.max_keys}")):
        fields = h.event("o", "order", payload)
        with pytest.raises(PoisonEvent) as caught:
            parse_event(fields)
        assert expected in caught.value.reason


def test_limits_are_settings_of_the_processor(client, store_url, clean_redis):
    ids = h.next_ids(store_url)
    order = h.order(ids["order"], ids["active"], ids["product"])
    h.publish(client, h.event("three-lines", "order", {**order, "lines": order["lines"] + order["lines"][:1]}),
              h.event("two-lines", "order", h.order(ids["order"] + 1, ids["active"], ids["product"])))

    metrics = h.processor(clean_redis, store_url, event_limits=EventLimits(max_lines=2)).run(idle_exit_s=0)

    assert (metrics.applied, metrics.dead_lettered) == (1, 1)
    assert "order has 3 lines; the limit is 2" in _letters(client)["three-lines"]


_REFUSE_ONE = ("CREATE TRIGGER refuse_poison_pill BEFORE INSERT ON customers WHEN NEW.name = 'Poison Pill' "
               "BEGIN SELECT RAISE(ABORT, 'customer Poison Pill refused by a store trigger'); END")


def test_a_store_error_on_one_event_dead_letters_only_that_event(client, store_url, clean_redis):
    """Before: the store error stopped run(); after max_deliveries the whole batch was dead-lettered
    with a reason that named no error at all."""
    good = _good_batch(store_url, 6)
    poison = h.event("pill", "signup", h.signup(h.next_ids(store_url)["customer"] + 100, name="Poison Pill"))
    h.publish(client, *good[:5], poison, *good[5:])
    with store.get_engine(store_url).begin() as connection:
        connection.exec_driver_sql(_REFUSE_ONE)

    metrics = h.processor(clean_redis, store_url).run(idle_exit_s=0)

    assert (metrics.applied, metrics.dead_lettered, metrics.failed_batches) == (12, 1, 0)
    letters = _letters(client)
    assert list(letters) == ["pill"]
    assert "the store refused this event" in letters["pill"]
    assert "customer Poison Pill refused by a store trigger" in letters["pill"]
    assert h.scalar(store_url, "SELECT status FROM stream_events WHERE event_id = 'pill'") == "dead_letter"
    assert h.scalar(store_url, "SELECT count(*) FROM customers WHERE name = 'Ada Vance' AND signup_date = :d",
                    d=h.NEXT_DAY) == 6
    assert h.pending(client) == 0


_REFUSE_ALL = ("CREATE TRIGGER refuse_every_event BEFORE INSERT ON stream_events "
               "BEGIN SELECT RAISE(ABORT, 'disk full (simulated by a store trigger)'); END")


def test_when_every_event_fails_the_batch_stays_pending_and_the_last_error_is_the_reason(
        client, store_url, clean_redis, capsys):
    """Before: a traceback out of ``python -m data stream``; after max_deliveries the reason said
    "see the processor's log for the store error" instead of the error."""
    h.publish(client, *_good_batch(store_url, 2))
    with store.get_engine(store_url).begin() as connection:
        connection.exec_driver_sql(_REFUSE_ALL)
    options = ["--redis-url", clean_redis, "--database-url", store_url, "--consumer", "test", "--block-ms", "20",
               "--linger-ms", "0", "--idle-exit-s", "0", "--max-deliveries", "1", "--today", h.TODAY.isoformat()]

    assert main_stream(options) == 1
    error = capsys.readouterr().err
    assert error.startswith("stream stopped: BatchNotCommitted: a batch of 4 entries was not committed")
    assert "disk full (simulated by a store trigger)" in error and "Traceback" not in error
    assert h.pending(client) == 4 and client.xlen(h.DEAD) == 0

    assert main_stream(options) == 0, "delivered twice > max_deliveries: dead-lettered, not retried"
    letters = _letters(client)
    assert len(letters) == 4 and h.pending(client) == 0
    assert all("delivered 2 times without a successful commit (max_deliveries=1); the last attempt failed with "
               "IntegrityError" in reason and "disk full (simulated by a store trigger)" in reason
               for reason in letters.values()), letters
    assert not client.exists(f"{h.DEFAULT_STREAM}:{h.DEFAULT_GROUP}:last-error"), "acknowledged: error forgotten"
