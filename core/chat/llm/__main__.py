"""``python -m core.chat.llm [--model smollm2|gemma3] [--host 127.0.0.1] [--port 8052]``: the local language model's
process. Loads the model once and keeps it warm; the web workers reach it through ``core.chat.llm.LocalModel``.
Defaults come from ``Settings.chat`` (FORESIGHT_CHAT_MODEL, FORESIGHT_CHAT_MODEL_URL). A model whose package is not
installed stops it with exit code 2 and the pip line to run."""
from __future__ import annotations

import argparse
import logging
import signal
import sys
from urllib.parse import urlsplit

from core.chat.llm.weights import MODEL_FILES, ModelMissing, locate


def _arguments(argv: list[str] | None):
    from core.settings import instance_folder, settings_or_exit

    chat = settings_or_exit().chat
    url = urlsplit(chat.model_url)
    parser = argparse.ArgumentParser(prog="python -m core.chat.llm", description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=sorted(MODEL_FILES), default=None if chat.model == "none" else chat.model)
    parser.add_argument("--host", default=url.hostname or "127.0.0.1")
    parser.add_argument("--port", type=int, default=url.port or 8052)
    parser.add_argument("--queue-wait", type=float, default=10.0,
                        help="seconds a caller waits for a busy model before 503 (default 10)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (default 1: the web workers share the cores, and two threads on "
                             "busy cores were many times slower than one; benchmarks/chat_model.json)")
    args = parser.parse_args(argv)
    if args.model is None:
        parser.exit(2, "FORESIGHT_CHAT_MODEL=none: the assistant answers from templates; no model process to run "
                       "(pass --model smollm2 or gemma3 to start one)\n")
    return args, instance_folder() / "models"


def main(argv: list[str] | None = None) -> int:
    args, cache = _arguments(argv)
    try:
        spec, path = locate(args.model, cache)
    except (ModelMissing, ValueError) as error:
        sys.stderr.write(f"{error}\n")
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from core.chat.llm.engine import Engine
    from core.chat.llm.server import ModelServer

    server = ModelServer((args.host, args.port), Engine(spec, path, threads=args.threads), args.model,
                         queue_wait=args.queue_wait)
    signal.signal(signal.SIGTERM, lambda *_: server.stop())
    signal.signal(signal.SIGINT, lambda *_: server.stop())
    logging.getLogger("core.chat.llm").info("serving %s on http://%s:%d (loading %s)", spec.label, args.host,
                                            args.port, path.name)
    server.load_in_background()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
