"""Read the releases and the staged candidate of an outputs folder into plain records for the site.

Scope: list published releases (``releases/<version>/`` plus ``releases/index.json``), each
release's files with sizes and sha256, counts, validation status, review and change summary, its
tables (for the charts and the organisations table), the staged candidate (and the release it
became once published) and the latest blocked or failed run, each with its findings as the review
page lists them (excerpts centred on the flagged text, source context when the file is unchanged).
Every release's files are checked against its ``SHA256SUMS`` (and that against ``index.json``)
before anything is read from them: a changed or missing file is an
:class:`~pipeline.publish.integrity.IntegrityError` naming it, so a tampered file never reaches
the site. Everything here only reads: it must not write, validate data, compute versions or render HTML.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pandas as pd

from pipeline.artifacts import Artifact, CandidateStatus, IndexEntry, ReleaseIndex, Report, Review, SeverityCounts
from pipeline.csvio import read_csv
from pipeline.fsutil import SUMS_NAME, parse_sha256sums, sha256_file
from pipeline.publish import layout
from pipeline.publish.arrow import read_parquet
from pipeline.publish.candidate import read_blocked as latest_blocked
from pipeline.publish.datapackage import DESCRIPTOR_NAME, table_resources
from pipeline.publish.integrity import IntegrityError, release_problems
from pipeline.schemas import TableSchema, load_schemas, schemas_of
from pipeline.validate.excerpts import SourceLines
from pipeline.validate.findings_list import FindingsList, rendered_items
from pipeline.validate.report import written_report

A = TypeVar("A", bound=Artifact)


@dataclass
class FileEntry:
    """One downloadable file: ``rel`` is its path in the site, ``source`` the file it comes from."""

    rel: str
    source: Path
    label: str
    kind: str
    bytes: int
    sha256: str
    recorded: str | None = None  # the sha256 the release itself records (SHA256SUMS / index.json)
    table: str | None = None

    @property
    def mismatch(self) -> bool:
        return self.recorded is not None and self.recorded != self.sha256


@dataclass
class Release:
    version: str
    path: Path
    created: str
    counts: dict[str, int]
    descriptor: dict
    report: Report | None
    review: Review | None
    changes: dict | None
    changelog: str
    zip: FileEntry | None
    files: list[FileEntry]
    latest: bool = False
    alias: bool = False  # the latest release at its stable addresses (latest.html)

    @property
    def page(self) -> str:
        return "latest.html" if self.alias else f"release-{self.version}.html"

    @property
    def severity_counts(self) -> SeverityCounts | None:
        return self.report.summary.by_severity if self.report else None

    @property
    def summary(self) -> list[str]:
        return [str(s) for s in (self.changes or {}).get("summary", [])]

    def table_files(self) -> list[tuple[str, FileEntry | None, FileEntry | None]]:
        """(table, csv, parquet) in the descriptor's order."""
        names: list[str] = []
        for f in self.files:
            if f.table and f.table not in names:
                names.append(f.table)
        by = {(f.table, f.kind): f for f in self.files if f.table}
        return [(n, by.get((n, "csv")), by.get((n, "parquet"))) for n in names]

    def other_files(self) -> list[FileEntry]:
        return [f for f in self.files if not f.table]


@dataclass
class RunReport:
    """A staged folder (``staging/`` or ``blocked/``): its status, report and files, and the
    findings as the review page lists them (every one; the page filters and pages them)."""

    path: Path
    status: CandidateStatus | None
    report: Report | None  # its header only (no findings) when this process wrote it: see _written_here
    findings: FindingsList  # rendered one at a time as the review page is written
    files: list[FileEntry]
    counts: dict[str, int]
    published_as: str | None = None  # the release this candidate became, when it was published

    @property
    def severity_counts(self) -> SeverityCounts | None:
        return self.report.summary.by_severity if self.report else None

    def report_files(self) -> list[FileEntry]:
        """The validation report in each format (json, md, html) among the folder's files."""
        return [f for f in self.files if f.label.startswith(f"{layout.VALIDATION_DIR}/report.")]

    @property
    def report_href(self) -> str:
        found = [f.rel for f in self.report_files() if f.rel.endswith(".html")]
        return found[0] if found else ""


