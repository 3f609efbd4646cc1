"""``data/<name>.duckdb``: every published table in one DuckDB database file.

Scope: create each published table from its schema (``TableSchema.to_duckdb``: column types,
NOT NULL, primary and foreign keys, table and column comments), referenced tables first, and load
the same Arrow tables the Parquet files are written from (``pipeline.publish.arrow.arrow_table``),
so the database holds exactly the rows of the CSV and Parquet files, in the same order. DuckDB
checks the keys while loading: a duplicate key or a dangling reference is an error naming the
table. The file is written under a temp name beside its target and renamed into place.

A re-run (:func:`update_database`) may start from a copy of the previous candidate's database
instead, when the tables that changed kept their rows' keys in the same order (a cell changed):
the copy is hashed while it is made and used only when its bytes are those the previous
candidate recorded, and only the non-key cells that differ are updated in it, so each table holds
the rows a fresh build loads, in the same order (a test compares them table by table). The
previous file is only read (the copy is a new file, never a link to it); anything else (a key
changed, rows added or removed, DuckDB refusing an update) builds the database whole.

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

import hashlib
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
# bytes read at a time when the previous database is copied: few and large (each read, hash and write
# waits for the GIL, which the main thread holds while it checks files: 1 MiB pieces took seconds)
COPY_CHUNK = 1 << 24
ROW = "__atlas_row"  # the rows' position, beside their columns while a table is compared
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


class _Unusable(Exception):
    """The previous database cannot be brought up to date (the caller builds it whole)."""


def update_database(
    previous: Path, sha256: str, changed: Sequence[str], frames: Mapping[str, pd.DataFrame | pa.Table], tables: Sequence[TableSchema],
    path: Path,
) -> bool:
    """``path`` holding the rows :func:`write_database` would write, made from a copy of
    ``previous`` (a database of ``tables`` whose file's sha256 is ``sha256``) in which only the
    ``changed`` tables are brought up to date (see the module docstring). False, and nothing
    written at ``path``, when that cannot be done: the caller then builds the database whole."""
    by_name = {t.name: t for t in tables}
    try:
        with atomic_path(path, durable=False) as tmp:
            if _copy_hashed(previous, tmp) != sha256:
                raise _Unusable
            con = duckdb.connect(config={"threads": 1})
            try:
                con.execute("SET enable_progress_bar = false")
                # attached as it was built (its storage options): else the checkpoint writes every table again (188 -> 340 MB at 1000x)
                con.execute(f"ATTACH {sql_text(str(tmp))} AS atlas ({ATTACH_OPTIONS})")
                con.execute("USE atlas")
                for name in changed:
                    frame = frames[name]
                    _update_table(con, by_name[name], frame if isinstance(frame, pa.Table) else arrow_table(frame, by_name[name]))
                con.execute("USE memory")
                con.execute("DETACH atlas")
            finally:
                con.close()
    except (_Unusable, duckdb.Error, OSError, KeyError):
        return False
    return True


def _copy_hashed(source: Path, target: Path) -> str:
    """Copy ``source`` to the new file ``target``; the sha256 of the bytes copied."""
    digest = hashlib.sha256()
    with source.open("rb") as src, target.open("xb") as out:
        while chunk := src.read(COPY_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _update_table(con: duckdb.DuckDBPyConnection, table: TableSchema, rows: pa.Table) -> None:
    """Make ``table`` hold ``rows``, row by row in place: its keyed columns (primary and foreign
    keys: DuckDB indexes them and cannot update them) must already hold the rows' values in the
    same order; the other cells that differ are updated."""
    name = sql_name(table.name)
    keyed = [*table.primary_key, *(f for fk in table.foreign_keys for f in _fields(fk.get("fields")))]
    keyed = list(dict.fromkeys(keyed)) or list(table.columns)  # no key: every cell must be the same
    cells = [c for c in table.columns if c not in keyed]
    count = con.execute(f"SELECT count(*) FROM {name}").fetchone()
    if count is None or count[0] != rows.num_rows:
        raise _Unusable
    fresh = rows.select(table.columns).append_column(ROW, pa.array(range(rows.num_rows), pa.int64()))  # noqa: F841 - read by name below
    row = sql_name(ROW)
    same_keys = " OR ".join(f"o.{sql_name(c)} IS DISTINCT FROM n.{sql_name(c)}" for c in keyed)
    moved = con.execute(
        f"SELECT count(*) FROM (SELECT rowid AS {row}, * FROM {name}) o FULL JOIN fresh n USING ({row}) WHERE {same_keys}"
    ).fetchone()
    if moved is None or moved[0]:
        raise _Unusable
    if cells:
        assign = ", ".join(f"{sql_name(c)} = n.{sql_name(c)}" for c in cells)
        differs = " OR ".join(f"{name}.{sql_name(c)} IS DISTINCT FROM n.{sql_name(c)}" for c in cells)
        con.execute(f"UPDATE {name} SET {assign} FROM fresh n WHERE {name}.rowid = n.{row} AND ({differs})")


def _fields(fields: object) -> list[str]:
    if isinstance(fields, str):
        return [fields]
    return [str(f) for f in fields] if isinstance(fields, list) else []


def database_counts(path: Path) -> dict[str, int]:
    """Rows per table of a database file (opened read-only)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()").fetchall()]
        return {n: int(con.execute(f"SELECT count(*) FROM {sql_name(n)}").fetchone()[0]) for n in names}  # type: ignore[index]
    finally:
        con.close()
