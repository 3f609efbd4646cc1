"""The assets: source files → per-file extraction (cached) → the contract's tables → validation
report → release candidate (``outputs/staging``, with the blocking checks) → release.

Scope: call the plain modules in order and report what they did as Dagster outputs, data versions
and metadata; every asset passes data to the next, never a folder. The tables are one multi-asset
whose asset names are the table names of ``schemas/`` (the asset name is the table name is the
file name). ``validation_report`` only computes findings; ``release_candidate`` calls the one
staging step (:func:`pipeline.publish.candidate.stage`), which also writes the report of a blocked
run (in ``outputs/blocked``, beside the last publishable candidate), and carries the three blocking
checks; a blocked run fails that step with the first errors (file:line) as its reason, and an
unexpected exception in any step fails it with the file and cause (``pipeline.defs.failures``). Publishing needs an editor's decision in the
``release`` asset's config; without one the asset skips with a message and the run still succeeds.
No parsing, validation, staging or locking logic lives here. Importing this module defines the
assets (it reads ``schemas/`` and hashes the code versions). (No ``from __future__ import
annotations``: Dagster reads the annotations of these functions at definition time.)
"""

import hashlib
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

import dagster as dg
import pandas as pd
from pydantic import Field

from pipeline.corrections.apply import apply_corrections
from pipeline.defs.failures import surfaced
from pipeline.defs.metadata import check_result, findings_metadata, first_errors, frame_version, table_metadata
from pipeline.defs.resources import AtlasPaths, OutputsLock
from pipeline.defs.versions import code_version
from pipeline.extract import combine, discover
from pipeline.extract.cache import MentionsCache, SourceEntry, cache_key, entry_path, extract_to_cache, iter_extractions
from pipeline.findings import Finding
from pipeline.fsutil import collector_paused, release_after_large
from pipeline.publish.candidate import latest_run_notice, stage
from pipeline.publish.release import PublishRefused, publish
from pipeline.schemas import load_schemas
from pipeline.validate import merge_findings
from pipeline.validate.incremental import check_partitioned

# The blocking checks of the release candidate: name → (title, what it covers).
CHECKS: dict[str, tuple[str, str]] = {
    "extraction_clean": (
        "Extraction",
        "Passes when the structural findings made while parsing the sources (files, headers, headings, footnotes,"
        " social lines) hold no error; a failure lists the first errors with file:line.",
    ),
    "pandera_contract": (
        "pandera + data rules",
        "Passes when pandera (schemas from schemas/), the cross-table keys and the cell and text rules"
        " (pipeline.validate.checks.check_tables) find no error; a failure lists the first errors with file:line.",
    ),
    "frictionless_package": (
        "Frictionless",
        "Passes when Frictionless finds no error in the CSV files as written, the way a downloader reads them"
        " (types, constraints, primary and foreign keys); a failure lists the first errors.",
    ),
}
NO_DECISION = (
    "release not published: no editor's decision in this run. Review outputs/staging/validation/report.html, "
    "then run `atlas publish --reviewer NAME [--accept-warnings] [--note TEXT]` or launch the `publish_release` "
    "job with config {reviewer, note, accept_warnings}."
)
SCHEMAS = load_schemas()
EXTRACT_VERSION, VALIDATE_VERSION, PUBLISH_VERSION = code_version("extract"), code_version("validate"), code_version("publish")
TABLE_INS = {name: dg.AssetIn(key=name) for name in SCHEMAS}


def _release_if_large(tables: dict[str, pd.DataFrame]) -> None:
    """Hand the memory the previous work freed back to the system before a large step goes on (the
    next allocations then start from what is live, not from the last step's high-water mark)."""
    release_after_large(sum(len(frame) for frame in tables.values()))


class PublishDecision(dg.Config):
    """An editor's recorded decision; an empty reviewer means none was given (nothing is published)."""

    reviewer: str = Field(default="", description="Who reviewed the candidate's report (required to publish).")
    note: str = Field(default="", description="The reviewer's note, stored in review.json.")
    accept_warnings: bool = Field(default=False, description="Publish although the report has warnings.")
    earlier_candidate: bool = Field(
        default=False, description="Publish the staged candidate although the latest run was blocked or failed (it is then an earlier one)."
    )


