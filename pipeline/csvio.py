"""Reading and writing the tables as CSV, the way every output and every reader of them agrees on.

Scope: one CSV dialect for the project (UTF-8 without BOM, header row, LF line ends, minimal quoting,
empty cell = null) and the spreadsheet-formula guard: a string cell that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return is written with a leading apostrophe so that a spreadsheet
shows it as text instead of running it (OWASP "CSV injection"). Parquet keeps the raw value. Reading
back removes exactly that apostrophe. Column order and types come from ``pipeline.schemas``; this
module must not know any table by name.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from pipeline.fsutil import atomic_write_bytes
from pipeline.schemas import TableSchema

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"


def _needs_guard(value: str) -> bool:
    # A raw value that already looks guarded ("'=x") gets a guard too, so reading back is exact.
    return value.startswith(FORMULA_PREFIXES) or (value.startswith(GUARD) and value.lstrip(GUARD).startswith(FORMULA_PREFIXES))


def guard_cell(value: str) -> str:
    return GUARD + value if _needs_guard(value) else value


def unguard_cell(value: str) -> str:
    return value[1:] if value.startswith(GUARD) and _needs_guard(value[1:]) else value


def _cell(value: object, kind: str) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "integer":
        return str(int(value))  # type: ignore[call-overload]  # an Int64 cell: numpy or Python int
    text = str(value)
    return guard_cell(text) if kind == "string" else text


def to_csv_bytes(df: pd.DataFrame, table: TableSchema) -> bytes:
    """The table as CSV bytes; deterministic for the same frame."""
    kinds = [f.type for f in table.fields]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    # QUOTE_MINIMAL quotes a cell holding "\n" but not one holding a bare "\r" (not part of the line
    # terminator), which readers take for a line end: a row with one is written fully quoted.
    quoted = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(table.columns)
    columns = [df[c].tolist() for c in table.columns]
    for row in zip(*columns, strict=True):
        cells = [_cell(v, k) for v, k in zip(row, kinds, strict=True)]
        (quoted if any("\r" in c for c in cells) else writer).writerow(cells)
    return buf.getvalue().encode("utf-8")


def write_csv(df: pd.DataFrame, table: TableSchema, path: Path, *, durable: bool = False) -> Path:
    """Write atomically (temp file + rename) so a reader never sees half a table (``durable``: see
    :func:`pipeline.fsutil.atomic_write_bytes`)."""
    return atomic_write_bytes(path, to_csv_bytes(df, table), durable=durable)


def read_csv(path: Path, table: TableSchema) -> pd.DataFrame:
    """Read a CSV written by :func:`write_csv` back into the schema's dtypes."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    for f in table.fields:
        name, kind = f.name, f.type
        if name not in df.columns:
            continue
        if kind == "string":
            df[name] = df[name].map(lambda v: unguard_cell(v) if isinstance(v, str) else v)
        elif kind == "boolean":
            df[name] = df[name].map({"true": True, "false": False})
        elif kind == "integer":
            df[name] = pd.to_numeric(df[name], errors="coerce")
    return table.frame(df) if list(df.columns) == table.columns else df
