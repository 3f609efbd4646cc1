"""The release candidate in ``outputs/staging/``: laid out exactly like a release, awaiting review;
the latest run's report in ``outputs/blocked/`` when it was blocked or failed.

Scope: :func:`stage`, the one code path that writes ``outputs/staging`` and ``outputs/blocked`` (the
``release_candidate`` asset and every test call it; :func:`stage_failure` is its variant for a run
that failed before the candidate). It writes the published tables (CSV via ``pipeline.csvio`` and
Parquet, same rows in the same order) and the quarantine (kept for editors, never published) in a
temp folder next to ``staging/``, checks the written CSV files with Frictionless, and, when no
finding is an error, adds ``datapackage.json`` (its descriptor checked too), ``CHANGELOG.md``,
``changes.json``, ``README.md`` and ``SHA256SUMS``; then the validation report (through the report
writer of ``pipeline.validate``; on a re-run, while the database is still being updated, before
``datapackage.json``, which lists it) and the ``candidate.json`` status; then swaps the folder in whole.
When an error stands, the build holds only the report, the quarantine and ``candidate.json``
(``publishable: false``) and is swapped in as ``blocked/``: the last publishable candidate in
``staging/`` stays reviewable and publishable beside it (candidates are never lost). A publishable
build replaces ``staging/`` and removes ``blocked/`` (the latest run is then the candidate).
Releases are never touched here. It
holds the outputs lock (``pipeline.publish.lock``) unless its caller already does. This module
must not parse sources or judge data beyond the Frictionless check of the files it wrote.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pandas as pd
import pyarrow as pa

from pipeline.artifacts import CandidateStatus, SeverityCounts, SourceRecord
from pipeline.config import ReleaseConfig, release_config
from pipeline.csvio import write_csv
from pipeline.findings import Finding, has_errors, severity_counts
from pipeline.fsutil import (
    SUMS_NAME,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    collector_paused,
    make_temp_dir,
    release_after_large,
    remove_temp_dirs,
    sha256_file,
    swap_in_dir,
    write_sha256sums,
)
from pipeline.publish import changelog
from pipeline.publish.arrow import arrow_table, write_parquet_table
from pipeline.publish.citation import CITATION_NAME, citation_cff
from pipeline.publish.database import update_database, write_database
from pipeline.publish.datapackage import DESCRIPTOR_NAME, build_datapackage, published_schemas, source_record, write_datapackage
from pipeline.publish.dictionary import DICTIONARY_NAME, dictionary_csv
from pipeline.publish.layout import (
    CANDIDATE_ONLY,
    CANDIDATE_STATUS,
    CHANGES_NAME,
    DATA_DIR,
    QUARANTINE_DIR,
    README_NAME,
    STAGING_TMP_PREFIX,
    VALIDATION_DIR,
    blocked_dir,
    csv_path,
    database_path,
    latest_release,
    parquet_path,
    staging_dir,
)
from pipeline.publish.lock import outputs_lock
from pipeline.publish.readme import render_readme
from pipeline.publish.reuse import (
    MANIFEST_NAME,
    Previous,
    StagingManifest,
    TableRecord,
    check_digests,
    combined_digest,
    file_record,
    full_version,
    table_digest,
)
from pipeline.publish.versioning import Diff, changes_document, diff_snapshots, read_snapshot
from pipeline.schemas import TableSchema, load_schemas
from pipeline.validate import merge_findings
from pipeline.validate.frictionless_check import ORG_KEY, ORG_TABLE, validate_descriptor
from pipeline.validate.locate import FILE_COLUMN
from pipeline.validate.report import write_report

ReportWriter = Callable[..., Mapping[str, Path]]
FilesCheck = Callable[[Path, list[str]], list[Finding]]  # (folder of <table>.csv, tables) → findings
StepHook = Callable[[str], None]
MAX_BLOCKING_LISTED = 20
# Files of a candidate that only make sense when it is publishable.
PUBLISHABLE_FILES = (DESCRIPTOR_NAME, README_NAME, changelog.CHANGELOG_NAME, CHANGES_NAME, CITATION_NAME, DICTIONARY_NAME, SUMS_NAME)


STAMP = "%Y-%m-%dT%H:%M:%SZ"


def utc_now() -> str:
    """Now as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return datetime.now(UTC).strftime(STAMP)


