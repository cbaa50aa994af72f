"""Content-Security-Policy sources that settings may name (the ``frame-ancestors`` list).

A source is ``'self'``, ``'none'`` (alone) or an origin ``scheme://host[:port]`` (the host may start with ``*.``):
nothing that could end the directive (``;``) and add others to the policy, no paths, no other keywords.
"""
from __future__ import annotations

import re

__all__ = ["frame_ancestor_sources"]

_ORIGIN = re.compile(r"^https?://(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:(\d{1,5}|\*))?/?$",
                     re.IGNORECASE)


def frame_ancestor_sources(text: str, name: str = "FORESIGHT_FRAME_ANCESTORS") -> tuple[str, ...]:
    """The space-separated sources in ``text``; ValueError naming the setting ``name`` and the first bad source."""
    sources = tuple(text.split())
    if not sources:
        raise ValueError(f"{name} is empty; use 'self', 'none' or a list of origins")
    for source in sources:
        alone = source != "'none'" or len(sources) == 1
        if not (source == "'self'" or (source == "'none'" and alone) or _ORIGIN.match(source)):
            raise ValueError(f"{name}: {source[:80]!r} is not a frame-ancestors source; use 'self', 'none' (alone) or "
                             "origins such as https://intranet.example.com (scheme://host[:port]), separated by spaces")
    return sources
