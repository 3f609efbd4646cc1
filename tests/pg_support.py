"""A private PostgreSQL server for the production-profile tests (a helper module, not a test module).

Debian's ``postgresql`` package (``/usr/lib/postgresql/<version>/bin``; ``.ci/run`` installs it).
PostgreSQL refuses to run as root and CI runs as root, so when root the server runs as the
``postgres`` user (``runuser``); its data and socket folder is a fresh folder under /tmp owned by
that user, it listens on 127.0.0.1 on a free port with trust authentication, fsync off, and it is
stopped (``pg_ctl stop -m immediate``) and deleted by the caller's finalizer.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ops_support import free_port

DATABASE = "atlas"


def pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    if not found:
        raise AssertionError("PostgreSQL is not installed: apt-get install -y postgresql (.ci/run does)")
    return found[-1].parent


@dataclass
class PostgresServer:
    data: Path
    port: int
    bin: Path
    user: str | None  # the account the server runs as (None: this process's own)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{DATABASE}"  # the driver dagster-postgres installs

    def _run(self, *argv: str) -> subprocess.CompletedProcess:
        cmd = list(argv)
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        db = str(self.data / "db")
        initdb = self._run(str(self.bin / "initdb"), "-D", db, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        assert initdb.returncode == 0, initdb.stderr
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
        log = str(self.data / "server.log")
        started = self._run(str(self.bin / "pg_ctl"), "-D", db, "-o", options, "-l", log, "-w", "-t", "60", "start")
        assert started.returncode == 0, started.stderr + self.log()
        created = self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", DATABASE)
        assert created.returncode == 0, created.stderr

    def log(self) -> str:
        path = self.data / "server.log"
        return path.read_text(encoding="utf-8", errors="replace")[-2000:] if path.exists() else ""

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data / "db"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.data, ignore_errors=True)


def new_server() -> PostgresServer:
    data = Path(tempfile.mkdtemp(prefix="atlas-pg-"))
    user = None
    if os.geteuid() == 0:
        user = "postgres"
        account = pwd.getpwnam(user)
        os.chown(data, account.pw_uid, account.pw_gid)
    data.chmod(0o700)
    return PostgresServer(data=data, port=free_port(), bin=pg_bin(), user=user)
