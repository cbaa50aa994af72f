"""Ingestion: read a source, validate it, quarantine what fails, resolve conflicts, commit all or nothing.

The public face of the ingest domain, used by the Data page, the command line and the stream:

- the contract: ``ENTITIES`` (what each entity's source must hold), ``IngestLimits``, ``SourceError``;
- mappings from a source's columns to an entity's (``Mapping``, ``load_mapping``, ``mapping_from_dict``);
- running an ingest (``ingest``, ``ingest_frame``, ``resubmit``) and its ``IngestResult``;
- the quarantine (``list_quarantine``, ``quarantine_csv``, ``discard``), quality checks and scores,
  the store's tables and logged conflicts (``table_summary``, ``recent_conflicts``);
- uploads from the browser (``decode_upload``, ``save_upload`` within an ``UploadQuota``, ``preview_upload``,
  ``sweep_uploads``, ...).

Connectors (files, SQL, and custom ones) have their own face, ``data.ingest.connectors``.
The pipeline is described in ``docs/ingestion.md``.
"""
from __future__ import annotations

from sqlalchemy.exc import OperationalError, ProgrammingError

from data.ingest.contract import (ENTITIES, EntitySpec, IngestLimits, SourceError, SourceFrame, size_over_text,
                                   size_text)
from data.ingest.mapping import Mapping, MappingError, load_mapping, mapping_from_dict
from data.ingest.merge import SourcePriority
from data.ingest.quality import failed_checks, quality_report, quality_score
from data.ingest.quarantine import discard, list_quarantine, quarantine_csv
from data.ingest.corrections import resubmit
from data.ingest.run import IngestResult, ingest, ingest_frame, record_bulk_load, record_rejection
from data.ingest.sources import recent_conflicts, table_summary
from data.ingest.uploads import (Upload, UploadQuota, decode_upload, discard_upload, preview_upload, read_upload,
                                 save_upload, suggest_mapping, sweep_uploads, upload_path)
from data.ingest.validation import ValidationRules

# What reading the store raises when it cannot answer: tables missing before `python -m data upgrade`, or a
# server that is down. Callers show it as a message instead of a traceback.
STORE_ERRORS = (OperationalError, ProgrammingError)

__all__ = [
    "STORE_ERRORS",
    "ENTITIES", "EntitySpec", "IngestLimits", "IngestResult", "Mapping", "MappingError", "SourceError", "SourceFrame",
    "SourcePriority", "Upload", "ValidationRules", "decode_upload", "discard", "failed_checks", "ingest",
    "ingest_frame", "list_quarantine", "load_mapping", "mapping_from_dict", "preview_upload", "quality_report",
    "quality_score", "quarantine_csv", "read_upload", "recent_conflicts", "record_bulk_load", "record_rejection", "resubmit",
    "save_upload", "size_over_text", "size_text", "suggest_mapping", "table_summary", "upload_path",
    "UploadQuota", "discard_upload", "sweep_uploads",
]
