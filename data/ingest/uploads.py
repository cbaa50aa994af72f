"""Files uploaded in the browser: decoded, size-checked, kept under the instance folder
between preview and ingest, previewed raw, and matched to canonical columns."""
from __future__ import annotations

import base64
import binascii
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from data.ingest.connectors.base import ReadRequest, connector_for
from data.ingest.contract import ENTITIES, IngestLimits, SourceError, size_text
from data.ingest.mapping import Mapping

__all__ = ["Upload", "decode_upload", "save_upload", "read_upload", "upload_path", "preview_upload",
           "suggest_mapping"]

_TOKEN = re.compile(r"^[0-9a-f]{32}$")
_SAFE_SUFFIX = re.compile(r"^\.[a-z0-9]{1,8}$")
KEEP_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Upload:
    """A stored upload: its token (the only thing the browser keeps) and original name."""

    token: str
    filename: str


def decode_upload(contents: str, filename: str, limits: IngestLimits) -> bytes:
    """The bytes of a ``dcc.Upload`` data URL, refusing files over the size limit."""
    header, _, payload = (contents or "").partition(",")
    if not header.startswith("data:") or ";base64" not in header:
        raise SourceError(f"{filename} did not arrive as a file upload; choose the file again")
    if len(payload) * 3 // 4 > limits.max_bytes:
        raise SourceError(f"{filename} is larger than the {size_text(limits.max_bytes)} limit; "
                          "split it or ingest it with `python -m data ingest`")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise SourceError(f"{filename} arrived damaged (invalid base64); upload it again") from None


def _prune(directory: Path, now: float) -> None:
    """Forget uploads older than ``KEEP_SECONDS``: they were ingested or abandoned long ago."""
    for path in directory.iterdir():
        if _TOKEN.match(path.stem) and now - path.stat().st_mtime > KEEP_SECONDS:
            path.unlink(missing_ok=True)


def save_upload(directory: Path, filename: str, content: bytes, now: float | None = None) -> Upload:
    """Keep the bytes under ``directory`` with a random token name (the user's name is never a path).

    Uploads older than a day are removed on the way, so the folder does not grow without bound.
    """
    suffix = Path(filename).suffix.lower()
    if not _SAFE_SUFFIX.match(suffix):
        raise SourceError(f"{filename} has no usable file extension; name it .csv, .tsv, .txt or .xlsx")
    directory.mkdir(parents=True, exist_ok=True)
    _prune(directory, time.time() if now is None else now)
    token = secrets.token_hex(16)
    (directory / f"{token}{suffix}").write_bytes(content)
    return Upload(token=token, filename=filename)


def read_upload(directory: Path, upload: Upload) -> bytes:
    """The stored bytes of an upload."""
    return upload_path(directory, upload).read_bytes()


def upload_path(directory: Path, upload: Upload) -> Path:
    """Where a stored upload lives; refuses tokens that did not come from ``save_upload``."""
    suffix = Path(upload.filename).suffix.lower()
    if not _TOKEN.match(upload.token or "") or not _SAFE_SUFFIX.match(suffix):
        raise SourceError("the upload reference is not valid; upload the file again")
    path = directory / f"{upload.token}{suffix}"
    if not path.exists():
        raise SourceError(f"{upload.filename} is no longer on the server (it was cleaned up); upload it again")
    return path


def preview_upload(directory: Path, upload: Upload, entity: str, mapping: Mapping | None = None,
                   limits: IngestLimits = IngestLimits(), rows: int = 20) -> tuple[pd.DataFrame, int]:
    """The file's first ``rows`` rows with its own column names (and source row numbers), and
    its total row count. Raises SourceError for unreadable files, with the connectors' reasons."""
    request = ReadRequest(source=read_upload(directory, upload), mapping=mapping or Mapping.identity(entity),
                          limits=limits, filename=upload.filename)
    raw = connector_for(request).read()
    if raw.empty:
        raise SourceError(f"{upload.filename} has a header but no data rows")
    return raw.head(rows).reset_index(), len(raw)


def _normal(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def suggest_mapping(entity: str, source_columns: list[str]) -> dict[str, str | None]:
    """For each canonical column, the source column with the same name ignoring case and
    punctuation (``Order ID`` -> ``order_id``), or None. A suggestion only: the user confirms it."""
    spec = ENTITIES[entity]
    by_name = {_normal(c): c for c in source_columns}
    return {column: by_name.get(_normal(column)) for column in spec.columns}
