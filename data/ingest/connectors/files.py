"""File connectors: CSV/TSV/TXT, Parquet and Excel, from a path, raw bytes or an uploaded file object.

Every file is checked before it is parsed: the size limit (before reading anything), emptiness,
and what the bytes really are (a ZIP, PDF or image renamed .csv is named as such).
"""

from __future__ import annotations

import io
from abc import abstractmethod
import zipfile
from pathlib import Path
from typing import ClassVar

import pandas as pd

from data.ingest.connectors._delimited import choose, decode_text, parse_delimited
from data.ingest.connectors.base import DataConnector, ReadRequest, numbered, register_connector
from data.ingest.contract import SourceError, size_over_text

__all__ = ["FileConnector", "CsvConnector", "ParquetConnector", "ExcelConnector"]

_MAGIC = (
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook?)"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"PAR1", "a Parquet file"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 (.xls) or other old Office file"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"SQLite format 3\x00", "a SQLite database"),
    (b"\x7fELF", "a program"),
)


def looks_like(head: bytes) -> str | None:
    """What a file's first bytes say it is, for the formats people rename by mistake."""
    return next((what for magic, what in _MAGIC if head.startswith(magic)), None)


def _is_url(source: object) -> bool:
    return isinstance(source, str) and "://" in source


class FileConnector(DataConnector):
    """Common ground for file formats: naming, size limit, reading the bytes, the empty checks."""

    extensions: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def accepts(cls, request: ReadRequest) -> bool:
        return not _is_url(request.source) and _extension(request) in cls.extensions

    @property
    def source_name(self) -> str:
        return _label(self.request)

    def read(self) -> pd.DataFrame:
        if self.request.table is not None or self.request.query is not None:
            raise SourceError(f"--table and --query apply to database sources, not to the file {self.source_name}")
        try:
            data = self._bytes()
        except OSError as error:
            raise SourceError(f"cannot read {self.source_name}: {error.strerror or error}") from None
        if not data:
            raise SourceError(f"{self.source_name} is empty (0 bytes)")
        return self.parse(data)

    @abstractmethod
    def parse(self, data: bytes) -> pd.DataFrame:
        """The raw frame of a non-empty file (indexed by data row number)."""

    def _binary(self, data: bytes, magic: bytes, noun: str, fix: str) -> None:
        """A binary format must start with its ``magic`` bytes; say what the file is otherwise."""
        if not data.startswith(magic):
            raise SourceError(f"{self.source_name} is not {noun}: it is "
                              f"{looks_like(data[:16]) or 'something else (text?)'}; {fix}")

    def _text(self, data: bytes, noun: str) -> str:
        """A text file decoded in the mapping's encoding, after checking that it is text at all."""
        label, encoding = self.source_name, self.request.mapping.csv.encoding
        what = looks_like(data[:16])
        if what:
            raise SourceError(f"{label} is not {noun}: it is {what}; export the data as CSV, or give the file its "
                              "real extension")
        wide = encoding.lower().replace("_", "-").startswith(("utf-16", "utf-32"))
        if not wide and data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise SourceError(f"{label} is UTF-16 text; {choose('utf-16')}")
        nul = data.find(b"\0", 0, 65536)
        if not wide and nul >= 0:
            head = data[:65536]
            if head[1::2].count(0) > 0.9 * len(head[1::2]) and not head[0::2].count(0):  # ASCII as UTF-16 LE
                raise SourceError(f"{label} is UTF-16 text without a byte-order mark; {choose('utf-16')}")
            raise SourceError(f"{label} is not {noun}: it holds NUL bytes (the first at offset {nul}); "
                              "export the data as CSV")
        return decode_text(data, encoding, label)

    def _bytes(self) -> bytes:
        source, limit = self.request.source, self.request.limits.max_bytes
        if isinstance(source, (bytes, bytearray, memoryview)):
            self._check_size(len(source))
            return bytes(source)
        if isinstance(source, (str, Path)):
            path = Path(source)
            if not path.is_file():
                raise SourceError(f"{path} {'is a folder' if path.is_dir() else 'does not exist'}; give a file")
            self._check_size(path.stat().st_size)
            return path.read_bytes()
        if hasattr(source, "getbuffer"):
            self._check_size(source.getbuffer().nbytes)
        data = source.read(limit + 1)
        self._check_size(len(data))
        return data

    def _check_size(self, size: int) -> None:
        limit = self.request.limits.max_bytes
        if size > limit:
            raise SourceError(f"{self.source_name} is {size_over_text(size, limit)}; "
                              "split it or raise FORESIGHT_MAX_FILE_MB")

    def _no_rows(self, frame: pd.DataFrame, where: str = "") -> None:
        if frame.columns.empty:
            raise SourceError(f"{self.source_name}{where} is empty: no header row")
        if frame.empty:
            raise SourceError(f"{self.source_name}{where} has a header but no data rows")

    def _row_limit(self, rows: int) -> None:
        limit = self.request.limits.max_rows
        if rows > limit:
            raise SourceError(f"{self.source_name} has more than {limit:,} data rows, the limit; split it "
                              "or raise FORESIGHT_MAX_ROWS")


