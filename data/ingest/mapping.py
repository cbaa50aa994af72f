"""Column mappings: which source column feeds which canonical column, and how its text is read.

A mapping is a small TOML file (documented with an example in ``docs/ingest-mapping.md``):
``entity``, a ``[columns]`` table (canonical name = source column), optional ``[types.<column>]``
formats (date ``format``; ``decimal``, ``thousands``, ``currency`` for numbers), ``[defaults]`` for
columns the source lacks, and ``[csv]`` or ``[excel]`` reading options.

Nothing is guessed: without a ``format`` dates must be ISO, without decimal/thousands/currency
numbers must be plain (``1234.5``). Every problem raises :class:`MappingError` naming the file and key.
"""

from __future__ import annotations

import codecs
import datetime as dt
import tomllib
from collections.abc import Mapping as AnyMapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from data.ingest.contract import ENTITIES, EntitySpec, SourceError

__all__ = ["MappingError", "ColumnRule", "CsvOptions", "ExcelOptions", "Mapping", "load_mapping",
           "mapping_from_dict", "text_codec"]

_SECTIONS = ("entity", "columns", "types", "defaults", "csv", "excel")
_RULE_KEYS = ("format", "decimal", "thousands", "currency")
_DECIMALS = (".", ",")
_THOUSANDS = (",", ".", " ", "\u00a0", "\u202f", "'", "_")
_ENCODINGS = 'use e.g. "utf-8", "cp1252" (Windows), "latin-1" or "utf-16"'
_ALL_COLUMNS = frozenset(column for spec in ENTITIES.values() for column in spec.columns)


class MappingError(SourceError):
    """A mapping file or dictionary is unusable; the reason names the file and the key."""


@dataclass(frozen=True)
class ColumnRule:
    """How to read one column's text: a strftime ``format`` for dates (None = ISO), and the
    decimal mark, thousands separator and currency symbols for numbers."""

    format: str | None = None
    decimal: str = "."
    thousands: str | None = None
    currency: tuple[str, ...] = ()

    @property
    def plain_number(self) -> bool:
        return self.decimal == "." and self.thousands is None and not self.currency


@dataclass(frozen=True)
class CsvOptions:
    """Delimiter (None: ',' or a tab for .tsv files) and text encoding of delimited files."""

    delimiter: str | None = None
    encoding: str = "utf-8"


@dataclass(frozen=True)
class ExcelOptions:
    """Which worksheet to read: a name or a 0-based position."""

    sheet: str | int = 0


@dataclass(frozen=True)
class Mapping:
    """A validated mapping. ``columns`` maps canonical -> source column names; canonical columns
    not listed there are looked up under their own name (ignoring case and surrounding spaces)."""

    entity: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    types: dict[str, ColumnRule] = field(default_factory=dict)
    defaults: dict[str, object] = field(default_factory=dict)
    csv: CsvOptions = CsvOptions()
    excel: ExcelOptions = ExcelOptions()
    origin: str = "the default mapping"

    @classmethod
    def identity(cls, entity: str) -> Mapping:
        """No renaming, ISO dates, plain numbers, comma-separated UTF-8: canonical files as they are."""
        return cls(entity=entity)

    def rule(self, column: str) -> ColumnRule:
        """How ``column`` is read (the plain ISO rule unless [types.column] says otherwise)."""
        return self.types.get(column, ColumnRule())

    def for_entity(self, entity: str) -> Mapping:
        """This mapping checked against ``entity``'s columns and types (defaults converted)."""
        spec = ENTITIES.get(entity)
        if spec is None:
            raise MappingError(f"unknown entity {entity!r}; use one of {', '.join(ENTITIES)}")
        if self.entity is not None and self.entity != entity:
            raise MappingError(f"{self.origin} is a mapping for {self.entity!r}, not for {entity!r}; "
                               "pass the mapping written for this entity")
        for section, names in (("columns", self.columns), ("types", self.types), ("defaults", self.defaults)):
            _check_names(self.origin, section, names, spec)
        for column, rule in self.types.items():
            _check_rule_fits(self.origin, column, rule, spec.dtypes[column])
        defaults = {
            column: _default_value(self.origin, column, value, spec.dtypes[column])
            for column, value in self.defaults.items()
        }
        return replace(self, entity=entity, defaults=defaults)


