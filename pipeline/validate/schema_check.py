"""Run the pandera schema of every table (lazy: all failures collected) and turn failures into findings.

Scope: one ``schema`` finding per failing cell (or per row for a repeated primary key, or per table
for a missing/unexpected column), with the row's key, the column, the value and the source file
and line when the row can be traced. It must not define constraints (they come from ``schemas/``
through ``TableSchema.to_pandera``) nor check anything pandera does not.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import pandera.pandas as pa

from pipeline.findings import Finding, excerpt_of
from pipeline.schemas import load_schemas
from pipeline.validate.locate import Locator, is_missing, plain

_BUILTIN_MESSAGES = {
    "not_nullable": "is required but empty",
    "field_uniqueness": "must be unique but is repeated",
}


def _value(v: object) -> str | None:
    return None if is_missing(v) else str(plain(v))


def _message(table: str, column: str | None, check: str, value: str | None) -> str:
    where = f"{table}.{column}" if column else table
    what = _BUILTIN_MESSAGES.get(check)
    if what is None and check.startswith("dtype("):
        what = f"has the wrong type (expected {check[6:-1]})"
    what = what or check
    shown = "" if value is None else f" {value!r}"
    return f"{where}:{shown} {what}" if shown else f"{where} {what}"


def _same_shape(frame: pd.DataFrame, expected: pd.DataFrame) -> bool:
    return list(frame.columns) == list(expected.columns) and all(frame[c].dtype == expected[c].dtype for c in expected.columns)


def pandera_findings(tables: Mapping[str, pd.DataFrame], locator: Locator | None = None) -> list[Finding]:
    """Validate every table of ``tables`` that has a schema; return the failures as findings."""
    schemas = load_schemas()
    locator = locator or Locator(tables)
    findings: list[Finding] = []
    for name, df in tables.items():
        table = schemas.get(name)
        if table is None:
            continue
        frame = df.reset_index(drop=True)
        if frame.empty and _same_shape(frame, table.frame([])):
            continue  # no rows, right columns and dtypes: nothing can fail (pandera costs ~5 ms a column)
        try:
            table.to_pandera().validate(frame, lazy=True)
            continue
        except pa.errors.SchemaErrors as err:
            cases = err.failure_cases
        findings.extend(_findings_for(name, table.primary_key, cases, locator))
    return findings


def _findings_for(name: str, pk: list[str], cases: pd.DataFrame, locator: Locator) -> list[Finding]:
    out: list[Finding] = []
    seen_pk_rows: set[int] = set()
    for case in cases.to_dict("records"):
        check = str(case.get("check"))
        column = None if is_missing(case.get("column")) else str(case["column"])
        value = _value(case.get("failure_case"))
        index = case.get("index")
        row = None if index is None or is_missing(index) else int(index)
        if check == "column_in_schema":
            out.append(
                Finding("schema", f"{name}: unexpected column {value!r} (not in schemas/{name}.schema.yaml)", table=name, column=value)
            )
            continue
        if check == "column_in_dataframe":
            out.append(Finding("schema", f"{name}: column {value!r} is missing", table=name, column=value))
            continue
        if check == "column_ordered":
            out.append(Finding("schema", f"{name}: column {value!r} is out of order", table=name, column=value))
            continue
        if check == "multiple_fields_uniqueness":
            if row is None or row in seen_pk_rows:
                continue
            seen_pk_rows.add(row)
            place = locator.place(name, row)
            key = place.key or {}
            shown = ", ".join(f"{k}={v!r}" for k, v in key.items())
            out.append(
                Finding(
                    "schema",
                    f"{name}: primary key ({', '.join(pk)}) repeated: {shown}",
                    table=name,
                    key=place.key,
                    column=",".join(pk),
                    value=shown,
                    source_file=place.source_file,
                    source_line=place.source_line,
                )
            )
            continue
        place = locator.place(name, row)
        out.append(
            Finding(
                "schema",
                _message(name, column, check, value),
                table=name,
                key=place.key,
                column=column,
                value=value,
                source_file=place.source_file,
                source_line=place.source_line,
                excerpt=excerpt_of(value) if value else None,
            )
        )
    return out