def release_time() -> str:
    """The time a candidate records as its release time (``created``): ``SOURCE_DATE_EPOCH`` when it
    is set (the reproducible-builds convention: seconds since 1970 UTC), else now. Every timestamp
    inside the release comes from it. ``ValueError`` when the variable is not a number of seconds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return utc_now()
    try:
        return datetime.fromtimestamp(int(epoch), UTC).strftime(STAMP)
    except (ValueError, OverflowError, OSError):
        raise ValueError(f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds since 1970-01-01 UTC") from None


def zip_time(created: object) -> tuple[int, int, int, int, int, int]:
    """A release time (``YYYY-MM-DDTHH:MM:SSZ``) as the date and time of a zip entry (UTC)."""
    try:
        moment = datetime.strptime(str(created), STAMP)
    except ValueError:
        return (1980, 1, 1, 0, 0, 0)
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


@dataclass(frozen=True)
class CandidateResult:
    """What was staged. ``report`` maps the report's formats to their paths in staging;
    ``frictionless`` holds the findings of the Frictionless check of the written files."""

    path: Path
    status: CandidateStatus
    report: dict[str, Path]
    findings: list[Finding] = field(default_factory=list)
    frictionless: list[Finding] = field(default_factory=list)

    @property
    def publishable(self) -> bool:
        return self.status.publishable

    @property
    def version(self) -> str | None:
        return self.status.version

    @property
    def previous_version(self) -> str | None:
        return self.status.previous_version

    @property
    def bump(self) -> str | None:
        return self.status.bump

    @property
    def counts(self) -> dict[str, int]:
        return self.status.counts

    @property
    def severity_counts(self) -> SeverityCounts:
        return self.status.severity_counts

    @property
    def message(self) -> str:
        if not self.publishable:
            return f"release candidate blocked by {self.severity_counts.error} error(s); report: {self.report.get('html', self.path)}"
        if self.bump == "none":
            return f"release candidate in {self.path} is identical to the latest release {self.version}"
        return f"release candidate {self.version} ({self.bump}) in {self.path}; review {self.report.get('html', '')}"


# -- the staging step ------------------------------------------------------------------------------


def stage(
    tables: Mapping[str, pd.DataFrame],
    outputs_dir: Path,
    *,
    sources: Iterable[object],
    findings: Iterable[Finding | Mapping] = (),
    check_findings: Iterable[Finding] = (),
    created: str | None = None,
    context: Mapping | None = None,
    report_writer: ReportWriter | None = None,
    frictionless_check: FilesCheck | None = None,
    lock: bool = True,
    hook: StepHook | None = None,
    cache_url: str | None = None,
    code_version: str = "",
) -> CandidateResult:
    """Stage ``tables`` as ``outputs_dir/staging``.

    ``findings`` are the run's findings so far (extraction's first), ``check_findings`` those of the
    in-memory checks; the Frictionless findings on the written files join them (a check finding
    the extraction already reported at the same rule, file and line is dropped). Any error makes
    the candidate blocked. ``lock=False`` when the caller holds the outputs lock; ``hook`` is called
    with the name of each step before it runs (tests use it to interrupt staging anywhere).
    ``cache_url``: where the Frictionless findings of each partition's written rows are cached (by
    the partition's content and ``code_version``), so only changed partitions are validated again
    (:mod:`pipeline.validate.written`), and the report's pieces per source file
    (:mod:`pipeline.validate.report_pieces`); None validates every row and renders the whole report."""
    build = _Build(Path(outputs_dir), created or release_time(), [source_record(s) for s in sources], release_config(), hook)
    run = _Run(
        _as_findings(findings),
        list(check_findings),
        dict(context or {}),
        report_writer or partial(write_report, cache_url=cache_url, code_version=code_version),
        frictionless_check,
        cache_url,
        code_version,
    )
    if not lock:
        with collector_paused():  # hundreds of thousands of acyclic objects (rows, keys, findings)
            return _stage(tables, build, run)
    with outputs_lock(build.outputs_dir, "atlas run: staging"), collector_paused():
        return _stage(tables, build, run)


@dataclass
class _Build:
    """A candidate being built (in ``root``, a temp folder beside ``staging/``, once started)."""

    outputs_dir: Path
    created: str
    sources: list[dict]
    config: ReleaseConfig
    hook: StepHook | None
    root: Path = Path()
    files: object = None  # what the Frictionless check by partition did (pipeline.validate.written.WrittenRun)
    data: WrittenData | None = None  # the rows written (the dictionary's examples come from them)
    checks: dict[str, tuple[str, list[dict]]] = field(default_factory=dict)  # table → (check digest, its file's findings)

    def step(self, name: str) -> None:
        if self.hook is not None:
            self.hook(name)


@dataclass(frozen=True)
class _Run:
    """What the caller hands over besides the tables: findings so far, report context, writers."""

    findings: list[Finding]
    check_findings: list[Finding]
    context: dict
    report_writer: ReportWriter
    frictionless_check: FilesCheck | None  # None: Frictionless by partition (pipeline.validate.written)
    cache_url: str | None = None
    code_version: str = ""


def _stage(tables: Mapping[str, pd.DataFrame], build: _Build, run: _Run) -> CandidateResult:
    remove_temp_dirs(build.outputs_dir, STAGING_TMP_PREFIX)  # builds left by killed runs
    # the previous candidate's files that unchanged tables may take over (only with a cache: a
    # run without one writes everything; pipeline.publish.reuse says when a file qualifies)
    previous = Previous.find(staging_dir(build.outputs_dir), build.outputs_dir, run.code_version) if run.cache_url else None
    build.root = make_temp_dir(build.outputs_dir, STAGING_TMP_PREFIX)
    try:
        build.step("data")
        build.data = write_data(tables, build.root, name=build.config.name, digests=run.cache_url is not None, previous=previous)
        counts, digests = build.data.counts, build.data.digests
        build.step("quarantine")
        quarantined = write_quarantine(tables, build.root)
        build.step("frictionless")
        frictionless = _check_files(build, run, build.data, previous)
        build.data = replace(build.data, frames={})  # the frames were for the check only
        release_after_large(sum(counts.values()))  # what the check read and built is garbage now
        findings = _as_findings(merge_findings(run.findings, [*run.check_findings, *frictionless]))
        version, report = None, None
        if not has_errors(findings):
            version, descriptor_findings, report = _publishable_files(build, partial(_write_report, build, list(findings), counts, run))
            findings += descriptor_findings
            version = None if has_errors(descriptor_findings) else version
            report = None if descriptor_findings else report  # written before them: written again
        if version is None:
            build.data.wait()  # never delete the data folder under the database's writer
            _drop_publishable_files(build.root)
        build.data = None  # the texts were the last to read the written rows
        release_after_large(sum(counts.values()))  # the texts' garbage, before the report
        if report is None:
            report = _write_report(build, findings, counts, run, version)
        status = _sums_and_status(build, findings, version, counts, quarantined, run, report)
        if status.publishable and digests:
            write_manifest(build.root, build.outputs_dir, digests, counts, run.code_version, name=build.config.name, checks=build.checks)
        build.step("swap")
        target = staging_dir(build.outputs_dir) if status.publishable else blocked_dir(build.outputs_dir)
        swap_in_dir(build.root, target)
    except BaseException:
        if build.data is not None and build.data.database is not None:
            wait([build.data.database])  # never delete the folder under the database's writer
        shutil.rmtree(build.root, ignore_errors=True)
        raise
    finally:
        build.data = None
    if status.publishable:
        build.step("clear-blocked")
        shutil.rmtree(blocked_dir(build.outputs_dir), ignore_errors=True)
    build.step("done")
    return CandidateResult(target, status, {kind: target / rel for kind, rel in report.items()}, findings, frictionless)


@dataclass(frozen=True)
class _Version:
    """What the report and ``candidate.json`` need of the diff with the latest release (the diff
    itself, with every row key of a first release, is dropped once the texts are written)."""

    version: str
    previous_version: str | None
    bump: str


def _publishable_files(
    build: _Build, early_report: Callable[[_Version], dict[str, str]]
) -> tuple[_Version, list[Finding], dict[str, str] | None]:
    """``datapackage.json`` and the texts for a publishable build; the version they are written
    for, the findings of the descriptor check, and the report when it was written meanwhile: while
    the database is still being built (a re-run), the texts that do not list it are written, the
    diff is dropped and ``early_report`` writes the report (assuming the descriptor check finds
    nothing, else the caller writes it again) before the database is waited for."""
    build.step("texts")
    tables = published_schemas()
    diff: Diff | None = compare_with_latest(build.root, build.outputs_dir, tables, sources=build.sources)
    assert diff is not None
    version = _Version(diff.version, diff.previous_version, diff.bump)
    report = None
    database = build.data.database if build.data is not None else None
    if database is not None and not database.done():
        write_diff_texts(build.root, version=diff.version, diff=diff, created=build.created, status="candidate",
                         previous_changelog=previous_changelog(build.outputs_dir), config=build.config, tables=tables)
        diff = None  # a first release's lists every row key: not held while the report is written
        report = early_report(version)
    if build.data is not None:
        build.data.wait()  # the database, when it was still being built beside the check and the diff: its sha256 is listed
    descriptor = build_datapackage(
        build.root, version=version.version, created=build.created, sources=build.sources, tables=tables, config=build.config
    )
    if diff is not None:
        write_release_texts(
            build.root, descriptor=descriptor, diff=diff, created=build.created, status="candidate",
            previous_changelog=previous_changelog(build.outputs_dir), config=build.config, tables=tables,
            data=build.data.arrows if build.data is not None else None,
        )
    else:
        write_data_texts(build.root, descriptor=descriptor, tables=tables, data=build.data.arrows if build.data is not None else None)
    return version, validate_descriptor(build.root / DESCRIPTOR_NAME), report


def _drop_publishable_files(root: Path) -> None:
    for name in PUBLISHABLE_FILES:
        (root / name).unlink(missing_ok=True)
    shutil.rmtree(root / DATA_DIR, ignore_errors=True)


def _write_report(build: _Build, findings: list[Finding], counts: dict[str, int], run: _Run, version: _Version | None) -> dict[str, str]:
    """The build's validation report (``version``: None when the build is not publishable); its
    files' paths relative to the build."""
    build.step("report")
    report_context = {
        "dataset": build.config.title,
        "created": build.created,
        "sources": build.sources,
        "counts": counts,
        "version": version.version if version else None,
        "previous_version": version.previous_version if version else None,
        "publishable": version is not None,
        **run.context,
    }
    paths = run.report_writer(findings, build.root / VALIDATION_DIR, context=report_context)
    return {kind: Path(p).resolve().relative_to(build.root.resolve()).as_posix() for kind, p in paths.items()}


