"""Event ids against a real Redis: the replay gives distinct content distinct ids, and an id that comes
back with different content is dead-lettered with that reason instead of being skipped silently.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from data import store
from data.sample import following_days, replay_events
from data.stream import main_replay
from tests.data.stream import helpers as h


def _by_id(url: str, first: dt.date) -> dict[str, dict]:
    drawn = following_days(store.get_engine(url), days=3, seed=42, first=first)
    return {event_id: {"type": event_type, **payload} for event_id, event_type, payload in replay_events(drawn, 42)}


def test_replays_from_different_start_days_never_share_an_id_for_different_content(store_url):
    """Before: 29 ids of the second draw named different content in the first (orders, signups, spend)."""
    first = dt.date.fromisoformat(h.NEXT_DAY)
    one, other = _by_id(store_url, first), _by_id(store_url, first + dt.timedelta(days=1))

    reused = [event_id for event_id in set(one) & set(other) if one[event_id] != other[event_id]]

    assert reused == [], f"{len(reused)} ids name different content, e.g. {sorted(reused)[:3]}"
    assert len(one) > 20 and len(other) > 20 and all(len(event_id) <= 128 for event_id in one)
    assert _by_id(store_url, first) == one, "the same draw gives the same ids: a true duplicate"


def test_two_replays_with_different_starts_are_both_applied(client, store_url, clean_redis, capsys):
    """Before: ``python -m data replay`` twice with different --start values: events of the second
    counted as duplicates and dropped."""
    options = ["--redis-url", clean_redis, "--database-url", store_url, "--days", "2", "--as-fast-as-possible",
               "--json"]
    assert main_replay([*options, "--start", h.NEXT_DAY]) == 0
    assert main_replay([*options, "--start", "2026-11-02"]) == 0
    published = [json.loads(line)["events"] for line in capsys.readouterr().out.splitlines()]

    metrics = h.processor(clean_redis, store_url, batch_size=100).run(idle_exit_s=0)

    assert metrics.processed == sum(published)
    assert metrics.duplicates == 0, "no event of the second replay is a copy of one of the first"
    assert metrics.applied + metrics.dead_lettered == metrics.processed
    assert h.scalar(store_url, "SELECT count(*) FROM stream_events") == sum(published)


def test_an_id_sent_again_with_different_content_is_dead_lettered_with_that_reason(client, store_url, clean_redis):
    customer = h.next_ids(store_url)["customer"]
    h.publish(client, h.event("signup-1", "signup", h.signup(customer)))
    first = h.processor(clean_redis, store_url).run(idle_exit_s=0)
    h.publish(client, h.event("signup-1", "signup", h.signup(customer, name="Bea Quill")),
              h.event("signup-1", "signup", h.signup(customer)))

    again = h.processor(clean_redis, store_url).run(idle_exit_s=0)

    assert (first.applied, again.applied, again.duplicates, again.dead_lettered) == (1, 0, 1, 1)
    [(_, letter)] = client.xrange(h.DEAD)
    reason = letter[b"dead_reason"].decode()
    assert "event_id 'signup-1' was already applied with different content" in reason, reason
    assert "give this change its own event_id" in reason
    assert h.scalar(store_url, "SELECT name FROM customers WHERE customer_id = :id", id=customer) == "Ada Vance"


def test_one_id_with_two_contents_in_one_batch_dead_letters_the_second(client, store_url, clean_redis):
    customer = h.next_ids(store_url)["customer"]
    h.publish(client, h.event("twin", "signup", h.signup(customer)),
              h.event("twin", "signup", h.signup(customer + 1)))

    metrics = h.processor(clean_redis, store_url).run(idle_exit_s=0)

    assert (metrics.applied, metrics.duplicates, metrics.dead_lettered) == (1, 0, 1)
    [(_, letter)] = client.xrange(h.DEAD)
    assert b"was already applied with different content" in letter[b"dead_reason"] \
        or b"earlier in this batch with different content" in letter[b"dead_reason"]


def test_revision_0005_adds_the_content_digest_and_its_downgrade_drops_only_that(store_url):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect

    engine = store.get_engine(store_url)
    config = Config()
    config.set_main_option("script_location", str(Path(store.__file__).with_name("migrations")))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
    assert "content_sha256" not in {column["name"] for column in inspect(engine).get_columns("stream_events")}
    store.upgrade(engine)
    assert "content_sha256" in {column["name"] for column in inspect(engine).get_columns("stream_events")}
