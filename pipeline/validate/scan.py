"""Column-wide screens: which rows (and lines) of a text column may hold a finding, found by polars.

Scope: hold every text column the rules read as a polars string series (zero-copy from the Arrow
strings of the pandas frames), evaluate the rules' screens over whole columns at once (polars runs
them in Rust on every core and releases the GIL, so Python work can go on meanwhile), and answer
sorted row numbers, the values of just those rows, and the lines of those rows that match a second,
finer screen, or that hold one of a set of literals (:func:`contains_literals`); also the distinct
``str.split()`` tokens of the prose, from its pieces cut after each space and newline (the
vocabulary the word model judges once per word instead of once per occurrence).

A screen may answer more rows than a rule reports (the rule still checks each row with its exact
Python detectors), never fewer: its patterns (Rust ``regex`` syntax, also valid RE2) must match
wherever the rule could find something, so they use literal characters and classes only (``\\s``,
``\\b``, ``\\d`` and case folding differ from ``re``). Each pattern is searched in its own pass,
so each must be one the regex engine finds by its literal prefix or anchor (a fixed string, a few
alternative strings, a start anchor): an alternation of such patterns, or a class of many
characters, is run byte by byte by its automaton (~0.7 GB/s, some twenty times slower). A class of
characters goes in the screen's ``chars`` instead. In a vocabulary column it is answered from the
distinct pieces of the vocabulary: every character of the text is in a piece (a space or newline
as its last), so the characters of the class that the text holds are found in the pieces (a few
hundred kilobytes for a hundred megabytes of prose), and only they are searched in the column, as
literals; past :data:`CHAR_LITERALS` of them the class itself is. A column polars
cannot hold (values that are not UTF-8 strings) is not screened: every row with a value is a
candidate, its values are ``str`` of the plain Python values and every line of it passes a line
screen.

It must not decide findings nor know any rule.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import polars as pl

from pipeline.validate.locate import is_missing, plain

if TYPE_CHECKING:
    import pyarrow as pa

# Characters of a screen's class searched as literals at most (see the module docstring): up to
# about this many, the regex engine's literal prefilter finds them; past it, it runs the class's
# automaton, no faster than the class itself.
CHAR_LITERALS = 12
# Mean bytes of a column's values from which its screens' patterns are searched one pass each: each
# pass costs a regex call per value, so short values are better searched once by the joined pattern.
LONG_VALUE = 256


def re2_class(python_class: str) -> str:
    """A Python character class of literal characters and ranges ("[a-z…]") in RE2/Rust syntax."""
    body = python_class[1:-1]
    return "[" + "".join("-" if ch == "-" and 0 < i < len(body) - 1 else f"\\x{{{ord(ch):x}}}" for i, ch in enumerate(body)) + "]"


@cache
def re2_space() -> str:
    """``re``'s ``\\s`` (every character ``str.isspace`` accepts) as an RE2/Rust class. Unicode has no
    whitespace outside the Basic Multilingual Plane, so only that is scanned (a few ms, once)."""
    return "[" + "".join(f"\\x{{{c:x}}}" for c in range(0x10000) if chr(c).isspace()) + "]"


def holding_tokens(expr: pl.Expr, needles: Sequence[str]) -> pl.Expr:
    """The ``str.split()`` tokens of each string of ``expr`` that hold one of ``needles`` (non-empty
    literals, in order, as a polars list): the runs of characters that are not :func:`re2_space`
    around a needle. Past :data:`LITERALS_PER_PATTERN` × :data:`MAX_LITERAL_PATTERNS` needles,
    every token (the alternation would be run by its automaton)."""
    word = "[^" + re2_space()[1:] + "*"
    if len(needles) > LITERALS_PER_PATTERN * MAX_LITERAL_PATTERNS:
        return expr.str.extract_all(word[:-1] + "+")
    return expr.str.extract_all(word + "(?:" + literal_pattern(needles) + ")" + word)


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
PIECES_CHUNK = 1 << 22  # bytes of text cut into pieces at once (bounds the transient arrays)
PIECES_THREADS = 2  # threads cutting them (the vocabulary is on the checks' critical path)


def arrow_pieces(arr: pa.Array | pa.ChunkedArray) -> list[str]:
    """Distinct pieces of the non-null values of ``arr``, each value cut after each ``" "`` and
    ``"\\n"``: a piece holds no space nor newline but a last one, and the ``str.split()`` tokens of the pieces are those
    of the values (the vocabulary the word rules judge). The cuts are found by numpy over the
    Arrow text buffer (no copy of the text), the pieces made distinct by Arrow's hash kernel."""
    pieces = distinct_pieces([arr])
    return [] if pieces is None else pieces.to_pylist()