def _output(value: Any, **kwargs: Any) -> dg.Output:
    """``dg.Output`` without the beta warning of ``data_version`` (stable in practice since 1.5)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        return dg.Output(value, **kwargs)


def _digest(parts: Iterable[object]) -> dg.DataVersion:
    h = hashlib.sha256()
    for p in parts:
        h.update(str(p).encode())
        h.update(b"\0")
    return dg.DataVersion(h.hexdigest()[:16])


@dg.asset(group_name="sources", code_version="sources-1", kinds={"file"})
def source_files(context: dg.AssetExecutionContext, paths: AtlasPaths, outputs_lock: OutputsLock) -> dg.Output:
    """The raw profile files in the sources folder, each with its sha256 (the data version)."""
    with surfaced("source_files", context, paths, outputs_lock):
        files, findings = discover([paths.sources_dir], exclude=[paths.corrections_path])
        entries = [SourceEntry.of(p, rel) for p, rel in files]
    listing = dg.MetadataValue.table(
        records=[dg.TableRecord({"file": e.rel, "sha256": e.sha256, "bytes": e.bytes}) for e in entries[:200]],
        schema=dg.TableSchema(
            columns=[dg.TableColumn("file", "string"), dg.TableColumn("sha256", "string"), dg.TableColumn("bytes", "int")]
        ),
    )
    return _output(
        {"entries": entries, "findings": findings},
        data_version=_digest(f"{e.rel}:{e.sha256}" for e in entries),
        metadata={
            "files": len(entries),
            "bytes": sum(e.bytes for e in entries),
            "sources": dg.MetadataValue.path(str(paths.sources_dir)),
            "listing": listing,
        },
    )


@dg.asset(group_name="extract", code_version=EXTRACT_VERSION, kinds={"python"})
def extracted_records(
    context: dg.AssetExecutionContext, source_files: dict, paths: AtlasPaths, outputs_lock: OutputsLock
) -> dg.Output:
    """Each file's records and findings, cached by (code version, file, sha256): only new or
    changed files are extracted; the others are read back from the cache."""
    entries: list[SourceEntry] = source_files["entries"]
    keys = [cache_key(EXTRACT_VERSION, e.rel, e.sha256) for e in entries]
    with surfaced("extracted_records", context, paths, outputs_lock):
        missing = [(e, k) for e, k in zip(entries, keys, strict=True) if not entry_path(paths.cache_url, k).exists()]
        extract_to_cache(paths.cache_url, missing)
    extracted = [e.rel for e, _ in missing]
    if extracted:
        context.log.info(f"extracted {len(extracted)} new or changed file(s): {', '.join(extracted[:20])}")
    return _output(
        {"files": list(zip(entries, keys, strict=True)), "findings": source_files["findings"], "cache": paths.cache_url},
        data_version=_digest(keys),
        metadata={
            "files": len(entries),
            "extracted": len(extracted),
            "cache_hits": len(entries) - len(extracted),
            "extracted_files": dg.MetadataValue.json(extracted),
            "cache": dg.MetadataValue.path(paths.cache_url),
        },
    )


_TABLE_OUTS = {
    name: dg.AssetOut(
        group_name="tables",
        code_version=EXTRACT_VERSION,
        description=(t.description or t.title),
        metadata={"dagster/column_schema": t.to_dagster(), "published": t.published},
        kinds={"pandas"},
    )
    for name, t in SCHEMAS.items()
}
_FINDINGS_OUT = dg.AssetOut(
    group_name="extract",
    code_version=EXTRACT_VERSION,
    description="The findings made while parsing, and the sources read (path, sha256, encoding).",
)


@dg.multi_asset(outs={**_TABLE_OUTS, "extraction_findings": _FINDINGS_OUT}, name="combine_tables")
def combine_tables(
    context: dg.AssetExecutionContext, extracted_records: dict, paths: AtlasPaths, outputs_lock: OutputsLock
) -> Iterator[dg.Output]:
    """Every table of the data contract, typed by its schema, from the files' cached records (an
    entry that cannot be used is re-extracted, with an info finding), with the editors' corrections
    applied (``corrections`` is the table of those applied)."""
    with surfaced("combine_tables", context, paths, outputs_lock):
        cache_findings: list[Finding] = []
        files = iter_extractions(extracted_records["cache"], extracted_records["files"], cache_findings)  # one file at a time
        result = combine(files, mentions_cache=MentionsCache(extracted_records["cache"], cache_findings))
        _release_if_large(result.tables)
        result.findings[:0] = [*extracted_records["findings"], *cache_findings]
        result = apply_corrections(result, paths.corrections_path, sources_dir=paths.sources_dir)
    for name, frame in result.tables.items():
        yield _output(
            frame, output_name=name, data_version=dg.DataVersion(frame_version(frame)), metadata=table_metadata(frame, SCHEMAS[name])
        )
    yield _output(
        {"findings": result.findings, "sources": result.sources},
        output_name="extraction_findings",
        data_version=_digest(f.to_dict() for f in result.findings),
        metadata=findings_metadata("Extraction findings", result.findings),
    )


@dg.asset(group_name="validation", code_version=VALIDATE_VERSION, ins={**TABLE_INS, "extraction_findings": dg.AssetIn()}, kinds={"pandera"})
def validation_report(
    context: dg.AssetExecutionContext, paths: AtlasPaths, outputs_lock: OutputsLock, extraction_findings: dict, **tables: pd.DataFrame
) -> dg.Output:
    """The findings of pandera and the data-quality rules on the in-memory tables (no file is
    written here: the report is staged with the candidate). The row-local rules run only on the
    partitions (source files) whose rows changed; the others' findings come from the cache."""
    _release_if_large(tables)
    with surfaced("validation_report", context, paths, outputs_lock), collector_paused():
        run = check_partitioned(tables, cache_url=paths.cache_url, code_version=VALIDATE_VERSION)
        findings = run.findings
        merged = [f for f in merge_findings(extraction_findings["findings"], findings) if isinstance(f, Finding)]
        metadata = findings_metadata("Validation report (extraction, pandera and data rules)", merged)
    metadata.update({"partitions": run.partitions, "partitions_checked": len(run.checked), "partitions_cached": run.cached})
    return dg.Output(findings, metadata=metadata)


