"""Frictionless validation of the written files, the way a downloader reads them.

Scope: build a Frictionless 5 ``Package`` from the schemas in ``schemas/`` over the ``<table>.csv``
files of a folder (relative paths + ``basepath``: Frictionless refuses absolute paths), or open a
published ``datapackage.json``, validate every resource (types, constraints, primary keys, foreign
keys across resources) with ``limit_errors`` raised so nothing is cut off, and turn every error into
a finding (``foreign-key`` or ``schema-published-file``) with the row's key and its source file and
line where the row carries them. Cells written with the CSV formula guard (a leading apostrophe,
see ``pipeline.csvio``) are plain strings for Frictionless, which is what a downloader sees.

Parallelism: Frictionless reads ~75k rows/s on one core. Below :data:`PARALLEL_MIN_BYTES` of CSV
the resources are validated one after the other in this process (start-up of worker processes
would cost more than it saves); above it, each resource is validated in its own task of a
process pool of :data:`WORKERS` (2, the machine's cores; ``fork`` where the platform has it, so
it works from any caller without re-importing ``__main__``), biggest files first. Each
worker opens the whole package so foreign keys are still checked against the referenced files
(Frictionless' own ``parallel=True`` silently falls back to sequential when there are foreign
keys). It must not modify the files.
"""

from __future__ import annotations

import csv
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from frictionless import FrictionlessException, Package

from pipeline.csvio import unguard_cell
from pipeline.findings import Finding, excerpt_of
from pipeline.schemas import load_schemas

LIMIT_ERRORS = 1_000_000_000
PARALLEL_MIN_BYTES = 8_000_000
WORKERS = 2
ORG_TABLE = "organizations"
ORG_KEY = "organization_id"
_ROW_FINDING_RULE = {"foreign-key": "foreign-key"}


# -- building the package ------------------------------------------------------------------------


def folder_descriptor(folder: Path, tables: list[str] | None = None) -> tuple[dict, list[Finding]]:
    """The package descriptor for the ``<table>.csv`` files of ``folder`` (resource paths relative),
    and a finding for each expected file that is missing."""
    schemas = load_schemas()
    wanted = list(tables) if tables is not None else list(schemas)
    findings: list[Finding] = []
    present: list[str] = []
    for name in wanted:
        if name not in schemas:
            findings.append(Finding("schema-published-file", f"{name}: no schema in schemas/ for this table", table=name))
        elif (folder / f"{name}.csv").is_file():
            present.append(name)
        elif tables is not None or schemas[name].published:
            findings.append(Finding("schema-published-file", f"{name}.csv is missing from {folder}", table=name, source_file=f"{name}.csv"))
    resources = []
    for name in present:
        descriptor = dict(schemas[name].descriptor)
        # keep only foreign keys whose referenced file is part of this package
        descriptor["foreignKeys"] = [fk for fk in schemas[name].foreign_keys if (fk["reference"].get("resource") or name) in present]
        if not descriptor["foreignKeys"]:
            del descriptor["foreignKeys"]
        resources.append(
            {
                "name": name,
                "type": "table",
                "path": f"{name}.csv",
                "scheme": "file",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": descriptor,
            }
        )
    return {"name": "validation", "resources": resources}, findings


def _open_package(source: dict | str, basepath: str | None) -> Package:
    if isinstance(source, dict):
        return Package(source, basepath=basepath)
    return Package(source)


def _validate_one(source: dict | str, basepath: str | None, name: str, limit_errors: int) -> dict:
    """Worker: validate one resource of the package; return its report as a plain descriptor."""
    package = _open_package(source, basepath)
    report = package.get_resource(name).validate(limit_errors=limit_errors)
    return report.to_descriptor()


def _run(source: dict | str, basepath: str | None, jobs: list[tuple[str, int]], *, parallel: bool | None) -> dict[str, dict]:
    """Validate each (resource name, bytes) job; returns name → report descriptor."""
    total = sum(size for _, size in jobs)
    use_pool = (total >= PARALLEL_MIN_BYTES) if parallel is None else parallel
    ordered = [name for name, _ in sorted(jobs, key=lambda j: -j[1])]
    if not use_pool or len(ordered) < 2:
        return {name: _validate_one(source, basepath, name, LIMIT_ERRORS) for name in ordered}
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    try:
        with ProcessPoolExecutor(max_workers=WORKERS, mp_context=multiprocessing.get_context(method)) as pool:
            futures = {name: pool.submit(_validate_one, source, basepath, name, LIMIT_ERRORS) for name in ordered}
            return {name: futures[name].result() for name in ordered}
    except BrokenProcessPool:  # a worker died (e.g. killed for memory): do it here instead
        return {name: _validate_one(source, basepath, name, LIMIT_ERRORS) for name in ordered}


# -- errors → findings -------------------------------------------------------------------------------


class _RowPlaces:
    """Looks up the key, source file and line of a row from its cells (as written in the file)."""

    def __init__(self, org_files: dict[str, str]):
        self.org_files = org_files
        self.schemas = load_schemas()

    def place(self, table: str, header: list[str], cells: list | None) -> tuple[dict | None, str | None, int | None]:
        if not cells:
            return None, None, None
        row = dict(zip(header, cells, strict=False))
        pk = self.schemas[table].primary_key if table in self.schemas else []
        kinds = {f.name: str(f.type) for f in self.schemas[table].fields} if table in self.schemas else {}
        key = {c: _typed(row.get(c), kinds.get(c, "string")) for c in pk if c in row} or None
        source_file = _unguard(row.get("source_file")) or self.org_files.get(_unguard(row.get(ORG_KEY)) or "")
        line = None
        for c in ("source_line", "source_line_start"):
            value = _typed(row.get(c), "integer")
            if isinstance(value, int):
                line = value
                break
        return key, source_file or None, line


