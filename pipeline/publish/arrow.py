"""Arrow schemas and Parquet files derived from the table schemas in ``schemas/``.

Scope: map a Frictionless Table Schema to an Arrow schema (types, nullability from ``required``,
each column's title and description as field metadata, the table's title, description and primary
key as schema metadata) and write a frame as a deterministic, zstd-compressed Parquet file: the same
rows give the same bytes (no pandas metadata, no timestamps, fixed writer options). Parquet keeps
raw values (the spreadsheet-formula guard is a CSV-only concern). It must not hold a column list of
its own or decide whether the data is valid beyond refusing nulls in required columns.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.publish.fsutil import atomic_write_bytes
from pipeline.schemas import TableSchema

# Frictionless type → Arrow type. ``string`` (32-bit offsets) rather than ``large_string``: every
# reader (DuckDB, polars, pandas, Spark) maps it to its plain text type, and pyarrow splits a column
# beyond 2 GiB into chunks by itself.
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "year": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
}

# Fixed writer options: part of the reproducibility promise, change them only with a release note.
PARQUET_OPTIONS = {
    "compression": "zstd",
    "compression_level": 9,
    "version": "2.6",
    "use_dictionary": True,
    "write_statistics": True,
    "data_page_version": "1.0",
    "store_schema": True,
}


def arrow_type(field: dict) -> pa.DataType:
    kind = field.get("type", "string")
    try:
        return ARROW_TYPES[kind]
    except KeyError:
        raise ValueError(f"column {field['name']!r}: no Arrow type for Table Schema type {kind!r}") from None


def _required(field: dict) -> bool:
    return bool(field.get("constraints", {}).get("required", False))


def arrow_field(field: dict) -> pa.Field:
    metadata = {k: str(field[k]) for k in ("title", "description") if field.get(k)}
    metadata["frictionless_type"] = field.get("type", "string")
    return pa.field(field["name"], arrow_type(field), nullable=not _required(field), metadata=metadata)


def arrow_schema(table: TableSchema) -> pa.Schema:
    """The Arrow schema of ``table`` (column order, types, nullability and descriptions)."""
    metadata = {"name": table.name, "title": table.title, "description": table.description}
    if table.primary_key:
        metadata["primary_key"] = json.dumps(table.primary_key)
    return pa.schema([arrow_field(f) for f in table.fields], metadata=metadata)


def _column(series: pd.Series, field: pa.Field) -> pa.Array:
    if field.type == pa.string():
        if isinstance(series.dtype, pd.StringDtype):  # the frames of schemas.frame(): zero-copy-ish
            array = pa.array(series, from_pandas=True)
            if isinstance(array, pa.ChunkedArray):  # one chunk, so the bytes never depend on chunking
                array = array.combine_chunks()
            return array if array.type == pa.string() else array.cast(pa.string())
        values = [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v) for v in series.tolist()]
        return pa.array(values, type=pa.string())
    return pa.array(series, type=field.type, from_pandas=True)


def arrow_table(df: pd.DataFrame, table: TableSchema) -> pa.Table:
    """``df`` as an Arrow table with exactly :func:`arrow_schema`; raises ``ValueError`` naming the
    column when a required column holds nulls or a value does not fit its type."""
    schema = arrow_schema(table)
    missing = [c for c in schema.names if c not in df.columns]
    if missing:
        raise ValueError(f"{table.name}: frame lacks columns {missing}")
    arrays = []
    for field in schema:
        try:
            array = _column(df[field.name], field)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
            raise ValueError(f"{table.name}.{field.name}: values do not fit {field.type}: {exc}") from None
        if not field.nullable and array.null_count:
            raise ValueError(f"{table.name}.{field.name}: {array.null_count} null value(s) in a required column")
        arrays.append(array)
    return pa.Table.from_arrays(arrays, schema=schema)


def parquet_bytes(df: pd.DataFrame, table: TableSchema) -> bytes:
    """The table as Parquet bytes; identical for identical rows (same library versions)."""
    buf = io.BytesIO()
    pq.write_table(arrow_table(df, table), buf, **PARQUET_OPTIONS)
    return buf.getvalue()


def write_parquet(df: pd.DataFrame, table: TableSchema, path: Path, *, durable: bool = True) -> Path:
    """Write ``df`` to ``path`` as Parquet, atomically (temp file + rename; see
    :func:`~pipeline.publish.fsutil.atomic_write_bytes` for ``durable``)."""
    return atomic_write_bytes(path, parquet_bytes(df, table), durable=durable)


_PANDAS_TYPES = {
    pa.string(): pd.StringDtype(),
    pa.large_string(): pd.StringDtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
    pa.float64(): pd.Float64Dtype(),
}


def read_parquet(path: Path) -> pd.DataFrame:
    """A Parquet file written here, back as a frame with pandas' nullable dtypes (for diffs)."""
    return pq.read_table(path).to_pandas(types_mapper=_PANDAS_TYPES.get)
