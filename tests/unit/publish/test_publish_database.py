"""data/<name>.duckdb: every published table with its types, keys and comments, the same rows as the
CSV and Parquet files; its (small, measured) byte-level non-determinism."""

from __future__ import annotations

import json

import duckdb
import pyarrow.parquet as pq
import pytest
from publish_support import base_rows, extraction, stage

from pipeline.config import release_config
from pipeline.csvio import read_csv
from pipeline.publish.database import database_counts, write_database
from pipeline.schemas import load_schemas, schema

PUBLISHED = [t for t in load_schemas().values() if t.published]


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    out = tmp_path_factory.mktemp("db") / "out"
    result = stage(out)
    root = result.path
    return root, root / "data" / f"{release_config().name}.duckdb"


def test_row_counts_equal_csv_parquet_and_descriptor(staged) -> None:
    root, db = staged
    descriptor = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    rows = {r["name"]: r["rows"] for r in descriptor["resources"] if r.get("format") == "csv"}
    counts = database_counts(db)
    assert counts == rows == {t.name: pq.ParquetFile(root / "data" / f"{t.name}.parquet").metadata.num_rows for t in PUBLISHED}
    assert "quarantine" not in counts
    for t in PUBLISHED:
        assert len(read_csv(root / "data" / f"{t.name}.csv", t)) == counts[t.name]


def test_same_rows_in_the_same_order_as_parquet(staged) -> None:
    root, db = staged
    con = duckdb.connect(str(db), read_only=True)
    for t in PUBLISHED:
        cols = ", ".join(f'"{c}"' for c in t.columns)
        in_db = con.execute(f'SELECT {cols} FROM "{t.name}" ORDER BY rowid').fetchall()
        parquet = pq.read_table(root / "data" / f"{t.name}.parquet").to_pylist()
        assert in_db == [tuple(r[c] for c in t.columns) for r in parquet], t.name
    # the raw value, not the CSV's formula guard
    assert con.execute("SELECT summary FROM organizations WHERE organization_id = 'beta'").fetchone()[0].startswith("=HYPERLINK")


def test_types_not_null_keys_and_comments_come_from_the_schemas(staged) -> None:
    _, db = staged
    con = duckdb.connect(str(db), read_only=True)
    expected_types = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN"}
    for t in PUBLISHED:
        cols = con.execute(
            "SELECT column_name, data_type, is_nullable, comment FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
            [t.name],
        ).fetchall()
        assert [c[0] for c in cols] == t.columns
        for (name, dtype, nullable, comment), field in zip(cols, t.fields, strict=True):
            assert dtype == expected_types[field.type], (t.name, name)
            assert nullable == (not field.constraints.required and name not in t.primary_key), (t.name, name)
            assert field.title in comment and " ".join((field.description or "").split()).rstrip(".") in comment
        constraints = con.execute(
            "SELECT constraint_type, constraint_column_names FROM duckdb_constraints() WHERE table_name = ?", [t.name]
        ).fetchall()
        assert ("PRIMARY KEY", t.primary_key) in constraints
        assert sum(kind == "FOREIGN KEY" for kind, _ in constraints) == len(t.foreign_keys)
        table_comment = con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = ?", [t.name]).fetchone()[0]
        assert t.title in table_comment


def test_duckdb_enforces_the_keys(staged, tmp_path) -> None:
    _, db = staged
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(db.read_bytes())
    con = duckdb.connect(str(copy))
    with pytest.raises(duckdb.ConstraintException):  # primary key
        con.execute(
            "INSERT INTO organizations (organization_id, source_file, source_line_start, source_line_end) VALUES ('acme', 'x', 1, 2)"
        )
    with pytest.raises(duckdb.ConstraintException):  # foreign key to organizations
        con.execute("INSERT INTO footnotes (organization_id, number, text, source_line) VALUES ('nobody', 9, 't', 1)")
    with pytest.raises(duckdb.ConstraintException):  # required column
        con.execute("INSERT INTO issue_taxonomy (issue) VALUES ('x')")


def test_rows_that_break_a_key_are_refused_naming_the_table(tmp_path) -> None:
    rows = base_rows()
    rows["footnotes"].append(dict(rows["footnotes"][0]))  # a repeated primary key
    frames = {t.name: t.frame(extraction(rows).tables[t.name]) for t in PUBLISHED}
    with pytest.raises(ValueError, match="^footnotes: the rows break a key of schemas/footnotes.schema.yaml"):
        write_database(frames, PUBLISHED, tmp_path / "x.duckdb")
    assert not (tmp_path / "x.duckdb").exists()  # nothing half-written left behind
    assert list(tmp_path.iterdir()) == []


def test_two_builds_hold_the_same_contents(tmp_path) -> None:
    """The file is not byte-reproducible for large tables (measured in the README); two builds of
    the same rows must hold equal contents, and small ones come out byte-identical here."""
    frames = {t.name: t.frame(extraction().tables[t.name]) for t in PUBLISHED}
    a = write_database(frames, PUBLISHED, tmp_path / "a.duckdb").read_bytes()
    b = write_database(frames, PUBLISHED, tmp_path / "b.duckdb").read_bytes()
    assert a == b
    assert database_counts(tmp_path / "a.duckdb") == database_counts(tmp_path / "b.duckdb")
    con = duckdb.connect(str(tmp_path / "a.duckdb"), read_only=True)
    con.execute(f"ATTACH '{tmp_path / 'b.duckdb'}' AS b (READ_ONLY)")
    for t in PUBLISHED:
        assert con.execute(f'SELECT * FROM "{t.name}" EXCEPT ALL SELECT * FROM b."{t.name}"').fetchall() == []
    assert schema("organizations").to_duckdb()[0].startswith('CREATE TABLE "organizations" (')


