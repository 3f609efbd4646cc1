"""Records produced by extraction, and the small typed models its steps hand to each other.

Scope: the plain data classes that carry one source file's extraction (rows per table, findings,
quarantined text) and the combined extraction of a whole corpus; and, for the steps of
``pipeline.extract.profile`` (find profiles → header → body headings → sections → footnotes →
mentions), the profile's span, header fields, headings and footnotes. No parsing happens here.

``FileExtraction``, ``SourceFile`` and ``Finding`` stay dataclasses whose fields are plain data
(str, int, None, lists and dicts of them, and :class:`ColumnRows`, rows held as column lists).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

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


class ColumnRows(Sequence[dict[str, Any]]):
    """Rows of one table held as one list per column: a step appends a profile's values column by
    column, no dict per row, and the columns go to Arrow as they are. Read as a sequence, it is the
    rows as dicts (made on demand), equal to the list of those dicts."""

    __slots__ = ("columns",)

    def __init__(self, names: Iterable[str]) -> None:
        self.columns: dict[str, list[Any]] = {c: [] for c in names}

    def extend_columns(self, columns: dict[str, list[Any]]) -> None:
        """Append rows given as columns: every column, each with the same number of values."""
        if columns.keys() != self.columns.keys() or len({len(v) for v in columns.values()}) > 1:
            raise ValueError(f"rows of columns {sorted(columns)} (lengths {[len(v) for v in columns.values()]}) for {sorted(self.columns)}")
        for name, values in columns.items():
            self.columns[name] += values

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()), []))

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return list(self)[index]
        return {name: values[index] for name, values in self.columns.items()}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        names = list(self.columns)
        return (dict(zip(names, row, strict=True)) for row in zip(*self.columns.values(), strict=True))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ColumnRows | list | tuple):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        return f"ColumnRows({list(self)!r})"


@dataclass
class FileExtraction:
    """What one source file yields; independent of every other file (cacheable by sha256). A
    table's rows are dicts, or :class:`ColumnRows` where a step builds them as columns."""

    source: SourceFile
    rows: dict[str, Sequence[dict[str, Any]]] = field(default_factory=dict)
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
