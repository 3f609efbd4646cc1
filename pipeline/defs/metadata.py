"""Dagster metadata a person reads in the UI: table schemas, previews, findings summaries.

Scope: turn ``schemas/`` (via ``pipeline.schemas``), DataFrames and findings into Dagster metadata
values (column schema, row count, preview table, counts by severity, a Markdown summary, a table of
the first findings) and check results. It must not decide what is an error: severities come from
the findings themselves.
"""

from __future__ import annotations

import hashlib
import heapq
from collections import Counter
from collections.abc import Iterable, Sequence

import dagster as dg
import pandas as pd

from pipeline.findings import RULES, SEVERITIES, Finding, severity_counts
from pipeline.markdown import md_text
from pipeline.schemas import TableSchema

PREVIEW_ROWS = 5
FIRST_FINDINGS = 25
CELL_LIMIT = 120


def _cell(value: object) -> str | int | float | bool | None:
    """A value as a table cell: numpy scalars unwrapped, missing values None, text on one line."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # numpy scalar → Python
    if isinstance(value, float) and value != value:  # NaN
        return None
    if isinstance(value, bool | int | float):
        return value
    text = " ".join(str(value).split())
    return text if len(text) <= CELL_LIMIT else text[: CELL_LIMIT - 1] + "…"


def preview(frame, table: TableSchema, rows: int = PREVIEW_ROWS) -> dg.MetadataValue:
    """The first rows as a table (text shortened to one line)."""
    head = frame.head(rows)
    records = [dg.TableRecord({c: _cell(v) for c, v in zip(head.columns, row, strict=True)}) for row in head.itertuples(index=False)]
    schema = dg.TableSchema(columns=[dg.TableColumn(c, "string") for c in head.columns])
    return dg.MetadataValue.table(records=records, schema=schema)


def frame_version(frame: pd.DataFrame) -> str:
    """A data version for a DataFrame: sha256 of its columns, dtypes and row hashes (polars' row
    hashes, on every core, where polars can hold the frame; pandas' otherwise)."""
    import polars as pl

    digest = hashlib.sha256("\0".join(f"{c}:{t}" for c, t in frame.dtypes.items()).encode())
    try:
        rows = pl.from_pandas(frame).hash_rows(seed=0).to_numpy() if len(frame.columns) else None
    except (TypeError, ValueError, pl.exceptions.PolarsError):
        rows = None
    if rows is None:
        rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    digest.update(rows.tobytes())
    return digest.hexdigest()[:16]


def table_metadata(frame, table: TableSchema) -> dict:
    return {
        "dagster/row_count": dg.MetadataValue.int(len(frame)),
        "dagster/column_schema": table.to_dagster(),
        "preview": preview(frame, table),
        "schema_file": dg.MetadataValue.path(str(table.path)),
    }


def findings_table(findings: Sequence[Finding], limit: int = FIRST_FINDINGS) -> dg.MetadataValue:
    """The first findings, most severe first, as a table: severity, rule, where, message."""
    ordered = heapq.nsmallest(limit, findings, key=Finding.sort_key)  # = sorted(...)[:limit], without sorting 35,000
    schema = dg.TableSchema(columns=[dg.TableColumn(n, "string") for n in ("severity", "rule", "where", "message", "hint")])
    records = [
        dg.TableRecord(
            {
                "severity": f.severity,
                "rule": f.rule,
                "where": f.location or (f.table or ""),
                "message": _cell(f.message) or "",
                "hint": _cell(f.hint or (RULES[f.rule].hint if f.rule in RULES else "")) or "",
            }
        )
        for f in ordered
    ]
    return dg.MetadataValue.table(records=records, schema=schema)


def findings_markdown(title: str, findings: Sequence[Finding], limit: int = 10) -> str:
    counts = severity_counts(findings)
    lines = [f"### {title}", "", " · ".join(f"**{counts[s]}** {s}" for s in SEVERITIES), ""]
    by_rule = Counter((f.severity, f.rule) for f in findings)
    if by_rule:
        lines += ["| severity | rule | findings |", "|---|---|---|"]
        for (sev, rule), n in sorted(by_rule.items(), key=lambda kv: (SEVERITIES.index(kv[0][0]), -kv[1], kv[0][1])):
            lines.append(f"| {sev} | `{rule}` | {n} |")
        lines.append("")
    errors = heapq.nsmallest(limit, (f for f in findings if f.severity == "error"), key=Finding.sort_key)
    if errors:
        lines.append("First errors:")
        lines += [f"- {md_text(f.location or f.table or '')}: {md_text(f.message)}" for f in errors]
    elif not findings:
        lines.append("No findings.")
    return "\n".join(lines)


def findings_metadata(title: str, findings: Sequence[Finding], report: str | None = None) -> dict:
    counts = severity_counts(findings)
    meta: dict = {f"{s}s": dg.MetadataValue.int(counts[s]) for s in SEVERITIES}
    meta["summary"] = dg.MetadataValue.md(findings_markdown(title, findings))
    meta["first_findings"] = findings_table(findings)
    if report:
        meta["report"] = dg.MetadataValue.path(report)
    return meta


FIRST_ERRORS = 5
MESSAGE_LIMIT = 300


def first_errors(findings: Iterable[Finding], limit: int = FIRST_ERRORS) -> list[str]:
    """The first errors as ``file:line: message [rule]`` (most useful first)."""
    errors = heapq.nsmallest(limit, (f for f in findings if f.severity == "error"), key=Finding.sort_key)
    return [f"{f.location or f.table or '(no file)'}: {' '.join(f.message.split())[:MESSAGE_LIMIT]} [{f.rule}]" for f in errors]


def check_result(check_name: str, asset: str, title: str, findings: Iterable[Finding], report: str | None = None) -> dg.AssetCheckResult:
    """Passed when no finding is an error; a failed result blocks what is downstream and its
    description lists the first errors with file:line."""
    found = list(findings)
    errors = severity_counts(found)["error"]
    first = first_errors(found)
    metadata = findings_metadata(title, found, report)
    if first:
        metadata["first_errors"] = dg.MetadataValue.json(first)
    return dg.AssetCheckResult(
        check_name=check_name,
        asset_key=asset,
        passed=errors == 0,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
        description=f"{errors} blocking error(s): " + "; ".join(first) if errors else "passed: no error",
    )
