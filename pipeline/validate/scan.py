"""Column-wide screens: which rows (and lines) of a text column may hold a finding, found by polars.

Scope: hold every text column the rules read as a polars string series (zero-copy from the Arrow
strings of the pandas frames), evaluate the rules' screens over whole columns at once (polars runs
them in Rust on every core and releases the GIL, so Python work can go on meanwhile), and answer
sorted row numbers, the values of just those rows, and the lines of those rows that match a second,
finer screen, or that hold one of a set of literals (:func:`contains_literals`); also the distinct
``str.split()`` tokens of the prose, from its pieces cut after each space and newline (the
vocabulary the word model judges once per word instead of once per occurrence).

A screen may answer more rows than a rule reports (the rule still checks each row with its exact
Python detectors), never fewer: its pattern (Rust ``regex`` syntax, also valid RE2) must match
wherever the rule could find something, so it uses literal characters and classes only (``\\s``,
``\\b``, ``\\d`` and case folding differ from ``re``). The screens of a column share one pass over
its text (their patterns joined by ``|``); each screen is then run alone over the few rows that pass
found. A screen marked ``alone`` (an anchored or literal-led pattern that is cheap by itself but
matches many rows) gets its own pass instead. A column polars cannot hold (values that are not
UTF-8 strings) is not screened: every row with a value is a candidate, its values are ``str`` of
the plain Python values and every line of it passes a line screen.

It must not decide findings nor know any rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import polars as pl

from pipeline.validate.locate import is_missing, plain

if TYPE_CHECKING:
    import pyarrow as pa

_SHARED = "*"  # the kind of the pass shared by the screens of one column
_VOCABULARY = "vocabulary"


def re2_class(python_class: str) -> str:
    """A Python character class of literal characters and ranges ("[a-z…]") in RE2/Rust syntax."""
    body = python_class[1:-1]
    return "[" + "".join("-" if ch == "-" and 0 < i < len(body) - 1 else f"\\x{{{ord(ch):x}}}" for i, ch in enumerate(body)) + "]"


@cache
def re2_space() -> str:
    """``re``'s ``\\s`` (every character ``str.isspace`` accepts) as an RE2/Rust class. Unicode has no
    whitespace outside the Basic Multilingual Plane, so only that is scanned (a few ms, once)."""
    return "[" + "".join(f"\\x{{{c:x}}}" for c in range(0x10000) if chr(c).isspace()) + "]"


def column_arrow(series: pd.Series) -> pa.Array | pa.ChunkedArray | None:
    """``series`` as Arrow strings (missing → null), or None when its values are not all strings
    Arrow can hold (then the rules read them in Python)."""
    import pyarrow as pa

    try:
        arr = pa.array(series, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError, UnicodeError):
        return None
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type) or pa.types.is_string_view(arr.type)):
        return None
    return arr


def column_strings(series: pd.Series) -> pl.Series | None:
    """``series`` as a polars string series (missing → null), or None when its values are not all
    strings Arrow can hold (then the rules read them in Python)."""
    arr = column_arrow(series)
    out = None if arr is None else pl.from_arrow(arr)
    return out if isinstance(out, pl.Series) else None


ANY_PARTS, ANY_SLICE_ROWS = 2, 1 << 14  # slices of a column searched at once by Screens.rows_with_any, rows at least
# Literals per alternation in :func:`contains_literals`: up to 64, Rust's regex searches them with
# its SIMD "Teddy" prefilter (~10x faster than the Aho–Corasick automaton polars' contains_any
# runs); past this many groups, one Aho–Corasick pass is cheaper than the group passes.
LITERALS_PER_PATTERN, MAX_LITERAL_PATTERNS = 64, 3


def literal_pattern(needles: Iterable[str]) -> str:
    """An RE2/Rust alternation matching exactly where one of ``needles`` (non-empty literals)
    occurs: ASCII letters, digits and ``_`` as they are, every other character as ``\\x{…}``."""
    return "|".join("".join(ch if ch.isascii() and (ch.isalnum() or ch == "_") else f"\\x{{{ord(ch):x}}}" for ch in n)
                    for n in needles)


def contains_literals(expr: pl.Expr, needles: Sequence[str]) -> pl.Expr:
    """Whether the strings of ``expr`` contain one of ``needles`` (non-empty, distinct literals):
    the same answer as ``expr.str.contains_any(needles)``, searched by regex alternations of at
    most :data:`LITERALS_PER_PATTERN` literals when there are few (see there)."""
    if len(needles) > LITERALS_PER_PATTERN * MAX_LITERAL_PATTERNS:
        return expr.str.contains_any(list(needles))
    groups = [needles[k : k + LITERALS_PER_PATTERN] for k in range(0, len(needles), LITERALS_PER_PATTERN)]
    found = [expr.str.contains(literal_pattern(group)) for group in groups]
    out = found[0]
    for more in found[1:]:
        out = out | more
    return out
PIECES_CHUNK = 1 << 24  # bytes of text cut into pieces at once (bounds the transient arrays)


def arrow_pieces(arr: pa.Array | pa.ChunkedArray) -> list[str]:
    """Distinct pieces of the non-null values of ``arr``, each value cut after each ``" "`` and
    ``"\\n"``: a piece holds no space nor newline but a last one, and the ``str.split()`` tokens of the pieces are those
    of the values (the vocabulary the word rules judge). The cuts are found by numpy over the
    Arrow text buffer (no copy of the text), the pieces made distinct by Arrow's hash kernel."""
    pieces = _distinct_pieces(arr)
    return [] if pieces is None else pieces.to_pylist()


