"""Column-wide screens: which rows of a text column may hold a finding, found by polars in one pass.

Scope: hold every text column the rules read as a polars string series (zero-copy from the Arrow
strings of the pandas frames), evaluate the rules' screens over whole columns at once (polars runs
them in Rust on every core and releases the GIL, so Python work can go on meanwhile), and answer
sorted row numbers and the values of just those rows; also the distinct space-separated pieces of
the prose (the vocabulary the word model judges once per word instead of once per occurrence).

A screen may answer more rows than a rule reports (the rule still checks each row with its exact
Python detectors), never fewer: its pattern (Rust ``regex`` syntax, also valid RE2) must match
wherever the rule could find something, so it uses literal characters and classes only (``\\s``,
``\\b``, ``\\d`` and case folding differ from ``re``). Screens of one column that come with a ``may``
predicate share one pass; ``may`` (Python, also a superset) then sorts the rows found between them.
A column polars cannot hold (values that are not UTF-8 strings) is not screened: every row with a
value is a candidate and its values are ``str`` of the plain Python values.

It must not decide findings nor know any rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import polars as pl

from pipeline.validate.locate import is_missing, plain

_SHARED = "*"  # the kind of the one pass shared by the screens of a column that have a ``may``


def re2_class(python_class: str) -> str:
    """A Python character class of literal characters and ranges ("[a-z…]") in RE2/Rust syntax."""
    body = python_class[1:-1]
    return "[" + "".join("-" if ch == "-" and 0 < i < len(body) - 1 else f"\\x{{{ord(ch):x}}}" for i, ch in enumerate(body)) + "]"


@cache
def re2_space() -> str:
    """``re``'s ``\\s`` (every character ``str.isspace`` accepts) as an RE2/Rust class. Unicode has no
    whitespace outside the Basic Multilingual Plane, so only that is scanned (a few ms, once)."""
    return "[" + "".join(f"\\x{{{c:x}}}" for c in range(0x10000) if chr(c).isspace()) + "]"


def column_strings(series: pd.Series) -> pl.Series | None:
    """``series`` as a polars string series (missing → null), or None when its values are not all
    strings Arrow can hold (then the rules read them in Python)."""
    import pyarrow as pa

    try:
        arr = pa.array(series, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError, UnicodeError):
        return None
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type) or pa.types.is_string_view(arr.type)):
        return None
    out = pl.from_arrow(arr)
    return out if isinstance(out, pl.Series) else None


def python_strings(series: pd.Series) -> list[str | None]:
    """The values of ``series`` as the rules read them in Python: ``str`` of the plain value, None when missing."""
    return [None if is_missing(v) else str(plain(v)) for v in series.tolist()]


@dataclass(frozen=True)
class Screen:
    """Rows of ``table.column`` where ``pattern`` matches (see the module docstring)."""

    kind: str
    table: str
    column: str
    pattern: str
    may: Callable[[str], bool] | None = None


class Screens:
    """The screens of a set of tables, evaluated together.

    :meth:`prepare` (cheap, in the calling thread) reads the columns; :meth:`run` does the column-wide
    work and may run in another thread; then :meth:`rows`, :meth:`candidates` and :attr:`pieces` answer."""

    def __init__(self, tables: Mapping[str, pd.DataFrame], screens: Iterable[Screen] = (),
                 vocabulary: Iterable[tuple[str, str]] = ()):
        self.tables = tables
        self.screens = list(screens)
        self.vocabulary = [(t, c) for t, c in vocabulary if t in tables and c in tables[t].columns]
        self.pieces: set[str] = set()  # distinct " "-separated pieces of the vocabulary columns
        self._strings: dict[tuple[str, str], pl.Series | None] = {}
        self._python: dict[tuple[str, str], list[str | None]] = {}
        self._masks: dict[tuple[str, str, str], np.ndarray] = {}
        self._rows: dict[tuple[str, str, str], list[int] | None] = {}
        self._plan: list[tuple[str, pl.LazyFrame]] = []
        self._results: list[pl.DataFrame] = []

    # -- columns ------------------------------------------------------------------------------

    def strings(self, table: str, column: str) -> pl.Series | None:
        key = (table, column)
        if key not in self._strings:
            df = self.tables.get(table)
            self._strings[key] = None if df is None or column not in df.columns else column_strings(df[column])
        return self._strings[key]

    def _python_values(self, table: str, column: str) -> list[str | None]:
        key = (table, column)
        if key not in self._python:
            self._python[key] = python_strings(self.tables[table][column])
        return self._python[key]

    def values(self, table: str, column: str, rows: Sequence[int]) -> list[str | None]:
        """The values of ``table.column`` at ``rows`` (None when missing)."""
        s = self.strings(table, column)
        if s is None:
            values = self._python_values(table, column)
            return [values[r] for r in rows]
        return s.gather(np.asarray(rows, dtype=np.int64)).to_list() if len(rows) else []

    # -- the column-wide pass -------------------------------------------------------------------

    def prepare(self) -> Screens:
        """Read the columns and plan the pass (call in the thread that owns the frames)."""
        per_table: dict[str, dict[str, pl.Expr]] = {}
        shared: dict[tuple[str, str], list[str]] = {}
        for s in self.screens:
            if s.table not in self.tables or s.column not in self.tables[s.table].columns:
                continue
            if self.strings(s.table, s.column) is None:
                continue  # not screened: every row is a candidate
            if s.may is None:
                per_table.setdefault(s.table, {})[f"{s.kind}|{s.column}"] = _contains(s.column, s.pattern)
            else:
                shared.setdefault((s.table, s.column), []).append(f"(?:{s.pattern})")
        for (table, column), patterns in shared.items():
            per_table.setdefault(table, {})[f"{_SHARED}|{column}"] = _contains(column, "|".join(dict.fromkeys(patterns)))
        for table, exprs in per_table.items():
            columns = list(dict.fromkeys(key.split("|", 1)[1] for key in exprs))
            frame = pl.DataFrame([self.strings(table, c).alias(c) for c in columns])  # type: ignore[union-attr]
            self._plan.append((table, frame.lazy().select(**exprs)))
        texts = [s for t, c in self.vocabulary if (s := self.strings(t, c)) is not None]
        if texts:
            joined = pl.concat([s.alias("t") for s in texts], rechunk=False)
            self._plan.append(("", pl.DataFrame([joined]).lazy().select(pl.col("t").str.split(" ").explode().unique())))
        return self

    def run(self) -> Screens:
        """Evaluate the planned pass (polars releases the GIL: another thread may work meanwhile)."""
        if self._plan:
            self._results = pl.collect_all([lf for _, lf in self._plan], engine="streaming")
        return self

    def finish(self) -> Screens:
        """Take the results of :meth:`run` apart (in the calling thread)."""
        for (table, _), result in zip(self._plan, self._results, strict=True):
            if not table:
                self.pieces = set(result.to_series().drop_nulls().to_list())
                continue
            for key in result.columns:
                kind, column = key.split("|", 1)
                self._masks[(kind, table, column)] = result[key].to_numpy()
        for t, c in self.vocabulary:
            if self.strings(t, c) is None:
                self.pieces.update(" ".join(v for v in self._python_values(t, c) if v is not None).split())
        self._plan, self._results = [], []
        return self

    # -- answers ----------------------------------------------------------------------------------

    def rows(self, kind: str, table: str, column: str) -> list[int] | None:
        """Sorted rows of ``table.column`` the screen ``kind`` keeps; None when the column could
        not be screened (every row with a value is then a candidate); [] when there is no such column."""
        key = (kind, table, column)
        if key in self._rows:
            return self._rows[key]
        if table not in self.tables or column not in self.tables[table].columns:
            return []
        screen = next((s for s in self.screens if (s.kind, s.table, s.column) == key), None)
        if screen is None:
            raise KeyError(f"no screen {kind!r} was planned for {table}.{column}")
        rows: list[int] | None
        if self.strings(table, column) is None:
            rows = None
        elif screen.may is None:
            rows = np.flatnonzero(self._masks[key]).tolist()
        else:
            rows = self._route(screen)
        self._rows[key] = rows
        return rows

    def _route(self, screen: Screen) -> list[int]:
        found = np.flatnonzero(self._masks[(_SHARED, screen.table, screen.column)]).tolist()
        if sum(1 for s in self.screens if (s.table, s.column) == (screen.table, screen.column) and s.may) == 1:
            return found
        values = self.values(screen.table, screen.column, found)
        may = screen.may
        assert may is not None
        return [row for row, v in zip(found, values, strict=True) if v is not None and may(v)]

    def candidates(self, kind: str, table: str, column: str) -> list[tuple[int, str]]:
        """(row, value) of the rows the screen ``kind`` keeps that have a value, in row order."""
        rows = self.rows(kind, table, column)
        if rows is None:
            return [(row, v) for row, v in enumerate(self._python_values(table, column)) if v is not None]
        return [(row, v) for row, v in zip(rows, self.values(table, column, rows), strict=True) if v is not None]

    def rows_with_any(self, table: str, column: str, needles: Iterable[str]) -> list[int] | None:
        """Sorted rows of ``table.column`` that contain one of ``needles`` (Aho–Corasick); None when
        the column could not be screened."""
        needles = sorted(set(needles))
        s = self.strings(table, column)
        if s is None:
            return None
        if not needles:
            return []
        return np.flatnonzero(s.str.contains_any(needles).fill_null(False).to_numpy()).tolist()


def _contains(column: str, pattern: str) -> pl.Expr:
    return pl.col(column).str.contains(pattern).fill_null(False)
