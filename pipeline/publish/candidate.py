"""The release candidate in ``outputs/staging/``: laid out exactly like a release, awaiting review.

Scope: write the published tables (CSV via ``pipeline.csvio`` and Parquet, same rows in the same
order), the quarantine (kept for editors, never published), the validation report (through the
report writer of ``pipeline.validate``), ``datapackage.json`` checked with Frictionless,
``CHANGELOG.md``, ``changes.json``, ``README.md``, ``SHA256SUMS`` and the ``candidate.json`` status,
all in a temp folder next to ``staging/`` that is then swapped in whole. When an error stands,
staging gets only the report, the quarantine and ``candidate.json`` (``publishable: false``): nothing
that could be published. Releases are never touched here. The caller holds the outputs lock
(``pipeline.publish.lock``) for the whole run. This module must not parse sources or judge data.

Steps the Dagster layer can wire: :func:`new_build_dir` → :func:`write_candidate_data` (and
:func:`write_quarantine`) → :func:`finalize_candidate`; or :func:`stage_blocked` for a run whose
checks failed; or :func:`stage_candidate` for all of it at once.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from pipeline.config import ReleaseConfig, release_config
from pipeline.csvio import write_csv
from pipeline.findings import Finding, has_errors, severity_counts
from pipeline.publish import changelog
from pipeline.publish.arrow import write_parquet
from pipeline.publish.datapackage import (
    DESCRIPTOR_NAME,
    build_datapackage,
    csv_path,
    parquet_path,
    published_schemas,
    source_record,
    write_datapackage,
)
from pipeline.publish.fsutil import (
    SUMS_NAME,
    atomic_write_json,
    atomic_write_text,
    make_temp_dir,
    read_json,
    remove_temp_dirs,
    sha256_file,
    swap_in_dir,
    write_sha256sums,
)
from pipeline.publish.layout import (
    CANDIDATE_ONLY,
    CANDIDATE_STATUS,
    CHANGES_NAME,
    QUARANTINE_DIR,
    README_NAME,
    STAGING_TMP_PREFIX,
    VALIDATION_DIR,
    latest_release,
    staging_dir,
)
from pipeline.publish.readme import render_readme
from pipeline.publish.versioning import Diff, changes_document, diff_snapshots, read_snapshot
from pipeline.schemas import TableSchema, load_schemas

ReportWriter = Callable[..., Mapping[str, Path]]
FrictionlessCheck = Callable[[Path], list[Finding]]
MAX_BLOCKING_LISTED = 20
# Files of a candidate that only make sense when it is publishable.
PUBLISHABLE_FILES = (DESCRIPTOR_NAME, README_NAME, changelog.CHANGELOG_NAME, CHANGES_NAME, SUMS_NAME)


def utc_now() -> str:
    """Now as ``YYYY-MM-DDTHH:MM:SSZ`` (the ``created`` of candidates and releases)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def default_report_writer() -> ReportWriter:
    from pipeline.validate.report import write_report

    return write_report


def default_frictionless_check() -> FrictionlessCheck:
    from pipeline.validate.frictionless_check import validate_datapackage

    return validate_datapackage


@dataclass(frozen=True)
class CandidateResult:
    """What was staged. ``report`` maps the report's formats to their paths in staging."""

    path: Path
    publishable: bool
    version: str | None
    previous_version: str | None
    bump: str | None
    counts: dict[str, int]
    severity_counts: dict[str, int]
    report: dict[str, Path]
    status: dict
    findings: list[Finding] = field(default_factory=list)

    @property
    def message(self) -> str:
        if not self.publishable:
            return f"release candidate blocked by {self.severity_counts.get('error', 0)} error(s); report: {self.report.get('html', self.path)}"
        if self.bump == "none":
            return f"release candidate in {self.path} is identical to the latest release {self.version}"
        return f"release candidate {self.version} ({self.bump}) in {self.path}; review {self.report.get('html', '')}"


# -- steps ---------------------------------------------------------------------------------------


def new_build_dir(outputs_dir: Path) -> Path:
    """A fresh temp folder next to ``staging/`` (same filesystem, so the swap is a rename)."""
    return make_temp_dir(outputs_dir, STAGING_TMP_PREFIX)


def clean_stale_builds(outputs_dir: Path) -> list[Path]:
    """Remove builds left by killed runs (call while holding the outputs lock)."""
    return remove_temp_dirs(outputs_dir, STAGING_TMP_PREFIX)


def write_candidate_data(tables: Mapping[str, pd.DataFrame], build_dir: Path) -> dict[str, int]:
    """``data/<table>.csv`` and ``data/<table>.parquet`` for every published table; row counts."""
    counts = {}
    for table in published_schemas():
        if table.name not in tables:
            raise KeyError(f"no frame for published table {table.name!r} (schemas/{table.path.name})")
        frame = table.frame(tables[table.name])
        write_csv(frame, table, build_dir / csv_path(table.name))
        write_parquet(frame, table, build_dir / parquet_path(table.name), durable=False)
        counts[table.name] = len(frame)
    return counts