def _sums_and_status(
    build: _Build,
    findings: list[Finding],
    version: _Version | None,
    counts: dict[str, int],
    quarantined: int,
    run: _Run,
    report: dict[str, str],
) -> CandidateStatus:
    """``SHA256SUMS`` (publishable only) and ``candidate.json`` of the build."""
    publishable = version is not None
    if publishable:
        build.step("sums")
        write_sha256sums(build.root, exclude=CANDIDATE_ONLY, durable=False)
    blocking = _blocking(findings) if not publishable else []
    if not publishable and not blocking:
        blocking = ["no data was written for the published tables (the run stopped before the candidate)"]
    status = CandidateStatus(
        status="candidate" if publishable else "blocked",
        publishable=publishable,
        created=build.created,
        version=version.version if version else None,
        previous_version=version.previous_version if version else None,
        bump=version.bump if version else None,
        sources=[SourceRecord(**s) for s in build.sources],
        counts=counts,
        quarantined=quarantined,
        severity_counts=SeverityCounts.of(severity_counts(findings)),
        findings=len(findings),
        blocking=blocking[:MAX_BLOCKING_LISTED],
        report=report,
        report_sha256=sha256_file(build.root / report["json"]) if "json" in report else None,
        run_id=run.context.get("run_id"),
    )
    build.step("status")
    status.write(build.root / CANDIDATE_STATUS, durable=False)
    return status


