"""Fixtures of the alert tests: sample stores, a webhook receiver and an SMTP server on 127.0.0.1, started here.

The receiver is ``tests/webhook_receiver.py`` (the browser tests use it too). The SMTP server is the standard
library's ``smtpd`` (deprecated, but the only one installed; aiosmtpd would replace it) serving on its own thread.
"""
from __future__ import annotations

import datetime as dt
import threading
import warnings
from email import message_from_bytes, policy

import pytest

from data import store
from data.sample import SampleConfig
from tests.sample_stores import copy_store, write_template
from tests.webhook_receiver import running_receiver

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import asyncore as _asyncore
    import smtpd

END = dt.date(2026, 10, 31)


@pytest.fixture
def receiver():
    """A webhook receiver on 127.0.0.1 (``tests/webhook_receiver.py``)."""
    with running_receiver() as found:
        yield found


class _Collector(smtpd.SMTPServer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.messages: list[dict] = []

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        self.messages.append({"from": mailfrom, "to": list(rcpttos), "message": message_from_bytes(data, policy=policy.default)})


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 (a free port); ``.port`` and ``.messages``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        server = _Collector(("127.0.0.1", 0), None, decode_data=False)
    server.port = server.socket.getsockname()[1]
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            _asyncore.loop(timeout=0.05, count=1, map=server._map)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server
    stop.set()
    thread.join(timeout=5)
    server.close()


@pytest.fixture(scope="session", params=[42, 7], ids=["seed42", "seed7"])
def alert_template(request, tmp_path_factory):
    """The sample company (2000 customers, two seeds), written once per seed and test session."""
    config = SampleConfig(customers=2000, seed=request.param, end_date=END)
    return write_template(tmp_path_factory.mktemp(f"alerts-{request.param}"), config)


@pytest.fixture
def engine(alert_template, tmp_path):
    """A private copy of the sample store."""
    return store.get_engine(copy_store(alert_template, tmp_path))


@pytest.fixture
def empty_engine(tmp_path):
    """A migrated store without data (rules and the alert centre only)."""
    engine = store.get_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    store.upgrade(engine)
    return engine
