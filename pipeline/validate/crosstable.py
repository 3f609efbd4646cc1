"""Checks across tables and on meanings that Table Schema cannot express.

Scope: foreign keys checked in memory (every ``foreignKeys`` entry of ``schemas/``, null keys
skipped as in Table Schema; when both sides have the same string, integer or boolean dtypes, an
Arrow hash look-up for a one-column key and an anti-join in polars for a longer one, else the same
check on plain Python values), the year established not in the
future, and a website on plain http (both answered column-wide, only the hits read in Python). It
must not re-check single-column constraints (that is the pandera schema's job) nor parse text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd
import polars as pl

from pipeline.findings import Finding
from pipeline.schemas import load_schemas
from pipeline.validate.locate import Hit, Locator, plain_values
from pipeline.validate.scan import column_strings, python_strings

ESTABLISHED = "established"
WEBSITE = "website"
# pandas dtypes whose equality polars' join reproduces exactly (Python ``==`` on the plain values)
_JOINABLE = (pd.StringDtype, pd.BooleanDtype, pd.Int8Dtype, pd.Int16Dtype, pd.Int32Dtype, pd.Int64Dtype,
             pd.UInt8Dtype, pd.UInt16Dtype, pd.UInt32Dtype, pd.UInt64Dtype)


def _names(fields: str | list[str]) -> list[str]:
    return [fields] if isinstance(fields, str) else list(fields)


def _frame(df: pd.DataFrame, columns: list[str]) -> pl.DataFrame:
    import pyarrow as pa

    return pl.DataFrame([pl.Series(f"k{i}", pa.array(df[c], from_pandas=True)) for i, c in enumerate(columns)])


def _missing_rows(df: pd.DataFrame, fields: list[str], parent: pd.DataFrame, ref_fields: list[str]) -> list[int]:
    """Rows of ``df`` whose key ``fields`` (no part missing) is no key ``ref_fields`` of ``parent``."""
    pairs = [(df[f].dtype, parent[r].dtype) for f, r in zip(fields, ref_fields, strict=True)]
    if len(fields) == 1 and isinstance(pairs[0][0], _JOINABLE) and pairs[0][0] == pairs[0][1]:
        return _missing_values(df[fields[0]], parent[ref_fields[0]])
    if all(isinstance(a, _JOINABLE) and a == b for a, b in pairs):
        keys = [f"k{i}" for i in range(len(fields))]
        child = _frame(df, fields).with_row_index("row").drop_nulls(keys)
        found = child.join(_frame(parent, ref_fields), on=keys, how="anti", nulls_equal=False)
        return sorted(found["row"].to_list())
    known = set(zip(*(plain_values(parent[f]) for f in ref_fields), strict=True))
    keys_of = zip(*(plain_values(df[f]) for f in fields), strict=True)
    return [row for row, key in enumerate(keys_of) if not (key in known or None in key)]  # plain(v) is None exactly when v is missing


def _missing_values(child: pd.Series, parent: pd.Series) -> list[int]:
    """Rows of ``child`` whose value (not missing) is no value of ``parent``, both of one joinable
    dtype: Arrow's hash look-up (in this thread: polars' pool may be busy with the screens)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values, known = pa.array(child, from_pandas=True), pa.array(parent, from_pandas=True)
    if values.type != known.type:
        known = known.cast(values.type)
    missing = pc.and_(pc.is_valid(values), pc.invert(pc.is_in(values, value_set=known, skip_nulls=True)))
    return np.flatnonzero(missing.to_numpy(zero_copy_only=False)).tolist()


def foreign_key_findings(tables: Mapping[str, pd.DataFrame], locator: Locator) -> list[Finding]:
    schemas = load_schemas()
    out: list[Finding] = []
    for name, df in tables.items():
        if name not in schemas:
            continue
        for fk in schemas[name].foreign_keys:
            fields, ref = _names(fk["fields"]), fk["reference"]
            ref_name = ref.get("resource") or name  # "" means the same table
            ref_fields = _names(ref["fields"])
            parent = tables.get(ref_name)
            if any(f not in df.columns for f in fields):
                continue
            if parent is None or any(f not in parent.columns for f in ref_fields):
                out.append(Finding("foreign-key", f"{name}: foreign key ({', '.join(fields)}) refers to {ref_name}, which is missing",
                                   table=name, column=",".join(fields)))
                continue
            rows = _missing_rows(df, fields, parent, ref_fields)
            hits = []
            for row, key in zip(rows, zip(*(plain_values(df[f], rows) for f in fields), strict=True), strict=False):
                shown = ", ".join(f"{f}={v!r}" for f, v in zip(fields, key, strict=True))
                hits.append(Hit("foreign-key", f"{name}: {shown} has no matching row in {ref_name} ({', '.join(ref_fields)})",
                                name, row, ",".join(fields), None, ", ".join(map(str, key))))
            out.extend(locator.findings(hits))
    return out


def established_findings(tables: Mapping[str, pd.DataFrame], locator: Locator, *, today: dt.date | None = None) -> list[Finding]:
    year = (today or dt.date.today()).year
    hits = []
    for name, df in tables.items():
        if ESTABLISHED not in df.columns:
            continue
        s = df[ESTABLISHED]
        if pd.api.types.is_integer_dtype(s.dtype):
            rows = np.flatnonzero((s > year).fillna(False).to_numpy(dtype=bool)).tolist()
        else:  # other values: only Python ints count (bool is an int, never above a year)
            rows = [row for row, v in enumerate(plain_values(s)) if isinstance(v, int) and v > year]
        for row, value in zip(rows, plain_values(s, rows), strict=True):
            hits.append(Hit("established-in-future", f"year established {value} lies after {year}", name, row, ESTABLISHED, None,
                            str(value)))
    return locator.findings(hits)


def website_findings(tables: Mapping[str, pd.DataFrame], locator: Locator) -> list[Finding]:
    hits = []
    for name, df in tables.items():
        if WEBSITE not in df.columns:
            continue
        strings = column_strings(df[WEBSITE])
        if strings is None:
            candidates = list(enumerate(python_strings(df[WEBSITE])))
        else:  # no character but an ASCII one lowercases to one of "http://", so (?i) screens exactly
            rows = np.flatnonzero(strings.str.contains("(?i)^http://").fill_null(False).to_numpy()).tolist()
            candidates = list(zip(rows, strings.gather(rows).to_list(), strict=True)) if rows else []
        for row, value in candidates:
            if value is not None and value.lower().startswith("http://"):
                hits.append(Hit("website-not-https", f"website {value!r} (header of the profile starting here) uses plain http",
                                name, row, WEBSITE, None, value, value))
    return locator.findings(hits)
