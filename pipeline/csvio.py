"""Reading and writing the tables as CSV, the way every output and every reader of them agrees on.

Scope: one CSV dialect for the project (UTF-8 without BOM, header row, LF line ends, minimal quoting,
empty cell = null) and the spreadsheet-formula guard: a string cell that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return is written with a leading apostrophe so that a spreadsheet
shows it as text instead of running it (OWASP "CSV injection"). Parquet keeps the raw value. Reading
back removes exactly that apostrophe. Column order and types come from ``pipeline.schemas``; this
module must not know any table by name.

Writing is columnar: each column becomes the text of its cells at once (Arrow/polars: the guard is
one regular expression over the column, integers and booleans are cast), then polars writes the
rows (Rust, streaming into the file, every core). A field is quoted when it holds the delimiter, a
quote, a line feed or a carriage return; every record ends with one line feed outside quotes, so
each row's bytes depend on that row alone (the partitioned Frictionless check relies on it:
``pipeline.validate.partitions``). Columns of other dtypes (plain Python objects, floats) are
turned into cell text in Python, as before.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import IO

import pandas as pd
import pyarrow as pa

from pipeline.fsutil import atomic_file
from pipeline.schemas import TableSchema

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"
# Where _needs_guard holds: any run of apostrophes (none included) then a formula prefix.
_GUARD_PATTERN = "^'*[=+@\\t\\r-]"
_ARROW_KINDS = {"string": (pa.types.is_string, pa.types.is_large_string), "integer": (pa.types.is_integer,),
                "year": (pa.types.is_integer,), "boolean": (pa.types.is_boolean,)}
CHUNK_ROWS = 50_000  # rows converted and written at a time (bounds the memory of a write)


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


def _arrow(column: pd.Series | pa.Array | pa.ChunkedArray, kind: str) -> pa.Array | pa.ChunkedArray | None:
    """The column as Arrow when its type is one the columnar writer handles exactly, else None."""
    if isinstance(column, pd.Series):
        if not isinstance(column.dtype, (pd.StringDtype, pd.Int64Dtype, pd.Int32Dtype, pd.BooleanDtype)):
            return None
        column = pa.array(column, from_pandas=True)
    return column if any(test(column.type) for test in _ARROW_KINDS.get(kind, ())) else None


def _cells(column: pd.Series | pa.Array | pa.ChunkedArray, kind: str, one_column: bool):
    """The polars series of the cells' text, null for an empty cell (a lone column keeps "" so
    its empty cells are written ``""``, never as a blank line)."""
    import polars as pl

    arrow = _arrow(column, kind)
    if arrow is None:
        values = column.to_pylist() if isinstance(column, pa.Array | pa.ChunkedArray) else column.tolist()
        texts = pl.Series([_cell(v, kind) for v in values], dtype=pl.String)
    else:
        s = pl.Series(arrow)
        if kind == "string":
            s = pl.select(pl.when(pl.lit(s).str.contains(_GUARD_PATTERN)).then(GUARD + pl.lit(s)).otherwise(pl.lit(s))).to_series()
        elif kind == "boolean":
            flag = pl.lit(s)
            s = pl.select(pl.when(flag).then(pl.lit("true")).when(flag.not_()).then(pl.lit("false"))).to_series()  # null stays null
        texts = s.cast(pl.String)
    if one_column:
        return texts.fill_null("")
    return pl.select(pl.when(pl.lit(texts) == "").then(None).otherwise(pl.lit(texts))).to_series()


def _length(df: pd.DataFrame | pa.Table) -> int:
    return df.num_rows if isinstance(df, pa.Table) else len(df)


def _column(df: pd.DataFrame | pa.Table, name: str, start: int, stop: int):
    if isinstance(df, pa.Table):
        return df.column(name).slice(start, stop - start)
    return df[name].iloc[start:stop]


def write_csv_to(df: pd.DataFrame | pa.Table, table: TableSchema, out: IO[bytes], *, chunk_rows: int = CHUNK_ROWS) -> None:
    """Write ``df`` (a frame or an Arrow table with the schema's columns) as CSV into ``out``: the
    header, then ``chunk_rows`` rows at a time."""
    import polars as pl

    kinds = [(f.name, f.type) for f in table.fields]
    one = len(kinds) == 1
    n = _length(df)
    for start in range(0, max(n, 1), chunk_rows):
        stop = min(n, start + chunk_rows)
        frame = pl.DataFrame([_cells(_column(df, name, start, stop), kind, one).alias(name) for name, kind in kinds])
        frame.write_csv(out, include_header=start == 0, quote_style="necessary", line_terminator="\n")


def to_csv_bytes(df: pd.DataFrame | pa.Table, table: TableSchema) -> bytes:
    """The table as CSV bytes; deterministic for the same rows."""
    buf = io.BytesIO()
    write_csv_to(df, table, buf)
    return buf.getvalue()


def write_csv(df: pd.DataFrame | pa.Table, table: TableSchema, path: Path, *, durable: bool = False) -> Path:
    """Write atomically (temp file + rename) so a reader never sees half a table (``durable``: see
    :func:`pipeline.fsutil.atomic_write_bytes`); the rows are streamed into the file."""
    with atomic_file(path, durable=durable) as out:
        write_csv_to(df, table, out)
    return path


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
