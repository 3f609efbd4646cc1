"""Checks across tables and on meanings that Table Schema cannot express.

Scope: foreign keys checked in memory (every ``foreignKeys`` entry of ``schemas/``, null keys
skipped as in Table Schema), the year established not in the future, and a website on plain http.
It must not re-check single-column constraints (that is the pandera schema's job) nor parse text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd

from pipeline.findings import Finding
from pipeline.schemas import load_schemas
from pipeline.validate.locate import Locator, is_missing, plain

ESTABLISHED = "established"
WEBSITE = "website"


def foreign_key_findings(tables: Mapping[str, pd.DataFrame], locator: Locator) -> list[Finding]:
    schemas = load_schemas()
    out: list[Finding] = []
    for name, df in tables.items():
        if name not in schemas:
            continue
        for fk in schemas[name].foreign_keys:
            fields = [fk["fields"]] if isinstance(fk["fields"], str) else list(fk["fields"])
            ref = fk["reference"]
            ref_name = ref.get("resource") or name  # "" means the same table
            ref_fields = [ref["fields"]] if isinstance(ref["fields"], str) else list(ref["fields"])
            parent = tables.get(ref_name)
            if any(f not in df.columns for f in fields):
                continue
            if parent is None or any(f not in parent.columns for f in ref_fields):
                out.append(Finding("foreign-key", f"{name}: foreign key ({', '.join(fields)}) refers to {ref_name}, which is missing",
                                   table=name, column=",".join(fields)))
                continue
            known = set(zip(*([plain(v) for v in parent[f].tolist()] for f in ref_fields), strict=True))
            for row, key in enumerate(zip(*([plain(v) for v in df[f].tolist()] for f in fields), strict=True)):
                if key in known or None in key:  # plain(v) is None exactly when v is missing
                    continue
                place = locator.place(name, row)
                shown = ", ".join(f"{f}={v!r}" for f, v in zip(fields, key, strict=True))
                out.append(Finding("foreign-key", f"{name}: {shown} has no matching row in {ref_name} ({', '.join(ref_fields)})",
                                   table=name, key=place.key, column=",".join(fields), value=", ".join(map(str, key)),
                                   source_file=place.source_file, source_line=place.source_line))
    return out


def _rows_with(tables: Mapping[str, pd.DataFrame], column: str):
    for name, df in tables.items():
        if column in df.columns:
            for row, value in enumerate(df[column].tolist()):
                if not is_missing(value):
                    yield name, row, plain(value)


def established_findings(tables: Mapping[str, pd.DataFrame], locator: Locator, *, today: dt.date | None = None) -> list[Finding]:
    year = (today or dt.date.today()).year
    out = []
    for name, row, value in _rows_with(tables, ESTABLISHED):
        if isinstance(value, int) and value > year:
            place = locator.place(name, row)
            out.append(Finding("established-in-future", f"year established {value} lies after {year}", table=name, key=place.key,
                               column=ESTABLISHED, value=str(value), source_file=place.source_file, source_line=place.source_line))
    return out


def website_findings(tables: Mapping[str, pd.DataFrame], locator: Locator) -> list[Finding]:
    out = []
    for name, row, value in _rows_with(tables, WEBSITE):
        if str(value).lower().startswith("http://"):
            place = locator.place(name, row)
            out.append(Finding("website-not-https", f"website {value!r} (header of the profile starting here) uses plain http", table=name, key=place.key, column=WEBSITE,
                               value=str(value), source_file=place.source_file, source_line=place.source_line, excerpt=str(value)))
    return out
