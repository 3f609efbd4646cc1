"""Frictionless on the written CSV files, partition by partition, plus the package-level key checks.

Scope: :func:`validate_written` finds what Frictionless finds when it validates the
``<table>.csv`` files of a candidate as one package (types, constraints, primary, unique and foreign
keys), without reading every row through Frictionless on every run:

1. **header**: each file's first record must be its schema's column names (what Frictionless's
   label checks compare); a file whose header differs is validated whole by Frictionless, as before;
2. **rows**, per partition (the rows that trace to one source file,
   :mod:`pipeline.validate.partitions`): Frictionless validates the rows of the partitions without a
   cache entry, written by the same writer as the file (a subset file; the file itself when every
   row is to be checked) against the schema *without* its keys, with the dialect the writer uses.
   A row's errors depend on that row's bytes alone: every record the writer produces ends with one
   line feed outside quotes (:mod:`pipeline.csvio`), so the file parses into the same records as
   its partitions' rows, and row-level checks (types, constraints, blank rows, missing or extra
   cells) read one record. The errors are cached by the partition's content digest
   (:class:`pipeline.cache.EntryStore`, kind ``files``) with each row's place among its
   partition's rows; their row numbers are those of the file, however the other partitions moved;
3. **keys**, over the whole files every run (:mod:`pipeline.validate.keys`, polars): unique
   fields, primary keys, foreign keys, with Frictionless's semantics and error descriptors.

The errors of each file are put in Frictionless's order (row number, then the row's own errors,
unique, primary key, foreign keys) and turned into findings as
:mod:`pipeline.validate.frictionless_check` does for a whole-file validation. The Frictionless
work runs in a bounded pool of small ``forkserver`` workers (``pipeline.validate.fl_worker``) when
there is enough of it. It must not modify the written files.
"""

from __future__ import annotations

import csv
import multiprocessing
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline.cache import EntryStore, entry_key
from pipeline.csvio import write_csv
from pipeline.findings import Finding
from pipeline.schemas import load_schemas
from pipeline.validate.fl_worker import LIMIT_ERRORS, validate_resource
from pipeline.validate.frictionless_check import _findings, _org_files, _RowPlaces, folder_descriptor
from pipeline.validate.keys import key_errors
from pipeline.validate.partitions import NO_FILE, Partitions

FORMAT = "geneva-digital-atlas/files-cache/1"
# The dialect the CSV writer writes (pipeline.csvio), given to Frictionless instead of its guess.
DIALECT = {"delimiter": ",", "lineTerminator": "\n", "quoteChar": '"', "doubleQuote": True, "header": True, "skipInitialSpace": False}
PARALLEL_MIN_BYTES = 8_000_000  # below this much CSV to validate, worker start-up costs more than it saves
WORKERS = 4  # at most, and at most one per core (a worker holds one file's rows: ~100 MB)


@dataclass(frozen=True)
class RowErrors:
    """The Frictionless errors of one row: ``row`` is its place among its partition's rows of
    ``table``; the descriptors are Frictionless's, without ``rowNumber`` and ``message``."""

    table: str
    row: int
    errors: list[dict[str, Any]]


STORE: EntryStore[list[RowErrors]] = EntryStore(
    "files", FORMAT, "rows", list[RowErrors],
    describe=lambda name, why: f"Frictionless cache entry {name} for this file {why}; its rows were validated again",
)


@cache
def libraries() -> str:
    return ";".join(f"{dist}={version(dist)}" for dist in ("frictionless", "polars", "pyarrow", "pandas"))


@cache
def _error_classes() -> dict[str, Any]:
    from frictionless import Error, errors

    return {c.type: c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, Error)}


def _with_row(descriptor: dict[str, Any], row_number: int) -> dict[str, Any]:
    """A row error's descriptor at ``row_number``, its message rendered again by its class."""
    d = {**descriptor, "rowNumber": row_number}
    cls = _error_classes().get(str(d.get("type")))
    if cls is not None and "title" in d:
        try:
            d["message"] = cls.from_descriptor({k: v for k, v in d.items() if k != "message"}).message
        except Exception:  # noqa: BLE001 - a descriptor Frictionless no longer reads: keep the note only
            d.pop("message", None)
    return d