# -- the pieces ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrittenData:
    """What :func:`write_data` wrote: rows per table, the frames in schema form and the Arrow
    tables the files were written from (the Frictionless check reads both); with ``digests``, each
    table's content digest (``pipeline.publish.reuse``) and the tables (and ``database``) whose
    files were taken over from the previous candidate instead of being written."""

    counts: dict[str, int]
    frames: dict[str, pd.DataFrame]
    arrows: dict[str, pa.Table]
    digests: dict[str, str] = field(default_factory=dict)
    reused: list[str] = field(default_factory=list)
    database: Future[Path] | None = None  # the database still being built (see write_data)

    def wait(self) -> None:
        """Until the database is written (its error raised here)."""
        if self.database is not None:
            self.database.result()


def write_data(
    tables: Mapping[str, pd.DataFrame],
    build_dir: Path,
    *,
    name: str | None = None,
    digests: bool = False,
    previous: Previous | None = None,
) -> WrittenData:
    """``data/<table>.csv`` and ``data/<table>.parquet`` for every published table, and
    ``data/<name>.duckdb`` with all of them, from one Arrow table per table (each file streamed
    from it; the database is built in a second thread meanwhile: DuckDB, polars and Arrow's Parquet
    writer release the GIL). ``digests`` (implied by ``previous``): the tables' content digests;
    ``previous``: the candidate whose files an unchanged table (and the database, when no table
    changed) takes over (:meth:`pipeline.publish.reuse.Previous.take`). When some table was taken
    over (a re-run: little to write and to check), the database may still be building when this
    returns: ``WrittenData.wait`` joins it (the Frictionless check of the files and the diff with
    the latest release run meanwhile; the descriptor lists its sha256)."""
    chosen = published_schemas()
    frames: dict[str, pd.DataFrame] = {}
    arrows: dict[str, pa.Table] = {}
    for table in chosen:
        if table.name not in tables:
            raise KeyError(f"no frame for published table {table.name!r} (schemas/{table.path.name})")
        frames[table.name] = table.frame(tables[table.name])
        arrows[table.name] = arrow_table(frames[table.name], table)
    found = {t.name: table_digest(arrows[t.name]) for t in chosen} if digests or previous else {}
    reused = _take_previous(previous, found, build_dir, database_path(name or release_config().name))
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="atlas-duckdb")
    database = None
    if DATABASE not in reused:
        start = previous.database(found) if previous is not None else None
        database = pool.submit(_database, arrows, chosen, build_dir / database_path(name or release_config().name), start)
    pool.shutdown(wait=False)  # the thread ends with its one task
    try:
        for table in chosen:
            if table.name not in reused:
                write_csv(arrows[table.name], table, build_dir / csv_path(table.name))
                write_parquet_table(arrows[table.name], build_dir / parquet_path(table.name), durable=False)
    except BaseException:
        if database is not None:
            wait([database])  # the caller deletes the build: never under the database's writer
        raise
    if database is not None and not reused:
        database.result()  # a first run: the database is done with the other files (no second heavy step beside it)
    pending = database if database is not None and reused else None
    return WrittenData({t.name: arrows[t.name].num_rows for t in chosen}, frames, arrows, found, reused, pending)


