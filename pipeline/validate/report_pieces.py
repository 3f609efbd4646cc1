"""The findings of a report in pieces, one per source file and severity block, cached by content.

Scope: a report (``pipeline.validate.report``) lists its findings most severe first, then by
source file and line, so its findings are a sequence of *segments*: the findings of one source
file within one (severity, open or not) block, each segment's own findings in their own sorted
order. Everything the report writes of a segment's findings (their entries of ``report.json``,
their items of ``report.html``, their lines of ``report.md``) depends only on those findings
(their entries as :func:`~pipeline.validate.report.finding_dict` makes them), the source file's
lines (for the excerpts and the context) and the report's day (the correction entries are dated).
:func:`segments` cuts the sorted entries into segments and :func:`segment_key` names a segment's
cache entry; :func:`load` and :func:`store` read and write its :class:`Pieces`. The report writer
(``pipeline.validate.report``: ``render_segment``) renders the pieces of a segment not in the
cache and stitches all of them in order into the same bytes as a whole render (a test compares them).

A cache entry's key holds this module's format, a digest of the code that renders (the report
modules and templates, the corrections' suggestions, the Markdown escape) and the caller's code
version, the day, the file's name, the sha256 the run recorded for it and the file's identity on
disk now (inode, size, modification time: the lines are read only from a file whose content still
has the recorded sha256, the rule :class:`~pipeline.validate.excerpts.SourceLines` applies, so a
file edited since shows no context, from scratch as from the cache), the block and the sha256 of
the segment's entries. Entries are JSON documents validated on read (:class:`pipeline.cache.EntryStore`),
and each holds the sha256 of its pieces, checked again on read: an entry edited by hand, cut short
or written for another key is not used; its segment is rendered again and the entry replaced.
After a report is written, :func:`prune` deletes the entries it did not use (the cache holds one
report's pieces). It must not judge data, and writes nothing but cache entries.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import groupby
from pathlib import Path

from pipeline.cache import EntryStore, entry_key
from pipeline.findings import SEVERITIES
from pipeline.validate.excerpts import SourceLines

PIECES_FORMAT = "geneva-digital-atlas/report-pieces/1"
MAX_CACHED_CHARS = 1 << 24  # a larger segment (one huge source file) is rendered every time, never held whole in a cache entry
CORRECTION_MARK = '<details class="finding-correction">'  # in an item iff its finding has a correction entry (values are escaped)
_RENDERING = ("validate/report.py", "validate/report_pieces.py", "validate/findings_list.py", "validate/excerpts.py",
              "validate/templates", "corrections/suggest.py", "markdown.py", "findings.py", "artifacts.py", "fsutil.py")


@dataclass(frozen=True)
class Pieces:
    """What the report writes of one segment: ``json``, its entries as ``report.json`` lists them
    (indented, joined by ``,\\n``, no final separator); ``html``, its items; ``md``, its lines
    of ``report.md`` per ``severity\\0rule`` (joined by newlines); ``corrections``, whether some
    item has a correction entry; ``digest``, the sha256 of the rest (:func:`pieces_digest`)."""

    json: str
    html: str
    md: dict[str, str]
    corrections: bool
    digest: str


STORE: EntryStore[Pieces] = EntryStore("report-pieces", PIECES_FORMAT, "pieces", Pieces)


def pieces_digest(json_bytes: bytes, html_bytes: bytes, md: dict[str, str], corrections: bool) -> str:
    """sha256 of a segment's pieces (``json`` and ``html`` as the UTF-8 bytes the report writes)."""
    digest = hashlib.sha256(json_bytes)
    digest.update(b"\0" + html_bytes + b"\0" + str(corrections).encode())
    for name in sorted(md):
        digest.update(b"\0" + name.encode("utf-8", "surrogatepass") + b"\0" + md[name].encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


@cache
def rendering_version() -> str:
    """sha256 of the files that decide how a segment is rendered (read once per process)."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(PIECES_FORMAT.encode())
    for rel in _RENDERING:
        path = package / rel
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file():
                digest.update(b"\0" + file.relative_to(package).as_posix().encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


def block_of(entry: dict) -> tuple[int, bool]:
    """The (severity rank, not open) block of an entry: the first two parts of the report's order."""
    severity = entry["severity"]
    return (SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES), entry.get("status") != "open")


@dataclass(frozen=True)
class Segment:
    """Entries ``start:end`` of the sorted list: one source file's findings in one block."""

    block: tuple[int, bool]
    file: str
    start: int
    end: int


def segments(entries: Sequence[dict]) -> Iterator[Segment]:
    """The runs of entries (in report order) that share a block and a source file."""
    start = 0
    for (block, file), run in groupby(enumerate(entries), key=lambda ie: (block_of(ie[1]), ie[1].get("source_file") or "")):
        count = sum(1 for _ in run)
        yield Segment(block, file, start, start + count)
        start += count


def segment_key(segment: Segment, entries: Sequence[dict], sources: SourceLines | None, *, day: str | None, code_version: str) -> str:
    """The cache key of a segment (see the module docstring)."""
    content = hashlib.sha256(json.dumps(list(entries), ensure_ascii=False, default=repr).encode("utf-8", "surrogatepass")).hexdigest()
    recorded, identity = "", "no-sources"
    if sources is not None and segment.file:
        recorded = sources.checksums.get(segment.file) or ""
        identity = ";".join(_identity(folder / segment.file) for folder in sources.folders)
    return entry_key(PIECES_FORMAT, rendering_version(), code_version, day or "", segment.file, recorded, identity, segment.block, content)


def _identity(path: Path) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return "absent"
    return f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


def load(cache_url: str, key: str) -> tuple[Pieces, bytes, bytes] | None:
    """The segment's pieces from the cache with their ``json`` and ``html`` as UTF-8 bytes, or None
    (no entry, or one that cannot be trusted: invalid, or its pieces no longer have its digest)."""
    pieces, _unusable = STORE.load(cache_url, key)
    if pieces is None:
        return None
    json_bytes, html_bytes = pieces.json.encode("utf-8"), pieces.html.encode("utf-8")
    if pieces.digest != pieces_digest(json_bytes, html_bytes, pieces.md, pieces.corrections):
        return None
    return pieces, json_bytes, html_bytes


def prune(cache_url: str, used: set[str]) -> int:
    """Delete the cached pieces outside ``used`` (the keys of the report just written): the key
    holds the day and the code, so without this the cache would grow by a whole report's pieces
    every day (~130 MB at 1000×). A re-run keeps what the last report used; how many were deleted."""
    return STORE.prune(cache_url, used)


def store(cache_url: str, key: str, pieces: Pieces) -> None:
    """Cache the pieces, unless the segment is too large to hold whole (see :data:`MAX_CACHED_CHARS`)."""
    if len(pieces.json) + len(pieces.html) <= MAX_CACHED_CHARS:
        STORE.store(cache_url, key, pieces)
