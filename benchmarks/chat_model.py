"""The local language models side by side: load time, memory, first-token time, tokens per second and how often the
guard accepts their answers, on the twenty handmade cases of ``benchmarks/chat_model_cases.py``.

    python -m benchmarks.chat_model --model smollm2 --model gemma3 [--threads 1] [--out benchmarks/chat_model.json]

Each model runs in its real process (``python -m core.chat.llm``) on a free port in 8300-8399, started and stopped
here, unless ``measure(..., url=...)`` is given a running one. ``benchmarks/chat.py`` calls ``measure`` for its
``--model`` numbers.
"""
from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from analytics.chat import build_prompt, check_text
from benchmarks.chat_model_cases import CASES
from data.vocabulary import CATEGORIES, CHANNELS, PLANS, REGIONS, SEGMENTS

__all__ = ["measure", "free_port"]

ROOT = Path(__file__).resolve().parent.parent
VOCABULARY = (*REGIONS, *SEGMENTS, *CHANNELS, *CATEGORIES, *PLANS)


def free_port(first: int = 8300, last: int = 8399) -> int:
    """A TCP port on 127.0.0.1 from ``first`` to ``last`` that nothing listens on now (this helper's own range)."""
    for port in range(first, last + 1):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port from {first} to {last}")


@contextmanager
def _process(model: str, threads: int):
    """The model process, yielded as its URL once its log says the model loaded; stopped with SIGTERM after."""
    port = free_port()
    command = [sys.executable, "-m", "core.chat.llm", "--model", model, "--port", str(port), "--threads", str(threads)]
    child = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        log = []
        for line in child.stderr:
            log.append(line)
            if " loaded in " in line or "failed" in line:
                break
        if not log or " loaded in " not in log[-1]:
            raise RuntimeError(f"{model} did not load:\n{''.join(log[-20:])}")
        yield f"http://127.0.0.1:{port}"
    finally:
        child.terminate()
        child.wait(timeout=60)


def _get(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/health", timeout=10) as response:
        return json.loads(response.read())


def _generate(url: str, prompt: str, max_tokens: int) -> dict:
    """One streamed generation, timed from the caller's side: text, tokens, first-token and total seconds."""
    body = json.dumps({"prompt": prompt, "max_tokens": max_tokens}).encode()
    started, first, pieces, done = time.perf_counter(), None, [], {}
    with urllib.request.urlopen(urllib.request.Request(f"{url}/generate", data=body), timeout=600) as response:
        for line in response:
            message = json.loads(line)
            if "text" in message:
                first = first if first is not None else time.perf_counter() - started
                pieces.append(message["text"])
            done = message
    seconds = time.perf_counter() - started
    decode = seconds - (first or 0)
    tokens = done.get("tokens", 0)
    return {"text": "".join(pieces).strip(), "tokens": tokens, "first_token_s": round(first or seconds, 3),
            "seconds": round(seconds, 3), "tokens_per_s": round((tokens - 1) / decode, 2) if tokens > 1 else None}


def _quantiles(values: list[float]) -> dict:
    ordered = sorted(values)
    return {"p50": round(statistics.median(ordered), 3),
            "p95": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 3)}


def measure(model: str, prompts: list[str] | None = None, *, url: str | None = None, max_tokens: int = 80,
            threads: int = 1) -> dict:
    """Measure ``model`` (``smollm2`` or ``gemma3``) on ``prompts`` (default: the twenty cases, which also get the
    guard's verdict). Starts the model process unless ``url`` points at a running one (then ``load_seconds`` is
    what that process reported)."""
    if url is None:
        with _process(model, threads) as started:
            return measure(model, prompts, url=started, max_tokens=max_tokens, threads=threads)
    cases = CASES if prompts is None else [None] * len(prompts)
    texts = prompts if prompts is not None else [build_prompt(*case) for case in CASES]
    runs = [_generate(url, text, max_tokens) for text in texts]
    health = _get(url)
    result = {"model": model, "label": health.get("label"), "threads": threads, "load_seconds": health["load_seconds"],
              "memory_mb": health["memory_mb"], "prompts": len(runs),
              "first_token_s": _quantiles([run["first_token_s"] for run in runs]),
              "tokens_per_s": _quantiles([run["tokens_per_s"] for run in runs if run["tokens_per_s"]]),
              "answer_seconds": _quantiles([run["seconds"] for run in runs])}
    if prompts is None:
        verdicts = [check_text(run["text"], facts, VOCABULARY, trusted=(template, parse.text))
                    for run, (parse, facts, template) in zip(runs, cases)]
        result["guard_accepted"] = round(sum(not problems for problems in verdicts) / len(verdicts), 3)
        result["samples"] = [{"question": parse.text, "text": run["text"], "problems": list(problems)}
                             for run, (parse, _, _), problems in zip(runs, cases, verdicts)]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.chat_model", description=__doc__.split("\n")[0])
    parser.add_argument("--model", action="append", choices=["smollm2", "gemma3"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-tokens", type=int, default=80)
    parser.add_argument("--out", type=Path, default=None, help="merge the results into this JSON file")
    args = parser.parse_args(argv)
    results = {}
    for model in args.model or ["smollm2"]:
        results[model] = measure(model, max_tokens=args.max_tokens, threads=args.threads)
        summary = {key: value for key, value in results[model].items() if key != "samples"}
        sys.stdout.write(json.dumps(summary) + "\n")
    if args.out:
        existing = json.loads(args.out.read_text()) if args.out.exists() else {}
        existing.update(results)
        args.out.write_text(json.dumps(existing, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
