"""What every benchmark shares: a free local port, headless Chromium, the readable table and the printout."""
from __future__ import annotations

import json
import shutil
import socket
import sys
from collections.abc import Sequence

CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--enable-unsafe-swiftshader", "--window-size=1400,1000")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def chromium():
    """Debian's Chromium through chromedriver, headless and with no traffic but to the app."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    return webdriver.Chrome(options=options)


def table(rows: Sequence[dict]) -> str:
    """Rows of equal keys as an aligned plain-text table."""
    headers = list(rows[0])
    widths = [max(len(str(h)), *(len(str(r[h])) for r in rows)) for h in headers]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths))]
    lines += ["  ".join(str(r[h]).ljust(w) for h, w in zip(headers, widths)) for r in rows]
    return "\n".join(lines)


def print_result(result: dict, readable: str, verdict: str | None = None, json_only: bool = False) -> None:
    """Print ``result`` as one JSON line, then (unless ``json_only``) the ``readable`` table and the ``verdict``."""
    sys.stdout.write(json.dumps(result) + "\n")
    if not json_only:
        sys.stdout.write("\n" + readable + "\n")
        if verdict is not None:
            sys.stdout.write("\n" + verdict + "\n")