def write_quarantine(tables: Mapping[str, pd.DataFrame] | None, build_dir: Path) -> int:
    """``quarantine/<table>.csv`` for every unpublished table of ``schemas/`` (the quarantine:
    header only when nothing was rejected); the number of rows written."""
    total = 0
    for table in load_schemas().values():
        if table.published:
            continue
        frame = (tables or {}).get(table.name)
        rows = table.frame(frame if frame is not None else [])
        write_csv(rows, table, build_dir / QUARANTINE_DIR / f"{table.name}.csv")
        total += len(rows)
    return total


def compare_with_latest(build_dir: Path, outputs_dir: Path, tables: Iterable[TableSchema] | None = None) -> Diff:
    """The candidate's data (``build_dir/data``) against the latest release in ``outputs_dir``."""
    current = read_snapshot(build_dir, list(tables) if tables is not None else list(load_schemas().values()))
    latest = latest_release(outputs_dir)
    previous = read_snapshot(latest[1]) if latest else None
    return diff_snapshots(previous, current, latest[0] if latest else None)


def write_release_texts(
    root: Path,
    *,
    descriptor: Mapping,
    diff: Diff,
    created: str,
    status: str,
    previous_changelog: str | None,
    config: ReleaseConfig,
    tables: list[TableSchema],
) -> None:
    """``datapackage.json``, ``changes.json``, ``CHANGELOG.md`` and ``README.md`` of ``root`` (a build
    folder: not fsynced file by file, the caller fsyncs the whole folder before renaming it)."""
    version = descriptor["version"]
    write_datapackage(root, descriptor, durable=False)
    atomic_write_json(root / CHANGES_NAME, changes_document(diff, version), durable=False)
    new_entry = None if diff.bump == "none" else changelog.entry(diff, version, created[:10])
    atomic_write_text(root / changelog.CHANGELOG_NAME, changelog.changelog(config.title, new_entry, previous_changelog), durable=False)
    counts = {name: change.rows_after for name, change in diff.tables.items()}
    readme = render_readme(
        version=version,
        created=created,
        counts=counts,
        tables=tables,
        status=status,
        previous_version=diff.previous_version,
        unchanged=diff.bump == "none",
        config=config,
    )
    atomic_write_text(root / README_NAME, readme, durable=False)


def previous_changelog(outputs_dir: Path) -> str | None:
    latest = latest_release(outputs_dir)
    if latest is None:
        return None
    path = latest[1] / changelog.CHANGELOG_NAME
    return path.read_text(encoding="utf-8") if path.is_file() else None


def as_finding(f: Finding | Mapping) -> Finding:
    """A finding, also when it comes as the dict of ``Finding.to_dict()`` (e.g. read from JSON)."""
    return f if isinstance(f, Finding) else Finding(**dict(f))


def _blocking(findings: Iterable[Finding]) -> list[str]:
    out = []
    for f in sorted((f for f in findings if f.severity == "error"), key=Finding.sort_key):
        out.append(f"{f.location + ': ' if f.location else ''}{f.message} [{f.rule}]")
    return out


def _report_files(paths: Mapping[str, Path], build_dir: Path) -> dict[str, str]:
    return {kind: Path(p).resolve().relative_to(build_dir.resolve()).as_posix() for kind, p in paths.items()}


def _csv_rows(path: Path) -> int:
    if not path.is_file():
        return 0
    with path.open(encoding="utf-8", newline="") as f:
        return max(sum(1 for _ in csv.reader(f)) - 1, 0)


def _parquet_counts(build_dir: Path) -> dict[str, int]:
    return {t.name: pq.ParquetFile(build_dir / parquet_path(t.name)).metadata.num_rows for t in published_schemas()}