def row_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` without what reads across rows: primary key, foreign keys, ``unique``."""
    fields = []
    for f in schema.get("fields", []):
        constraints = {k: v for k, v in (f.get("constraints") or {}).items() if k != "unique"}
        fields.append({**f, "constraints": constraints} if constraints else {k: v for k, v in f.items() if k != "constraints"})
    return {**{k: v for k, v in schema.items() if k not in ("primaryKey", "foreignKeys")}, "fields": fields}


def _header(path: Path) -> list[str] | None:
    try:
        with path.open(encoding="utf-8", newline="") as f:
            return next(csv.reader(f), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


@dataclass(frozen=True)
class _Job:
    name: str
    source: dict[str, Any]  # a one-resource package descriptor
    basepath: str
    bytes: int
    rows: np.ndarray | None = field(default=None, hash=False)  # file rows of the job's rows (None: the file itself)


def _pool_context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["pipeline.validate.fl_worker"])
        return ctx
    return multiprocessing.get_context("spawn")


def run_jobs(jobs: Sequence[_Job], *, parallel: bool | None = None) -> dict[str, dict]:
    """Each job's Frictionless report (by resource name); in a bounded pool of small workers when
    the work is large, biggest first."""
    ordered = sorted(jobs, key=lambda j: -j.bytes)
    use_pool = (sum(j.bytes for j in jobs) >= PARALLEL_MIN_BYTES) if parallel is None else parallel
    if not use_pool or len(ordered) < 2:
        return {j.name: validate_resource(j.source, j.basepath, j.name, LIMIT_ERRORS) for j in ordered}
    try:
        with ProcessPoolExecutor(max_workers=min(WORKERS, os.cpu_count() or 1), mp_context=_pool_context()) as pool:
            futures = {j.name: pool.submit(validate_resource, j.source, j.basepath, j.name, LIMIT_ERRORS) for j in ordered}
            return {name: f.result() for name, f in futures.items()}
    except BrokenProcessPool:  # a worker died (e.g. killed for memory): do it here instead
        return {j.name: validate_resource(j.source, j.basepath, j.name, LIMIT_ERRORS) for j in ordered}


def _resource(name: str, path: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "type": "table", "path": path, "scheme": "file", "format": "csv", "mediatype": "text/csv",
            "encoding": "utf-8", "dialect": DIALECT, "schema": schema}


def _local_index(labels: np.ndarray) -> np.ndarray:
    """For each row, its place among the rows of its partition (in table order)."""
    return pd.Series(labels.astype(str)).groupby(labels.astype(str), sort=False).cumcount().to_numpy()


@dataclass
class _Written:
    folder: Path
    frames: Mapping[str, pd.DataFrame]
    written: Mapping[str, pa.Table | pd.DataFrame]
    parts: Partitions
    tmp: Path


def _jobs(w: _Written, resources: Sequence[dict[str, Any]], dirty: list[str]) -> list[_Job]:
    """One job per file with rows to validate: the file itself when all its rows are, else a
    subset file of those rows written by the same writer."""
    jobs = []
    schemas = load_schemas()
    for r in resources:
        name = r["name"]
        rows = w.parts.rows(name, dirty)
        if not len(rows):
            continue
        schema = row_schema(r["schema"])
        if len(rows) == len(w.frames[name]):
            path = w.folder / r["path"]
            jobs.append(_Job(name, {"name": name, "resources": [_resource(name, r["path"], schema)]}, str(w.folder), path.stat().st_size))
            continue
        data = w.written[name]
        subset = data.take(pa.array(rows)) if isinstance(data, pa.Table) else data.iloc[rows]
        path = write_csv(subset, schemas[name], w.tmp / f"{name}.csv")
        jobs.append(_Job(name, {"name": name, "resources": [_resource(name, f"{name}.csv", schema)]}, str(w.tmp), path.stat().st_size,
                         rows))
    return jobs


def _fresh_errors(w: _Written, jobs: list[_Job], reports: dict[str, dict]) -> tuple[dict[str, list[RowErrors]], list[Finding]]:
    """The row errors of the validated rows, by partition; findings for errors that are no row's."""
    by_partition: dict[str, list[RowErrors]] = {}
    other: list[Finding] = []
    for job in jobs:
        labels = w.parts.labels[job.name]
        local = _local_index(labels)
        per_row: dict[int, list[dict[str, Any]]] = {}
        for task in reports[job.name].get("tasks", []):
            for err in task.get("errors", []):
                number = err.get("rowNumber")
                if not number:
                    other.append(Finding("schema-published-file", f"{job.name}.csv: {err.get('message', err.get('type'))}", table=job.name))
                    continue
                row = int(number) - 2 if job.rows is None else int(job.rows[int(number) - 2])
                per_row.setdefault(row, []).append({k: v for k, v in err.items() if k not in ("rowNumber", "message")})
        for report_error in reports[job.name].get("errors", []):
            other.append(Finding("schema-published-file", f"{job.name}.csv: {report_error.get('message')}", table=job.name))
        for row, errors in per_row.items():
            by_partition.setdefault(str(labels[row]), []).append(RowErrors(job.name, int(local[row]), errors))
    return by_partition, other


@dataclass
class WrittenRun:
    """The findings (file by file, in Frictionless's order) and the partitions validated now or cached."""

    findings: list[Finding]
    checked: list[str] = field(default_factory=list)
    cached: int = 0
    problems: list[Finding] = field(default_factory=list)
    by_table: dict[str, list[Finding]] = field(default_factory=dict)  # each file's own findings (in ``findings`` too)
    general: list[Finding] = field(default_factory=list)  # before them: missing files, errors of no row (then ``problems``)


def _cached(parts: Partitions, frames: Mapping[str, pd.DataFrame], cache_url: str | None, code_version: str,
            run: WrittenRun) -> tuple[dict[str, str], dict[str, list[RowErrors]]]:
    """(partition → entry key, partition → its cached row errors)."""
    if not cache_url:
        return {}, {}
    keys = {name: entry_key(code_version, libraries(), name, digest) for name, digest in parts.digests(frames).items() if name != NO_FILE}
    cached: dict[str, list[RowErrors]] = {}
    for name, key in keys.items():
        found, problem = STORE.load(cache_url, key, name)
        if found is not None:
            cached[name] = found
        elif problem is not None:
            run.problems.append(problem)
    return keys, cached


def _placed(parts: Partitions, errors: Mapping[str, list[RowErrors]]) -> dict[str, list[tuple[int, tuple[int, int], dict]]]:
    """table → (row number in the file, rank in the row, descriptor) of the partitions' row errors."""
    out: dict[str, list[tuple[int, tuple[int, int], dict]]] = {}
    for partition, rows in errors.items():
        positions: dict[str, np.ndarray] = {}
        for item in rows:
            if item.table not in positions:
                positions[item.table] = parts.rows(item.table, [partition])
            number = int(positions[item.table][item.row]) + 2
            out.setdefault(item.table, []).extend((number, (0, i), _with_row(e, number)) for i, e in enumerate(item.errors))
    return out


def validate_written(
    folder: Path,
    frames: Mapping[str, pd.DataFrame],
    written: Mapping[str, pa.Table | pd.DataFrame] | None = None,
    tables: list[str] | None = None,
    *,
    cache_url: str | None = None,
    code_version: str = "",
    parallel: bool | None = None,
    references: list[str] | None = None,
) -> WrittenRun:
    """Validate the ``<table>.csv`` files of ``folder`` as one package (see the module docstring).

    ``frames`` are the tables the files were written from (they give the partitions); ``written``
    the same rows as handed to the writer (default ``frames``), from which subset files are written.
    ``tables``: the files to validate (default: every table with a schema, missing unpublished ones
    skipped). ``cache_url`` None: no cache, every partition is validated. ``references``: the
    package's files (``tables`` among them): the foreign keys of ``tables`` into any of them are
    checked, as in a validation of them all, but only ``tables`` are validated."""
    folder = Path(folder).resolve()
    package = tables if references is None or tables is None else [*references, *(t for t in tables if t not in references)]
    descriptor, missing = folder_descriptor(folder, package)
    checked = set(tables if tables is not None else [r["name"] for r in descriptor["resources"]])
    every = [r for r in descriptor["resources"] if _header(folder / r["path"]) == [f["name"] for f in r["schema"]["fields"]]]
    resources = [r for r in descriptor["resources"] if r["name"] in checked]
    whole = [r for r in resources if r not in every]
    rowwise = [r for r in resources if r not in whole]
    run = WrittenRun([])
    parts = Partitions.of(frames)
    keys, cached = _cached(parts, frames, cache_url, code_version, run)
    dirty = [name for name in parts.names() if name not in cached]
    tmp = Path(tempfile.mkdtemp(prefix=".frictionless-", dir=folder.parent))
    try:
        w = _Written(folder, frames, written if written is not None else frames, parts, tmp)
        jobs = _jobs(w, rowwise, dirty)
        whole_jobs = [_Job(r["name"], descriptor, str(folder), (folder / r["path"]).stat().st_size) for r in whole]
        reports = run_jobs([*jobs, *whole_jobs], parallel=parallel)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    fresh, other = _fresh_errors(w, jobs, reports)
    for name in dirty if cache_url else ():
        if name != NO_FILE:
            STORE.store(cache_url, keys[name], fresh.get(name, []))  # type: ignore[arg-type]
    run.checked, run.cached = [n for n in dirty if n != NO_FILE], len(cached)
    placed = _placed(parts, {**cached, **fresh})
    for table, errors in key_errors(folder, rowwise, [r for r in every if r not in rowwise]).items():
        placed.setdefault(table, []).extend((e.row_number, e.rank, e.descriptor) for e in errors)
    places = _RowPlaces(_org_files(folder, None))
    findings = [*missing, *other]
    for r in resources:
        name = r["name"]
        if r in whole:
            report = reports[name]
        else:
            report = {"tasks": [{"errors": [d for _, _, d in sorted(placed.get(name, []), key=lambda e: (e[0], e[1]))]}]}
        run.by_table[name] = _findings(name, f"{name}.csv", _header(folder / r["path"]) or [], report, places)
        findings.extend(run.by_table[name])
    run.findings = findings + run.problems
    run.general = [*missing, *other]
    return run