DATABASE = "*database"  # in WrittenData.reused: the database file was taken over


def _database(arrows: dict[str, pa.Table], tables: list[TableSchema], path: Path, start: tuple[Path, str, list[str]] | None) -> Path:
    """The database at ``path``: the previous one brought up to date when ``start`` allows
    (:meth:`pipeline.publish.reuse.Previous.database`), else built whole."""
    if start is not None and update_database(*start, arrows, tables, path):
        return path
    return write_database(arrows, tables, path)


def _take_previous(previous: Previous | None, digests: dict[str, str], build_dir: Path, database: str) -> list[str]:
    """The tables (and :data:`DATABASE`) whose files were taken over from ``previous``."""
    if previous is None:
        return []
    taken = [name for name, digest in digests.items() if previous.take(previous.manifest.tables.get(name), digest, build_dir)]
    if len(taken) == len(digests) and previous.take(previous.manifest.database, combined_digest(digests, database), build_dir):
        taken.append(DATABASE)
    return taken


def write_manifest(
    root: Path,
    outputs_dir: Path,
    digests: dict[str, str],
    counts: dict[str, int],
    code_version: str,
    *,
    name: str,
    checks: Mapping[str, tuple[str, list[dict]]] | None = None,
) -> None:
    """``.staging.json`` of a publishable build (after ``SHA256SUMS``, whose digests it reuses);
    ``checks``: each table's check digest and its file's Frictionless findings."""
    checks = checks or {}
    database = database_path(name)
    manifest = StagingManifest(
        code_version=full_version(code_version),
        outputs_dir=str(outputs_dir.resolve()),
        tables={
            table: TableRecord(digest=digest, rows=counts[table],
                               files=[file_record(root, csv_path(table)), file_record(root, parquet_path(table))],
                               check=checks[table][0] if table in checks else None, findings=checks[table][1] if table in checks else None)
            for table, digest in digests.items()
        },
        database=TableRecord(digest=combined_digest(digests, database), rows=sum(counts.values()),
                             files=[file_record(root, database)]),
    )
    manifest.write(root / MANIFEST_NAME, durable=False)


