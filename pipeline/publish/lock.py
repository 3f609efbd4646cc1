"""One ``atlas run`` or ``atlas publish`` at a time per outputs folder: the ``outputs/.lock`` file.

Scope: an exclusive lock on a permanent file, held with the kernel's ``flock`` through the
``filelock`` package: the kernel releases it when the holder exits or dies (even by SIGKILL), so
there is no stale lock to break. While it is held the file says who holds it (JSON: pid, host,
command, started); it is emptied on release, so a holder's record still in the file when the lock is
taken again is the record of a process that died, reported as ``recovered``. A second process gets
:class:`LockHeld` whose message names the holder. A record written by another host is never taken
over (``flock`` on a shared volume may not reach that host's processes). An outputs folder that
cannot hold the lock (read-only, not a folder, no space) gives :class:`LockUnavailable` naming it. This module must not know
what a run or a publish does.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

LOCK_NAME = ".lock"


class LockHeld(RuntimeError):
    """Another live process holds the lock; ``holder`` is what its lock file says."""

    def __init__(self, path: Path, holder: dict) -> None:
        self.path = path
        self.holder = holder
        command = holder.get("command") or "an unknown command"
        where = f"pid {holder.get('pid', '?')} on host {holder.get('host', '?')}"
        since = holder.get("started", "an unknown time")
        super().__init__(
            f"{path.parent} is in use by `{command}` ({where}, since {since}). "
            f"Wait for it to finish; if that process is gone for good, delete {path}."
        )


class LockUnavailable(RuntimeError):
    """The lock file cannot be created or opened: the outputs folder is read-only, is not a folder,
    or the disk is full. The message names the path and the cause."""

    def __init__(self, path: Path, error: OSError) -> None:
        self.path = path
        self.error = error
        cause = error.strerror or str(error)
        where = f" ({error.filename})" if error.filename and str(error.filename) != str(path) else ""
        super().__init__(f"the outputs folder {path.parent} cannot be used: {cause}{where}. It must be a writable folder.")


@dataclass
class Lock:
    path: Path
    info: dict
    recovered: dict | None = None  # the record of a holder that died, if the file still had one
    _file_lock: FileLock | None = field(default=None, repr=False)
    _fd: int = -1


def _parse(data: bytes) -> dict:
    try:
        info = json.loads(data.decode("utf-8"))
    except ValueError:
        return {"command": "unknown (unreadable lock file)"}
    return info if isinstance(info, dict) else {"command": "unknown (unreadable lock file)"}


def read_holder(outputs_dir: Path) -> dict | None:
    """What ``outputs_dir/.lock`` says, or None when nobody holds it (no file, or an empty one)."""
    try:
        data = (outputs_dir / LOCK_NAME).read_bytes()
    except FileNotFoundError:
        return None
    return _parse(data) if data.strip() else None


def acquire(outputs_dir: Path, command: str) -> Lock:
    """Take ``outputs_dir/.lock`` or raise :class:`LockHeld` naming the holder."""
    path = outputs_dir / LOCK_NAME
    try:
        outputs_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LockUnavailable(path, exc) from None
    lock = Lock(path, {"pid": os.getpid(), "host": socket.gethostname(), "command": command, "started": _now()})

    def on_acquired(fd: int) -> None:  # the kernel lock is ours: read what the file says, then claim it
        previous = os.pread(fd, 1 << 16, 0)
        if previous.strip():
            lock.recovered = _parse(previous)
            host = lock.recovered.get("host")
            if host and host != socket.gethostname():
                raise LockHeld(path, lock.recovered)  # another machine's process: we cannot tell if it lives
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(lock.info, sort_keys=True) + "\n").encode("utf-8"), 0)
        os.fsync(fd)
        lock._fd = fd

    file_lock = FileLock(str(path), blocking=False, on_acquired=on_acquired)
    try:
        file_lock.acquire()
    except Timeout:
        raise LockHeld(path, read_holder(outputs_dir) or {}) from None
    except OSError as exc:
        raise LockUnavailable(path, exc) from None
    lock._file_lock = file_lock
    return lock


def release(lock: Lock) -> None:
    """Empty the lock file (the lock is free: nobody to name) and drop the kernel lock."""
    if lock._file_lock is None:
        return
    try:
        os.ftruncate(lock._fd, 0)
    finally:
        lock._file_lock.release()
        lock._file_lock = None


@contextlib.contextmanager
def outputs_lock(outputs_dir: Path, command: str) -> Iterator[Lock]:
    """``with outputs_lock(outputs, "atlas publish"):`` — exclusive use of ``outputs_dir``."""
    lock = acquire(outputs_dir, command)
    try:
        yield lock
    finally:
        release(lock)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
