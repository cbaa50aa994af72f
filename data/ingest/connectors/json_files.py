"""JSON files: an array of row objects (``.json``) or one object per line (``.jsonl``, JSON Lines).

Values come through as JSON typed them (numbers, text, true/false, null) and are coerced by the
shared pipeline like any other source; a nested object or list in a cell cannot be a column value
and is named with its row.
"""

from __future__ import annotations

import json

import pandas as pd

from data.ingest.connectors.base import numbered, register_connector
from data.ingest.connectors.files import FileConnector, _extension
from data.ingest.contract import SourceError

__all__ = ["JsonConnector"]

_TYPES = {dict: "an object", list: "an array", str: "text", int: "a number", float: "a number", bool: "true/false",
          type(None): "null"}
_EXAMPLE = '[{"name": "Singles Day", "kind": "commercial", "start_date": "2025-11-11"}, ...]'


@register_connector("json")
class JsonConnector(FileConnector):
    """A JSON array of objects, one object per row (keys are the columns), or JSON Lines."""

    extensions = (".json", ".jsonl", ".ndjson")
    kinds = ".json (an array of row objects) and .jsonl (JSON Lines)"

    def parse(self, data: bytes) -> pd.DataFrame:
        label = self.source_name
        text = self._text(data, "a JSON file")
        rows = self._lines(text) if _extension(self.request) in (".jsonl", ".ndjson") else self._array(text)
        if not rows:
            raise SourceError(f"{label} holds no rows; write one object per row, e.g. {_EXAMPLE}")
        self._row_limit(len(rows))
        for number, row in enumerate(rows, start=1):
            if not isinstance(row, dict):
                raise SourceError(f"{label}: row {number} is {_TYPES.get(type(row), 'a value')} "
                                  f"({json.dumps(row)[:40]}), not an object; write one object per row, e.g. {_EXAMPLE}")
            nested = next((key for key, value in row.items() if isinstance(value, (dict, list))), None)
            if nested is not None:
                raise SourceError(f"{label}: row {number} holds a nested value in {nested!r}; every value must be "
                                  "text, a number, true/false or null")
        frame = pd.DataFrame.from_records(rows)
        self._no_rows(frame)
        frame.columns = [str(column) for column in frame.columns]
        return numbered(frame.astype(object).where(frame.notna(), None))

    def _array(self, text: str) -> list:
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            raise SourceError(f"{self.source_name} is not valid JSON: {error.msg} at line {error.lineno}, column "
                              f"{error.colno}") from None
        except RecursionError:
            raise SourceError(self._too_deep(self.source_name)) from None
        if isinstance(value, dict) and len(value) == 1 and isinstance(next(iter(value.values())), list):
            value = next(iter(value.values()))  # {"events": [...]}: the one list it wraps
        if not isinstance(value, list):
            raise SourceError(f"{self.source_name} holds {_TYPES.get(type(value), 'a value')}, not an array of row "
                              "objects; "
                              f"write e.g. {_EXAMPLE}")
        return value

    def _lines(self, text: str) -> list:
        rows = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise SourceError(f"{self.source_name}: line {number} is not valid JSON: {error.msg} at column "
                                  f"{error.colno}") from None
            except RecursionError:
                raise SourceError(self._too_deep(f"{self.source_name}: line {number}")) from None
        return rows

    @staticmethod
    def _too_deep(where: str) -> str:
        return (f"{where} is nested deeper than the JSON reader can follow (thousands of levels); rows must be flat "
                f"objects of text, numbers, true/false or null, e.g. {_EXAMPLE}")
