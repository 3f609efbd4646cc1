"""One ``atlas run`` or ``atlas publish`` at a time per outputs folder: the ``outputs/.lock`` file.

Scope: an exclusive lock whose file says who holds it (JSON: pid, host, command, started). The file
is written under a temp name created with ``O_EXCL``, locked with ``flock`` and then linked to
``.lock`` (``link`` fails if the name exists, so exactly one process creates it, and nobody ever
sees it empty). While the holder lives, the kernel lock stays held; when it dies (even by SIGKILL)
the kernel releases it, so a ``.lock`` whose kernel lock is free is stale and is taken over in one
atomic step (a new file replaces it while the old one is still locked by the taker). A second
process gets :class:`LockHeld` whose message names the holder. Locks written by another host cannot
be checked and are never taken over. This module must not know what a run or a publish does.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

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


@dataclass
class Lock:
    path: Path
    info: dict
    fd: int
    recovered: dict | None = None  # the stale holder this lock replaced, if any


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _read_info(fd: int) -> dict:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = os.read(fd, 65536)
        info = json.loads(data.decode("utf-8"))
        return info if isinstance(info, dict) else {}
    except (OSError, ValueError):
        return {}


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise


def _prepared_file(directory: Path, info: dict) -> tuple[int, Path]:
    """A new lock file under a temp name (created with O_EXCL), holding ``info``, kernel-locked."""
    for _ in range(100):
        tmp = directory / f"{LOCK_NAME}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
        try:
            fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, (json.dumps(info, sort_keys=True) + "\n").encode("utf-8"))
        os.fsync(fd)
        return fd, tmp
    raise RuntimeError(f"cannot create a temp lock file in {directory}")


def _same_file(fd: int, path: Path) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    fst = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (fst.st_dev, fst.st_ino)


def acquire(outputs_dir: Path, command: str, *, attempts: int = 50) -> Lock:
    """Take ``outputs_dir/.lock`` or raise :class:`LockHeld` naming the live holder."""
    outputs_dir.mkdir(parents=True, exist_ok=True)
    path = outputs_dir / LOCK_NAME
    info = {"pid": os.getpid(), "host": socket.gethostname(), "command": command, "started": _now()}
    for _ in range(attempts):
        fd, tmp = _prepared_file(outputs_dir, info)
        try:
            try:
                os.link(tmp, path)  # atomic: fails if a lock exists
                return Lock(path, info, fd)
            except FileExistsError:
                pass
            try:
                recovered = _take_over_if_stale(path, fd, tmp)
            except FileNotFoundError:  # our temp file was cleaned up under us: start again
                recovered = None
            if recovered is not None:
                return Lock(path, info, fd, recovered=recovered)
        except BaseException:
            os.close(fd)
            raise
        finally:
            tmp.unlink(missing_ok=True)
        os.close(fd)
        time.sleep(0.01)  # the lock changed hands while we looked; look again
    raise RuntimeError(f"could not take {path} after {attempts} attempts (it keeps changing hands)")


def _take_over_if_stale(path: Path, new_fd: int, tmp: Path) -> dict | None:
    """Replace ``path`` by ``tmp`` if its holder is gone; return the stale holder's info, None to
    retry (the lock vanished or changed meanwhile). Raise :class:`LockHeld` if it is held."""
    try:
        old_fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return None
    try:
        holder = _read_info(old_fd)
        if not _try_flock(old_fd):
            raise LockHeld(path, holder)
        if not _same_file(old_fd, path):
            return None  # released or replaced between our open and flock
        host = holder.get("host")
        if host and host != socket.gethostname():
            raise LockHeld(path, holder)  # another machine's process: we cannot tell if it lives
        os.replace(tmp, path)  # atomic takeover while we still hold the old file's kernel lock
        return holder or {"pid": None, "command": "unknown (unreadable lock file)"}
    finally:
        os.close(old_fd)


def release(lock: Lock) -> None:
    """Remove the lock file (if it is still ours) and drop the kernel lock."""
    try:
        if _same_file(lock.fd, lock.path):
            lock.path.unlink()
    finally:
        os.close(lock.fd)


def read_holder(outputs_dir: Path) -> dict | None:
    """What ``outputs_dir/.lock`` says, or None when there is no lock file."""
    try:
        return json.loads((outputs_dir / LOCK_NAME).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError:
        return {}


@contextlib.contextmanager
def outputs_lock(outputs_dir: Path, command: str) -> Iterator[Lock]:
    """``with outputs_lock(outputs, "atlas publish"):`` — exclusive use of ``outputs_dir``."""
    lock = acquire(outputs_dir, command)
    try:
        yield lock
    finally:
        release(lock)


def remove_temp_locks(outputs_dir: Path) -> list[Path]:
    """Delete ``.lock.*.tmp`` leftovers of killed processes: only those no live process has locked."""
    removed = []
    for tmp in sorted(outputs_dir.glob(f"{LOCK_NAME}.*.tmp")):
        try:
            fd = os.open(tmp, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            if _try_flock(fd):
                tmp.unlink(missing_ok=True)
                removed.append(tmp)
        finally:
            os.close(fd)
    return removed

