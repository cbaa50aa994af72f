"""End to end with the live stream: ``python -m data replay`` publishes the sample company's following days, the
stream processor (``python -m data stream``) applies them as new dataset versions, and the watcher fires the rule
for the new period with the numbers SQL finds in the store."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from core.alerts import AlertWatcher, create_rule, deliveries_of, list_alerts
from data.stream import main_replay, main_stream
from data.watermark import complete_through
from tests.core.alerts.helpers import sql_revenue

pytestmark = pytest.mark.services
TODAY = max(dt.date(2026, 12, 31), dt.date.today())  # replayed days may run ahead of the wall clock


def test_a_replayed_stream_makes_the_rule_fire_for_the_new_period(engine, clean_redis, receiver, capsys):
    create_rule(engine, {"name": "EMEA week", "kind": "threshold", "metric": "revenue", "scope": {"region": "EMEA"},
                         "operator": ">", "threshold": 0, "window_days": 7, "webhook_url": receiver.url,
                         "webhook_secret": receiver.secret}, owner="ada")
    watcher = AlertWatcher(engine)
    before = watcher.poll_once()
    assert [event.values["end"] for event in before.fired] == ["2026-10-31"]
    url = engine.url.render_as_string(hide_password=False)
    connection = ["--redis-url", clean_redis, "--database-url", url, "--json"]

    assert main_replay([*connection, "--days", "3", "--seed", "5", "--as-fast-as-possible"]) == 0
    assert main_stream([*connection, "--block-ms", "20", "--linger-ms", "0", "--today", TODAY.isoformat(),
                        "--idle-exit-s", "0"]) == 0
    streamed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    run = watcher.poll_once()

    through = complete_through(engine).through
    assert streamed["applied"] > 0 and run.version == streamed["dataset_version"]
    assert through > dt.date(2026, 10, 31), "the stream moved the last complete day on"
    [event] = run.fired
    assert (event.values["start"], event.values["end"]) == ((through - dt.timedelta(days=6)).isoformat(),
                                                            through.isoformat())
    assert event.values["value"] == pytest.approx(sql_revenue(engine, through - dt.timedelta(days=6), through,
                                                              "EMEA"), rel=1e-9)
    assert [r["body"]["alert"]["id"] for r in receiver.requests] == [before.fired[0].event_id, event.event_id]
    assert all(r["verified"] for r in receiver.requests)
    assert [d["outcome"] for d in deliveries_of(engine, event.event_id)] == ["delivered", "delivered"]
    assert list_alerts(engine)[0] == 2 and watcher.poll_once() is None
