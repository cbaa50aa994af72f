"""Read any source into an entity's canonical columns: ``read_source`` and the connector registry.

Examples::

    from data.ingest.connectors import read_source
    orders = read_source("orders", "exports/orders.csv", mapping="exports/orders.toml")
    customers = read_source("customers", "postgresql://crm@db/crm", table="accounts")
    upload = read_source("orders", io.BytesIO(content), filename="orders.xlsx")

Adding a source type: subclass ``DataConnector`` (``accepts``, ``source_name``, ``read``) and
decorate it with ``@register_connector("name")``; ``read_source`` then picks it up.
"""

from __future__ import annotations

from pathlib import Path

from data.ingest.connectors import files, json_files, sql  # noqa: F401  (registers the file, JSON and SQL connectors)
from data.ingest.connectors._pipeline import to_source_frame
from data.ingest.connectors.base import (
    CONNECTORS,
    DataConnector,
    ReadRequest,
    connector_for,
    get_connector,
    numbered,
    register_connector,
)
from data.ingest.contract import IngestLimits, SourceError, SourceFrame, entity_spec
from data.ingest.mapping import Mapping, load_mapping

__all__ = [
    "read_source",
    "resolve_mapping",
    "DataConnector",
    "ReadRequest",
    "CONNECTORS",
    "register_connector",
    "numbered",
    "connector_for",
    "get_connector",
    "SourceError",
    "SourceFrame",
    "IngestLimits",
]


def resolve_mapping(entity: str, mapping: Mapping | str | Path | None) -> Mapping:
    """``mapping`` (a Mapping, a TOML path, or None for canonical headers) checked against ``entity``."""
    if mapping is None:
        return Mapping.identity(entity)
    if isinstance(mapping, Mapping):
        return mapping.for_entity(entity)
    return load_mapping(mapping, entity=entity)


def read_source(
    entity: str,
    source: object,
    *,
    table: str | None = None,
    query: str | None = None,
    mapping: Mapping | str | Path | None = None,
    limits: IngestLimits = IngestLimits(),
    filename: str | None = None,
) -> SourceFrame:
    """Read ``source`` as ``entity`` ("customers", "products", "orders", "marketing", "tickets", "calendar").

    ``source`` is a file path, a SQLAlchemy URL (with exactly one of ``table`` / ``query``), raw
    bytes or a binary file object (then ``filename`` names it, e.g. "upload.csv"). Cells that
    fail coercion are missing in the frame and listed in ``errors``; SourceError when nothing
    can be read (its ``reason`` is one line saying what, where and how to fix it).
    """
    spec = entity_spec(entity)
    bound = resolve_mapping(entity, mapping)
    request = ReadRequest(source=source, mapping=bound, limits=limits, filename=filename, table=table, query=query)
    connector = connector_for(request)
    raw = connector.read()
    return to_source_frame(raw, spec=spec, mapping=bound, source_name=connector.source_name, limits=limits)
