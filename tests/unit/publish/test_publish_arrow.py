"""Parquet files: Arrow schema from schemas/, deterministic bytes, readers agree with the CSV."""

from __future__ import annotations

import math
import os
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from publish_support import base_rows, frames

from pipeline.csvio import read_csv
from pipeline.publish.arrow import parquet_bytes, write_parquet
from pipeline.schemas import TableSchema, load_schemas, schema


def test_arrow_schema_follows_table_schema() -> None:
    orgs = schema("organizations")
    arrow = orgs.to_arrow()
    assert arrow.names == orgs.columns
    assert arrow.field("organization_id").type == pa.string()
    assert not arrow.field("organization_id").nullable  # required
    assert arrow.field("name").nullable
    assert arrow.field("established").type == pa.int64()
    meta = arrow.field("established").metadata
    assert meta[b"description"].decode() == orgs.field("established")["description"]
    assert meta[b"title"].decode() == "Year established"
    assert arrow.metadata[b"description"].decode() == orgs.description
    taxonomy = schema("issue_taxonomy").to_arrow()
    assert taxonomy.field("basket_assigned").type == pa.bool_()


def test_number_type_and_unknown_type() -> None:
    table = TableSchema.from_descriptor("t", {"fields": [{"name": "x", "type": "number"}]}, path=schema("footnotes").path)
    assert table.to_arrow().field("x").type == pa.float64()
    with pytest.raises(ValueError, match="geopoint"):  # refused when the schema is loaded
        TableSchema.from_descriptor("t", {"fields": [{"name": "x", "type": "geopoint"}]}, path=schema("footnotes").path)


def test_parquet_bytes_are_deterministic_and_carry_no_pandas_metadata(tmp_path) -> None:
    orgs = schema("organizations")
    df = frames(base_rows())["organizations"]
    first = parquet_bytes(df, orgs)
    assert parquet_bytes(df.copy(deep=True), orgs) == first
    write_parquet(df, orgs, tmp_path / "o.parquet")
    assert (tmp_path / "o.parquet").read_bytes() == first
    meta = pq.ParquetFile(tmp_path / "o.parquet")
    assert b"pandas" not in (meta.schema_arrow.metadata or {})
    assert meta.metadata.row_group(0).column(0).compression == "ZSTD"
    # a different value gives different bytes (the check above is not vacuous)
    changed = df.copy()
    changed.loc[0, "name"] = "Other"
    assert parquet_bytes(changed, orgs) != first


def test_bytes_do_not_depend_on_the_string_storage() -> None:
    orgs = schema("organizations")
    df = frames(base_rows())["organizations"]
    strings = [f["name"] for f in orgs.fields if f.get("type") == "string"]
    as_python = df.astype({c: pd.StringDtype("python") for c in strings})
    as_arrow = df.astype({c: pd.StringDtype("pyarrow") for c in strings})
    as_object = df.astype({c: object for c in strings})
    assert parquet_bytes(as_python, orgs) == parquet_bytes(as_arrow, orgs) == parquet_bytes(as_object, orgs)


def test_required_null_is_refused_naming_the_column() -> None:
    orgs = schema("organizations")
    rows = base_rows()["organizations"]
    rows[0]["source_file"] = None
    with pytest.raises(ValueError, match="organizations.source_file"):
        parquet_bytes(orgs.frame(rows), orgs)


def _norm(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def _rows(frame: pd.DataFrame) -> list[tuple]:
    return [tuple(_norm(v) for v in row) for row in frame.astype(object).itertuples(index=False, name=None)]


@pytest.mark.parametrize("name", [t.name for t in load_schemas().values() if t.published])
def test_duckdb_pandas_polars_read_the_same_rows_as_the_csv(tmp_path, name: str) -> None:
    from pipeline.csvio import write_csv

    table = schema(name)
    df = frames(base_rows())[name]
    write_csv(df, table, tmp_path / f"{name}.csv")
    write_parquet(df, table, tmp_path / f"{name}.parquet")
    expected = _rows(read_csv(tmp_path / f"{name}.csv", table))
    assert expected, "every table has rows in the test set"
    path = str(tmp_path / f"{name}.parquet")
    assert _rows(pd.read_parquet(path)) == expected
    assert [tuple(_norm(v) for v in r) for r in pl.read_parquet(path).rows()] == expected
    assert [tuple(_norm(v) for v in r) for r in duckdb.sql(f"select * from read_parquet('{path}')").fetchall()] == expected
    assert pl.read_parquet(path).columns == table.columns


def test_formula_cells_guarded_in_csv_raw_in_parquet(tmp_path) -> None:
    from pipeline.csvio import write_csv

    orgs = schema("organizations")
    df = frames(base_rows())["organizations"]
    write_csv(df, orgs, tmp_path / "o.csv")
    write_parquet(df, orgs, tmp_path / "o.parquet")
    assert "'=HYPERLINK(" in (tmp_path / "o.csv").read_text(encoding="utf-8")
    raw = pq.read_table(tmp_path / "o.parquet").column("summary").to_pylist()
    assert '=HYPERLINK("https://evil.example")' in raw


def test_reading_parquet_back_does_not_load_arrow_s_dataset_engine(tmp_path) -> None:
    """``pq.read_table`` imports Arrow's dataset and Acero engines on first use (~0.2 s of a short
    run); the readers here read single files and must not pull them in. A fresh interpreter, since
    this one may have loaded them already."""
    import subprocess
    import sys

    code = (
        "import sys\nfrom pathlib import Path\nfrom publish_support import base_rows, frames\n"
        "from pipeline.publish.arrow import read_parquet, write_parquet\nfrom pipeline.schemas import schema\n"
        "from pipeline.publish.versioning import _read_columns\n"
        "t = schema('organizations')\npath = write_parquet(frames(base_rows())['organizations'], t, Path(sys.argv[1]) / 'o.parquet')\n"
        "assert len(read_parquet(path)) == len(frames(base_rows())['organizations'])\n"
        "assert _read_columns(path, t.descriptor, keys_only=True)\n"
        "print('pyarrow.dataset' in sys.modules, 'pyarrow._acero' in sys.modules)"
    )
    tests_dir = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([tests_dir, os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split() == ["False", "False"]
