"""The model process's HTTP checks, answered before any model is involved: the real ModelServer around an Engine
that has not loaded (so no torch is imported), on a free port."""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from core.chat.llm.engine import Engine, split_prompt
from core.chat.llm.server import MAX_PROMPT_CHARS, ModelServer
from core.chat.llm.weights import MODEL_FILES


@pytest.fixture
def server():
    """A ModelServer whose engine never loads (``load_in_background`` is not called)."""
    engine = Engine(MODEL_FILES["smollm2"], Path("/nonexistent.gguf"))
    served = ModelServer(("127.0.0.1", 0), engine, "smollm2", queue_wait=0.1)
    threading.Thread(target=served.serve_forever, daemon=True).start()
    yield served
    served.shutdown()
    served.server_close()


def _post(server, body: bytes) -> tuple[int, dict, dict]:
    url = f"http://127.0.0.1:{server.server_address[1]}/generate"
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), json.loads(response.readline())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


@pytest.mark.parametrize("body, message", [
    (b"{not json", "the body is not JSON"),
    (b'"a string"', "prompt must be a non-empty string"),
    (json.dumps({"prompt": "   "}).encode(), "prompt must be a non-empty string"),
    (json.dumps({"prompt": "x" * (MAX_PROMPT_CHARS + 1)}).encode(), f"the limit is {MAX_PROMPT_CHARS}"),
    (json.dumps({"prompt": "hi", "max_tokens": 0}).encode(), "max_tokens must be a whole number from 1 to 512"),
    (json.dumps({"prompt": "hi", "max_tokens": True}).encode(), "max_tokens must be a whole number"),
    (json.dumps({"prompt": "hi", "max_tokens": "9"}).encode(), "max_tokens must be a whole number"),
])
def test_bad_requests_say_what_is_wrong(server, body, message):
    status, _, answer = _post(server, body)
    assert status == 400 and message in answer["error"]


def test_a_body_over_64_kb_is_refused(server):
    status, _, answer = _post(server, b" " * (64 * 1024 + 1))
    assert status == 413 and "the limit is 65536" in answer["error"]


def test_a_model_still_loading_answers_503_with_retry_after(server):
    status, headers, answer = _post(server, json.dumps({"prompt": "hi", "max_tokens": 4}).encode())
    assert (status, headers["Retry-After"], answer["error"]) == (503, "5", "the model is still loading")
    server.engine.error = "ValueError: bad file"
    assert _post(server, b'{"prompt": "hi"}')[2]["error"] == "the model failed to load: ValueError: bad file"


def test_health_before_loading_and_unknown_paths(server):
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with urllib.request.urlopen(f"{base}/health", timeout=5) as response:
        health = json.loads(response.read())
    assert health["model"] == "smollm2" and health["loaded"] is False and health["busy"] is False
    assert health["load_seconds"] is None and health["memory_mb"] > 10
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{base}/admin", timeout=5)
    assert missing.value.code == 404


def test_the_prompt_convention_puts_the_first_paragraph_in_the_system_slot():
    assert split_prompt("Be brief.\n\nFacts:\n- a: 1\n\nQuestion: \"q\"") == [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Facts:\n- a: 1\n\nQuestion: \"q\""}]
    assert split_prompt("just a question") == [{"role": "user", "content": "just a question"}]