def _unguard(value: object) -> str | None:
    if value is None or value == "":
        return None
    return unguard_cell(str(value))


def _typed(value: object, kind: str) -> object:
    if value is None or value == "":
        return None
    if kind in ("integer", "year"):
        try:
            return int(str(value))
        except ValueError:
            return str(value)
    return _unguard(value)


def _org_files(folder: Path, path: str | None) -> dict[str, str]:
    """organization_id → source_file from the organizations file, if there is one."""
    file = folder / (path or f"{ORG_TABLE}.csv")
    out: dict[str, str] = {}
    if not file.is_file():
        return out
    try:
        with file.open(encoding="utf-8", newline="") as f:
            for rec in csv.DictReader(f):
                org, src = _unguard(rec.get(ORG_KEY)), _unguard(rec.get("source_file"))
                if org and src:
                    out.setdefault(org, src)
    except (OSError, UnicodeDecodeError, csv.Error):
        return {}
    return out


def _findings(table: str, file_label: str, header: list[str], report: dict, places: _RowPlaces) -> list[Finding]:
    out: list[Finding] = []
    for task in report.get("tasks", []) or [{"errors": report.get("errors", [])}]:
        for err in task.get("errors", []):
            kind = err.get("type", "error")
            rule = _ROW_FINDING_RULE.get(kind, "schema-published-file")
            row_number = err.get("rowNumber")
            key, source_file, line = places.place(table, header, err.get("cells")) if row_number else (None, None, None)
            column = err.get("fieldName") or ",".join(err.get("fieldNames", []) or []) or None
            value = err.get("cell")
            if value is None and err.get("fieldCells"):
                value = ", ".join(map(str, err["fieldCells"]))
            where = f"{file_label} row {row_number}" if row_number else file_label
            message = f"{where}: {kind}: {err.get('note') or err.get('message', '')}".rstrip(": ")
            out.append(
                Finding(
                    rule,
                    message,
                    table=table,
                    key=key,
                    column=column,
                    value=None if value is None else str(value),
                    source_file=source_file,
                    source_line=line,
                    excerpt=excerpt_of(",".join(map(str, err["cells"]))) if err.get("cells") else None,
                )
            )
    for err in report.get("errors", []) if report.get("tasks") else []:
        out.append(Finding("schema-published-file", f"{file_label}: {err.get('message', err.get('type'))}", table=table))
    return out


def _header(path: Path) -> list[str]:
    try:
        with path.open(encoding="utf-8", newline="") as f:
            return next(csv.reader(f), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


# -- public API -----------------------------------------------------------------------------------


def validate_package_files(folder: Path, tables: list[str] | None = None, *, parallel: bool | None = None) -> list[Finding]:
    """Validate the ``<table>.csv`` files of ``folder`` against ``schemas/`` as one data package.

    ``tables``: the tables to validate (default: every table with a schema, missing unpublished
    ones skipped). ``parallel``: None decides by size (see the module docstring)."""
    folder = Path(folder).resolve()
    descriptor, findings = folder_descriptor(folder, tables)
    jobs = [(r["name"], (folder / r["path"]).stat().st_size) for r in descriptor["resources"]]
    reports = _run(descriptor, str(folder), jobs, parallel=parallel)
    places = _RowPlaces(_org_files(folder, None))
    for name, _ in jobs:
        findings.extend(_findings(name, f"{name}.csv", _header(folder / f"{name}.csv"), reports[name], places))
    return findings


def validate_descriptor(descriptor_path: Path) -> list[Finding]:
    """Check a ``datapackage.json``'s metadata against the Data Package profile (not its data)."""
    label = Path(descriptor_path).name
    try:
        Package(str(descriptor_path)).to_descriptor(validate=True)
    except FrictionlessException as exc:
        return [Finding("schema-published-file", f"{label}: {e.message}") for e in exc.to_errors()] or [
            Finding("schema-published-file", f"{label}: {exc}")
        ]
    except (OSError, ValueError) as exc:
        return [Finding("schema-published-file", f"{label}: cannot be read: {exc}")]
    return []


def validate_datapackage(descriptor_path: Path, *, parallel: bool | None = None) -> list[Finding]:
    """Validate a published ``datapackage.json`` (metadata, then every CSV resource, with keys)."""
    descriptor_path = Path(descriptor_path).resolve()
    label = descriptor_path.name
    problems = validate_descriptor(descriptor_path)
    if problems:
        return problems
    package = _open_package(str(descriptor_path), None)
    base = descriptor_path.parent
    jobs: list[tuple[str, int]] = []
    paths: dict[str, str] = {}
    findings: list[Finding] = []
    for resource in package.resources:
        path = resource.path if isinstance(resource.path, str) else None
        if path is None or (resource.format or Path(path).suffix.lstrip(".")) != "csv":
            continue  # Parquet and other copies are checked by their writers
        if not (base / path).is_file():
            findings.append(
                Finding("schema-published-file", f"{label}: resource {resource.name!r}: file {path} is missing", table=resource.name)
            )
            continue
        jobs.append((resource.name, (base / path).stat().st_size))
        paths[resource.name] = path
    reports = _run(str(descriptor_path), None, jobs, parallel=parallel)
    org_path = paths.get(ORG_TABLE)
    places = _RowPlaces(_org_files(base, org_path) if org_path else {})
    for name, _ in jobs:
        findings.extend(_findings(name, paths[name], _header(base / paths[name]), reports[name], places))
    return findings
