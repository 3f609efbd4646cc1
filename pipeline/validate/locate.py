"""Where a row of an extracted table came from: its primary key, source file and source line.

Scope: build, once per set of tables, a lookup from a row (table + positional index) to the
``key`` (primary-key columns → values), ``source_file`` and ``source_line`` a finding should carry,
and the exact line of a line inside a multi-line text cell; and turn the rules' :class:`Hit` records
(a rule's verdict on a row, before its place is known) into :class:`pipeline.findings.Finding`
records, looking the places up for a whole batch at once. The rules are generic, read from the
column names of the data contract:

- the file is the row's ``source_file`` column, else the file of its ``organization_id`` in the
  table that has both (``organizations``);
- the line is the row's ``source_line``, else ``source_line_start``;
- line ``i`` (0-based) of a text column ``X`` is ``X_source_line + i`` when the table has such a
  column (``summary_source_line``, ``text_source_line``).

It must not check anything: the rules decide what a hit is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import pandas as pd

from pipeline.findings import Finding, make_findings
from pipeline.schemas import load_schemas

ORG_KEY = "organization_id"
FILE_COLUMN = "source_file"
LINE_COLUMNS = ("source_line", "source_line_start")


_PLAIN_TYPES = (str, int, bool)  # values of these exact types are never missing and already plain
# pandas dtypes whose values Arrow turns into exactly the Python values :func:`plain` gives
_ARROW_EXACT = (pd.StringDtype, pd.BooleanDtype, pd.Int8Dtype, pd.Int16Dtype, pd.Int32Dtype, pd.Int64Dtype,
                pd.UInt8Dtype, pd.UInt16Dtype, pd.UInt32Dtype, pd.UInt64Dtype, pd.Float32Dtype, pd.Float64Dtype)


def is_missing(value: object) -> bool:
    if type(value) in _PLAIN_TYPES:
        return False
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]  # any scalar; non-scalars raise below
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


def plain_values(series: pd.Series, rows: Sequence[int] | None = None) -> list[object]:
    """:func:`plain` of every value of ``series`` (or of its positional ``rows``), read through Arrow
    for the nullable dtypes whose Arrow values are exactly those (no Python call per value)."""
    if isinstance(series.dtype, _ARROW_EXACT):
        import pyarrow as pa

        arr = pa.array(series, from_pandas=True)
        if rows is not None:
            arr = arr.take(pa.array(rows, type=pa.int64()))
        return arr.to_pylist()
    values = series.tolist() if rows is None else series.take(list(rows)).tolist()
    return [plain(v) for v in values]


@dataclass(frozen=True)
class Place:
    key: dict[str, object] | None
    source_file: str | None
    source_line: int | None


class Hit(NamedTuple):  # a tuple: tens of thousands are made per run
    """What a rule found in row ``row`` of ``table``, before its place is looked up.

    ``column`` is the finding's column; ``text_line`` the 0-based line of that column's text the
    hit is on (its source line is then ``<column>_source_line + text_line``), None for the row's
    own line."""

    rule: str
    message: str
    table: str
    row: int
    column: str | None = None
    text_line: int | None = None
    value: str | None = None
    excerpt: str | None = None


def _keys(columns: list[str], values: list[list[object]], n: int) -> list[dict[str, object] | None]:
    """The key (``columns`` → value) of each of ``n`` rows, given each column's values at those rows."""
    if not columns:
        return [None] * n
    if len(columns) == 1:
        (c,) = columns
        return [{c: v} for v in values[0]]
    if len(columns) == 2:
        c, d = columns
        return [{c: v, d: w} for v, w in zip(*values, strict=True)]
    return [dict(zip(columns, vs, strict=True)) for vs in zip(*values, strict=True)]