Candidate = RunReport  # the staged candidate is a RunReport of staging/


# -- small readers ---------------------------------------------------------------------------------


def read_json(path: Path) -> object | None:
    """A JSON document that has no model (``datapackage.json``, ``changes.json``), or None when it
    is missing or unreadable (the page says so)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_artifact(model: type[A], path: Path) -> A | None:
    """A typed artifact, or None when it is missing or does not validate (the page says so)."""
    try:
        return model.read(path)
    except (OSError, ValueError):
        return None


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def index_entries(outputs_dir: Path) -> dict[str, IndexEntry]:
    """``releases/index.json`` by version (empty when there is none or it is unreadable)."""
    index = read_artifact(ReleaseIndex, layout.releases_dir(outputs_dir) / layout.INDEX_NAME)
    return {e.version: e for e in index.releases} if index else {}


# -- files -----------------------------------------------------------------------------------------


def _kind(rel: str) -> str:
    suffix = rel.rsplit(".", 1)[-1].lower() if "." in rel.rsplit("/", 1)[-1] else ""
    return {"csv": "csv", "parquet": "parquet", "zip": "zip", "json": "json", "md": "markdown", "html": "html"}.get(suffix, "file")


def file_entries(root: Path, prefix: str, recorded: dict[str, str], tables: dict[str, str]) -> list[FileEntry]:
    """The regular files under ``root`` (symlinks and temp files skipped), data files first.

    ``prefix`` is the folder's path in the site (``releases/1.0.0``); ``tables`` maps a data file's path to its
    table (from ``datapackage.json``)."""
    entries = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if not path.is_file() or path.is_symlink() or any(part.startswith(".") for part in rel.split("/")):
            continue
        entries.append(
            FileEntry(
                rel=f"{prefix}/{rel}",
                source=path,
                label=rel,
                kind=_kind(rel),
                bytes=path.stat().st_size,
                sha256=sha256_file(path, reuse=True),
                recorded=recorded.get(rel),
                table=tables.get(rel),
            )
        )
    table_order = {t: i for i, t in enumerate(dict.fromkeys(tables.values()))}
    kind_order = {"csv": 0, "parquet": 1}
    entries.sort(
        key=lambda e: (
            e.table is None,
            e.label != "datapackage.json",
            table_order.get(e.table or "", 0),
            kind_order.get(e.kind, 2),
            e.label,
        )
    )
    return entries


def _data_tables(descriptor: dict) -> dict[str, str]:
    """Data file path → table name, from the descriptor's tabular resources (``x-parquet`` → ``x``)."""
    out = {}
    for r in descriptor.get("resources", []):
        path, name = r.get("path"), str(r.get("name", ""))
        if isinstance(path, str) and name and "schema" in r:
            out[path] = name.removesuffix("-parquet") if r.get("format") == "parquet" else name
    return out


# -- releases --------------------------------------------------------------------------------------


def read_release(outputs_dir: Path, version: str, entry: IndexEntry | None) -> Release:
    """A release, after checking its files (:class:`IntegrityError` naming what changed)."""
    root = layout.release_dir(outputs_dir, version)
    problems = release_problems(root, label=f"{layout.RELEASES}/{version}", sums_sha256=entry.files.get(SUMS_NAME) if entry else None)
    if problems:
        raise IntegrityError(problems, f"`atlas site` places no tampered file in the site; restore releases/{version}/ first.")
    descriptor = read_json(root / DESCRIPTOR_NAME)
    descriptor = descriptor if isinstance(descriptor, dict) else {}
    recorded = parse_sha256sums(read_text(root / SUMS_NAME)) if (root / SUMS_NAME).is_file() else {}
    for rel, sha in entry.files.items() if entry else ():
        recorded.setdefault(rel, sha)
    changes = read_json(root / layout.CHANGES_NAME)
    tables = list(table_resources(descriptor))
    return Release(
        version=version,
        path=root,
        created=str((entry.created if entry else None) or descriptor.get("created") or ""),
        counts=entry.counts if entry else layout.row_counts(root, [t for t in tables if (root / layout.parquet_path(t)).is_file()]),
        descriptor=descriptor,
        report=read_artifact(Report, root / layout.REPORT_JSON),
        review=read_artifact(Review, root / layout.REVIEW_NAME),
        changes=changes if isinstance(changes, dict) else None,
        changelog=read_text(root / "CHANGELOG.md"),
        zip=_zip_entry(outputs_dir, str(descriptor.get("name") or "release"), version, entry),
        files=file_entries(root, f"{layout.RELEASES}/{version}", recorded, _data_tables(descriptor)),
    )


