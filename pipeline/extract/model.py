"""Records produced by extraction, and the small typed models its steps hand to each other.

Scope: the plain data classes that carry one source file's extraction (rows per table, findings,
quarantined text) and the combined extraction of a whole corpus; and, for the steps of
``pipeline.extract.profile`` (find profiles → header → body headings → sections → footnotes →
mentions), the profile's span, header fields, headings and footnotes. No parsing happens here.

``FileExtraction``, ``SourceFile`` and ``Finding`` stay dataclasses whose fields are plain data
(str, int, None, lists and dicts of them): the extraction cache serialises them from their fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa

from pipeline.findings import Finding


@dataclass(frozen=True)
class SourceFile:
    """A raw input file as read: ``path`` is relative to the sources folder (POSIX form)."""

    path: str
    sha256: str
    bytes: int
    encoding: str
    line_count: int


@dataclass
class FileExtraction:
    """What one source file yields; independent of every other file (cacheable by sha256)."""

    source: SourceFile
    # ``dict[str, Any]``, not a bare ``dict``: pydantic then shares the column names among the rows
    # it reads back from the cache (a bare dict gets new key strings per row: +0.58 kB a row, 160 MB at 1000×)
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


@dataclass
class FileTables:
    """One file's extraction in columns (one Arrow table per table it yields, see
    ``pipeline.extract.columnar``): what the extraction cache holds and ``combine`` assembles.
    ``key`` is its cache key when it was read from or stored in the cache."""

    source: SourceFile
    tables: dict[str, pa.Table]
    findings: list[Finding] = field(default_factory=list)
    key: str | None = None


@dataclass
class Extraction:
    """A corpus: every table of ``schemas/`` as a typed frame, plus findings and the sources read."""

    tables: dict[str, pd.DataFrame]
    findings: list[Finding]
    sources: list[SourceFile]


# -- the steps' models (in memory only; line indexes are 0-based, line numbers 1-based) -----------


@dataclass(slots=True)
class HeaderField:
    """One `Label: value` line of a header: the column it fills, the value and label as written."""

    column: str
    value: str
    label: str
    line: int  # 1-based line number


@dataclass(slots=True)
class HeaderNote:
    """A header line that is not used: a repeated field (``column`` set) or an unknown label."""

    column: str | None
    label: str
    line: int


@dataclass(slots=True)
class ProfileSpan:
    """Where one profile lies in its file: name line, header block and the end of its text."""

    name_index: int | None  # the name line, or None when the header has none above it
    header_start: int
    header_end: int  # the last header line
    end: int  # the profile's last line (inclusive; trailing blank lines trimmed later)
    fields: dict[str, HeaderField] = field(default_factory=dict)
    long_name: bool = False  # the line above the header would be the name but is far too long

    @property
    def start(self) -> int:
        return self.header_start if self.name_index is None else self.name_index


@dataclass(slots=True)
class FieldDefect:
    """A header value that cannot be right: published as null, kept here with its reason."""

    column: str
    value: str
    line: int
    rule: str
    reason: str


@dataclass(slots=True, eq=False)
class Heading:
    """A heading of a profile's body: its level in the tree, parent and what it was read as."""

    level: int
    text: str  # the heading line, stripped
    index: int  # 0-based line index
    parent: Heading | None
    canonical: str | None  # the known section or issue it names
    match: str | None = None  # how a policy issue was matched (exact, alias, contains)
    section_id: str = ""
    footnote: int | None = None  # the footnote marker on the heading, if any


@dataclass(slots=True)
class Body:
    """The walk of a profile's prose: its heading tree, accounts, prose citations and findings."""

    headings: list[Heading] = field(default_factory=list)
    accounts: list[tuple[str, str, int]] = field(default_factory=list)  # (platform, handle, line)
    citations: list[tuple[int, int]] = field(default_factory=list)  # (line, footnote number)
    findings: list[Finding] = field(default_factory=list)


@dataclass(slots=True)
class Footnote:
    """A numbered footnote: its text (continuation lines joined) and the lines it was read from."""

    number: int
    text: str
    line: int
    parts: list[tuple[int, str]]  # (line, text) of each source line
