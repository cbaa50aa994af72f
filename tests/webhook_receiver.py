"""A webhook endpoint on 127.0.0.1 for the alert tests (core and browser): it checks every request's signature with
the secret it holds and answers the statuses it is told to (``[500, 200]``: fail the first attempt)."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = "receiver-secret-0123456789abcdef"


@dataclass
class Receiver:
    """A webhook endpoint: ``statuses`` to answer in turn (then 200), and every request it got."""

    url: str = ""
    secret: str = SECRET
    statuses: list[int] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            expected = "sha256=" + hmac.new(receiver.secret.encode(), body, hashlib.sha256).hexdigest()
            signature = self.headers.get("X-Foresight-Signature", "")
            receiver.requests.append({"body": json.loads(body), "headers": dict(self.headers),
                                      "verified": hmac.compare_digest(expected, signature)})
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):  # quiet
            pass

    return Handler


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """A :class:`Receiver` served on a free port of 127.0.0.1 for the ``with`` block."""
    found = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(found))
    found.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/foresight"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()