def _text_parts(arr: pa.Array | pa.ChunkedArray) -> Iterator[tuple[np.ndarray, pa.Buffer, int, int]]:
    """(offsets, UTF-8 bytes, first value, end value) of runs of about :data:`PIECES_CHUNK` bytes
    of the non-null values of ``arr`` (the null slots are empty or dropped)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for chunk in arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]:
        if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
            chunk = chunk.cast(pa.large_string())  # string views: offsets and bytes
        offsets = _offsets(chunk)
        if chunk.null_count and np.diff(offsets)[chunk.is_null().to_numpy(zero_copy_only=False)].any():
            chunk = pc.drop_null(chunk)  # a null slot's bytes need not be empty (a copy of the text: rare)
            offsets = _offsets(chunk)
        data = chunk.buffers()[2]
        if data is None or not len(chunk):
            continue
        cuts = np.searchsorted(offsets, np.arange(offsets[0], offsets[-1], PIECES_CHUNK), side="right") - 1
        cuts = np.unique(np.concatenate([cuts, [0, len(offsets) - 1]]))
        for first, last in zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True):
            if offsets[last] > offsets[first]:
                yield offsets, data, first, last


def _offsets(chunk: pa.Array) -> np.ndarray:
    """The ``len(chunk) + 1`` value offsets of a (large) string array, as int64."""
    import pyarrow as pa

    width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    return np.frombuffer(chunk.buffers()[1], dtype=width)[chunk.offset : chunk.offset + len(chunk) + 1].astype(np.int64)


def arrow_tokens(arrays: Iterable[pa.Array | pa.ChunkedArray]) -> set[str]:
    """The distinct ``str.split()`` tokens of the non-null values of ``arrays``."""
    pieces = distinct_pieces(arrays)
    return set() if pieces is None else piece_tokens(pieces)


def distinct_pieces(arrays: Iterable[pa.Array | pa.ChunkedArray]) -> pa.LargeStringArray | None:
    """The distinct :func:`arrow_pieces` of all of ``arrays`` (None when they hold no text), cut
    and made distinct about :data:`PIECES_CHUNK` bytes at a time by :data:`PIECES_THREADS` threads
    (numpy and Arrow release the GIL)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = [part for arr in arrays for part in _text_parts(arr)]
    if len(parts) < 2:
        found = [_unique_pieces(*part) for part in parts]
    else:
        with ThreadPoolExecutor(max_workers=PIECES_THREADS, thread_name_prefix="atlas-pieces") as pool:
            found = list(pool.map(lambda part: _unique_pieces(*part), parts))
    return pc.unique(pa.concat_arrays(found)) if found else None


def piece_tokens(pieces: pa.LargeStringArray) -> set[str]:
    """The distinct ``str.split()`` tokens of distinct ``pieces``, without a Python string per
    piece: a piece with no whitespace but its last space or newline is one token once that is
    trimmed (Arrow trims and makes them distinct); only the few pieces holding another whitespace
    character are split in Python."""
    import pyarrow.compute as pc

    other_space = pc.match_substring_regex(pieces, "[" + re2_space()[1:].replace("\\x{20}", "").replace("\\x{a}", ""))
    tokens = set(pc.unique(pc.utf8_rtrim(pieces.filter(pc.invert(other_space)), characters=" \n")).to_pylist())
    tokens.discard("")  # a piece that was one space or newline
    for piece in pieces.filter(other_space).to_pylist():
        tokens.update(piece.split())
    return tokens


def class_characters(pieces: pa.LargeStringArray, char_class: str) -> list[str]:
    """The distinct characters of the RE2 class ``char_class`` that occur in ``pieces``, sorted."""
    import pyarrow as pa
    import pyarrow.compute as pc

    held: set[str] = set()
    for piece in pieces.filter(pc.match_substring_regex(pieces, char_class)).to_pylist():
        held.update(piece)
    candidates = pa.array(sorted(held), pa.string())
    return candidates.filter(pc.match_substring_regex(candidates, char_class)).to_pylist()