def _zip_entry(outputs_dir: Path, name: str, version: str, entry: IndexEntry | None) -> FileEntry | None:
    zip_file = layout.zip_path(outputs_dir, name, version)
    if not zip_file.is_file():
        return None
    found = FileEntry(
        rel=f"{layout.RELEASES}/{zip_file.name}",
        source=zip_file,
        label=zip_file.name,
        kind="zip",
        bytes=zip_file.stat().st_size,
        sha256=sha256_file(zip_file),
        recorded=entry.zip.sha256 if entry and entry.zip.path == zip_file.name else None,
    )
    if found.mismatch:
        raise IntegrityError(
            [f"{layout.RELEASES}/{zip_file.name}: checksum differs from index.json"], "Rebuild it from its release folder."
        )
    return found


def latest_alias(outputs_dir: Path, release: Release) -> Release:
    """The latest release as served at its stable addresses: its files under ``releases/latest/``
    and its zip as ``releases/<name>-latest.zip`` (same bytes, same checksums)."""
    prefix = f"{layout.RELEASES}/{release.version}/"
    files = [dataclasses.replace(f, rel=f"{layout.RELEASES}/{layout.LATEST_NAME}/{f.rel.removeprefix(prefix)}") for f in release.files]
    zip_entry = None
    if release.zip is not None:
        latest_zip = layout.latest_zip_path(outputs_dir, str(release.descriptor.get("name") or "release"))
        zip_entry = dataclasses.replace(release.zip, rel=f"{layout.RELEASES}/{latest_zip.name}", label=latest_zip.name)
    return dataclasses.replace(release, files=files, zip=zip_entry, alias=True)


def read_releases(outputs_dir: Path) -> list[Release]:
    """Every published release, newest first."""
    entries = index_entries(outputs_dir)
    versions = layout.release_versions(outputs_dir)
    releases = [read_release(outputs_dir, v, entries.get(v)) for v in versions]
    releases.sort(key=lambda r: layout.parse_version(r.version), reverse=True)
    if releases:
        releases[0].latest = True
    return releases


# -- tables ----------------------------------------------------------------------------------------


def release_schemas(descriptor: dict) -> list[TableSchema]:
    """The tables of a release with their schemas as published (the descriptor's order), else the
    published tables of ``schemas/``."""
    resources = table_resources(descriptor)
    return schemas_of(resources) if resources else [t for t in load_schemas().values() if t.published]


def table_schema(name: str, descriptor: dict | None = None) -> TableSchema | None:
    """The table's schema as published in ``descriptor`` (exact for that release), else ``schemas/``."""
    resources = table_resources(descriptor or {})
    if name in resources:
        return schemas_of({name: resources[name]})[0]
    return load_schemas().get(name)


def read_table(root: Path, name: str, descriptor: dict | None = None) -> pd.DataFrame | None:
    """A table of a release folder: the Parquet file (raw values), else the CSV; None if absent."""
    parquet = root / layout.parquet_path(name)
    if parquet.is_file():
        return read_parquet(parquet)
    csv = root / layout.csv_path(name)
    schema = table_schema(name, descriptor)
    if csv.is_file() and schema is not None:
        return read_csv(csv, schema)
    return None


# -- candidate -------------------------------------------------------------------------------------


def source_checksums(status: CandidateStatus | None, report: Report | None) -> dict[str, str]:
    """Source file (relative path) → the sha256 the run read, from ``candidate.json`` or the report."""
    out = {s.path: s.sha256 for s in status.sources} if status else {}
    items = report.generated.get("sources") if report else None
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("path"), str) and isinstance(item.get("sha256"), str):
            out.setdefault(item["path"], item["sha256"])
    return out


