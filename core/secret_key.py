"""One secret key shared by every process of a deployment, without configuration.

Dash signs background-callback handles with the Flask secret key, and a status poll may land on
any gunicorn worker: if each worker made its own random key, the other worker would refuse the
handle and the page would stop waiting in silence. The key therefore comes from, in order:

1. ``FORESIGHT_SECRET_KEY`` when the operator sets it;
2. with ``REDIS_URL``, a key generated once and kept in Redis (every web machine shares it);
3. otherwise a key generated once into ``<instance dir>/secret_key`` (mode 0600), which every
   worker on the machine reads back. Creation is atomic, so concurrent first starts agree.
"""
from __future__ import annotations

import hashlib
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from core.settings import Settings

__all__ = ["SharedSecret", "resolve_secret_key", "key_fingerprint", "SECRET_FILE_NAME", "REDIS_SECRET_KEY"]

log = logging.getLogger(__name__)

SECRET_FILE_NAME = "secret_key"
REDIS_SECRET_KEY = "nf:secret-key"
_MIN_LENGTH = 32


@dataclass(frozen=True)
class SharedSecret:
    """The key and where it came from (for logs and the startup check)."""

    value: str
    source: str


def key_fingerprint(value: str) -> str:
    """A short digest that identifies a key in logs without revealing it."""
    return hashlib.sha256(value.encode()).hexdigest()[:12]


def _from_file(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Written in full under a private name, then linked into place: linking fails if another process got
        # there first, and nobody ever reads a half-written key.
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    value = path.read_text().strip()
    if len(value) < _MIN_LENGTH:
        raise RuntimeError(
            f"{path} holds a key of {len(value)} characters (at least {_MIN_LENGTH} expected); "
            "delete the file to have a new one generated, or set FORESIGHT_SECRET_KEY"
        )
    return value


def _from_redis(url: str) -> str:
    import redis

    client = redis.Redis.from_url(url)
    client.set(REDIS_SECRET_KEY, secrets.token_hex(32), nx=True)
    return client.get(REDIS_SECRET_KEY).decode()


def resolve_secret_key(settings: Settings) -> SharedSecret:
    """The deployment's shared key (see the module docstring for the order)."""
    if not settings.secret_key_generated:
        return SharedSecret(settings.secret_key, "FORESIGHT_SECRET_KEY")
    if settings.redis_url:
        return SharedSecret(_from_redis(settings.redis_url), f"Redis ({REDIS_SECRET_KEY})")
    path = settings.instance_dir / SECRET_FILE_NAME
    return SharedSecret(_from_file(path), str(path))
