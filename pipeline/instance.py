"""One Dagster instance per corpus: where it lives, its ``dagster.yaml``, and its one-time set-up.

Scope: the instance of a corpus is ``Settings.dagster_home`` (default ``<outputs>/.dagster``), so
two corpora never share a run history, an asset catalogue or sensor cursors.
:func:`prepare_instance` creates the folder, writes ``dagster.yaml`` for the configured profile when
missing (``sqlite``: the quick start; ``postgres``: ``dagster-postgres`` storage read from
``ATLAS_POSTGRES_URL`` and the ``QueuedRunCoordinator``), records which outputs folder the instance
belongs to (``atlas-corpus.json``; an instance is never reused for another corpus);
:func:`instance_env` points ``DAGSTER_HOME`` (and ``ATLAS_POSTGRES_URL``) at it for the duration of
a block. :func:`migrate_instance` creates or migrates the storage schema once, in this process,
before a webserver and a daemon open it together (two processes creating a fresh SQLite schema at
once race). :func:`sqlite_kept_open` makes the SQLite storage of a run sync at checkpoints only
(see there). It must not run jobs or start servers.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from pipeline.config import ConfigError, Settings

CORPUS_FILE = "atlas-corpus.json"
_COMMON = """\
nux:
  enabled: false
telemetry:
  enabled: false
python_logs:
  python_log_level: INFO   # DEBUG lines (the IO manager's, one per stored input and output) are not kept as run events
"""
SQLITE_YAML = (
    """\
# Dagster instance of one corpus (written by `atlas` when missing; profile: sqlite).
# No `storage:` block: Dagster keeps its SQLite databases in this folder, wherever it is opened from.
concurrency:
  runs:
    max_concurrent_runs: 1   # UI, schedule and sensor runs queue: runs never interleave on the outputs
"""
    + _COMMON
)
POSTGRES_YAML = (
    """\
# Dagster instance of one corpus (written by `atlas` when missing; profile: postgres).
# Storage in the database named by ATLAS_POSTGRES_URL (one database per corpus); runs are queued
# and launched by the daemon (`dagster-daemon run`), one at a time.
storage:
  postgres:
    postgres_url:
      env: ATLAS_POSTGRES_URL
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 1
    dequeue_interval_seconds: 1
"""
    + _COMMON
)


def instance_yaml(kind: str) -> str:
    return POSTGRES_YAML if kind == "postgres" else SQLITE_YAML


def prepare_instance(settings: Settings) -> Path:
    """The corpus's instance folder, ready to open. Raises :class:`ConfigError` when the folder
    belongs to another outputs folder or cannot be created."""
    home = settings.dagster_home.absolute()
    try:
        home.mkdir(parents=True, exist_ok=True)
        _claim(home, settings)
        config = home / "dagster.yaml"
        if not config.exists():
            config.write_text(instance_yaml(settings.instance), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"the Dagster instance folder {home} cannot be used: {exc.strerror or exc}") from None
    return home


@contextlib.contextmanager
def instance_env(settings: Settings) -> Iterator[Path]:
    """Within the block, ``DAGSTER_HOME`` (and ``ATLAS_POSTGRES_URL``) name the corpus's prepared
    instance, for ``DagsterInstance.get()`` and the processes a run starts; restored after."""
    home = prepare_instance(settings)
    wanted = {"DAGSTER_HOME": str(home), **({"ATLAS_POSTGRES_URL": settings.postgres_url} if settings.postgres_url else {})}
    saved = {k: os.environ.get(k) for k in wanted}
    os.environ.update(wanted)
    try:
        yield home
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _claim(home: Path, settings: Settings) -> None:
    """Record (or check) the outputs folder this instance belongs to."""
    marker = home / CORPUS_FILE
    outputs = str(settings.outputs.absolute())
    if marker.is_file():
        try:
            recorded = json.loads(marker.read_text(encoding="utf-8")).get("outputs")
        except (ValueError, AttributeError):
            recorded = None
        if recorded and recorded != outputs:
            raise ConfigError(
                f"the Dagster instance {home} records the runs of the corpus in {recorded}, not {outputs}: one instance per corpus. "
                f"Use `--dagster-home` (or ATLAS_DAGSTER_HOME) for this corpus, or unset DAGSTER_HOME to use {outputs}/.dagster."
            )
        if recorded:
            return
    doc = {"outputs": outputs, "sources": str(settings.sources.absolute())}
    marker.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def migrate_instance(home: Path) -> None:
    """Create or migrate the instance's storage schema (what ``dagster instance migrate`` does), in
    this process, so the servers started next find it ready."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.upgrade()


@contextlib.contextmanager
def sqlite_kept_open() -> Iterator[dict[str, sqlite3.Connection]]:
    """Within the block, each SQLite database this process connects to through SQLAlchemy (Dagster's
    run, event-log and index shards) is written with ``synchronous=NORMAL`` and, once it is in WAL
    mode, kept open by one idle connection until the block ends (yielded: path → that connection).

    Dagster's SQLite storage opens an engine, a connection and a transaction per event and closes
    them after. With SQLite's defaults each event then synced the write-ahead log and its folder,
    and each close, being the last one, checkpointed the log into the database (syncing both) and
    deleted it: ~1,100 syncs for the ~140 events of one ``atlas run`` (strace). With a connection
    kept open no close is the last one (SQLite's automatic checkpoints and the close at the end of
    the block move the log into the database), and in WAL mode ``synchronous=NORMAL`` syncs at
    checkpoints only: after a crash of the process nothing is lost; after a power loss the database
    is consistent and may miss the events of the last moments (SQLite's documentation, "WAL mode").
    Connections to other databases (PostgreSQL storage) are left as they are."""
    from sqlalchemy import event
    from sqlalchemy.pool import Pool

    kept: dict[str, sqlite3.Connection] = {}
    lock = threading.Lock()

    def on_connect(dbapi_connection: object, _record: object) -> None:
        if not isinstance(dbapi_connection, sqlite3.Connection):
            return
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")
        path = next((file for _, name, file in dbapi_connection.execute("PRAGMA database_list") if name == "main"), "")
        with lock:
            if path and path not in kept:
                _keep(kept, path)

    event.listen(Pool, "connect", on_connect)
    try:
        yield kept
    finally:
        event.remove(Pool, "connect", on_connect)
        with lock:
            for connection in kept.values():
                connection.close()  # the last one: SQLite checkpoints the log into the database
            kept.clear()


def _keep(kept: dict[str, sqlite3.Connection], path: str) -> None:
    """Open ``path`` once more and keep it when it is in WAL mode (a new shard is not yet: its
    tables are made first; the next connection keeps it)."""
    try:
        connection = sqlite3.connect(path, check_same_thread=False)
        mode = connection.execute("PRAGMA journal_mode").fetchone()  # opens the file: holds its shared lock
    except sqlite3.Error:
        return
    if mode and str(mode[0]).lower() == "wal":
        kept[path] = connection
    else:
        connection.close()
