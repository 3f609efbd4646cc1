"""Validation of an extracted table set: both validators, the semantic checks, and the report.

Scope: :func:`validate_folder` reads the folder ``atlas extract`` wrote (``<table>.csv``,
``extraction_findings.json``, ``sources.json``), runs the in-memory checks
(:func:`pipeline.validate.checks.check_tables`: pandera + cross-table + text quality) and the
Frictionless validation of the files as a downloader reads them
(:func:`pipeline.validate.frictionless_check.validate_package_files`), and writes ``report.json``,
``report.md`` and ``report.html`` (:mod:`pipeline.validate.report`). Bad input (a missing file, a
missing or renamed column, an unreadable CSV) becomes an error finding naming the file, never a
traceback. It must not change the tables nor decide about publication beyond the report's
``publishable`` flag (the CLI exits 1 when it is false).
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.findings import RULES, Finding

if TYPE_CHECKING:  # the validators are imported where they run: importing this package stays light
    import pandas as pd

    from pipeline.artifacts import Report
    from pipeline.schemas import TableSchema

EXTRACTION_FINDINGS = "extraction_findings.json"
SOURCES = "sources.json"

__all__ = ["validate_folder", "read_tables"]


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as f:
        return next(csv.reader(f), [])


def _column_findings(table: TableSchema, header: list[str], file: str) -> list[Finding]:
    expected = table.columns
    missing = [c for c in expected if c not in header]
    extra = [c for c in header if c not in expected]
    out: list[Finding] = []
    # a missing and an unexpected column at the same position read as a rename
    renamed = []
    for c in list(missing):
        pos = expected.index(c)
        if pos < len(header) and header[pos] in extra:
            renamed.append((c, header[pos]))
            missing.remove(c)
            extra.remove(header[pos])
    for old, new in renamed:
        out.append(
            Finding(
                "schema", f"{file}: column {old!r} is named {new!r} (renamed?)", table=table.name, column=old, value=new, source_file=file
            )
        )
    for c in missing:
        out.append(Finding("schema", f"{file}: column {c!r} is missing", table=table.name, column=c, source_file=file))
    for c in extra:
        out.append(
            Finding(
                "schema",
                f"{file}: unexpected column {c!r} (not in schemas/{table.name}.schema.yaml)",
                table=table.name,
                column=c,
                value=c,
                source_file=file,
            )
        )
    if not out and header != expected:
        out.append(
            Finding("schema", f"{file}: columns are out of order (expected {', '.join(expected)})", table=table.name, source_file=file)
        )
    return out


def read_tables(tables_dir: Path) -> tuple[dict[str, pd.DataFrame], list[Finding]]:
    """Every ``<table>.csv`` of ``tables_dir`` read back into its schema's dtypes, plus findings for
    missing files and missing/extra/renamed columns (the frame then gets the schema's columns)."""
    import pandas as pd

    from pipeline.csvio import read_csv
    from pipeline.schemas import load_schemas

    frames: dict[str, pd.DataFrame] = {}
    findings: list[Finding] = []
    for name, table in load_schemas().items():
        path = Path(tables_dir) / f"{name}.csv"
        file = path.name
        if not path.is_file():
            if table.published:
                findings.append(Finding("schema", f"{file} is missing from the tables folder", table=name, source_file=file))
            continue
        try:
            header = _header(path)
            df = read_csv(path, table)
        except (OSError, UnicodeDecodeError, csv.Error, ValueError, pd.errors.ParserError) as exc:
            findings.append(Finding("schema", f"{file} cannot be read: {exc}", table=name, source_file=file))
            continue
        problems = _column_findings(table, header, file)
        findings.extend(problems)
        if problems:
            df = df.reindex(columns=table.columns)  # missing columns become empty, extra ones dropped
            try:
                df = table.frame(df)
            except (ValueError, TypeError) as exc:
                findings.append(Finding("schema", f"{file}: values do not fit the schema's types: {exc}", table=name, source_file=file))
                continue
        frames[name] = df
    return frames, findings


def _extraction_findings(tables_dir: Path) -> list[Finding | dict]:
    path = Path(tables_dir) / EXTRACTION_FINDINGS
    if not path.is_file():
        return []
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [Finding("schema-published-file", f"{EXTRACTION_FINDINGS} cannot be read: {exc}", source_file=EXTRACTION_FINDINGS)]
    out: list[Finding | dict] = []
    fields = set(Finding.__dataclass_fields__)
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        if item.get("rule") in RULES:
            out.append(Finding(**{k: v for k, v in item.items() if k in fields}))
        else:  # a rule this version does not know: keep it as written
            out.append({**item, "severity": item.get("severity") or "warning"})
    return out


def _where(f: Finding | dict) -> tuple:
    if isinstance(f, Finding):
        return (f.rule, f.source_file, f.source_line)
    return (f.get("rule"), f.get("source_file"), f.get("source_line"))


_SCALARS = (str, int, bool, type(None))
_NO_BOOL = frozenset({str, int, type(None)})  # no two values of these types are equal unless their JSON is


def _identity(f: Finding) -> object:
    """What makes two findings the same: equal exactly when their sorted JSON is equal (a
    hashable tuple of the fields and their types for the usual scalar fields; the JSON otherwise)."""
    key = f.key
    fields = (f.rule, f.message, f.severity, f.table, f.column, f.value, f.source_file, f.source_line, f.excerpt, f.hint, f.status)
    if f.resolution is not None:
        return json.dumps(f.to_dict(), sort_keys=True, default=str)
    kinds = set(map(type, fields)) if key is None else set(map(type, fields)) | set(map(type, key.values()))
    if kinds <= _NO_BOOL:  # the usual finding: str, int and None compare in Python as their JSON does
        return fields, None if key is None else tuple(sorted(key.items()))
    if all(type(v) in _SCALARS for v in fields) and (key is None or all(type(v) in _SCALARS for v in key.values())):
        items = None if key is None else tuple(sorted((k, type(v).__name__, v) for k, v in key.items()))
        return (fields, tuple(type(v).__name__ for v in fields), items)
    return json.dumps(f.to_dict(), sort_keys=True, default=str)


def _open(f: Finding | dict) -> bool:
    return (f.status if isinstance(f, Finding) else f.get("status", "open")) == "open"


def merge_findings(extraction: Sequence[Finding | dict], checks: Sequence[Finding]) -> list[Finding | dict]:
    """Extraction findings first; a check finding the extractor already reported (still open) at
    the same rule, file and line is dropped; exact duplicates are dropped. (A finding an editors'
    correction resolved says nothing about another value on the same line.)"""
    reported = {w for f in extraction if (w := _where(f))[2] is not None and _open(f)}
    out: list[Finding | dict] = list(extraction)
    seen: set[object] = set()
    for f in checks:
        where = _where(f)
        if where[2] is not None and where in reported:
            continue
        identity = _identity(f)
        if identity in seen:
            continue
        seen.add(identity)
        out.append(f)
    return out


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _context(tables_dir: Path) -> dict:
    ctx: dict = {}
    sources = Path(tables_dir) / SOURCES
    if sources.is_file():
        try:
            data = json.loads(sources.read_text(encoding="utf-8"))
            ctx["sources"] = (
                [{"path": s.get("path"), "sha256": s.get("sha256")} for s in data if isinstance(s, dict)]
                if isinstance(data, list)
                else data
            )
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            ctx["sources"] = None
    ctx["tables"] = {p.name: _sha256(p) for p in sorted(Path(tables_dir).glob("*.csv"))}
    ctx["validators"] = {dist: version(dist) for dist in ("pandera", "frictionless")}
    return ctx


def validate_folder(tables_dir: Path, out_dir: Path | None = None, *, context: dict | None = None) -> Report:
    """Validate the tables ``atlas extract`` wrote into ``tables_dir``; write the report into
    ``out_dir`` (default ``tables_dir``) and return it."""
    import pandas as pd

    from pipeline.schemas import load_schemas
    from pipeline.validate.checks import check_tables
    from pipeline.validate.frictionless_check import validate_package_files
    from pipeline.validate.report import build_report, write_report

    tables_dir = Path(tables_dir)
    frames, read_findings = read_tables(tables_dir)
    for name, table in load_schemas().items():  # a missing or unreadable file is reported; its rows are none
        frames.setdefault(name, table.frame(pd.DataFrame(columns=table.columns)))
    present = [name for name in load_schemas() if (tables_dir / f"{name}.csv").is_file()]
    checks = [*read_findings, *check_tables(frames), *validate_package_files(tables_dir, present)]
    findings = merge_findings(_extraction_findings(tables_dir), checks)
    ctx = {**_context(tables_dir), **(context or {})}
    write_report(findings, Path(out_dir) if out_dir is not None else tables_dir, context=ctx)
    return build_report(findings, context=ctx)
