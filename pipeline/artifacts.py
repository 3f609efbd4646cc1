"""Typed models of the JSON artifacts: ``candidate.json``, ``review.json``, ``releases/index.json``,
``releases/latest.json`` and the summary of ``report.json``.

Scope: one pydantic model per artifact, used by every writer (``pipeline.publish``,
``pipeline.validate.report``) and every reader (``pipeline.publish.release``, ``pipeline.site``, the
CLI). ``to_json`` gives the project's JSON style (2-space indent, UTF-8, trailing newline, fields in
declaration order, so the files read as before); ``from_json``/``read`` validate what they read
and raise ``ValueError`` naming the file and the first problem. Nothing here computes a value: the
models only carry what their writers decided.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from pipeline.findings import SEVERITIES
from pipeline.fsutil import atomic_write_text, json_text


class Artifact(BaseModel):
    """Base: strict about unknown keys, JSON in and out."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def from_json(cls, text: str | bytes, *, source: str = "document") -> Self:
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "top level"
            raise ValueError(f"{source}: not a valid {cls.__name__} ({where}: {first['msg']})") from None

    @classmethod
    def read(cls, path: Path) -> Self:
        """The artifact in ``path``; ``FileNotFoundError`` when absent, ``ValueError`` when unreadable."""
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise ValueError(f"{path}: cannot be read ({exc})") from None
        return cls.from_json(data, source=str(path))

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def to_json(self) -> str:
        return json_text(self.to_dict())

    def write(self, path: Path, *, durable: bool = True) -> Path:
        return atomic_write_text(path, self.to_json(), durable=durable)


class SeverityCounts(Artifact):
    """Findings per severity (the only place severities are counted under a name)."""

    error: int = 0
    warning: int = 0
    info: int = 0

    @classmethod
    def of(cls, counts: dict[str, int]) -> SeverityCounts:
        return cls(**{s: int(counts.get(s, 0)) for s in SEVERITIES})

    def get(self, severity: str, default: int = 0) -> int:
        return int(getattr(self, severity, default))


class SourceRecord(Artifact):
    """A raw source file a run read (relative path, sha256, size, encoding, lines)."""

    path: str
    sha256: str
    bytes: int
    encoding: str
    line_count: int


class CandidateStatus(Artifact):
    """``candidate.json`` of ``staging/`` (the publishable candidate) or ``blocked/`` (the latest run,
    blocked by errors or failed before its candidate): what it is and whether it may be published."""

    status: Literal["candidate", "blocked", "failed"]
    publishable: bool
    created: str
    version: str | None
    previous_version: str | None
    bump: str | None
    sources: list[SourceRecord]
    counts: dict[str, int]
    quarantined: int
    severity_counts: SeverityCounts
    findings: int
    blocking: list[str]
    report: dict[str, str]
    report_sha256: str | None
    run_id: str | None = None  # the Dagster run that staged it, when one did
    failed_step: str | None = None  # status "failed": the step that raised

    def report_file(self, kind: str) -> str:
        """The report's path in staging for ``kind`` (json, md, html)."""
        return self.report.get(kind, f"validation/report.{kind}")


class Review(Artifact):
    """``releases/<version>/review.json``: the editor's decision and what it was based on."""

    decision: Literal["accepted", "accepted-with-warnings"]
    reviewer: str
    decided_at: str
    note: str
    accepted_warnings: bool
    report: str
    report_sha256: str | None
    severity_counts: SeverityCounts
    version: str
    previous_version: str | None
    bump: str
    candidate_created: str | None
    sources: list[SourceRecord]


class ZipRecord(Artifact):
    path: str
    bytes: int
    sha256: str


class IndexEntry(Artifact):
    """One release in ``releases/index.json``."""

    version: str
    created: str | None
    previous_version: str | None
    bump: str | None
    path: str
    zip: ZipRecord
    counts: dict[str, int]
    files: dict[str, str]


class ReleaseIndex(Artifact):
    """``releases/index.json``: every release, oldest first."""

    name: str | None
    latest: str | None
    releases: list[IndexEntry]


class LatestRelease(Artifact):
    """``releases/latest.json``: where the latest release is, for scripts (paths relative to
    ``releases/``): its version folder, the ``latest/`` copy of it, its zip and the ``-latest`` zip."""

    name: str
    version: str
    created: str | None
    path: str
    latest_path: str
    zip: ZipRecord
    latest_zip: ZipRecord
    files: dict[str, str]


class RuleCount(Artifact):
    count: int
    severity: str | None
    title: str
    hint: str | None


class ReportSummary(Artifact):
    """The ``summary`` of ``report.json`` (see ``pipeline/validate/REPORT_FORMAT.md``)."""

    publishable: bool
    total: int
    by_severity: SeverityCounts
    by_rule: dict[str, RuleCount]
    by_table: dict[str, int]
    by_status: dict[str, int] = {}  # format 1.2: "open", "corrected" → count


class ReportFinding(Artifact):
    """One finding as the report lists it."""

    rule: str
    severity: str
    message: str
    table: str | None = None
    key: dict[str, str | int | float | bool | None] | None = None
    column: str | None = None
    value: str | None = None
    source_file: str | None = None
    source_line: int | None = None
    excerpt: str | None = None
    hint: str | None = None
    excerpt_span: list[int] | None = None  # [start, end) of the flagged value in ``excerpt`` (format 1.1)
    status: str = "open"  # format 1.2: "open" or "corrected" (an editors' correction resolved it)
    resolution: dict[str, str | int | None] | None = None  # format 1.2: the correction that resolved it

    @property
    def location(self) -> str:
        if not self.source_file:
            return ""
        return f"{self.source_file}:{self.source_line}" if self.source_line else self.source_file


class Report(Artifact):
    """``report.json``."""

    format_version: str
    generated: dict[str, Any]
    summary: ReportSummary
    findings: list[ReportFinding]