def test_a_database_larger_than_duckdbs_memory_limit_is_written_whole(tmp_path, monkeypatch) -> None:
    """DuckDB's buffer pool is bounded (``MEMORY_LIMIT``) on the first attempt; when the bound is too
    small for the tables, the file is built again without it rather than fail, and no spill folder
    or temp file is left behind."""
    import pandas as pd

    from pipeline.publish import database

    configs: list[dict] = []
    connect = duckdb.connect
    monkeypatch.setattr(database.duckdb, "connect", lambda *a, **k: configs.append(dict(k.get("config", {}))) or connect(*a, **k))
    monkeypatch.setattr(database, "MEMORY_LIMIT", "16MB")
    frames = {t.name: t.frame(extraction().tables[t.name]) for t in PUBLISHED}
    sections = frames["sections"]
    many = pd.concat([sections[sections["parent_section_id"].isna()].iloc[[0]]] * 30_000, ignore_index=True)
    many["section_id"] = [f"bulk-{i}" for i in range(len(many))]
    many["text"] = [f"{i} " + "x" * 2000 for i in range(len(many))]  # ~60 MB of text in one table
    frames["sections"] = schema("sections").frame(pd.concat([sections, many], ignore_index=True))
    write_database(frames, PUBLISHED, tmp_path / "big.duckdb")
    assert [c.get("memory_limit") for c in configs] == ["16MB", None]  # bounded first, then without the bound
    assert database_counts(tmp_path / "big.duckdb")["sections"] == len(frames["sections"])
    assert [p.name for p in tmp_path.iterdir()] == ["big.duckdb"]  # no spill folder, no temp file left
    configs.clear()
    write_database({t.name: t.frame(extraction().tables[t.name]) for t in PUBLISHED}, PUBLISHED, tmp_path / "small.duckdb")
    assert [c.get("memory_limit") for c in configs] == ["16MB"]  # what fits is written within the bound


def _contents(path) -> dict[str, object]:
    """Every table's rows in their order, and the columns, constraints and comments."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        out: dict[str, object] = {t.name: con.execute(f'SELECT * FROM "{t.name}" ORDER BY rowid').fetchall() for t in PUBLISHED}
        for name, columns in (("columns", "table_name, column_name, data_type, is_nullable, comment"),
                              ("constraints", "table_name, constraint_type, constraint_column_names")):
            out[name] = con.execute(f"SELECT {columns} FROM duckdb_{name}() ORDER BY ALL").fetchall()
        out["tables"] = con.execute("SELECT table_name, comment FROM duckdb_tables() ORDER BY ALL").fetchall()
        return out
    finally:
        con.close()


def _base_frames() -> dict:
    """The test rows, with 20,000 more sections (a database of several row groups)."""
    import pandas as pd

    frames = {t.name: t.frame(extraction().tables[t.name]) for t in PUBLISHED}
    sections = frames["sections"]
    many = pd.concat([sections[sections["parent_section_id"].isna()].iloc[[0]]] * 20_000, ignore_index=True)
    many["section_id"] = [f"bulk-{i}" for i in range(len(many))]
    frames["sections"] = pd.concat([sections, many], ignore_index=True)
    return frames


def _updated_frames() -> dict:
    """The test rows with a cell changed in two tables (keys, rows and their order unchanged)."""
    frames = _base_frames()
    frames["organizations"].loc[0, "established"] = 1901
    frames["sections"].loc[1, "text"] = "A changed sentence."
    return frames


def test_the_previous_database_brought_up_to_date_holds_a_fresh_builds_rows(tmp_path) -> None:
    from pipeline.fsutil import sha256_file
    from pipeline.publish.database import update_database

    previous = write_database(_base_frames(), PUBLISHED, tmp_path / "previous.duckdb")
    digest = sha256_file(previous)
    frames = _updated_frames()
    assert update_database(previous, digest, ["organizations", "sections"], frames, PUBLISHED, tmp_path / "new.duckdb")
    fresh = _contents(write_database(frames, PUBLISHED, tmp_path / "fresh.duckdb"))
    assert _contents(tmp_path / "new.duckdb") == fresh != _contents(previous)
    assert sha256_file(previous) == digest  # the previous file (maybe a release's, by a link) is only read
    assert (tmp_path / "new.duckdb").stat().st_ino != previous.stat().st_ino
    # opened as it was built: its checkpoint writes the changed blocks, not every table again
    assert (tmp_path / "new.duckdb").stat().st_size <= previous.stat().st_size + 8 * 16384
    # a table not named as changed is left as it was: naming the changed ones matters
    assert update_database(previous, digest, ["organizations"], frames, PUBLISHED, tmp_path / "half.duckdb")
    assert _contents(tmp_path / "half.duckdb") != fresh


def test_the_previous_database_is_not_used_when_keys_moved_or_its_bytes_differ(tmp_path) -> None:
    from pipeline.fsutil import sha256_file
    from pipeline.publish.database import update_database

    before = {t.name: t.frame(extraction().tables[t.name]) for t in PUBLISHED}
    previous = write_database(before, PUBLISHED, tmp_path / "previous.duckdb")
    digest = sha256_file(previous)
    moved = {**before, "footnotes": before["footnotes"].iloc[::-1].reset_index(drop=True)}  # same rows, another order
    fewer = {**before, "footnotes": before["footnotes"].iloc[1:].reset_index(drop=True)}
    for frames in (moved, fewer):
        assert not update_database(previous, digest, ["footnotes"], frames, PUBLISHED, tmp_path / "x.duckdb")
    assert not update_database(previous, "0" * 64, ["organizations"], _updated_frames(), PUBLISHED, tmp_path / "x.duckdb")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["previous.duckdb"]  # nothing half-written left