def write_candidate_data(tables: Mapping[str, pd.DataFrame], build_dir: Path, *, name: str | None = None) -> dict[str, int]:
    """``data/<table>.csv``, ``data/<table>.parquet`` and ``data/<name>.duckdb`` (:func:`write_data`); row counts."""
    return write_data(tables, build_dir, name=name).counts


def _check_files(build: _Build, run: _Run, data: WrittenData, previous: Previous | None) -> list[Finding]:
    """The Frictionless findings of the written CSV files: the caller's check, else Frictionless by
    partition with the package-level key checks (:func:`pipeline.validate.written.validate_written`).
    A file taken over from ``previous`` whose check read the same (:func:`check_digests`: its
    rows, the columns its foreign keys reference, the organisations' files) has the findings the
    previous check recorded; the others are checked, their foreign keys against every file."""
    folder = build.root / DATA_DIR
    if run.frictionless_check is not None:
        return list(run.frictionless_check(folder, list(data.counts)))
    from pipeline.validate.written import WrittenRun, validate_written

    names = list(data.counts)
    foreign = {t.name: t.foreign_keys for t in published_schemas()}
    checks = check_digests(data.arrows, data.digests, foreign, (ORG_TABLE, [ORG_KEY, FILE_COLUMN])) if data.digests else {}
    known: dict[str, list[Finding]] = {}
    for name in names if previous is not None else ():
        record = previous.manifest.tables.get(name)  # type: ignore[union-attr]
        if name in data.reused and record is not None and record.check == checks.get(name) and record.findings is not None:
            known[name] = _as_findings(record.findings)
    todo = [n for n in names if n not in known]
    checked = WrittenRun([])
    if todo:
        checked = validate_written(folder, {n: data.frames[n] for n in todo}, {n: data.arrows[n] for n in todo}, todo,
                                   cache_url=run.cache_url, code_version=run.code_version, references=names if known else None)
    build.files = checked
    by_table = {**checked.by_table, **known}
    if checks and not checked.general and not checked.problems and set(by_table) == set(names):
        build.checks = {n: (checks[n], [f.to_dict() for f in by_table[n]]) for n in names}  # recorded in the manifest
    if not known:
        return checked.findings
    return [*checked.general, *(f for n in names for f in by_table.get(n, [])), *checked.problems]


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


