"""``sqlite_kept_open``: Dagster's SQLite storage syncs at checkpoints only during a run (issue 15).

Dagster opens an engine and a connection per event and closes them after; with SQLite's defaults
each close checkpointed the write-ahead log into the database and deleted it, and each commit
synced the log and its folder (~1,100 syncs per ``atlas run``). These tests drive SQLAlchemy the
way Dagster does (a ``NullPool`` engine per transaction) against real SQLite files.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from pipeline.instance import sqlite_kept_open

NORMAL, FULL = 1, 2  # PRAGMA synchronous


def _wal_db(path: Path) -> Path:
    with sqlite3.connect(path) as con:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, body TEXT)")
    con.close()
    return path


def _store(path: Path, body: str) -> int:
    """One event as Dagster stores it: a new engine, a connection, a transaction, all closed after;
    returns the connection's ``synchronous`` setting."""
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    with engine.connect() as conn, conn.begin():
        conn.execute(text("INSERT INTO events (body) VALUES (:b)"), {"b": body})
        sync = conn.execute(text("PRAGMA synchronous")).scalar_one()
    engine.dispose()
    return sync


def _wal(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def test_closes_inside_the_block_keep_the_log_and_the_end_checkpoints_it(tmp_path: Path) -> None:
    db = _wal_db(tmp_path / "run.db")
    assert _store(db, "before") == FULL and not _wal(db).exists()  # SQLite's default: the last close checkpoints
    with sqlite_kept_open() as kept:
        assert [_store(db, f"event {i}") for i in range(3)] == [NORMAL] * 3
        assert _wal(db).exists()  # no close was the last one: nothing checkpointed, nothing deleted
        assert list(kept) == [str(db)]
    assert not _wal(db).exists()  # the kept connection's close moved the log into the database
    assert _store(db, "after") == FULL  # the listener is gone
    with sqlite3.connect(db) as con:
        assert [b for (b,) in con.execute("SELECT body FROM events ORDER BY id")] == ["before", "event 0", "event 1", "event 2", "after"]
    con.close()


def test_a_database_not_in_wal_mode_is_not_kept(tmp_path: Path) -> None:
    db = tmp_path / "rollback.db"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, body TEXT)")
    con.close()
    with sqlite_kept_open() as kept:
        assert _store(db, "one") == NORMAL
        assert kept == {}
        _store(db, "two")
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM events").fetchone() == (2,)
    con.close()
