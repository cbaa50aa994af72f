"""Where the sample's ground truth lives, and reading / writing it.

The sample generator knows every parameter it drew the data from; it writes them as JSON next
to the store so analyses (churn drivers, anomaly detection, promotion lift, marketing effect)
can be scored against the truth. The format is documented in ``docs/sample-data.md``.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from data import repo_root

__all__ = ["FORMAT_VERSION", "ground_truth_path", "load_ground_truth", "write_ground_truth"]

FORMAT_VERSION = 1


def ground_truth_path(database_url: str) -> Path:
    """``<db stem>.ground_truth.json`` beside a SQLite file, else ``instance/ground_truth.json``."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        database = Path(url.database)
        return database.with_name(f"{database.stem}.ground_truth.json")
    return repo_root() / "instance" / "ground_truth.json"


def _plain(value: Any) -> Any:
    """numpy scalars (from frames) as plain Python numbers."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"ground truth holds a {type(value).__name__}, which JSON cannot store")


def write_ground_truth(path: Path, truth: dict[str, Any]) -> None:
    """Write atomically: readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(truth, stream, indent=2, default=_plain)
            stream.write("\n")
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the app may run as another user
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_ground_truth(path: Path) -> dict[str, Any]:
    """Read a ground-truth file; raises FileNotFoundError naming the command that creates it."""
    if not path.exists():
        raise FileNotFoundError(
            f"no ground truth at {path}; generate sample data with `python -m data sample` "
            "(it writes the ground truth beside the store)"
        )
    truth = json.loads(path.read_text(encoding="utf-8"))
    if truth.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{path} has ground-truth format {truth.get('format_version')!r}; this code reads "
            f"format {FORMAT_VERSION} — regenerate it with `python -m data sample`"
        )
    return truth