def _label(request: ReadRequest) -> str:
    if request.filename:
        return Path(request.filename).name
    if isinstance(request.source, (str, Path)):
        return Path(request.source).name
    name = getattr(request.source, "name", None)
    return Path(name).name if isinstance(name, str) else "the uploaded file"


def _extension(request: ReadRequest) -> str:
    if request.filename or isinstance(request.source, (str, Path)):
        return Path(request.filename or request.source).suffix.lower()
    name = getattr(request.source, "name", None)
    return Path(name).suffix.lower() if isinstance(name, str) else ""


@register_connector("csv")
class CsvConnector(FileConnector):
    """Delimited text: ',' for .csv and .txt, a tab for .tsv, or the mapping's [csv] delimiter."""

    extensions = (".csv", ".tsv", ".txt")
    kinds = ".csv, .tsv and .txt (delimited text)"

    def parse(self, data: bytes) -> pd.DataFrame:
        text = self._text(data, "a text file")
        default = "\t" if _extension(self.request) == ".tsv" else ","
        delimiter = self.request.mapping.csv.delimiter or default
        return parse_delimited(text, delimiter=delimiter, label=self.source_name,
                               max_rows=self.request.limits.max_rows)


@register_connector("parquet")
class ParquetConnector(FileConnector):
    """Apache Parquet files (typed columns come through as they are)."""

    extensions = (".parquet", ".pq")
    kinds = ".parquet"

    def parse(self, data: bytes) -> pd.DataFrame:
        import pyarrow
        import pyarrow.parquet as pq

        self._binary(data, b"PAR1", "a Parquet file", "give it its real extension")
        try:
            parquet = pq.ParquetFile(io.BytesIO(data))
            self._row_limit(parquet.metadata.num_rows)
            frame = parquet.read().to_pandas()
        except pyarrow.ArrowException as error:
            raise SourceError(f"{self.source_name} is cut off or corrupt: {error}") from None
        self._no_rows(frame)
        return numbered(frame)


@register_connector("excel")
class ExcelConnector(FileConnector):
    """Excel .xlsx workbooks, one worksheet (the first, or the mapping's [excel] sheet)."""

    extensions = (".xlsx", ".xlsm", ".xls")
    kinds = ".xlsx (Excel)"

    def parse(self, data: bytes) -> pd.DataFrame:
        label = self.source_name
        if _extension(self.request) == ".xls":
            raise SourceError(f"{label} is an Excel 97-2003 workbook, which is not supported; "
                              "save it as .xlsx or CSV")
        self._binary(data, b"PK\x03\x04", "an Excel .xlsx workbook", "save it as .xlsx")
        try:
            workbook = pd.ExcelFile(io.BytesIO(data), engine="openpyxl")
            sheet = self._sheet(workbook.sheet_names)
            limit = self.request.limits.max_rows
            frame = workbook.parse(sheet, keep_default_na=False, na_values=[], nrows=limit + 1)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
            raise SourceError(f"{label} is cut off or not a valid .xlsx workbook: {error}") from None
        frame = numbered(frame.loc[:, [not _blank(frame[column], column) for column in frame.columns]])
        frame = frame[~_blank_cells(frame).all(axis=1)]  # empty rows keep their place in the numbering
        self._no_rows(frame, where=f" (sheet {sheet!r})")
        self._row_limit(len(frame))
        frame.columns = [str(column) for column in frame.columns]
        return frame

    def _sheet(self, names: list[str]) -> str:
        wanted = self.request.mapping.excel.sheet
        if isinstance(wanted, int):
            if wanted < len(names):
                return names[wanted]
        elif wanted in names:
            return wanted
        raise SourceError(f"{self.source_name} has no sheet {wanted!r}; its sheets are "
                          f"{', '.join(map(repr, names))}; set [excel] sheet in the mapping")


def _blank_cells(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.isna() | frame.apply(lambda values: values.astype(str).str.strip().eq(""))


def _blank(values: pd.Series, column) -> bool:
    """A column Excel reports only because a cell was formatted: no header, no values."""
    return str(column).startswith("Unnamed: ") and bool(_blank_cells(values.to_frame()).all(axis=None))