def compare_with_latest(build_dir: Path, outputs_dir: Path, tables: Sequence[TableSchema], *, sources: Sequence[dict] = ()) -> Diff:
    """The candidate's data (``build_dir/data``) and source files against the latest release in ``outputs_dir``."""
    latest = latest_release(outputs_dir)
    current = read_snapshot(build_dir, list(tables), sources=sources, keys_only=latest is None)  # a first release lists keys only
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
    data: Mapping[str, pa.Table] | None = None,
) -> None:
    """``datapackage.json``, ``changes.json``, ``CHANGELOG.md``, ``README.md``, ``CITATION.cff`` and
    ``data-dictionary.csv`` of ``root`` (a build folder: not fsynced file by file, the caller fsyncs
    the whole folder before renaming it)."""
    write_data_texts(root, descriptor=descriptor, tables=tables, data=data)
    write_diff_texts(root, version=descriptor["version"], diff=diff, created=created, status=status,
                     previous_changelog=previous_changelog, config=config, tables=tables)


def write_data_texts(root: Path, *, descriptor: Mapping, tables: list[TableSchema], data: Mapping[str, pa.Table] | None = None) -> None:
    """``datapackage.json`` and ``data-dictionary.csv``: the texts that describe the written files."""
    write_datapackage(root, descriptor, durable=False)
    atomic_write_bytes(root / DICTIONARY_NAME, dictionary_csv(root, tables, data), durable=False)


def write_diff_texts(
    root: Path,
    *,
    version: str,
    diff: Diff,
    created: str,
    status: str,
    previous_changelog: str | None,
    config: ReleaseConfig,
    tables: list[TableSchema],
) -> None:
    """``changes.json``, ``CHANGELOG.md``, ``README.md`` and ``CITATION.cff``: the texts of the
    version and its changes (none lists a file's checksum)."""
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
    atomic_write_text(root / CITATION_NAME, citation_cff(config, version, created), durable=False)


def previous_changelog(outputs_dir: Path) -> str | None:
    latest = latest_release(outputs_dir)
    if latest is None:
        return None
    path = latest[1] / changelog.CHANGELOG_NAME
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _as_findings(findings: Iterable[Finding | Mapping]) -> list[Finding]:
    """Findings, also when some come as the dict of ``Finding.to_dict()`` (e.g. read from JSON)."""
    return [f if isinstance(f, Finding) else Finding(**dict(f)) for f in findings]


def _blocking(findings: Iterable[Finding]) -> list[str]:
    out = []
    for f in sorted((f for f in findings if f.severity == "error"), key=Finding.sort_key):
        out.append(f"{f.location + ': ' if f.location else ''}{f.message} [{f.rule}]")
    return out


