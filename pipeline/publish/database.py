"""``data/<name>.duckdb``: every published table in one DuckDB database file.

Scope: create each published table from its schema (``TableSchema.to_duckdb``: column types,
NOT NULL, primary and foreign keys, table and column comments), referenced tables first, and load
the same Arrow tables the Parquet files are written from (``pipeline.publish.arrow.arrow_table``),
so the database holds exactly the rows of the CSV and Parquet files, in the same order. DuckDB
checks the keys while loading: a duplicate key or a dangling reference is an error naming the
table. The file is written under a temp name beside its target and renamed into place.

Reproducibility: the database file is *not* byte-reproducible. Very small databases (the tests'
rows) come out identical; the sample's differs in about one build of three and DuckDB lays out large
tables differently from one build to the next, even on one thread and without indexes (measured: two builds of one 400,000-row table,
25.34 and 25.41 MB). The rows, types, keys and comments are always identical
(``tests/unit/publish/test_publish_database.py``), and a release copies its candidate's file byte
for byte, so two publishes of one candidate give the same file; CSV and Parquet stay
byte-reproducible. It must not read sources, validate data beyond the keys DuckDB enforces, or
write anything but this one file.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from pipeline.fsutil import atomic_path
from pipeline.publish.arrow import arrow_table
from pipeline.schemas import TableSchema, creation_order, sql_name, sql_text

# DuckDB 1.2 and later open the file. Its 16 KiB blocks (the default is 256 KiB) keep a database of
# small tables small: 8 tables of 50 rows take 0.3 MB instead of 4.4 MB. Row groups of 16,384 rows
# (the default is 122,880) are written out as they fill: loading a 100 MB text table holds ~350 MB
# instead of ~500 MB, and takes less time.
ATTACH_OPTIONS = "STORAGE_VERSION 'v1.2.0', BLOCK_SIZE 16384, ROW_GROUP_SIZE 16384"
DUCKDB_MEDIATYPE = "application/vnd.duckdb"
MEMORY_LIMIT = "512MB"  # DuckDB's buffer pool while a database is written (see _build)


def write_database(frames: Mapping[str, pd.DataFrame | pa.Table], tables: Sequence[TableSchema], path: Path) -> Path:
    """Write ``tables`` (their frames in schema form, or the Arrow tables of
    :func:`~pipeline.publish.arrow.arrow_table`) to a new DuckDB file at ``path``."""
    try:
        with atomic_path(path, durable=False) as tmp:
            _build(frames, tables, tmp, MEMORY_LIMIT)
    except duckdb.OutOfMemoryException:  # the bounded pool is too small for these tables: once more, unbounded
        with atomic_path(path, durable=False) as tmp:
            _build(frames, tables, tmp, None)
    return path


def _build(frames: Mapping[str, pd.DataFrame | pa.Table], tables: Sequence[TableSchema], path: Path, memory_limit: str | None) -> None:
    # ATTACH rather than connect(path): the storage version is chosen at creation
    # One thread: it runs beside the CSV and Parquet writers. A bounded buffer pool: by default
    # DuckDB may take most of the machine's memory (measured at 1000×, from 490 MB before the data
    # files were written: peak 1,063 MB unbounded, 881 MB at 512 MB; 256 MB gave the same peak at
    # twice the time); past it, DuckDB writes to the attached file or spills beside it. Some work
    # cannot spill (a large table's key index, a row group being compressed): ``write_database``
    # then builds the file again without the bound rather than fail.
    spill = Path(tempfile.mkdtemp(prefix=".duckdb-spill-", dir=path.parent))
    config: dict[str, str | bool | int | float | list[str]] = {"threads": 1, "temp_directory": str(spill)}
    if memory_limit:
        config["memory_limit"] = memory_limit
    con = duckdb.connect(config=config)
    try:
        con.execute("SET enable_progress_bar = false")  # a long load beside other work must not draw a bar in the run's log
        con.execute(f"ATTACH {sql_text(str(path))} AS atlas ({ATTACH_OPTIONS})")
        con.execute("USE atlas")
        for table in creation_order(tables):
            for statement in table.to_duckdb():
                con.execute(statement)
            frame = frames[table.name]
            rows = frame if isinstance(frame, pa.Table) else arrow_table(frame, table)  # noqa: F841 - read by name in the query below
            columns = ", ".join(map(sql_name, table.columns))
            try:
                con.execute(f"INSERT INTO {sql_name(table.name)} ({columns}) SELECT {columns} FROM rows")
            except duckdb.ConstraintException as exc:
                raise ValueError(f"{table.name}: the rows break a key of schemas/{table.path.name}: {exc}") from None
        con.execute("USE memory")
        con.execute("DETACH atlas")
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def database_counts(path: Path) -> dict[str, int]:
    """Rows per table of a database file (opened read-only)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()").fetchall()]
        return {n: int(con.execute(f"SELECT count(*) FROM {sql_name(n)}").fetchone()[0]) for n in names}  # type: ignore[index]
    finally:
        con.close()
