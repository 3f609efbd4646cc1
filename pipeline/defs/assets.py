"""The assets: source files → per-file extraction (cached) → the contract's tables → validation
report (with the blocking checks) → release candidate (``outputs/staging``) → release.

Scope: call the plain modules in order and report what they did as Dagster outputs, data versions
and metadata. The tables are one multi-asset whose asset names are the table names of ``schemas/``
(the asset name is the table name is the file name). Publishing needs an editor's decision in the
``release`` asset's config; without one the asset skips with a message and the run still succeeds.
No parsing, validation or release layout happens here. (No ``from __future__ import annotations``:
Dagster reads the annotations of these functions at definition time.)
"""

import hashlib
import warnings
from pathlib import Path

import dagster as dg
from pydantic import Field

from pipeline.defs import cache
from pipeline.defs.metadata import check_result, column_schema, findings_metadata, frame_version, table_metadata
from pipeline.defs.resources import AtlasPaths, step_lock
from pipeline.defs.versions import code_version
from pipeline.findings import has_errors
from pipeline.schemas import load_schemas

# The blocking checks of the validation report: name → (title, what it covers).
CHECKS: dict[str, tuple[str, str]] = {
    "extraction_clean": ("Extraction", "Structural findings made while parsing the sources (files, headers, headings, footnotes, social lines): no error."),
    "pandera_contract": ("pandera + data rules", "pandera schemas built from schemas/, cross-table keys and the cell and text rules (pipeline.validate.checks.check_tables): no error."),
    "frictionless_package": ("Frictionless", "Frictionless validation of the CSV files as written, the way a downloader reads them (types, constraints, primary and foreign keys): no error."),
}
NO_DECISION = (
    "release not published: no editor's decision in this run. Review outputs/staging/validation/report.html, "
    "then run `atlas publish --reviewer NAME [--accept-warnings] [--note TEXT]` or launch the `publish_release` "
    "job with config {reviewer, note, accept_warnings}."
)


class PublishDecision(dg.Config):
    """An editor's recorded decision; an empty reviewer means none was given (nothing is published)."""

    reviewer: str = Field(default="", description="Who reviewed the candidate's report (required to publish).")
    note: str = Field(default="", description="The reviewer's note, stored in review.json.")
    accept_warnings: bool = Field(default=False, description="Publish although the report has warnings.")