@dg.asset(
    group_name="release",
    code_version=PUBLISH_VERSION,
    ins={**TABLE_INS, "extraction_findings": dg.AssetIn(), "validation_report": dg.AssetIn()},
    check_specs=[dg.AssetCheckSpec(name, asset="release_candidate", blocking=True, description=desc) for name, (_, desc) in CHECKS.items()],
    kinds={"parquet", "csv", "frictionless"},
)
def release_candidate(
    context: dg.AssetExecutionContext,
    paths: AtlasPaths,
    outputs_lock: OutputsLock,
    extraction_findings: dict,
    validation_report: list[Finding],
    **tables: pd.DataFrame,
) -> Iterator[dg.Output | dg.AssetCheckResult]:
    """``outputs/staging``: laid out exactly like a release, waiting for an editor's review; or,
    when an error stands, only the report, the quarantine and ``candidate.json`` marked blocked.
    Its checks are blocking: a failed one keeps the candidate from being released."""
    _release_if_large(tables)
    with surfaced("release_candidate", context, paths, outputs_lock), outputs_lock.hold(
        f"dagster run {context.run.run_id[:8]}: release_candidate"
    ):
        result = stage(
            tables,
            paths.outputs_dir,
            sources=extraction_findings["sources"],
            findings=extraction_findings["findings"],
            check_findings=validation_report,
            context={"run_id": context.run.run_id, "sources_dir": str(paths.sources_dir)},
            lock=False,
            cache_url=paths.cache_url,
            code_version=f"{VALIDATE_VERSION}+{PUBLISH_VERSION}",
        )
    report = str(result.report.get("html", result.path))
    (context.log.info if result.publishable else context.log.error)(result.message)
    yield dg.Output(
        result.status.to_dict(),
        metadata={
            "path": dg.MetadataValue.path(str(result.path)),
            "report": dg.MetadataValue.path(report),
            "publishable": result.publishable,
            "version": result.version or "",
            "previous_version": result.previous_version or "",
            "bump": result.bump or "",
            "rows": dg.MetadataValue.json(result.counts),
            **{f"{s}s": n for s, n in result.severity_counts.to_dict().items()},
        },
    )
    groups = {
        "extraction_clean": extraction_findings["findings"],
        "pandera_contract": validation_report,
        "frictionless_package": result.frictionless,
    }
    for name, (title, _) in CHECKS.items():
        yield check_result(name, "release_candidate", title, groups[name], report)
    if not result.publishable:  # the reason on the run's page, not Dagster's check-failed stack trace
        first = first_errors(result.findings)
        raise dg.Failure(
            description=f"blocked: {result.severity_counts.error} error(s) stand; first: " + "; ".join(first) + f". Report: {report}",
            metadata={
                "errors": result.severity_counts.error,
                "first_errors": dg.MetadataValue.json(first),
                "report": dg.MetadataValue.path(report),
            },
        )


@dg.asset(group_name="release", code_version=PUBLISH_VERSION, deps=[release_candidate], output_required=False)
def release(
    context: dg.AssetExecutionContext, config: PublishDecision, paths: AtlasPaths, outputs_lock: OutputsLock
) -> Iterator[dg.Output]:
    """The published release ``outputs/releases/<version>/``. Only with an editor's decision (this
    asset's config, or ``atlas publish``); without one it skips and the run still succeeds."""
    if not config.reviewer.strip():
        context.log.warning(NO_DECISION)
        return
    notice = latest_run_notice(paths.outputs_dir)
    if notice and not config.earlier_candidate:
        raise dg.Failure(description=f"not published: {notice} Set earlier_candidate: true to publish it anyway.")
    try:
        with outputs_lock.hold(f"dagster run {context.run.run_id[:8]}: release"):
            result = publish(
                paths.outputs_dir, reviewer=config.reviewer.strip(), note=config.note, accept_warnings=config.accept_warnings, lock=False
            )
    except PublishRefused as exc:
        raise dg.Failure(description=str(exc)) from None
    context.log.info(result.message)
    yield dg.Output(
        {"status": result.status, "version": result.version, "path": str(result.path) if result.path else None},
        metadata={
            "status": result.status,
            "version": result.version,
            "bump": result.bump,
            "path": dg.MetadataValue.path(str(result.path or "")),
            "reviewer": config.reviewer,
        },
    )


ASSETS = [source_files, extracted_records, combine_tables, validation_report, release_candidate, release]
