"""Column-wide screens: which rows of a text column may hold a finding, found in C-speed passes.

Scope: search a whole text column at once instead of calling a Python function per value: with
Arrow's string kernels (RE2) on the column's Arrow array, or, when Arrow cannot take the column,
by joining its values with newlines once and searching the joined text with ``re`` (each hit mapped
back to its row with ``bisect`` over the row offsets). A screen may answer more rows than a rule
reports (the rule still checks each row), never fewer: patterns searched in joined text must not
need to match across the newline between two values, and patterns given to RE2 must use literal
characters and classes only (RE2's ``\\s``, ``\\b``, ``\\d`` and case folding differ from ``re``).
It must not decide findings nor know any rule.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from functools import cache
from itertools import accumulate

from pipeline.validate.locate import is_missing


class JoinedColumn:
    """The values of one column ("" for a missing value) joined by ``"\\n"``."""

    def __init__(self, values: Sequence[object]):
        self.texts = [v if type(v) is str else "" if is_missing(v) else str(v) for v in values]
        self.joined = "\n".join(self.texts)
        # offset of each row in ``joined``
        self.starts = list(accumulate(map((1).__add__, map(len, self.texts[:-1])), initial=0)) if self.texts else []

    def row_at(self, pos: int) -> int:
        return bisect_right(self.starts, pos) - 1

    def _next_start(self, row: int) -> int:
        return self.starts[row + 1] if row + 1 < len(self.starts) else len(self.joined) + 1

    def rows_with(self, needle: str) -> set[int]:
        """Rows whose value contains ``needle``."""
        rows: set[int] = set()
        pos = self.joined.find(needle)
        while pos != -1:
            row = self.row_at(pos)
            rows.add(row)
            pos = self.joined.find(needle, self._next_start(row))
        return rows

    def rows_with_ascii_nocase(self, needle: str) -> set[int]:
        """Rows whose value contains ``needle`` (ASCII lowercase letters) in any mix of ASCII case.
        (``bytes.lower`` changes only ASCII letters and is much faster than ``str.lower``.)"""
        encoded = needle.encode()
        return {row for row, text in enumerate(self.texts) if encoded in text.encode("utf-8", "surrogatepass").lower()}

    def rows_starting_with(self, prefixes: tuple[str, ...]) -> set[int]:
        """Rows whose value starts with one of ``prefixes``."""
        return {row for row, text in enumerate(self.texts) if text.startswith(prefixes)}

    def rows_matching(self, pattern: re.Pattern[str]) -> set[int]:
        """Rows in which a search for ``pattern`` in the joined text starts a match."""
        rows: set[int] = set()
        m = pattern.search(self.joined)
        while m is not None:
            row = self.row_at(m.start())
            rows.add(row)
            m = pattern.search(self.joined, self._next_start(row))
        return rows


# -- the same screens in Arrow (RE2): see :func:`re2_class`, :func:`re2_space` -------------------


def re2_class(python_class: str) -> str:
    """A Python character class of literal characters and ranges ("[a-z…]") in RE2 syntax."""
    body = python_class[1:-1]
    return "[" + "".join("-" if ch == "-" and 0 < i < len(body) - 1 else f"\\x{{{ord(ch):x}}}" for i, ch in enumerate(body)) + "]"


@cache
def re2_space() -> str:
    """``re``'s ``\\s`` (every character ``str.isspace`` accepts) as an RE2 class. Unicode has no
    whitespace outside the Basic Multilingual Plane, so only that is scanned (a few ms, once)."""
    return "[" + "".join(f"\\x{{{c:x}}}" for c in range(0x10000) if chr(c).isspace()) + "]"


def arrow_strings(series: object):  # -> pyarrow.Array | None
    """``series`` as an Arrow string array, or None when Arrow cannot take it (then screen in Python)."""
    import pyarrow as pa

    try:
        arr = pa.array(series, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError, UnicodeError):
        return None
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type) else None


def arrow_rows(arr, re2_pattern: str) -> set[int]:
    """Rows of the Arrow string array ``arr`` in which ``re2_pattern`` matches (nulls never)."""
    import pyarrow.compute as pc

    hits = pc.match_substring_regex(arr, re2_pattern).fill_null(False).to_numpy(zero_copy_only=False)
    return {int(i) for i in hits.nonzero()[0]}