def _unique_pieces(offsets: np.ndarray, data: pa.Buffer, first: int, last: int) -> pa.LargeStringArray:
    """The distinct pieces of values ``first`` to ``last`` (excluded) at ``offsets`` of the UTF-8
    bytes ``data``: the cuts found by numpy (a space or newline byte is never inside a multi-byte
    character), the pieces made distinct by Arrow's hash kernel."""
    import pyarrow as pa
    import pyarrow.compute as pc

    lo, hi = int(offsets[first]), int(offsets[last])
    n = hi - lo
    body = np.frombuffer(data, dtype=np.uint8, count=hi - 1 - lo, offset=lo) if n > 1 else np.zeros(0, dtype=np.uint8)
    starts = np.zeros(n + 1, dtype=bool)
    np.equal(body, 32, out=starts[1:n])  # a piece starts after each space or newline ...
    np.logical_or(starts[1:n], np.equal(body, 10), out=starts[1:n])
    cells = offsets[first:last] - lo
    starts[cells[cells < n]] = True  # ... and where each value starts
    starts[n] = True  # (the end of the last piece)
    bounds = np.flatnonzero(starts).astype(np.int64, copy=False)
    bounds += lo
    return pc.unique(pa.LargeStringArray.from_buffers(len(bounds) - 1, pa.py_buffer(bounds), data))


def python_strings(series: pd.Series) -> list[str | None]:
    """The values of ``series`` as the rules read them in Python: ``str`` of the plain value, None when missing."""
    return [None if is_missing(v) else str(plain(v)) for v in series.tolist()]