def _distinct_pieces(arr: pa.Array | pa.ChunkedArray) -> pa.LargeStringArray | None:
    """:func:`arrow_pieces` as an Arrow array (None when ``arr`` has no text)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    found = []
    for chunk in arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]:
        if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
            chunk = chunk.cast(pa.large_string())  # string views: offsets and bytes
        if chunk.null_count:
            chunk = pc.drop_null(chunk)  # a null slot's bytes need not be empty
        _, offsets_buffer, data = chunk.buffers()
        if data is None or not len(chunk):
            continue
        width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        offsets = np.frombuffer(offsets_buffer, dtype=width)[chunk.offset : chunk.offset + len(chunk) + 1].astype(np.int64)
        found += [pc.unique(pieces) for pieces in _cut_pieces(offsets, data)]
    return pc.unique(pa.concat_arrays(found)) if found else None


def arrow_tokens(arrays: Iterable[pa.Array | pa.ChunkedArray]) -> set[str]:
    """The distinct ``str.split()`` tokens of the non-null values of ``arrays``, from their
    :func:`arrow_pieces` without a Python string per piece: a piece with no whitespace but its
    last space or newline is one token once that is trimmed (Arrow trims and makes them distinct);
    only the few pieces holding another whitespace character are split in Python."""
    import pyarrow as pa
    import pyarrow.compute as pc

    found = [p for arr in arrays if (p := _distinct_pieces(arr)) is not None]
    if not found:
        return set()
    pieces = pc.unique(pa.concat_arrays(found))
    other_space = pc.match_substring_regex(pieces, "[" + re2_space()[1:].replace("\\x{20}", "").replace("\\x{a}", ""))
    tokens = set(pc.unique(pc.utf8_rtrim(pieces.filter(pc.invert(other_space)), characters=" \n")).to_pylist())
    tokens.discard("")  # a piece that was one space or newline
    for piece in pieces.filter(other_space).to_pylist():
        tokens.update(piece.split())
    return tokens


def _cut_pieces(offsets: np.ndarray, data: pa.Buffer) -> Iterable[pa.LargeStringArray]:
    """The pieces of the values at ``offsets`` of the UTF-8 bytes ``data`` (a space or newline byte
    is never inside a multi-byte character), about :data:`PIECES_CHUNK` bytes of values at a time."""
    import pyarrow as pa

    text = np.frombuffer(data, dtype=np.uint8)
    cuts = np.searchsorted(offsets, np.arange(offsets[0], offsets[-1], PIECES_CHUNK), side="right") - 1
    cuts = np.unique(np.concatenate([cuts, [0, len(offsets) - 1]]))
    for first, last in zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True):
        lo, hi = int(offsets[first]), int(offsets[last])
        if hi == lo:
            continue
        n = hi - lo
        starts = np.zeros(n + 1, dtype=bool)
        body = text[lo : hi - 1]
        np.equal(body, 32, out=starts[1:n])  # a piece starts after each space or newline ...
        np.logical_or(starts[1:n], np.equal(body, 10), out=starts[1:n])
        cells = offsets[first:last] - lo
        starts[cells[cells < n]] = True  # ... and where each value starts
        starts[n] = True  # (the end of the last piece)
        bounds = np.flatnonzero(starts).astype(np.int64, copy=False)
        bounds += lo
        yield pa.LargeStringArray.from_buffers(len(bounds) - 1, pa.py_buffer(bounds), data)


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
    alone: bool = False


def _exploded(s: pl.Series, rows: Sequence[int]) -> pl.LazyFrame:
    """One record per line of ``rows`` of ``s``: row, 0-based line number ``i``, ``line``; in order."""
    idx = np.asarray(rows, dtype=np.int64)
    lines = pl.col("line").str.split("\n")
    return (pl.DataFrame({"row": idx, "line": s.gather(idx)}).lazy()
            .with_columns(lines, i=pl.int_ranges(0, lines.list.len(), dtype=pl.Int64)).explode(["line", "i"]))


def _rows(mask: pl.Series) -> np.ndarray:
    return np.flatnonzero(mask.fill_null(False).to_numpy())


class Screens:
    """The screens of a set of tables, evaluated together.

    :meth:`prepare` (cheap, in the thread that owns the frames) reads the columns; :meth:`run` and
    :meth:`run_vocabulary` do the column-wide work and may run in other threads (each once); then
    :meth:`rows`, :meth:`candidates`, :meth:`lines` and :attr:`tokens` answer."""

    def __init__(self, tables: Mapping[str, pd.DataFrame], screens: Iterable[Screen] = (),
                 vocabulary: Iterable[tuple[str, str]] = ()):
        self.tables = tables
        self.screens = [s for s in screens if s.table in tables and s.column in tables[s.table].columns]
        self.vocabulary = [(t, c) for t, c in vocabulary if t in tables and c in tables[t].columns]
        self.tokens: set[str] = set()  # distinct str.split() tokens of the vocabulary columns (:func:`arrow_tokens`)
        self._strings: dict[tuple[str, str], pl.Series | None] = {}
        self._python: dict[tuple[str, str], list[str | None]] = {}
        self._found: dict[tuple[str, str, str], np.ndarray] = {}
        self._plans: dict[bool, list[tuple[str, pl.LazyFrame]]] = {True: [], False: []}  # by Screen.alone
        self._vocabulary_arrays: list[pa.Array | pa.ChunkedArray] = []  # the vocabulary columns as Arrow strings (until run_vocabulary)

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
        if not len(rows):  # nothing asked: a table that is absent altogether has no values to read
            return []
        s = self.strings(table, column)
        if s is None:
            values = self._python_values(table, column)
            return [values[r] for r in rows]
        return s.gather(np.asarray(rows, dtype=np.int64)).to_list()

    # -- the column-wide passes -------------------------------------------------------------------

    def prepare(self) -> Screens:
        """Read the columns and plan the passes (call in the thread that owns the frames)."""
        per_table: dict[tuple[bool, str], dict[str, pl.Expr]] = {}
        shared: dict[tuple[str, str], list[str]] = {}
        for s in self.screens:
            if self.strings(s.table, s.column) is None:
                continue  # not screened: every row is a candidate
            if s.alone:
                per_table.setdefault((True, s.table), {})[f"{s.kind}|{s.column}"] = pl.col(s.column).str.contains(s.pattern)
            else:
                shared.setdefault((s.table, s.column), []).append(f"(?:{s.pattern})")
        for (table, column), patterns in shared.items():
            pattern = "|".join(dict.fromkeys(patterns))
            per_table.setdefault((False, table), {})[f"{_SHARED}|{column}"] = pl.col(column).str.contains(pattern)
        for (alone, table), exprs in per_table.items():
            columns = list(dict.fromkeys(key.split("|", 1)[1] for key in exprs))
            frame = pl.DataFrame([self.strings(table, c).alias(c) for c in columns])  # type: ignore[union-attr]
            self._plans[alone].append((table, frame.lazy().select(**exprs)))
        self._vocabulary_arrays = [arr for t, c in self.vocabulary if self.strings(t, c) is not None
                                   and (arr := column_arrow(self.tables[t][c])) is not None]
        return self

    def run(self, alone: bool | None = None) -> Screens:
        """Evaluate the screens: those that run ``alone``, the shared ones (``alone=False``) or all
        (None). Polars releases the GIL: another thread may work meanwhile."""
        for which in (True, False) if alone is None else (alone,):
            plan, self._plans[which] = self._plans[which], []
            results = pl.collect_all([lf for _, lf in plan], engine="streaming") if plan else []
            for (table, _), result in zip(plan, results, strict=True):
                for key in result.columns:
                    kind, column = key.split("|", 1)
                    self._found[(kind, table, column)] = _rows(result[key])
        for screen in self.screens if alone is not True else ():  # each shared screen over the rows its column's pass found
            shared = (_SHARED, screen.table, screen.column)
            if screen.alone or shared not in self._found:
                continue
            found = self._found[shared]
            if len(found):
                texts = self.strings(screen.table, screen.column).gather(found)  # type: ignore[union-attr]
                found = found[_rows(texts.str.contains(screen.pattern))]
            self._found[(screen.kind, screen.table, screen.column)] = found
        return self

    def run_vocabulary(self) -> Screens:
        """Collect :attr:`tokens` (Arrow and numpy release the GIL: another thread may work meanwhile)."""
        tokens = arrow_tokens(self._vocabulary_arrays)  # cut by numpy, made distinct by Arrow: no Python string per piece
        for t, c in self.vocabulary:
            if self.strings(t, c) is None:
                tokens.update(" ".join(v for v in self._python_values(t, c) if v is not None).split())
        self.tokens, self._vocabulary_arrays = tokens, []
        return self

    # -- answers ----------------------------------------------------------------------------------

    def rows(self, kind: str, table: str, column: str) -> list[int] | None:
        """Sorted rows of ``table.column`` the screen ``kind`` keeps; None when the column could
        not be screened (every row with a value is then a candidate); [] when there is no such column."""
        if table not in self.tables or column not in self.tables[table].columns:
            return []
        if self.strings(table, column) is None:
            return None
        key = (kind, table, column)
        if key not in self._found:
            raise KeyError(f"the screen {kind!r} of {table}.{column} was not planned or not run")
        return self._found[key].tolist()

    def candidates(self, kind: str, table: str, column: str) -> list[tuple[int, str]]:
        """(row, value) of the rows the screen ``kind`` keeps that have a value, in row order."""
        rows = self.rows(kind, table, column)
        if rows is None:
            return [(row, v) for row, v in enumerate(self._python_values(table, column)) if v is not None]
        return [(row, v) for row, v in zip(rows, self.values(table, column, rows), strict=True) if v is not None]

    def rows_with_any(self, table: str, column: str, needles: Iterable[str]) -> list[int] | None:
        """Sorted rows of ``table.column`` that contain one of ``needles`` (:func:`contains_literals`);
        None when the column could not be screened. A long column is searched in :data:`ANY_PARTS` slices at
        once (polars runs them on its threads, without the GIL)."""
        s = self.strings(table, column)
        if s is None:
            return None
        needles = sorted(set(needles))
        if not needles:
            return []
        step = max(ANY_SLICE_ROWS, -(-len(s) // ANY_PARTS))
        starts = range(0, len(s), step)
        plans = [pl.DataFrame([s.slice(start, step).alias("t")]).lazy().select(contains_literals(pl.col("t"), needles)) for start in starts]
        found = [_rows(result.to_series()) + start for result, start in zip(pl.collect_all(plans), starts, strict=True)]
        return np.concatenate(found).tolist() if found else []

    def lines(self, table: str, column: str, rows: Sequence[int] | None, *, pattern: str | None = None,
              needles: Iterable[str] = ()) -> list[tuple[int, int, str]]:
        """(row, 0-based line, line) of the lines of ``rows`` (None: every row) of ``table.column``
        in which ``pattern`` matches or one of ``needles`` occurs, in row and line order (every line
        when the column could not be screened)."""
        s = self.strings(table, column)
        if rows is None or s is None:
            rows = [r for r, v in enumerate(self._python_values(table, column)) if v is not None] if rows is None else rows
            texts = self.values(table, column, rows)
            return [(r, i, line) for r, t in zip(rows, texts, strict=True) if t is not None for i, line in enumerate(t.split("\n"))]
        needles = sorted(set(needles))
        if not len(rows) or (pattern is None and not needles):
            return []
        line = pl.col("line")
        keep = [line.str.contains(pattern)] if pattern is not None else []
        keep += [contains_literals(line, needles)] if needles else []
        cond = keep[0] if len(keep) == 1 else keep[0] | keep[1]
        frame = _exploded(s, rows).filter(cond.fill_null(False)).collect()
        return list(zip(frame["row"].to_list(), frame["i"].to_list(), frame["line"].to_list(), strict=True))

    def lines_followed(self, table: str, column: str, rows: Sequence[int] | None, *, pattern: str,
                       following: int = 2) -> list[tuple[int, int, str, list[str]]]:
        """(row, 0-based line, line, the next ``following`` non-blank lines of its cell) of the
        non-blank lines of ``rows`` (None: every row) of ``table.column`` in which ``pattern``
        matches, in row and line order (every non-blank line when the column could not be
        screened). Blank means ``str.isspace`` or empty, as ``str.strip`` sees it."""
        s = self.strings(table, column)
        if rows is None or s is None:
            rows = [r for r, v in enumerate(self._python_values(table, column)) if v is not None] if rows is None else rows
            out = []
            for r, text in zip(rows, self.values(table, column, rows), strict=True):
                kept = [(i, line) for i, line in enumerate(text.split("\n")) if line.strip()] if text is not None else []
                out += [(r, i, line, [x for _, x in kept[k + 1 : k + 1 + following]]) for k, (i, line) in enumerate(kept)]
            return out
        if not len(rows):
            return []
        line, row = pl.col("line"), pl.col("row")
        nexts = [pl.when(row.shift(-k) == row).then(line.shift(-k)).alias(f"n{k}") for k in range(1, following + 1)]
        frame = (_exploded(s, rows).filter(line.str.contains(f"[^{re2_space()[1:]}").fill_null(False))  # non-blank lines
                 .with_columns(*nexts).filter(line.str.contains(pattern)).collect())
        after = zip(*(frame[f"n{k}"].to_list() for k in range(1, following + 1)), strict=True)
        return [(r, i, text, [x for x in nx if x is not None])
                for r, i, text, nx in zip(frame["row"].to_list(), frame["i"].to_list(), frame["line"].to_list(), after, strict=True)]
