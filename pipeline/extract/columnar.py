"""Tables as Arrow columns: one file's rows → Arrow tables, and Arrow tables → the schema's frames.

Scope: the columnar form of what ``combine`` assembles and the extraction cache holds. Each table
of ``schemas/`` becomes one Arrow table with exactly the schema's columns, typed from the schema
(strings as ``large_string``, integers and years as ``int64``, booleans, numbers), converted with
the same rules the row path always used (a value Arrow does not take as it is goes the pandas way,
which converts or rejects it); a table may carry the declared working columns of
:data:`EXTRA_COLUMNS` (never published). :func:`typed_frame` sorts a table once by its primary key
with Arrow (stable; strings by code point as Python orders them; missing key values first) and
turns it into the schema's pandas frame. It must not read files, settle organisations or find
mentions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.extract.model import ColumnRows
from pipeline.schemas import TableSchema

ARROW_TYPES: dict[str, pa.DataType] = {"string": pa.large_string(), "Int64": pa.int64(), "Float64": pa.float64(), "boolean": pa.bool_()}
_PANDAS_TYPES = {pa.int64(): pd.Int64Dtype(), pa.float64(): pd.Float64Dtype(), pa.bool_(): pd.BooleanDtype()}
# Working columns a table's rows may carry besides the schema's: a footnote's source lines (its
# continuation lines are joined with spaces; the mentions scan reads each line on its own).
LINES_TYPE = pa.list_(pa.struct([("line", pa.int64()), ("text", pa.large_string())]))
EXTRA_COLUMNS: dict[str, dict[str, pa.DataType]] = {"footnotes": {"_lines": LINES_TYPE}}


def arrow_schema(schema: TableSchema, *, extras: bool = True) -> pa.Schema:
    """The Arrow schema a table of ``schema`` is held in (with its working columns when ``extras``)."""
    fields = [pa.field(c, ARROW_TYPES[dtype]) for c, dtype in schema.dtypes().items()]
    if extras:
        fields += [pa.field(c, t) for c, t in EXTRA_COLUMNS.get(schema.name, {}).items()]
    return pa.schema(fields)


def arrow_table(schema: TableSchema, rows: Sequence[dict[str, Any]]) -> pa.Table:
    """Rows (dicts, or :class:`~pipeline.extract.model.ColumnRows`: their column lists as they
    are) → the table in :func:`arrow_schema`, in the rows' order. The columns are read in the rows'
    own order, one at a time (at 1000× a pass in any other order misses the memory cache on every row)."""
    arrays = [_arrow(_values(rows, c), dtype) for c, dtype in schema.dtypes().items()]
    arrays += [_extra(_values(rows, c), t) for c, t in EXTRA_COLUMNS.get(schema.name, {}).items()]
    return pa.Table.from_arrays(arrays, schema=arrow_schema(schema))


def concat(schema: TableSchema, tables: Iterable[pa.Table]) -> pa.Table:
    """The schema's columns of ``tables`` one after the other (no copy: the chunks are shared)."""
    parts = [t.select(schema.columns) for t in tables]
    return pa.concat_tables(parts) if parts else arrow_table(schema, [])


def typed_frame(schema: TableSchema, table: pa.Table | list[dict[str, Any]]) -> pd.DataFrame:
    """A table (or rows) → the schema's frame, in primary-key order: one stable Arrow sort of the
    key columns (strings by code point, as Python orders them; missing key values first), then
    the columns taken in that order one at a time and converted to the schema's dtypes."""
    if isinstance(table, list):
        table = arrow_table(schema, table)
    table = table.select(schema.columns)
    key = schema.primary_key
    order = None
    if key and table.num_rows > 1:
        order = pc.sort_indices(table.select(key), sort_keys=[(c, "ascending", "at_start") for c in key])
    columns = {}
    for c, dtype in schema.dtypes().items():
        column = table.column(c)
        column = (column.take(order) if order is not None else column).combine_chunks()
        columns[c] = _pandas(column, dtype)
    del table
    return schema.frame(pd.DataFrame(columns))


def _pandas(array: pa.Array, dtype: str) -> pd.api.extensions.ExtensionArray:
    if dtype == "string":
        return pd.array(array, dtype="string")
    return array.to_pandas(types_mapper=_PANDAS_TYPES.get).array


def _values(rows: Sequence[dict[str, Any]], column: str) -> list[Any]:
    if isinstance(rows, ColumnRows):
        values = rows.columns.get(column)
        return [None] * len(rows) if values is None else values
    try:
        return list(map(itemgetter(column), rows))
    except KeyError:  # a row without this column (e.g. a whole-file quarantine row)
        return [r.get(column) for r in rows]


def _arrow(values: list[Any], dtype: str) -> pa.Array:
    """One typed column; strings and integers go to Arrow directly. A value Arrow does not take as
    it is goes the pandas way, which converts or rejects it as the row path always did."""
    if dtype == "string":
        return pa.array(values, type=pa.large_string())
    if dtype == "Int64":
        try:
            return pa.array(values, type=pa.int64())
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
            pass
    converted = pd.array(values, dtype=dtype)  # type: ignore[call-overload]  # pandas-stubs types dtypes as literals; ours come from schemas/
    return pa.array(converted, type=ARROW_TYPES[dtype])


def _extra(values: list[Any], type_: pa.DataType) -> pa.Array:
    if type_ == LINES_TYPE:  # (line, text) pairs as extracted; dicts as read back from a table
        values = [None if v is None else [p if isinstance(p, dict) else {"line": p[0], "text": p[1]} for p in v] for v in values]
    return pa.array(values, type=type_)
