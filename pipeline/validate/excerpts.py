"""Excerpts that show what a finding flags, and the findings as editors browse them.

Scope: :class:`SourceLines` (the lines of the source files a run read, only from files whose
sha256 still matches the run's record); :func:`centred_excerpt` (a window of a source line centred
on the flagged span, with the span's position so pages can highlight it); :func:`recentre`. The
findings list built from them is :mod:`pipeline.validate.findings_list`. It must not judge data or
write files.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

from pipeline.fsutil import sha256_bytes

EXCERPT_LIMIT = 240
CONTEXT_LINES = 2
KEEP_FILES = 8  # source files whose lines SourceLines holds at once


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
        self._cache: OrderedDict[str, list[str] | None] = OrderedDict()
        self._verified: dict[Path, tuple[int, int, int]] = {}  # path → (inode, size, mtime) when its sha256 matched

    def lines(self, source_file: str) -> list[str] | None:
        if source_file in self._cache:
            self._cache.move_to_end(source_file)
            return self._cache[source_file]
        lines = self._cache[source_file] = self._read(source_file)
        while len(self._cache) > self.keep:
            self._cache.popitem(last=False)
        return lines

    def _read(self, source_file: str) -> list[str] | None:
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
                return data.decode("utf-8", errors="replace").splitlines()
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
        return [(n, lines[n - 1], n == line) for n in range(lo, hi + 1)]


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