@dataclass(frozen=True)
class Screen:
    """Rows of ``table.column`` where one of ``patterns`` matches or a character of the class
    ``chars`` occurs (see the module docstring)."""

    kind: str
    table: str
    column: str
    patterns: tuple[str, ...]
    chars: str = ""  # an RE2/Rust character class of literal characters, or "" for none

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.table, self.column)


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
        self._found: dict[tuple[str, str, str], np.ndarray] = {}  # by Screen.key: rows its patterns found (run)
        self._found_chars: dict[tuple[str, str, str], np.ndarray] = {}  # rows its chars found (run_vocabulary)
        self._plans: list[tuple[str, pl.LazyFrame]] = []  # one pass per table: its screens' patterns
        self._long: dict[tuple[str, str], bool] = {}
        self._by_vocabulary: list[Screen] = []  # screens whose chars the vocabulary answers
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
        per_table: dict[str, dict[str, pl.Expr]] = {}
        vocabulary = set(self.vocabulary)
        for s in self.screens:
            if self.strings(s.table, s.column) is None:
                continue  # not screened: every row is a candidate
            patterns = list(s.patterns)
            if s.chars and (s.table, s.column) in vocabulary:
                self._by_vocabulary.append(s)
            elif s.chars:
                patterns.append(s.chars)
            if patterns:
                passes = patterns if self._long_values(s.table, s.column) else ["|".join(patterns)]
                found = [pl.col(s.column).str.contains(p) for p in passes]
                per_table.setdefault(s.table, {})[f"{s.kind}|{s.column}"] = functools.reduce(operator.or_, found)
        for table, exprs in per_table.items():
            columns = list(dict.fromkeys(key.split("|", 1)[1] for key in exprs))
            frame = pl.DataFrame([self.strings(table, c).alias(c) for c in columns])  # type: ignore[union-attr]
            self._plans.append((table, frame.lazy().select(**exprs)))
        self._vocabulary_arrays = [arr for t, c in self.vocabulary if self.strings(t, c) is not None
                                   and (arr := column_arrow(self.tables[t][c])) is not None]
        return self

    def _long_values(self, table: str, column: str) -> bool:
        """Whether the values of ``table.column`` are long (at least :data:`LONG_VALUE` bytes on
        average): its screens' patterns are then searched one pass each, else joined in one."""
        key = (table, column)
        if key not in self._long:
            mean = self.strings(table, column).str.len_bytes().mean()  # type: ignore[union-attr]
            self._long[key] = isinstance(mean, float) and mean >= LONG_VALUE
        return self._long[key]

    def run(self) -> Screens:
        """Evaluate the screens' patterns, one pass each (polars runs them on its threads and
        releases the GIL: another thread may work meanwhile)."""
        plan, self._plans = self._plans, []
        results = pl.collect_all([lf for _, lf in plan], engine="streaming") if plan else []
        for (table, _), result in zip(plan, results, strict=True):
            for key in result.columns:
                kind, column = key.split("|", 1)
                self._found[(kind, table, column)] = _rows(result[key])
        return self

    def run_vocabulary(self) -> Screens:
        """Collect :attr:`tokens` and answer the ``chars`` of the screens of the vocabulary columns
        (Arrow, numpy and polars release the GIL: another thread may work meanwhile)."""
        pieces = distinct_pieces(self._vocabulary_arrays)  # cut by numpy, made distinct by Arrow: no Python string per piece
        tokens = set() if pieces is None else piece_tokens(pieces)
        for t, c in self.vocabulary:
            if self.strings(t, c) is None:
                tokens.update(" ".join(v for v in self._python_values(t, c) if v is not None).split())
        held = {cls: [] if pieces is None else class_characters(pieces, cls) for cls in {s.chars for s in self._by_vocabulary}}
        for s in self._by_vocabulary:
            chars = held[s.chars]
            column = self.strings(s.table, s.column)
            if not chars or column is None:
                self._found_chars[s.key] = np.zeros(0, dtype=np.int64)
                continue
            found = contains_literals(pl.col("t"), chars) if len(chars) <= CHAR_LITERALS else pl.col("t").str.contains(s.chars)
            self._found_chars[s.key] = _rows(pl.DataFrame([column.alias("t")]).select(found).to_series())
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
        screen = next((s for s in self.screens if s.key == key), None)
        by_vocabulary = screen in self._by_vocabulary
        by_patterns = screen is not None and bool(screen.patterns or (screen.chars and not by_vocabulary))
        if screen is None or (by_patterns and key not in self._found) or (by_vocabulary and key not in self._found_chars):
            raise KeyError(f"the screen {kind!r} of {table}.{column} was not planned or not run")
        parts = [found[key] for found in (self._found, self._found_chars) if key in found]
        return (parts[0] if len(parts) == 1 else np.union1d(*parts)).tolist() if parts else []

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

    def token_lines(self, table: str, column: str, tokens: set[str]) -> list[tuple[int, int, str, list[str]]]:
        """(row, 0-based line, line, the line's ``str.split()`` tokens that are among ``tokens``, in
        their order) of each line of ``table.column`` holding one of ``tokens`` (whitespace-free),
        in row and line order. Polars finds the tokens holding one of ``tokens``: a line is not
        split into Python strings."""
        s, rows = self.strings(table, column), self.rows_with_any(table, column, tokens)
        if s is None or rows is None:
            out = [(row, i, line, [t for t in line.split() if t in tokens]) for row, i, line in self.lines(table, column, None)]
            return [x for x in out if x[3]]
        if not rows:
            return []
        needles, line = sorted(tokens), pl.col("line")
        frame = (_exploded(s, rows).filter(contains_literals(line, needles).fill_null(False))
                 .with_columns(holding_tokens(line, needles).list.eval(pl.element().filter(pl.element().is_in(needles))).alias("kept"))
                 .filter(pl.col("kept").list.len() > 0).collect())
        return list(zip(frame["row"].to_list(), frame["i"].to_list(), frame["line"].to_list(), frame["kept"].to_list(), strict=True))

    def lines_followed(self, table: str, column: str, rows: Sequence[int] | None, *, pattern: str,
                       following: int = 2, unless_next: str | None = None) -> list[tuple[int, int, str, list[str]]]:
        """(row, 0-based line, line, the next ``following`` non-blank lines of its cell) of the
        non-blank lines of ``rows`` (None: every row) of ``table.column`` in which ``pattern``
        matches, in row and line order (every non-blank line when the column could not be
        screened). Blank means ``str.isspace`` or empty, as ``str.strip`` sees it. With
        ``unless_next``, a line whose next non-blank line that pattern matches may be left out
        (the caller's answer for it must not depend on anything else)."""
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
        keep = line.str.contains(pattern)
        if unless_next is not None and following:
            keep = keep & ~pl.col("n1").str.contains(unless_next).fill_null(False)
        frame = (_exploded(s, rows).filter(line.str.contains(f"[^{re2_space()[1:]}").fill_null(False))  # non-blank lines
                 .with_columns(*nexts).filter(keep).collect())
        after = zip(*(frame[f"n{k}"].to_list() for k in range(1, following + 1)), strict=True)
        return [(r, i, text, [x for x in nx if x is not None])
                for r, i, text, nx in zip(frame["row"].to_list(), frame["i"].to_list(), frame["line"].to_list(), after, strict=True)]
