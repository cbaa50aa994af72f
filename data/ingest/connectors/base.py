"""The connector interface and its registry: adding a source type is one class and one decorator.

A connector only *reads*: it returns the source's raw table with the source's own column names
and the 1-based source row number of every row as the index. Mapping to canonical columns and
type coercion happen afterwards, in one shared pipeline, so every source behaves the same.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pandas as pd

from data.ingest.contract import IngestLimits, SourceError
from data.ingest.mapping import Mapping

__all__ = ["ReadRequest", "DataConnector", "CONNECTORS", "register_connector", "get_connector", "connector_for"]

ROW_NUMBER = "row_number"


@dataclass(frozen=True)
class ReadRequest:
    """Everything a connector may need: the source and the caller's options.

    ``source`` is a path, a database URL, raw bytes or a binary file-like object; ``filename``
    names in-memory uploads (its extension picks the connector). ``table`` / ``query`` only
    apply to database sources.
    """

    source: object
    mapping: Mapping
    limits: IngestLimits = IngestLimits()
    filename: str | None = None
    table: str | None = None
    query: str | None = None


class DataConnector(ABC):
    """Reads one kind of source into a raw frame.

    Subclasses set ``accepts`` (can this class read the request?) and ``kinds`` (shown in the
    error for unsupported sources), implement ``source_name`` and ``read``, and register with
    ``@register_connector("name")``.
    """

    name: ClassVar[str] = ""
    kinds: ClassVar[str] = ""

    def __init__(self, request: ReadRequest) -> None:
        self.request = request

    @classmethod
    @abstractmethod
    def accepts(cls, request: ReadRequest) -> bool:
        """True when this connector reads ``request.source``."""

    @property
    @abstractmethod
    def source_name(self) -> str:
        """How messages and quarantine records name the source (no passwords)."""

    @abstractmethod
    def read(self) -> pd.DataFrame:
        """Raw columns as read, indexed by the 1-based source row number (named ``row_number``).

        Raises SourceError when nothing can be read, including going over ``request.limits``.
        """


CONNECTORS: dict[str, type[DataConnector]] = {}


def register_connector(name: str) -> Callable[[type[DataConnector]], type[DataConnector]]:
    """Class decorator: make ``cls`` available as ``CONNECTORS[name]`` and to ``read_source``."""

    def register(cls: type[DataConnector]) -> type[DataConnector]:
        if name in CONNECTORS and CONNECTORS[name] is not cls:
            raise ValueError(f"a connector named {name!r} is already registered ({CONNECTORS[name].__name__})")
        cls.name = name
        CONNECTORS[name] = cls
        return cls

    return register


def get_connector(name: str) -> type[DataConnector]:
    """The connector class registered as ``name``."""
    try:
        return CONNECTORS[name]
    except KeyError:
        raise ValueError(f"no connector named {name!r}; registered: {', '.join(CONNECTORS)}") from None


def connector_for(request: ReadRequest) -> DataConnector:
    """The first registered connector that accepts ``request``; SourceError listing the supported kinds."""
    for cls in CONNECTORS.values():
        if cls.accepts(request):
            return cls(request)
    if request.filename or isinstance(request.source, (str, Path)):
        label = repr(str(request.filename or request.source)[:80])
    else:
        label = "an in-memory upload without a filename (pass filename='name.csv')"
    kinds = "; ".join(cls.kinds for cls in CONNECTORS.values() if cls.kinds)
    raise SourceError(f"cannot read {label}: unsupported source type; supported: {kinds}")


def numbered(frame: pd.DataFrame, first: int = 1) -> pd.DataFrame:
    """``frame`` indexed by consecutive source row numbers starting at ``first``."""
    frame.index = pd.RangeIndex(first, first + len(frame), name=ROW_NUMBER)
    return frame
