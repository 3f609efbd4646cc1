"""Shared helpers for the operations tests (a helper module, not a test module): a corpus folder,
the ``atlas`` command run as a subprocess with a clean environment, a tiny tmpfs, a local
webhook receiver and free ports."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

from conftest import ATLAS, SAMPLE

# A blocking error at line 13: the top-level section "Digital activities" repeated in one profile.
BAD_PROFILE = (
    "Broken Example Institute\n\nAcronym: BEI\n\nEstablished: 2006\n\nA summary.\n\nDigital activities\n\nBEI does things.\n"
    "\nDigital activities\n\nBEI does them again.\n"
)


def corpus(root: Path, *, bad: bool = False) -> Path:
    """``root/sources`` with the sample (and a profile with an impossible year when ``bad``)."""
    src = root / "sources"
    src.mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLE, src / SAMPLE.name)
    if bad:
        (src / "late-addition.txt").write_text(BAD_PROFILE, encoding="utf-8")
    return src


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any ATLAS_* or DAGSTER_HOME of the caller, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATLAS_") and k != "DAGSTER_HOME"}
    env.update(extra)
    return env


def atlas(*args: str, cwd: Path, env: dict[str, str], timeout: float = 240) -> subprocess.CompletedProcess:
    """``atlas ARGS`` in ``cwd``; wide, plain output."""
    env = {**env, "COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb"}
    return subprocess.run([str(ATLAS), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def tmpfs(path: Path, size: str, *, read_only: bool = False) -> Iterator[bool]:
    """Mount a tmpfs of ``size`` at ``path`` (yields False when this machine does not allow it)."""
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


class Receiver:
    """A webhook on 127.0.0.1 that records the JSON documents POSTed to it."""

    def __init__(self) -> None:
        received: list[dict] = []
        self.received = received

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                received.append(json.loads(self.rfile.read(length).decode("utf-8")))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def graphql(port: int, query: str, variables: dict | None = None, timeout: float = 15) -> dict:
    """POST a query to the Dagster webserver's GraphQL endpoint on 127.0.0.1; its ``data``."""
    import urllib.request

    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        doc = json.loads(response.read())
    if doc.get("errors"):
        raise AssertionError(f"GraphQL errors: {doc['errors']}")
    return doc["data"]


class ProcessGroup:
    """Long-running processes started in their own sessions; :meth:`stop` ends each whole group."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - owned by the child
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.procs[name] = proc
        return proc

    def tail(self, chars: int = 3000) -> str:
        out = []
        for name in self.procs:
            path = self.logs / f"{name}.log"
            text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
            out.append(f"--- {name} ---\n{text[-chars:]}")
        return "\n".join(out)

    def stop(self) -> None:
        import signal
        import time

        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