def load_mapping(path: str | Path, entity: str | None = None) -> Mapping:
    """Read and validate a TOML mapping file (checked against ``entity`` or its own ``entity``)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"mapping file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise MappingError(f"cannot read mapping file {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise MappingError(f"mapping file {path} is not valid TOML: {error}") from None
    return mapping_from_dict(data, origin=str(path), entity=entity)


def mapping_from_dict(data: AnyMapping, *, origin: str = "the mapping", entity: str | None = None) -> Mapping:
    """A mapping from parsed TOML (or the Data page's form), validated like a file."""
    if not isinstance(data, AnyMapping):
        raise MappingError(f"{origin} must be a table of sections, not {type(data).__name__}")
    unknown = [key for key in data if key not in _SECTIONS]
    if unknown:
        raise MappingError(f"{origin}: unknown key(s) {', '.join(map(repr, unknown))}; "
                           f"a mapping has {', '.join(_SECTIONS)}")
    declared = data.get("entity")
    if declared is not None and declared not in ENTITIES:
        raise MappingError(f"{origin}: entity = {declared!r} is not an entity; use one of {', '.join(ENTITIES)}")
    mapping = Mapping(
        entity=declared,
        columns=_columns(origin, _section(origin, data, "columns")),
        types={name: _rule(origin, name, value) for name, value in _section(origin, data, "types").items()},
        defaults=dict(_section(origin, data, "defaults")),
        csv=_csv_options(origin, _section(origin, data, "csv")),
        excel=_excel_options(origin, _section(origin, data, "excel")),
        origin=origin,
    )
    if entity is not None or declared is not None:
        return mapping.for_entity(entity or declared)
    for section, names in (("columns", mapping.columns), ("types", mapping.types), ("defaults", mapping.defaults)):
        _check_names(origin, section, names, None)
    return mapping


def _section(origin: str, data: AnyMapping, name: str) -> AnyMapping:
    value = data.get(name, {})
    if not isinstance(value, AnyMapping):
        raise MappingError(f"{origin}: [{name}] must be a table (a [{name}] section), not {value!r}")
    return value


def _check_names(origin: str, section: str, names, spec: EntitySpec | None) -> None:
    valid = spec.columns if spec else sorted(_ALL_COLUMNS)
    for name in names:
        if name not in valid:
            where = f"{spec.name}'s canonical columns" if spec else "any entity's canonical columns"
            raise MappingError(f"{origin}: [{section}] {name!r} is not one of {where}: {', '.join(valid)}")


def _columns(origin: str, section: AnyMapping) -> dict[str, str]:
    for canonical, source in section.items():
        if not isinstance(source, str) or not source.strip():
            raise MappingError(f"{origin}: [columns] {canonical} = {source!r}; give the source column's "
                               'header as a non-empty string, e.g. order_id = "Order No"')
    return dict(section)


def _rule(origin: str, column: str, section) -> ColumnRule:
    where = f"{origin}: [types.{column}]"
    if not isinstance(section, AnyMapping):
        raise MappingError(f"{where} must be a table, e.g. [types.{column}] format = \"%d/%m/%Y\"")
    unknown = [key for key in section if key not in _RULE_KEYS]
    if unknown:
        raise MappingError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; use {', '.join(_RULE_KEYS)}")
    text = {key: value for key, value in section.items() if key != "currency"}
    for key, value in text.items():
        if not isinstance(value, str):
            raise MappingError(f"{where} {key} = {value!r} must be a string")
    decimal, thousands = section.get("decimal", "."), section.get("thousands")
    if decimal not in _DECIMALS:
        raise MappingError(f"{where} decimal = {decimal!r}; use \".\" or \",\"")
    if thousands is not None and (thousands not in _THOUSANDS or thousands == decimal):
        raise MappingError(f"{where} thousands = {thousands!r}; use one of {_THOUSANDS!r} other than the decimal mark")
    fmt = section.get("format")
    if fmt is not None:
        fmt = None if fmt.lower() == "iso" else fmt
        _check_format(where, fmt)
    return ColumnRule(format=fmt, decimal=decimal, thousands=thousands, currency=_currency(where, section))


def _currency(where: str, section: AnyMapping) -> tuple[str, ...]:
    value = section.get("currency", ())
    symbols = (value,) if isinstance(value, str) else value
    if not isinstance(symbols, (list, tuple)) or not all(isinstance(s, str) and s.strip() for s in symbols):
        raise MappingError(f'{where} currency = {value!r}; give a symbol ("€") or a list (["€", "EUR"])')
    return tuple(symbol.strip() for symbol in symbols)


def _check_format(where: str, fmt: str | None) -> None:
    """A strftime format must round-trip and name a year, a month and a day: nothing is assumed."""
    if fmt is None:
        return
    try:
        sample = dt.datetime(2001, 2, 3, 4, 5, 6).strftime(fmt)
        dt.datetime.strptime(sample, fmt)
    except ValueError as error:
        raise MappingError(f"{where} format = {fmt!r} is not a strftime format ({error}); "
                           'use e.g. "%d/%m/%Y" or "iso"') from None
    year = _has(fmt, "%Y", "%y", "%G")
    if not year or not (_has(fmt, "%j") or (_has(fmt, "%m", "%b", "%B") and _has(fmt, "%d"))):
        raise MappingError(f"{where} format = {fmt!r} must contain a year (%Y), a month (%m) and a day (%d)")


def _has(fmt: str, *codes: str) -> bool:
    return any(code in fmt for code in codes)


def _check_rule_fits(origin: str, column: str, rule: ColumnRule, dtype: str) -> None:
    where = f"{origin}: [types.{column}]"
    if dtype in ("date", "datetime") and not rule.plain_number:
        raise MappingError(f"{where}: {column} is a {dtype}; decimal, thousands and currency apply to numbers")
    if dtype in ("int", "float") and rule.format is not None:
        raise MappingError(f"{where}: {column} is a number; format applies to dates")
    if dtype == "str" and (rule.format is not None or not rule.plain_number):
        raise MappingError(f"{where}: {column} is text and is read as it is; remove [types.{column}]")


def _default_value(origin: str, column: str, value, dtype: str):
    """A [defaults] constant converted to the column's type; anything that does not fit is an error."""
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "str": isinstance(value, str),
        "date": isinstance(value, dt.date) and not isinstance(value, dt.datetime),
        "datetime": isinstance(value, dt.datetime),
    }[dtype]
    if dtype in ("date", "datetime") and isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value) if dtype == "date" else dt.datetime.fromisoformat(value)
            ok = True
        except ValueError:
            ok = False
    if not ok:
        example = {"int": "1", "float": "0.0", "str": '"Web"', "date": "2024-01-31",
                   "datetime": "2024-01-31T12:00:00"}[dtype]
        raise MappingError(f"{origin}: [defaults] {column} = {value!r} is not a {dtype}; write e.g. "
                           f"{column} = {example}")
    return float(value) if dtype == "float" else value