def finalize_candidate(
    build_dir: Path,
    outputs_dir: Path,
    *,
    findings: Iterable[Finding | Mapping],
    sources: Iterable[object],
    counts: Mapping[str, int] | None = None,
    created: str | None = None,
    report_writer: ReportWriter | None = None,
    frictionless_check: FrictionlessCheck | None = None,
    context: Mapping | None = None,
    config: ReleaseConfig | None = None,
) -> CandidateResult:
    """Complete ``build_dir`` (data and quarantine written, or only the quarantine when blocked) and
    swap it in as ``outputs_dir/staging``. Frictionless findings on the written package join
    ``findings``; any error makes the candidate blocked (its publishable files are removed)."""
    created = created or utc_now()
    cfg = config or release_config()
    tables = published_schemas()
    source_list = [source_record(s) for s in sources]
    all_findings = [as_finding(f) for f in findings]
    data_written = all((build_dir / parquet_path(t.name)).is_file() for t in tables)
    publishable = data_written and not has_errors(all_findings)
    diff: Diff | None = None
    if publishable:
        diff = compare_with_latest(build_dir, outputs_dir, tables)
        descriptor = build_datapackage(build_dir, version=diff.version, created=created, sources=source_list, tables=tables, config=cfg)
        write_release_texts(
            build_dir, descriptor=descriptor, diff=diff, created=created, status="candidate",
            previous_changelog=previous_changelog(outputs_dir), config=cfg, tables=tables,
        )
        check = frictionless_check or default_frictionless_check()
        extra = list(check(build_dir / DESCRIPTOR_NAME))
        all_findings += extra
        publishable = not has_errors(extra)
    if not publishable:
        diff = None
        for name in PUBLISHABLE_FILES:
            (build_dir / name).unlink(missing_ok=True)
        shutil.rmtree(build_dir / "data", ignore_errors=True)
    row_counts = _parquet_counts(build_dir) if publishable else dict(counts or {})
    severities = severity_counts(all_findings)
    report_context = {
        "dataset": cfg.title,
        "created": created,
        "sources": source_list,
        "counts": row_counts,
        "version": diff.version if diff else None,
        "previous_version": diff.previous_version if diff else None,
        "publishable": publishable,
        **dict(context or {}),
    }
    writer = report_writer or default_report_writer()
    report_paths = writer(all_findings, build_dir / VALIDATION_DIR, context=report_context)
    report_rel = _report_files(report_paths, build_dir)
    if publishable:
        write_sha256sums(build_dir, exclude=CANDIDATE_ONLY, durable=False)
    blocking = _blocking(all_findings)
    if not publishable and not blocking:
        blocking = ["no data was written for the published tables (the run stopped before the candidate)"]
    status = {
        "status": "candidate" if publishable else "blocked",
        "publishable": publishable,
        "created": created,
        "version": diff.version if diff else None,
        "previous_version": diff.previous_version if diff else None,
        "bump": diff.bump if diff else None,
        "sources": source_list,
        "counts": row_counts,
        "quarantined": sum(_csv_rows(p) for p in sorted((build_dir / QUARANTINE_DIR).glob("*.csv"))),
        "severity_counts": severities,
        "findings": len(all_findings),
        "blocking": blocking[:MAX_BLOCKING_LISTED],
        "report": report_rel,
        "report_sha256": sha256_file(build_dir / report_rel["json"]) if "json" in report_rel else None,
    }
    atomic_write_json(build_dir / CANDIDATE_STATUS, status, durable=False)
    target = staging_dir(outputs_dir)
    swap_in_dir(build_dir, target)
    return CandidateResult(
        path=target,
        publishable=publishable,
        version=status["version"],
        previous_version=status["previous_version"],
        bump=status["bump"],
        counts=row_counts,
        severity_counts=severities,
        report={kind: target / rel for kind, rel in report_rel.items()},
        status=status,
        findings=all_findings,
    )


def stage_blocked(
    findings: Iterable[Finding | Mapping],
    outputs_dir: Path,
    *,
    sources: Iterable[object],
    tables: Mapping[str, pd.DataFrame] | None = None,
    counts: Mapping[str, int] | None = None,
    created: str | None = None,
    report_writer: ReportWriter | None = None,
    context: Mapping | None = None,
) -> CandidateResult:
    """Staging for a run whose checks failed: the report, the quarantine (the unpublished tables of
    ``tables``) and ``candidate.json`` only — nothing publishable."""
    build = new_build_dir(outputs_dir)
    try:
        write_quarantine(tables, build)
        return finalize_candidate(
            build, outputs_dir, findings=findings, sources=sources, counts=counts, created=created,
            report_writer=report_writer, frictionless_check=lambda _p: [], context=context,
        )
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise


def stage_candidate(
    extraction,
    findings: Iterable[Finding | Mapping],
    outputs_dir: Path,
    *,
    report_writer: ReportWriter | None = None,
    frictionless_check: FrictionlessCheck | None = None,
    created: str | None = None,
    context: Mapping | None = None,
) -> CandidateResult:
    """End to end: ``extraction`` (an ``Extraction``: tables + sources) and every finding of the run
    (extraction's and validation's; the caller merges them) → ``outputs_dir/staging``."""
    clean_stale_builds(outputs_dir)
    findings = [as_finding(f) for f in findings]
    counts = {name: len(frame) for name, frame in extraction.tables.items() if name in {t.name for t in published_schemas()}}
    build = new_build_dir(outputs_dir)
    try:
        write_quarantine(extraction.tables, build)
        if not has_errors(findings):
            write_candidate_data(extraction.tables, build)
        return finalize_candidate(
            build, outputs_dir, findings=findings, sources=extraction.sources, counts=counts, created=created,
            report_writer=report_writer, frictionless_check=frictionless_check, context=context,
        )
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise


def read_status(outputs_dir: Path) -> dict:
    """``staging/candidate.json``; ``FileNotFoundError`` with a clear message when there is none."""
    path = staging_dir(outputs_dir) / CANDIDATE_STATUS
    if not path.is_file():
        raise FileNotFoundError(f"no release candidate in {staging_dir(outputs_dir)}: run `atlas run` first")
    return read_json(path)  # type: ignore[return-value]