class Locator:
    """Answers "which key, file and line?" for rows of ``tables`` (positional row numbers).

    :meth:`findings` looks the places of a batch of hits up with one Arrow ``take`` per column;
    :meth:`place` answers one row (column values are then read once per table and column)."""

    def __init__(self, tables: Mapping[str, pd.DataFrame]):
        self.tables = tables
        self.schemas = load_schemas()
        self._org_files: dict[str, str] = {}
        self._values: dict[tuple[str, str], list[object] | None] = {}
        self._key_columns: dict[str, list[str]] = {}
        for df in tables.values():
            if ORG_KEY in df.columns and FILE_COLUMN in df.columns:
                for org, path in zip(df[ORG_KEY].tolist(), df[FILE_COLUMN].tolist(), strict=True):
                    if not is_missing(org) and not is_missing(path):
                        self._org_files.setdefault(str(org), str(path))

    def org_file(self, organization_id: object) -> str | None:
        return None if is_missing(organization_id) else self._org_files.get(str(organization_id))

    def _column(self, table: str, column: str) -> list[object] | None:
        """The plain values of ``table.column`` (None when there is no such column)."""
        if (table, column) in self._values:
            return self._values[(table, column)]
        df = self.tables[table]
        values = plain_values(df[column]) if column in df.columns else None
        self._values[(table, column)] = values
        return values

    def _at(self, table: str, column: str, rows: Sequence[int]) -> list[object] | None:
        """The plain values of ``table.column`` at ``rows`` (None when there is no such column)."""
        df = self.tables[table]
        if column not in df.columns:
            return None
        whole = self._values.get((table, column))
        return [whole[r] for r in rows] if whole is not None else plain_values(df[column], rows)

    def key_columns(self, table: str) -> list[str]:
        cols = self._key_columns.get(table)
        if cols is None:
            pk = self.schemas[table].primary_key if table in self.schemas else []
            cols = self._key_columns[table] = [c for c in pk if c in self.tables[table].columns]
        return cols

    def key(self, table: str, row: int) -> dict[str, object] | None:
        cols = self.key_columns(table)
        if not cols or not 0 <= row < len(self.tables[table]):
            return None
        return {c: self._column(table, c)[row] for c in cols}  # type: ignore[index]

    def place(self, table: str, row: int | None, column: str | None = None, line_offset: int | None = None) -> Place:
        """Key, file and line of ``row``; with ``column`` + ``line_offset``, of that line of the cell."""
        df = self.tables.get(table)
        if df is None or row is None or not 0 <= row < len(df):
            return Place(None, None, None)
        column = column if line_offset is not None else None
        for c in (FILE_COLUMN, ORG_KEY, *LINE_COLUMNS, f"{column}_source_line", *self.key_columns(table)):
            if c in df.columns:
                self._column(table, c)  # read whole columns once: many single look-ups follow
        return self.places(table, [row], [column], [line_offset])[0]

    def places(self, table: str, rows: Sequence[int], columns: Sequence[str | None], offsets: Sequence[int | None]) -> list[Place]:
        """:meth:`place` of each ``(rows[i], columns[i], offsets[i])`` of ``table`` (rows in range)."""
        keys, files, lines = self._located(table, rows, columns, offsets)
        return [Place(k, f, line) for k, f, line in zip(keys, files, lines, strict=True)]

    def _files(self, table: str, rows: Sequence[int]) -> list[str | None]:
        """The source file of each of ``rows``: its own, else its organisation's."""
        files = self._at(table, FILE_COLUMN, rows) or [None] * len(rows)
        if all(f is not None for f in files):
            return files  # type: ignore[return-value]
        orgs = self._at(table, ORG_KEY, rows)
        if orgs is None:
            return files  # type: ignore[return-value]
        known, org_file = self._org_files.get, self.org_file  # a str is never missing and is its own str()
        return [(known(o) if type(o) is str else org_file(o)) if f is None else f  # type: ignore[misc]
                for f, o in zip(files, orgs, strict=True)]

    def _located(self, table: str, rows: Sequence[int], columns: Sequence[str | None],
                 offsets: Sequence[int | None]) -> tuple[list[dict[str, object] | None], list[str | None], list[int | None]]:
        """Keys, source files and source lines of :meth:`places`, column by column."""
        if not rows:
            return [], [], []
        files = self._files(table, rows)
        lines: list[object] = [None] * len(rows)
        for c in dict.fromkeys(c for c, o in zip(columns, offsets, strict=True) if c is not None and o is not None):
            firsts = self._at(table, f"{c}_source_line", rows)
            if firsts is not None:
                lines = [first + off if col == c and off is not None and isinstance(first, int) else line
                         for line, first, col, off in zip(lines, firsts, columns, offsets, strict=True)]
        for c in LINE_COLUMNS:
            if all(v is not None for v in lines):
                break
            values = self._at(table, c, rows)
            if values is not None:
                lines = [v if line is None and isinstance(v, int) else line for line, v in zip(lines, values, strict=True)]
        cols = self.key_columns(table)
        return _keys(cols, [self._at(table, c, rows) or [] for c in cols], len(rows)), files, lines  # type: ignore[return-value]

    def findings(self, hits: Sequence[Hit]) -> list[Finding]:
        """The findings of ``hits``, in their order, each with its key, source file and line (the
        hits' fields read as columns, and each table's rows looked up at once)."""
        if not hits:
            return []
        rules, messages, tables, rows, columns, text_lines, values, excerpts = zip(*hits, strict=True)
        n = len(hits)
        keys: list[dict[str, object] | None] = [None] * n
        files: list[str | None] = [None] * n
        lines: list[int | None] = [None] * n
        groups = dict.fromkeys(tables)
        for table in groups:
            df = self.tables.get(table)
            size = -1 if df is None else len(df)
            if len(groups) == 1 and 0 <= min(rows) and max(rows) < size:  # one table, every row in it
                keys, files, lines = self._located(table, rows, columns, text_lines)
                break
            inside = [i for i, (t, r) in enumerate(zip(tables, rows, strict=True)) if t == table and 0 <= r < size]
            found = self._located(table, [rows[i] for i in inside], [columns[i] for i in inside], [text_lines[i] for i in inside])
            for i, k, f, line in zip(inside, *found, strict=True):
                keys[i], files[i], lines[i] = k, f, line
        return make_findings(zip(rules, messages, tables, keys, columns, values, files, lines, excerpts, strict=True))
