"""Excerpts that show what a finding flags, and the findings as editors browse them.

Scope: :class:`SourceLines` (the lines of the source files a run read, only from files whose
sha256 still matches the run's record; :class:`FileLines` decodes only the lines asked for, when a
file's only line break is "\n"); :func:`centred_excerpt` (a window of a source line centred
on the flagged span, with the span's position so pages can highlight it); :func:`recentre`. The
findings list built from them is :mod:`pipeline.validate.findings_list`. It must not judge data or
write files.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import overload

import numpy as np

from pipeline.fsutil import sha256_bytes

EXCERPT_LIMIT = 240
CONTEXT_LINES = 2
KEEP_FILES = 8  # source files whose lines SourceLines holds at once
# Bytes below 0x1F that end a line for ``str.splitlines`` besides "\n": "\r", "\v", "\f", "\x1c"-"\x1e"
# (it also ends lines at U+0085, U+2028 and U+2029: b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9" in UTF-8).
_OTHER_BREAKS = np.array([0x0D, 0x0B, 0x0C, 0x1C, 0x1D, 0x1E], dtype=np.uint8)
_NEWLINE = 0x0A


class FileLines(Sequence[str]):
    """``data.decode("utf-8", errors="replace").splitlines()`` of a file whose only line breaks are
    "\n", each line decoded when asked: a large file costs one scan for its newlines instead of a
    decoded copy and a string per line (the findings of a report need a few lines of each file).
    Splitting the bytes at "\n" first gives the same text: the decoder replaces a bad sequence by
    U+FFFD and never lets one run over an ASCII byte."""

    def __init__(self, data: bytes, ends: list[int]) -> None:
        """``ends``: the offsets of the newlines in ``data`` (see :func:`newline_offsets`)."""
        self.data = data
        self.size = len(ends) + (1 if data and not data.endswith(b"\n") else 0)
        self.starts = [0] + [end + 1 for end in ends]  # line i is data[starts[i]:starts[i + 1] - 1]
        if len(self.starts) == self.size:  # a last line without its newline
            self.starts.append(len(data) + 1)

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> list[str]: ...
    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self.size))]
        if i < 0:
            i += self.size
        if not 0 <= i < self.size:
            raise IndexError(i)
        return self.data[self.starts[i] : self.starts[i + 1] - 1].decode("utf-8", errors="replace")

    def window(self, lo: int, hi: int) -> list[str]:
        """``self[lo:hi]`` (0 <= lo < hi <= len), decoded in one piece."""
        return self.data[self.starts[lo] : self.starts[hi] - 1].decode("utf-8", errors="replace").split("\n")


def newline_offsets(data: bytes) -> list[int] | None:
    """The offsets of the "\n" in ``data``, or None when the decoded text has other line breaks."""
    array = np.frombuffer(data, dtype=np.uint8)
    low = np.flatnonzero(array < 0x1F)
    found = array[low]
    if np.isin(found, _OTHER_BREAKS).any():
        return None
    lead = np.flatnonzero(array[:-1] == 0xC2)
    if lead.size and (array[lead + 1] == 0x85).any():
        return None
    lead = np.flatnonzero(array[:-2] == 0xE2)
    if lead.size and ((array[lead + 1] == 0x80) & ((array[lead + 2] == 0xA8) | (array[lead + 2] == 0xA9))).any():
        return None
    ends: list[int] = low[found == _NEWLINE].tolist()
    return ends


def split_lines(data: bytes) -> Sequence[str]:
    """The file's lines as ``data.decode("utf-8", errors="replace").splitlines()`` gives them."""
    ends = newline_offsets(data)
    if ends is not None:
        return FileLines(data, ends)
    return data.decode("utf-8", errors="replace").splitlines()


