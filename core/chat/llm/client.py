"""``LocalModel``: the web workers' client of the model process (``python -m core.chat.llm``), over loopback HTTP.

It implements ``analytics.chat.Generator``: ``generate`` yields the pieces the process streams and raises
``ModelUnavailable`` with what went wrong (no model configured, the process not running, busy, too slow, an error),
so the assistant falls back to its template and says why.
"""
from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

from analytics.chat import ModelUnavailable
from core.chat.config import ChatSettings
from core.chat.llm.weights import MODEL_FILES

__all__ = ["LocalModel"]


class LocalModel:
    """The configured model (``settings.model``) served at ``settings.model_url``; ``settings.timeout_s`` bounds a
    whole answer, from the request to its last piece."""

    def __init__(self, settings: ChatSettings):
        self.settings = settings
        spec = MODEL_FILES.get(settings.model)
        self.name = spec.label if spec else "no language model"
        parts = urlsplit(settings.model_url)
        self._host, self._https = parts.hostname or "127.0.0.1", parts.scheme == "https"
        self._port = parts.port or (443 if self._https else 80)

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        return kind(self._host, self._port, timeout=timeout)

    def health(self) -> dict | None:
        """The process's /health (model, loaded, load_seconds, memory_mb, busy), or None when it does not answer."""
        if self.settings.model == "none":
            return None
        connection = self._connection(min(self.settings.timeout_s, 2.0))
        try:
            connection.request("GET", "/health")
            response = connection.getresponse()
            body = json.loads(response.read()) if response.status == 200 else None
            return body if isinstance(body, dict) else None
        except (OSError, http.client.HTTPException, ValueError):
            return None
        finally:
            connection.close()

    def generate(self, prompt: str, *, max_tokens: int) -> Iterator[str]:
        """Yield the model's text in pieces as the process produces them; raise ModelUnavailable on any failure
        (a failure after some pieces were yielded raises too: the caller must not show a half answer)."""
        if self.settings.model == "none":
            raise ModelUnavailable("no language model is configured (FORESIGHT_CHAT_MODEL=none)")
        deadline = time.monotonic() + self.settings.timeout_s
        connection = self._connection(self.settings.timeout_s)
        try:
            response = self._open(connection, prompt, max_tokens)
            yield from self._pieces(connection, response, deadline)
        except (socket.timeout, TimeoutError):
            raise ModelUnavailable(f"the language model did not finish within {self.settings.timeout_s:g} s") from None
        except (OSError, http.client.HTTPException) as error:
            raise ModelUnavailable(f"the language model's connection failed: {error}") from None
        finally:
            connection.close()

    def _open(self, connection, prompt: str, max_tokens: int) -> http.client.HTTPResponse:
        body = json.dumps({"prompt": prompt, "max_tokens": max_tokens})
        try:
            connection.request("POST", "/generate", body=body, headers={"Content-Type": "application/json"})
        except ConnectionRefusedError:
            raise ModelUnavailable(f"the language model's process is not running at {self.settings.model_url} "
                                   "(start it with `python -m core.chat.llm`)") from None
        response = connection.getresponse()
        if response.status != 200:
            raise ModelUnavailable(f"the language model answered {response.status}: {_reason(response.read())}")
        return response

    def _pieces(self, connection, response: http.client.HTTPResponse, deadline: float) -> Iterator[str]:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            if connection.sock is not None:
                connection.sock.settimeout(remaining)
            line = response.readline(64 * 1024)
            if not line:
                raise ModelUnavailable("the language model's process closed the stream before the answer was done")
            try:
                message = json.loads(line)
            except ValueError:
                raise ModelUnavailable(f"the language model's process sent something that is not JSON: "
                                       f"{line[:80]!r}") from None
            if not isinstance(message, dict):
                raise ModelUnavailable(f"the language model's process sent {type(message).__name__}, not an object")
            if message.get("done"):
                return
            if "error" in message:
                raise ModelUnavailable(f"the language model failed: {message['error']}")
            if not isinstance(message.get("text"), str):
                raise ModelUnavailable(f"the language model's process sent a line without text: {line[:80]!r}")
            yield message["text"]


def _reason(body: bytes) -> str:
    try:
        return str(json.loads(body)["error"])
    except (ValueError, KeyError, TypeError):
        return body[:120].decode("utf-8", "replace") or "no reason given"