def _csv_options(origin: str, section: AnyMapping) -> CsvOptions:
    unknown = [key for key in section if key not in ("delimiter", "encoding")]
    if unknown:
        raise MappingError(f"{origin}: [csv] unknown key(s) {', '.join(map(repr, unknown))}; use delimiter, encoding")
    delimiter = section.get("delimiter")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\"\r\n"):
        raise MappingError(f'{origin}: [csv] delimiter = {delimiter!r}; give one character, e.g. ";" or "\\t"')
    encoding = section.get("encoding", "utf-8")
    text_codec(encoding, f"{origin}: [csv] encoding = {encoding!r}")
    return CsvOptions(delimiter=delimiter, encoding=encoding)


def text_codec(encoding: object, where: str) -> str:
    """The codec name of ``encoding`` if it decodes bytes to text; MappingError (``where`` ...) otherwise.

    ``codecs.lookup`` also knows bytes-to-bytes and text-to-text codecs (base64, zlib, rot13), which
    ``bytes.decode`` refuses with a LookupError: they are named here instead.
    """
    try:
        info = codecs.lookup(encoding)
    except (LookupError, TypeError):
        raise MappingError(f"{where} is not a known encoding; {_ENCODINGS}") from None
    if not getattr(info, "_is_text_encoding", True) or info.name == "undefined":
        raise MappingError(f"{where} is a codec but not a text encoding (it turns text into text or bytes into "
                           f"bytes); {_ENCODINGS}")
    return info.name


def _excel_options(origin: str, section: AnyMapping) -> ExcelOptions:
    unknown = [key for key in section if key != "sheet"]
    if unknown:
        raise MappingError(f"{origin}: [excel] unknown key(s) {', '.join(map(repr, unknown))}; use sheet")
    sheet = section.get("sheet", 0)
    if isinstance(sheet, bool) or not isinstance(sheet, (str, int)) or (isinstance(sheet, int) and sheet < 0):
        raise MappingError(f'{origin}: [excel] sheet = {sheet!r}; give a sheet name ("Orders") or a 0-based number')
    return ExcelOptions(sheet=sheet)
