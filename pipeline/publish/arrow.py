"""Arrow schemas and Parquet files derived from the table schemas in ``schemas/``.

Scope: write a frame as an Arrow table with the schema ``TableSchema.to_arrow`` exports (types,
nullability from ``required``, titles and descriptions as metadata) and as a deterministic,
zstd-compressed Parquet file: the same
rows give the same bytes (no pandas metadata, no timestamps, fixed writer options). Parquet keeps
raw values (the spreadsheet-formula guard is a CSV-only concern). It must not hold a column list of
its own or decide whether the data is valid beyond refusing nulls in required columns.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.fsutil import atomic_file
from pipeline.schemas import TableSchema

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
    """``df`` as an Arrow table with exactly ``table.to_arrow()``; raises ``ValueError`` naming the
    column when a required column holds nulls or a value does not fit its type."""
    schema = table.to_arrow()
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
    :func:`~pipeline.fsutil.atomic_write_bytes` for ``durable``)."""
    return write_parquet_table(arrow_table(df, table), path, durable=durable)


def write_parquet_table(table: pa.Table, path: Path, *, durable: bool = True) -> Path:
    """Write an Arrow table of :func:`arrow_table` to ``path`` as Parquet, streamed into a temp
    file renamed into place (the same bytes as :func:`parquet_bytes`)."""
    with atomic_file(path, durable=durable) as out:
        pq.write_table(table, out, **PARQUET_OPTIONS)
    return path


_PANDAS_TYPES = {
    pa.string(): pd.StringDtype(),
    pa.large_string(): pd.StringDtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
    pa.float64(): pd.Float64Dtype(),
}


def read_parquet_table(path: Path, columns: list[str] | None = None) -> pa.Table:
    """A Parquet file (all columns, or ``columns``) as an Arrow table. Read as one file
    (``pq.ParquetFile``), not through ``pq.read_table``, whose first call imports Arrow's dataset
    and Acero engines: ~0.2 s of a short run."""
    with pq.ParquetFile(path) as f:
        return f.read(columns=columns)


def read_parquet(path: Path) -> pd.DataFrame:
    """A Parquet file written here, back as a frame with pandas' nullable dtypes (for diffs)."""
    return read_parquet_table(path).to_pandas(types_mapper=_PANDAS_TYPES.get)
