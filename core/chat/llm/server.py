"""The model process's HTTP face (stdlib ``http.server``, one thread per connection, one generation at a time).

``GET /health`` -> ``{"model", "label", "loaded", "load_seconds", "memory_mb", "busy", "error"}``.
``POST /generate`` ``{"prompt": str, "max_tokens": int}`` -> NDJSON lines ``{"text": piece}`` as they are
generated, then ``{"done": true, "tokens": n, "first_token_s": x, "seconds": y}`` (or ``{"error": ...}`` if the
model fails midway). A caller that finds the model busy waits up to ``queue_wait`` seconds, then gets 503 with
``Retry-After``; so does one that comes while the model is still loading.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psutil

from core.chat.llm.engine import Engine

__all__ = ["ModelServer", "MAX_PROMPT_CHARS", "MAX_TOKENS"]

log = logging.getLogger("core.chat.llm")
MAX_PROMPT_CHARS = 8000  # the assistant's prompts are ~1 kB; anything near this is a bug or an attack
MAX_TOKENS = 512
_MAX_BODY = 64 * 1024


class ModelServer(ThreadingHTTPServer):
    """Serves one ``Engine``; ``load_in_background()`` starts loading it while /health already answers."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], engine: Engine, model: str, *, queue_wait: float = 10.0):
        super().__init__(address, _Handler)
        self.engine = engine
        self.model = model
        self.queue_wait = queue_wait
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def load_in_background(self) -> threading.Thread:
        def load() -> None:
            try:
                self.engine.load()
                log.info("%s loaded in %.1f s, %d MB", self.model, self.engine.load_seconds, _memory_mb())
            except Exception as error:  # noqa: BLE001 — reported by /health; generate answers 503
                self.engine.error = f"{type(error).__name__}: {error}"
                log.error("loading %s failed: %s", self.model, self.engine.error)

        thread = threading.Thread(target=load, name="load-model", daemon=True)
        thread.start()
        return thread

    def health(self) -> dict:
        return {"model": self.model, "label": self.engine.spec.label, "loaded": self.engine.loaded,
                "load_seconds": self.engine.load_seconds, "memory_mb": _memory_mb(), "busy": self.lock.locked(),
                "error": self.engine.error}

    def stop(self) -> None:
        """Stop serving (from a signal handler: ``shutdown`` must run on another thread than serve_forever)."""
        self.stopping.set()
        threading.Thread(target=self.shutdown, name="shutdown", daemon=True).start()


def _memory_mb() -> int:
    return round(psutil.Process().memory_info().rss / 2**20)


class _Handler(BaseHTTPRequestHandler):
    server: ModelServer
    protocol_version = "HTTP/1.0"  # the streamed body ends when the connection closes

    def log_message(self, format: str, *args) -> None:  # noqa: A002 — the base class's name
        log.info("%s %s", self.address_string(), format % args)

    def _json(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 — http.server's naming
        if self.path.split("?")[0] == "/health":
            self._json(200, self.server.health())
        else:
            self._json(404, {"error": "not found: use GET /health or POST /generate"})

    def do_POST(self) -> None:  # noqa: N802
        if self.path.split("?")[0] != "/generate":
            self._json(404, {"error": "not found: use GET /health or POST /generate"})
            return
        request = self._read_request()
        if request is None:
            return
        engine = self.server.engine
        if not engine.loaded:
            reason = f"the model failed to load: {engine.error}" if engine.error else "the model is still loading"
            self._json(503, {"error": reason}, {"Retry-After": "5"})
            return
        if not self.server.lock.acquire(timeout=self.server.queue_wait):
            self._json(503, {"error": f"the model is busy with another answer (waited {self.server.queue_wait:g} s)"},
                       {"Retry-After": "2"})
            return
        try:
            self._stream(*request)
        finally:
            self.server.lock.release()

    def _read_request(self) -> tuple[str, int] | None:
        """The checked ``(prompt, max_tokens)``, or None after answering 400/413 with what is wrong."""
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            self._json(413, {"error": f"the request is {length} bytes; the limit is {_MAX_BODY}"})
            return None
        try:
            body = json.loads(self.rfile.read(length) or b"null")
        except (ValueError, UnicodeDecodeError):
            self._json(400, {"error": "the body is not JSON; send {\"prompt\": str, \"max_tokens\": int}"})
            return None
        prompt = body.get("prompt") if isinstance(body, dict) else None
        max_tokens = body.get("max_tokens", 120) if isinstance(body, dict) else None
        if not isinstance(prompt, str) or not prompt.strip():
            problem = "prompt must be a non-empty string"
        elif len(prompt) > MAX_PROMPT_CHARS:
            problem = f"prompt is {len(prompt)} characters; the limit is {MAX_PROMPT_CHARS}"
        elif not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or not 1 <= max_tokens <= MAX_TOKENS:
            problem = f"max_tokens must be a whole number from 1 to {MAX_TOKENS}"
        else:
            return prompt, max_tokens
        self._json(400, {"error": problem})
        return None

    def _stream(self, prompt: str, max_tokens: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        started, first, stats = time.perf_counter(), None, {}
        stop = threading.Event()
        pieces = self.server.engine.stream(prompt, max_tokens, stats, stop)
        try:
            for piece in pieces:
                if self.server.stopping.is_set():
                    break
                first = first if first is not None else time.perf_counter() - started
                self._line({"text": piece})
            else:
                self._line({"done": True, "tokens": stats.get("tokens", 0), "prompt_tokens": stats.get("prompt_tokens"),
                            "first_token_s": None if first is None else round(first, 3),
                            "seconds": round(time.perf_counter() - started, 3)})
        except (BrokenPipeError, ConnectionResetError):
            log.info("the caller left; generation stopped")
        except RuntimeError as error:
            self._line({"error": f"the model failed: {error}"})
        finally:
            stop.set()
            pieces.close()

    def _line(self, value: dict) -> None:
        self.wfile.write(json.dumps(value).encode() + b"\n")
        self.wfile.flush()
