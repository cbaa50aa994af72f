"""Who is making a request: a logged-in user, an API token, a user named by a trusted proxy, or an embed link."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from core.auth.roles import Permission, allows

__all__ = ["Principal"]

Kind = Literal["session", "token", "sso", "embed"]


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request.

    ``page`` is set only for an embed link: the one page path (e.g. ``/forecast``) the link may show.
    ``token_id`` is set only for an API token; ``user_id`` is None for an embed link.
    """

    username: str
    role: str
    kind: Kind
    user_id: int | None = None
    token_id: int | None = None
    page: str | None = None
    embed_id: int | None = None

    def can(self, permission: Permission) -> bool:
        """Whether this caller may do ``permission`` (an embed link may only view)."""
        if self.kind == "embed" and permission is not Permission.VIEW:
            return False
        return allows(self.role, permission)

    @property
    def label(self) -> str:
        """How the header and the audit log name the caller, e.g. ``ada (analyst)``."""
        return f"{self.username} ({self.role})"
