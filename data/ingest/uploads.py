"""Files uploaded in the browser: decoded, size-checked, kept under the instance folder
between preview and ingest (within a quota per instance and per browser session, swept when they expire),
previewed raw, and matched to canonical columns."""
from __future__ import annotations

import base64
import binascii
import fcntl
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from data.ingest.connectors.base import ReadRequest, connector_for
from data.ingest.contract import ENTITIES, IngestLimits, SourceError, size_text
from data.ingest.mapping import Mapping

__all__ = ["Upload", "UploadQuota", "decode_upload", "discard_upload", "save_upload", "read_upload", "upload_path",
           "preview_upload", "suggest_mapping", "sweep_uploads"]

# A token is the uploader's session tag (16 hex, optional: older tokens have none) and 32 random hex digits.
_TOKEN = re.compile(r"^([0-9a-f]{16})?[0-9a-f]{32}$")
_OWNER = re.compile(r"^[0-9a-f]{16}$")
_SAFE_SUFFIX = re.compile(r"^\.[a-z0-9]{1,8}$")
_LOCK_NAME = ".quota.lock"
KEEP_SECONDS = 24 * 3600
_MB = 1024 * 1024


@dataclass(frozen=True)
class UploadQuota:
    """How much upload space an instance and one browser session may hold, and for how long an upload is kept
    (``core.settings``: ``FORESIGHT_UPLOAD_QUOTA_MB``, ``FORESIGHT_UPLOAD_SESSION_QUOTA_MB``,
    ``FORESIGHT_UPLOAD_KEEP_HOURS``)."""

    total_bytes: int = 1024 * _MB
    session_bytes: int = 256 * _MB
    keep_seconds: int = KEEP_SECONDS


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


def _uploads(directory: Path) -> list[tuple[Path, float, int]]:
    """The stored uploads: path, modification time and size (files vanishing meanwhile are skipped)."""
    found = []
    for path in directory.iterdir() if directory.is_dir() else ():
        if _TOKEN.match(path.stem):
            try:
                info = path.stat()
            except FileNotFoundError:
                continue
            found.append((path, info.st_mtime, info.st_size))
    return found


def sweep_uploads(directory: Path, keep_seconds: int = KEEP_SECONDS, now: float | None = None) -> int:
    """Remove uploads older than ``keep_seconds`` (ingested or abandoned long ago); returns how many went.

    Runs on every upload, when the app starts and on a schedule (``core.uploads``)."""
    now = time.time() if now is None else now
    expired = [path for path, modified, _ in _uploads(directory) if now - modified > keep_seconds]
    for path in expired:
        path.unlink(missing_ok=True)
    return len(expired)


def _check_quota(directory: Path, filename: str, size: int, quota: UploadQuota, owner: str) -> None:
    """Refuse ``size`` more bytes when the instance's or the session's uploads would go over their quota."""
    stored = _uploads(directory)
    total = sum(used for _, _, used in stored)
    if total + size > quota.total_bytes:
        raise SourceError(
            f"the server's space for uploads is full: {size_text(total)} of its {size_text(quota.total_bytes)} "
            f"quota (FORESIGHT_UPLOAD_QUOTA_MB) is in use, and {filename} needs {size_text(size)}. Uploads are kept "
            f"{quota.keep_seconds // 3600} h; try again later, ingest it with `python -m data ingest`, or ask the "
            "operator to raise the quota")
    mine = sum(used for path, _, used in stored if owner and path.stem.startswith(owner) and len(path.stem) == 48)
    if owner and mine + size > quota.session_bytes:
        raise SourceError(
            f"{filename} ({size_text(size)}) would take this browser session's uploads to {size_text(mine + size)}, "
            f"over its {size_text(quota.session_bytes)} quota (FORESIGHT_UPLOAD_SESSION_QUOTA_MB). Ingest or "
            f"re-upload fewer files (an upload is kept {quota.keep_seconds // 3600} h, an ingested one is removed), "
            "or ingest large files with `python -m data ingest`")


def save_upload(directory: Path, filename: str, content: bytes, now: float | None = None, *,
                quota: UploadQuota = UploadQuota(), owner: str = "") -> Upload:
    """Keep the bytes under ``directory`` with a random token name (the user's name is never a path).

    ``owner`` is the uploader's browser-session tag (16 hex digits, ``core.uploads``): the token starts with it, so
    the session's share of the ``quota`` can be counted. Expired uploads are swept first; the check and the write
    hold a lock, so uploads in several workers at once cannot overshoot the quota together.
    """
    suffix = Path(filename).suffix.lower()
    if not _SAFE_SUFFIX.match(suffix):
        raise SourceError(f"{filename} has no usable file extension; name it .csv, .tsv, .txt or .xlsx")
    if owner and not _OWNER.match(owner):
        raise ValueError(f"owner {owner!r} is not a session tag of 16 hex digits")
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / _LOCK_NAME, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        sweep_uploads(directory, quota.keep_seconds, now)
        _check_quota(directory, filename, len(content), quota, owner)
        token = owner + secrets.token_hex(16)
        (directory / f"{token}{suffix}").write_bytes(content)
    return Upload(token=token, filename=filename)


def discard_upload(directory: Path, upload: Upload) -> None:
    """Remove an upload once it is ingested, so it stops counting against the quota (gone already is fine)."""
    try:
        upload_path(directory, upload).unlink(missing_ok=True)
    except SourceError:
        pass


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