class SourceLines:
    """Lines of the source files a run read, only from files whose sha256 still matches the one
    recorded by the run (an edited or replaced file shows no context rather than wrong lines).
    At most ``keep`` files are held at once, the most recently used: findings come ordered by
    file, so a report over a large corpus reads each file about once per severity and never holds
    the whole corpus as lines."""

    def __init__(self, folders: Sequence[Path], checksums: dict[str, str], *, keep: int = KEEP_FILES) -> None:
        self.folders = list(folders)
        self.checksums = checksums
        self.keep = max(1, keep)
        self._cache: OrderedDict[str, Sequence[str] | None] = OrderedDict()
        self._verified: dict[Path, tuple[int, int, int]] = {}  # path → (inode, size, mtime) when its sha256 matched

    def lines(self, source_file: str) -> Sequence[str] | None:
        if source_file in self._cache:
            self._cache.move_to_end(source_file)
            return self._cache[source_file]
        lines = self._cache[source_file] = self._read(source_file)
        while len(self._cache) > self.keep:
            self._cache.popitem(last=False)
        return lines

    def _read(self, source_file: str) -> Sequence[str] | None:
        expected = self.checksums.get(source_file)
        if not expected:
            return None
        for folder in self.folders:
            path = (folder / source_file).resolve()
            try:
                if not (path.is_relative_to(folder.resolve()) and path.is_file()):
                    continue
                stamp = _stamp(path)
                data = path.read_bytes()
                if self._verified.get(path) != stamp and sha256_bytes(data) != expected:
                    continue
                self._verified[path] = stamp  # read again after eviction: not hashed again while unchanged
                return split_lines(data)
            except OSError:
                continue
        return None

    def line(self, source_file: str, line: int | None) -> str | None:
        lines = self.lines(source_file) if line else None
        if not lines or not line or line > len(lines):
            return None
        return lines[line - 1]

    def context(self, source_file: str, line: int | None) -> list[tuple[int, str, bool]]:
        lines = self.lines(source_file) if line else None
        if not lines or not line or line > len(lines):
            return []
        lo, hi = max(1, line - CONTEXT_LINES), min(len(lines), line + CONTEXT_LINES)
        if isinstance(lines, FileLines) and lo <= hi:
            return [(n, text, n == line) for n, text in enumerate(lines.window(lo - 1, hi), lo)]
        return [(n, lines[n - 1], n == line) for n in range(lo, hi + 1)]


    def windows(self, source_file: str, numbers: Sequence[int | None]) -> list[list[tuple[int, str, bool]]]:
        """``[self.context(source_file, n) for n in numbers]``, the file looked up once (a report
        asks for the context of every finding, file by file)."""
        lines = self.lines(source_file) if any(numbers) else None
        if not lines:
            return [[] for _ in numbers]
        size = len(lines)
        found: list[list[tuple[int, str, bool]]] = []
        window = lines.window if isinstance(lines, FileLines) else None
        for line in numbers:
            if not line or line > size:
                found.append([])
                continue
            lo, hi = max(1, line - CONTEXT_LINES), min(size, line + CONTEXT_LINES)
            if window is not None and lo <= hi:
                found.append([(n, text, n == line) for n, text in enumerate(window(lo - 1, hi), lo)])
            else:
                found.append([(n, lines[n - 1], n == line) for n in range(lo, hi + 1)])
        return found


def _stamp(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return st.st_ino, st.st_size, st.st_mtime_ns


def _find(text: str, span: str) -> int:
    at = text.find(span)
    return at if at >= 0 else text.lower().find(span.lower())


def centred_excerpt(text: str, span: str | None, limit: int = EXCERPT_LIMIT) -> tuple[str, list[int] | None]:
    """``text`` on one line, at most ``limit`` characters, centred on ``span`` when it occurs; the
    span's [start, end) in the excerpt (None when the span is not in the text)."""
    one = " ".join(text.split())
    token = " ".join((span or "").split())
    at = _find(one, token) if token else -1
    if at < 0:
        return (one if len(one) <= limit else one[: limit - 1] + "…"), None
    width = limit - 2  # room for an ellipsis on each side
    token = token[:width]
    if len(one) <= limit:
        return one, [at, at + len(token)]
    start = max(0, min(at + len(token) // 2 - width // 2, len(one) - width))
    end = start + width
    window = one[start:end]
    prefix = "…" if start else ""
    suffix = "…" if end < len(one) else ""
    offset = at - start + len(prefix)
    return prefix + window + suffix, [offset, offset + len(token)]


def recentre(excerpt: str | None, value: str | None, full_line: str | None) -> tuple[str | None, list[int] | None]:
    """The finding's excerpt centred on its value: from the full source line when known, else from
    the stored excerpt."""
    base = full_line if full_line is not None else excerpt
    if base is None:
        return None, None
    return centred_excerpt(base, value)
