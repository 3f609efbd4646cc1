"""Where a row of an extracted table came from: its primary key, source file and source line.

Scope: build, once per set of tables, a lookup from a row (table + positional index) to the
``key`` (primary-key columns → values), ``source_file`` and ``source_line`` a finding should carry,
and the exact line of a line inside a multi-line text cell. The rules are generic, read from the
column names of the data contract:

- the file is the row's ``source_file`` column, else the file of its ``organization_id`` in the
  table that has both (``organizations``);
- the line is the row's ``source_line``, else ``source_line_start``;
- line ``i`` (0-based) of a text column ``X`` is ``X_source_line + i`` when the table has such a
  column (``summary_source_line``, ``text_source_line``).

It must not check anything or create findings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from pipeline.schemas import load_schemas

ORG_KEY = "organization_id"
FILE_COLUMN = "source_file"
LINE_COLUMNS = ("source_line", "source_line_start")


_PLAIN_TYPES = (str, int, bool)  # values of these exact types are never missing and already plain


def is_missing(value: object) -> bool:
    if type(value) in _PLAIN_TYPES:
        return False
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def plain(value: object) -> object:
    """A JSON-friendly scalar (numpy/pandas scalars → int/float/bool/str, NA → None)."""
    if type(value) in _PLAIN_TYPES:
        return value
    if is_missing(value):
        return None
    if hasattr(value, "item"):
        try:
            return value.item()  # numpy scalar
        except (ValueError, AttributeError):
            pass
    if isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


@dataclass(frozen=True)
class Place:
    key: dict[str, object] | None
    source_file: str | None
    source_line: int | None


class Locator:
    """Answers "which key, file and line?" for rows of ``tables`` (positional row numbers).

    Column values are read once per table and column (as plain Python values, on first use), so
    each :meth:`place` is a few list look-ups rather than pandas indexing."""

    def __init__(self, tables: Mapping[str, pd.DataFrame]):
        self.tables = tables
        self.schemas = load_schemas()
        self._org_files: dict[str, str] = {}
        self._values: dict[tuple[str, str], list[object] | None] = {}
        self._lengths: dict[str, int] = {}
        self._key_columns: dict[str, list[str]] = {}
        for df in tables.values():
            if ORG_KEY in df.columns and FILE_COLUMN in df.columns:
                for org, path in zip(df[ORG_KEY].tolist(), df[FILE_COLUMN].tolist(), strict=True):
                    if not is_missing(org) and not is_missing(path):
                        self._org_files.setdefault(str(org), str(path))

    def org_file(self, organization_id: object) -> str | None:
        return None if is_missing(organization_id) else self._org_files.get(str(organization_id))

    def values(self, table: str, column: str) -> list[object] | None:
        """The values of ``table.column`` as plain Python values (:func:`plain`: missing → None),
        read once and shared by every rule (None when there is no such table or column)."""
        return self._column(table, column) if table in self.tables else None

    def _column(self, table: str, column: str) -> list[object] | None:
        """The plain values of ``table.column`` (None when there is no such column)."""
        if (table, column) in self._values:
            return self._values[(table, column)]
        df = self.tables[table]
        values = [plain(v) for v in df[column].tolist()] if column in df.columns else None
        self._values[(table, column)] = values
        return values

    def _length(self, table: str) -> int | None:
        n = self._lengths.get(table)
        if n is None:
            df = self.tables.get(table)
            if df is None:
                return None
            n = self._lengths[table] = len(df)
        return n

    def key(self, table: str, row: int) -> dict[str, object] | None:
        cols = self._key_columns.get(table)
        if cols is None:
            df = self.tables[table]
            pk = self.schemas[table].primary_key if table in self.schemas else []
            cols = self._key_columns[table] = [c for c in pk if c in df.columns]
        if not cols or not 0 <= row < len(self.tables[table]):
            return None
        return {c: self._column(table, c)[row] for c in cols}  # type: ignore[index]

    def place(self, table: str, row: int | None, column: str | None = None, line_offset: int | None = None) -> Place:
        """Key, file and line of ``row``; with ``column`` + ``line_offset``, of that line of the cell."""
        n = self._length(table)
        if n is None or row is None or not 0 <= row < n:
            return Place(None, None, None)

        def get(c: str) -> object:
            values = self._column(table, c)
            return None if values is None else values[row]

        source_file = get(FILE_COLUMN)
        if source_file is None:
            source_file = self.org_file(get(ORG_KEY))
        line = None
        if column is not None and line_offset is not None:
            first = get(f"{column}_source_line")
            if isinstance(first, int):
                line = first + line_offset
        if line is None:
            for c in LINE_COLUMNS:
                value = get(c)
                if isinstance(value, int):
                    line = value
                    break
        return Place(self.key(table, row), source_file, line)
