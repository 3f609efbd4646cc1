"""Records produced by extraction.

Scope: the plain data classes that carry one source file's extraction (rows per table, findings,
quarantined text) and the combined extraction of a whole corpus. No parsing happens here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

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
    rows: dict[str, list[dict]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


@dataclass
class Extraction:
    """A corpus: every table of ``schemas/`` as a typed frame, plus findings and the sources read."""

    tables: dict[str, pd.DataFrame]
    findings: list[Finding]
    sources: list[SourceFile]