def sources_dirs(outputs_dir: Path, report: Report | None) -> list[Path]:
    """Folders where the candidate's source files may still be: a ``sources_dir`` recorded by the
    run, else ``sources/`` beside the outputs folder (the CLI's defaults)."""
    found = []
    value = report.generated.get("sources_dir") if report else None
    if isinstance(value, str) and Path(value).is_dir():
        found.append(Path(value))
    default = outputs_dir.resolve().parent / "sources"
    if default.is_dir():
        found.append(default)
    return found


def _written_here(root: Path, rendered: Path) -> tuple[Report, FindingsList] | None:
    """The report header and findings list of a ``report.json`` this process wrote (see
    :func:`~pipeline.validate.report.written_report`), when its sha256 on disk is the one written
    and ``rendered`` holds its items: neither validated again nor its findings loaded."""
    try:
        sha256 = sha256_file(root / layout.REPORT_JSON, reuse=True)
    except OSError:
        return None
    known = written_report(sha256)
    if known is None or not rendered.is_file() or rendered_items(rendered, sha256) is None:
        return None
    findings = FindingsList.summarised(known.count, known.facets, known.has_corrections, report_sha256=sha256, rendered=rendered)
    return known.header, findings


def _findings_list(outputs_dir: Path, root: Path, status: CandidateStatus | None, rendered: Path) -> tuple[Report | None, FindingsList]:
    """The report (validated) and its findings as the review page lists them."""
    if (known := _written_here(root, rendered)) is not None:
        return known
    report = read_artifact(Report, root / layout.REPORT_JSON)
    sources = SourceLines(sources_dirs(outputs_dir, report), source_checksums(status, report))
    created = report.generated.get("created") if report else None
    findings = FindingsList(
        [f.to_dict() for f in report.findings] if report else [],
        sources,
        created=str(created) if created else None,
        report_sha256=sha256_file(root / layout.REPORT_JSON, reuse=True) if report else None,
        rendered=rendered if rendered.is_file() else None,  # the same items, copied when it holds them
    )
    return report, findings


def _run_report(outputs_dir: Path, root: Path, prefix: str) -> RunReport | None:
    if not root.is_dir():
        return None
    status = read_artifact(CandidateStatus, root / layout.CANDIDATE_STATUS)
    rendered = root / (status.report_file("html") if status else layout.REPORT_HTML)
    report, findings = _findings_list(outputs_dir, root, status, rendered)
    descriptor = read_json(root / DESCRIPTOR_NAME)
    recorded = parse_sha256sums(read_text(root / SUMS_NAME)) if (root / SUMS_NAME).is_file() else {}
    return RunReport(
        path=root,
        status=status,
        report=report,
        findings=findings,
        files=file_entries(root, prefix, recorded, _data_tables(descriptor if isinstance(descriptor, dict) else {})),
        counts=status.counts if status else {},
    )


def read_candidate(outputs_dir: Path, releases: list[Release] | None = None) -> RunReport | None:
    """The staged candidate, or None when nothing is staged; ``published_as`` names the release it
    became when the editor already published it (its accepted report is that release's)."""
    candidate = _run_report(outputs_dir, layout.staging_dir(outputs_dir), layout.STAGING)
    if candidate is None or candidate.status is None:
        return candidate
    sha = candidate.status.report_sha256
    for release in releases if releases is not None else read_releases(outputs_dir):
        if sha and release.review is not None and release.review.report_sha256 == sha:
            candidate.published_as = release.version
            break
    return candidate


def read_blocked(outputs_dir: Path) -> RunReport | None:
    """The latest run's report when it was blocked or failed (``blocked/``), else None."""
    try:
        if latest_blocked(outputs_dir) is None:
            return None
    except ValueError:
        pass  # unreadable status: the page shows the folder as it is
    return _run_report(outputs_dir, layout.blocked_dir(outputs_dir), layout.BLOCKED)