def _output(value, **kwargs) -> dg.Output:
    """``dg.Output`` without the beta warning of ``data_version`` (stable in practice since 1.5)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        return dg.Output(value, **kwargs)


def _digest(parts) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(str(p).encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def build_assets() -> list:
    schemas = load_schemas()
    v_extract, v_validate, v_publish = code_version("extract"), code_version("validate"), code_version("publish")
    published = [name for name, t in schemas.items() if t.published]

    @dg.asset(group_name="sources", code_version="sources-1", kinds={"file"})
    def source_files(context, paths: AtlasPaths) -> dg.Output:
        """The raw profile files in the sources folder, each with its sha256 (the data version)."""
        from pipeline.extract import discover

        files, findings = discover([paths.sources_dir])
        entries = [cache.SourceEntry(str(p), rel, cache.file_sha256(p), p.stat().st_size) for p, rel in files]
        listing = dg.MetadataValue.table(
            records=[dg.TableRecord({"file": e.rel, "sha256": e.sha256, "bytes": e.bytes}) for e in entries[:200]],
            schema=dg.TableSchema(columns=[dg.TableColumn("file", "string"), dg.TableColumn("sha256", "string"), dg.TableColumn("bytes", "int")]),
        )
        return _output(
            {"entries": entries, "findings": findings},
            data_version=dg.DataVersion(_digest(f"{e.rel}:{e.sha256}" for e in entries)),
            metadata={"files": len(entries), "bytes": sum(e.bytes for e in entries), "sources": dg.MetadataValue.path(str(paths.sources_dir)), "listing": listing},
        )

    @dg.asset(group_name="extract", code_version=v_extract, kinds={"python"})
    def extracted_records(context, source_files: dict, paths: AtlasPaths) -> dg.Output:
        """Each file's records and findings, cached by (code version, file, sha256): only new or
        changed files are extracted; the others are read back from the cache."""
        entries = source_files["entries"]
        keys = [cache.cache_key(v_extract, e.rel, e.sha256) for e in entries]
        missing = [(e, k) for e, k in zip(entries, keys, strict=True) if not cache.entry_path(paths.cache_url, k).exists()]
        fresh = cache.extract_missing([e for e, _ in missing])
        for (_, key), fx in zip(missing, fresh, strict=True):
            cache.store(paths.cache_url, key, fx)
        extracted = [e.rel for e, _ in missing]
        if extracted:
            context.log.info(f"extracted {len(extracted)} new or changed file(s): {', '.join(extracted[:20])}")
        return _output(
            {"files": list(zip(entries, keys, strict=True)), "findings": source_files["findings"], "cache": paths.cache_url},
            data_version=dg.DataVersion(_digest(keys)),
            metadata={
                "files": len(entries),
                "extracted": len(extracted),
                "cache_hits": len(entries) - len(extracted),
                "extracted_files": dg.MetadataValue.json(extracted),
                "cache": dg.MetadataValue.path(paths.cache_url),
            },
        )

    outs = {
        name: dg.AssetOut(
            group_name="tables",
            code_version=v_extract,
            description=(t.description or t.title),
            metadata={"dagster/column_schema": column_schema(t), "published": t.published},
            kinds={"pandas"},
        )
        for name, t in schemas.items()
    }
    outs["extraction_findings"] = dg.AssetOut(group_name="extract", code_version=v_extract, description="The findings made while parsing, and the sources read (path, sha256, encoding).")

    @dg.multi_asset(outs=outs, name="combine_tables")
    def combine_tables(context, extracted_records: dict, paths: AtlasPaths):
        """Every table of the data contract, typed by its schema, from the files' cached records."""
        from pipeline.extract import combine

        files = []
        for entry, key in extracted_records["files"]:
            fx = cache.load(extracted_records["cache"], key)
            if fx is None:  # evicted or unreadable since the last step: extract again
                fx = cache.extract_missing([entry])[0]
                cache.store(extracted_records["cache"], key, fx)
            files.append(fx)
        result = combine(files)
        result.findings[:0] = extracted_records["findings"]
        for name, frame in result.tables.items():
            yield _output(frame, output_name=name, data_version=dg.DataVersion(frame_version(frame)), metadata=table_metadata(frame, schemas[name]))
        yield _output(
            {"findings": result.findings, "sources": result.sources},
            output_name="extraction_findings",
            data_version=dg.DataVersion(_digest(f.to_dict() for f in result.findings)),
            metadata=findings_metadata("Extraction findings", result.findings),
        )

    check_specs = [dg.AssetCheckSpec(name, asset="validation_report", blocking=True, description=desc) for name, (_, desc) in CHECKS.items()]
    table_ins = {name: dg.AssetIn(key=name) for name in [*schemas, "extraction_findings"]}

    @dg.asset(group_name="validation", code_version=v_validate, ins=table_ins, check_specs=check_specs, kinds={"pandera", "frictionless"})
    def validation_report(context, paths: AtlasPaths, **inputs):
        """All findings of the run (extraction, pandera and data rules, Frictionless on the written
        CSVs). Its checks are blocking: with an error the candidate is not built, and the failing
        report goes to ``outputs/staging/validation/`` with nothing publishable beside it."""
        from pipeline.publish import candidate as cand
        from pipeline.validate import merge_findings
        from pipeline.validate.checks import check_tables
        from pipeline.validate.frictionless_check import validate_package_files

        extraction = inputs.pop("extraction_findings")
        tables = inputs
        outputs = paths.outputs_dir
        groups: dict[str, list] = {"extraction_clean": list(extraction["findings"])}
        context_info = {"run_id": context.run.run_id}
        with step_lock(outputs, f"dagster run {context.run.run_id[:8]}: validation_report"):
            cand.clean_stale_builds(outputs)
            groups["pandera_contract"] = check_tables(tables)
            build = cand.new_build_dir(outputs)
            try:
                counts = cand.write_candidate_data(tables, build)
                cand.write_quarantine(tables, build)
                groups["frictionless_package"] = validate_package_files(build / "data", published)
                findings = merge_findings(groups["extraction_clean"], [*groups["pandera_contract"], *groups["frictionless_package"]])
                blocked = has_errors(findings)
                if blocked:  # the failing report goes where editors look; nothing publishable stays
                    staged = cand.finalize_candidate(build, outputs, findings=findings, sources=extraction["sources"], counts=counts, context=context_info, frictionless_check=descriptor_only_check)
                    report, build_dir = str(staged.report.get("html", staged.path)), None
                else:  # release_candidate writes the report with the candidate, in the same place
                    report, build_dir = str(outputs.absolute() / "staging" / "validation" / "report.html"), str(build)
            except BaseException:
                import shutil

                shutil.rmtree(build, ignore_errors=True)
                raise
        if blocked:
            context.log.error(f"blocking errors: release candidate not built; report: {report}")
        yield dg.Output(
            {"build_dir": build_dir, "blocked": blocked, "findings": findings, "sources": extraction["sources"], "counts": counts, "context": context_info},
            metadata={**findings_metadata("Validation report", findings, report), "publishable": not blocked},
        )
        for name, (title, _) in CHECKS.items():
            yield check_result(name, "validation_report", title, groups[name], report)

    @dg.asset(group_name="release", code_version=v_publish, kinds={"parquet", "csv"})
    def release_candidate(context, validation_report: dict, paths: AtlasPaths) -> dg.Output:
        """``outputs/staging``: laid out exactly like a release, waiting for an editor's review."""
        from pipeline.publish import candidate as cand

        if validation_report["blocked"]:
            raise dg.Failure(description="the validation report has blocking errors: no release candidate. See outputs/staging/validation/report.html.")
        build = Path(validation_report["build_dir"])
        if not build.is_dir():
            raise dg.Failure(description=f"the validated build {build} is gone (another run cleaned it up): materialise validation_report and release_candidate again, together.")
        with step_lock(paths.outputs_dir, f"dagster run {context.run.run_id[:8]}: release_candidate"):
            result = cand.finalize_candidate(
                build, paths.outputs_dir, findings=validation_report["findings"], sources=validation_report["sources"],
                counts=validation_report["counts"], context=validation_report["context"], frictionless_check=descriptor_only_check,
            )
        meta = {
            "path": dg.MetadataValue.path(str(result.path)),
            "report": dg.MetadataValue.path(str(result.report.get("html", ""))),
            "publishable": result.publishable,
            "version": result.version or "",
            "previous_version": result.previous_version or "",
            "bump": result.bump or "",
            "rows": dg.MetadataValue.json(result.counts),
            **{f"{s}s": n for s, n in result.severity_counts.items()},
        }
        if not result.publishable:
            raise dg.Failure(description=result.message, metadata=meta)
        context.log.info(result.message)
        return dg.Output({"path": str(result.path), "version": result.version, "bump": result.bump}, metadata=meta)

    @dg.asset(group_name="release", code_version=v_publish, deps=[release_candidate], output_required=False)
    def release(context, config: PublishDecision, paths: AtlasPaths):
        """The published release ``outputs/releases/<version>/``. Only with an editor's decision (this
        asset's config, or ``atlas publish``); without one it skips and the run still succeeds."""
        if not config.reviewer.strip():
            context.log.warning(NO_DECISION)
            return
        import os

        from pipeline.defs.resources import LOCK_HELD_ENV
        from pipeline.publish.release import PublishRefused, publish

        held = os.environ.get(LOCK_HELD_ENV)
        try:
            result = publish(
                paths.outputs_dir, reviewer=config.reviewer.strip(), note=config.note, accept_warnings=config.accept_warnings,
                lock=not (held and Path(held) == paths.outputs_dir.resolve()),
            )
        except PublishRefused as exc:
            raise dg.Failure(description=str(exc)) from None
        context.log.info(result.message)
        yield dg.Output(
            {"status": result.status, "version": result.version, "path": str(result.path) if result.path else None},
            metadata={"status": result.status, "version": result.version, "bump": result.bump, "path": dg.MetadataValue.path(str(result.path or "")), "reviewer": config.reviewer},
        )

    return [source_files, extracted_records, combine_tables, validation_report, release_candidate, release]



def descriptor_only_check(descriptor_path: Path) -> list:
    """Adapter for ``finalize_candidate``'s Frictionless step: the candidate's CSV files were already
    validated row by row by the ``frictionless_package`` check of this run (same files, same
    schemas), so here only ``datapackage.json`` itself is validated, not every row a second time."""
    from frictionless import FrictionlessException, Package

    from pipeline.findings import Finding

    label = descriptor_path.name
    try:
        Package(str(descriptor_path)).to_descriptor(validate=True)
    except FrictionlessException as exc:
        return [Finding("schema-published-file", f"{label}: {e.message}") for e in exc.to_errors()] or [Finding("schema-published-file", f"{label}: {exc}")]
    except (OSError, ValueError) as exc:
        return [Finding("schema-published-file", f"{label}: cannot be read: {exc}")]
    return []
