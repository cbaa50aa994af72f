"""Password hashing (argon2id through argon2-cffi), the password policy, and generated passwords.

The policy, checked for every password a person chooses (generated ones always pass):

1. at least ``min_length`` characters (``FORESIGHT_PASSWORD_MIN_LENGTH``, default 12) and at most 1024;
2. at least 5 different characters (``aaaaaaaaaaab`` is long but guessable);
3. not containing the username (compared case-insensitively, usernames of 3 characters or more);
4. not a well-known password, also not with digits or symbols added at the end (``Password2024!``).

Length matters far more than character classes (NIST SP 800-63B), so there is no "one digit, one symbol"
rule. Each refusal is an :class:`AccountError` naming the rule and how to meet it.
"""
from __future__ import annotations

import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["AccountError", "MAX_LENGTH", "check_policy", "generate_password", "hash_password", "needs_rehash",
           "verify_password"]

MAX_LENGTH = 1024
MIN_DISTINCT = 5
# argon2-cffi's defaults are RFC 9106's low-memory profile (argon2id, 64 MiB, 3 passes); hashes made with
# other parameters verify and are re-hashed at the next successful login (``needs_rehash``).
_HASHER = PasswordHasher()
_COMMON = frozenset("""
password passw0rd p@ssw0rd p@ssword letmein welcome welcome1 admin administrator root changeme
iloveyou qwerty qwertyuiop qwertyuiopasdf asdfghjkl zxcvbnm abc123 abcdefghijkl monkey dragon
football baseball sunshine princess trustno1 master superman batman starwars whatever secret
123456789012 1234567890 12345678 111111111111 000000000000 foresight neonforesight neon
""".split())
_TRAILING = re.compile(r"[\d\W_]+$")


class AccountError(ValueError):
    """An account operation refused: the message says what, for which user, and how to fix it."""


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (salted; the parameters are stored in the hash)."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; False also for a malformed hash."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than the current ones (re-hash after a good login)."""
    return _HASHER.check_needs_rehash(password_hash)


def _is_common(password: str) -> bool:
    lowered = password.lower()
    return lowered in _COMMON or _TRAILING.sub("", lowered) in _COMMON


def check_policy(password: str, *, min_length: int, username: str | None = None) -> None:
    """Raise :class:`AccountError` naming the first rule of the module's policy ``password`` breaks."""
    if len(password) < min_length:
        raise AccountError(f"the password has {len(password)} characters; the policy asks for at least "
                           f"{min_length} (a few unrelated words make a long password easy to remember)")
    if len(password) > MAX_LENGTH:
        raise AccountError(f"the password has {len(password)} characters; use at most {MAX_LENGTH}")
    if len(set(password)) < MIN_DISTINCT:
        raise AccountError(f"the password uses only {len(set(password))} different characters; "
                           f"the policy asks for at least {MIN_DISTINCT}")
    if username and len(username) >= 3 and username.lower() in password.lower():
        raise AccountError(f"the password contains the username {username!r}; choose one that does not")
    if _is_common(password):
        raise AccountError("the password is a well-known one (from lists attackers try first), possibly with "
                           "digits or symbols added; choose another")


def generate_password(length: int = 20) -> str:
    """A random URL-safe password of ``length`` characters (``secrets``: about 6 bits each)."""
    while True:
        password = secrets.token_urlsafe(length)[:length]
        if len(set(password)) >= MIN_DISTINCT and not _is_common(password):
            return password