def stage_failure(
    outputs_dir: Path,
    *,
    step: str,
    reason: str,
    source_file: str | None = None,
    context: Mapping | None = None,
    created: str | None = None,
) -> Path:
    """``outputs/blocked/`` for a run that failed in ``step`` before its candidate: a report with one
    ``run-failed`` error (the reason, the file when known) and ``candidate.json`` with status
    ``failed``; ``staging/`` is left as it is. The caller holds the outputs lock or knows no one else
    writes. Raises ``OSError`` when even this cannot be written (e.g. the disk is full)."""
    outputs_dir = Path(outputs_dir)
    created = created or utc_now()
    finding = Finding("run-failed", f"step {step} failed: {reason}", source_file=source_file)
    remove_temp_dirs(outputs_dir, STAGING_TMP_PREFIX)
    root = make_temp_dir(outputs_dir, STAGING_TMP_PREFIX)
    try:
        info = {"dataset": release_config().title, "created": created, "publishable": False, "failed_step": step, **dict(context or {})}
        paths = write_report([finding], root / VALIDATION_DIR, context=info)
        report = {kind: Path(p).relative_to(root).as_posix() for kind, p in paths.items()}
        status = CandidateStatus(
            status="failed",
            publishable=False,
            created=created,
            version=None,
            previous_version=None,
            bump=None,
            sources=[],
            counts={},
            quarantined=0,
            severity_counts=SeverityCounts.of(severity_counts([finding])),
            findings=1,
            blocking=_blocking([finding]),
            report=report,
            report_sha256=sha256_file(root / report["json"]),
            run_id=(context or {}).get("run_id"),
            failed_step=step,
        )
        status.write(root / CANDIDATE_STATUS, durable=False)
        swap_in_dir(root, blocked_dir(outputs_dir))
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return blocked_dir(outputs_dir)


def read_blocked(outputs_dir: Path) -> CandidateStatus | None:
    """``blocked/candidate.json`` when the latest run was blocked or failed (and no publishable run
    came after it), else None; ``ValueError`` naming the file when it cannot be read."""
    path = blocked_dir(outputs_dir) / CANDIDATE_STATUS
    if not path.is_file():
        return None
    blocked = CandidateStatus.read(path)
    staged = staging_dir(outputs_dir) / CANDIDATE_STATUS
    if staged.is_file():
        try:
            if CandidateStatus.read(staged).created > blocked.created:
                return None  # a publishable run came later (its clean-up of blocked/ was interrupted)
        except ValueError:
            pass
    return blocked


def latest_run_notice(outputs_dir: Path) -> str | None:
    """What an editor must know before publishing when the latest run was blocked or failed: which
    run, why, and which (earlier) candidate a publish would promote; None when the latest run staged
    the candidate."""
    try:
        blocked = read_blocked(outputs_dir)
    except ValueError as exc:
        return f"the latest run's status cannot be read ({exc})"
    if blocked is None:
        return None
    errors = blocked.severity_counts.error
    what = f"failed in step {blocked.failed_step}" if blocked.status == "failed" else f"was blocked by {errors} error(s)"
    run = f" (run {blocked.run_id[:8]})" if blocked.run_id else ""
    reasons = "".join(f"\n  - {line}" for line in blocked.blocking[:3])
    report = blocked_dir(outputs_dir) / blocked.report_file("html")
    try:
        staged: CandidateStatus | None = read_status(outputs_dir)
    except (FileNotFoundError, ValueError):
        staged = None
    if staged is None:
        earlier = "There is no earlier candidate to publish."
    else:
        earlier = (
            f"A publish now would promote the EARLIER candidate {staged.version or ''} staged {staged.created}"
            f" from {len(staged.sources)} source file(s), not the latest sources."
        )
    return f"the latest run {blocked.created}{run} {what}; report: {report}.{reasons}\n{earlier}"


def read_status(outputs_dir: Path) -> CandidateStatus:
    """``staging/candidate.json``; ``FileNotFoundError`` with a clear message when there is none,
    ``ValueError`` naming the file when it is not a candidate status."""
    path = staging_dir(outputs_dir) / CANDIDATE_STATUS
    if not path.is_file():
        raise FileNotFoundError(f"no release candidate in {staging_dir(outputs_dir)}: run `atlas run` first")
    return CandidateStatus.read(path)
