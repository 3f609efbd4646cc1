"""The outputs lock: one run/publish at a time, holder named, stale locks recovered safely."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import textwrap

import pytest
from publish_support import REPO

from pipeline.publish.lock import LOCK_NAME, LockHeld, acquire, outputs_lock, read_holder, release
from pipeline.publish.release import PublishRefused, publish

_HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from pipeline.publish.lock import outputs_lock
    with outputs_lock(Path(sys.argv[1]), "atlas run"):
        print("locked", flush=True)
        sys.stdin.read()  # hold until the test closes stdin (or kills us)
    """
)


@pytest.fixture
def holder(tmp_path):
    """A real second process holding tmp_path/out's lock as `atlas run`."""
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER, str(out)], cwd=REPO, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    yield out, proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def test_second_holder_is_refused_with_the_holder_named(holder) -> None:
    out, proc = holder
    with pytest.raises(LockHeld) as caught:
        acquire(out, "atlas publish")
    message = str(caught.value)
    assert "`atlas run`" in message and f"pid {proc.pid}" in message and socket.gethostname() in message
    assert caught.value.holder["pid"] == proc.pid
    # publish turns it into a refusal the CLI prints
    with pytest.raises(PublishRefused, match=f"pid {proc.pid}"):
        publish(out, reviewer="ed")
    # the holder's file is untouched by the failed attempts
    assert read_holder(out)["pid"] == proc.pid
    proc.stdin.close()
    proc.wait(timeout=30)
    assert read_holder(out) is None  # released on exit
    with outputs_lock(out, "atlas publish") as lock:
        assert lock.recovered is None


def test_lock_of_a_killed_process_is_recovered(holder) -> None:
    out, proc = holder
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert read_holder(out)["pid"] == proc.pid  # the stale file is still there
    with outputs_lock(out, "atlas publish") as lock:
        assert lock.recovered["pid"] == proc.pid
        assert read_holder(out) == lock.info and lock.info["pid"] == os.getpid()
    assert read_holder(out) is None  # released: the file stays, empty


def test_stale_lock_file_of_a_dead_pid_is_taken_over(tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = {"pid": dead.pid, "host": socket.gethostname(), "command": "atlas publish", "started": "2020-01-01T00:00:00Z"}
    (out / LOCK_NAME).write_text(json.dumps(stale), encoding="utf-8")
    lock = acquire(out, "atlas run")
    try:
        assert lock.recovered == stale
        assert read_holder(out)["command"] == "atlas run"
        with pytest.raises(LockHeld, match="`atlas run`"):  # held now, even from this same process
            acquire(out, "atlas publish")
    finally:
        release(lock)
    assert read_holder(out) is None


def test_lock_from_another_host_is_never_taken_over(tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    foreign = {"pid": 1, "host": "some-other-host.invalid", "command": "atlas publish", "started": "2020-01-01T00:00:00Z"}
    (out / LOCK_NAME).write_text(json.dumps(foreign), encoding="utf-8")
    with pytest.raises(LockHeld, match="some-other-host.invalid"):
        acquire(out, "atlas run")
    assert json.loads((out / LOCK_NAME).read_text(encoding="utf-8")) == foreign


def _contend(out: str, start, done, results) -> None:
    from pathlib import Path

    start.wait()
    try:
        lock = acquire(Path(out), "atlas run")
    except LockHeld:
        results.put("refused")
        return
    results.put("won")
    done.wait(60)  # hold until every contender has tried
    release(lock)


def test_concurrent_takeover_of_a_stale_lock_has_one_winner(tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    stale = {"pid": 999_999_999, "host": socket.gethostname(), "command": "atlas publish", "started": "2020-01-01T00:00:00Z"}
    (out / LOCK_NAME).write_text(json.dumps(stale), encoding="utf-8")
    ctx = multiprocessing.get_context("fork")
    n = 6
    start, done, results = ctx.Barrier(n), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_contend, args=(str(out), start, done, results)) for _ in range(n)]
    for p in procs:
        p.start()
    try:
        outcomes = [results.get(timeout=60) for _ in range(n)]
    finally:
        done.set()
        for p in procs:
            p.join(timeout=30)
    assert outcomes.count("won") == 1, outcomes
    assert read_holder(out) is None  # the winner released it


def test_the_lock_leaves_only_its_empty_file_behind(tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with outputs_lock(out, "atlas run"):
        assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]
    assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]
    assert (out / LOCK_NAME).read_bytes() == b"" and read_holder(out) is None


def test_the_refusal_message_names_everything_the_lock_file_says(tmp_path) -> None:
    """The message an operator reads, exactly; a holder's record with fields missing still gives one."""
    path = tmp_path / "out" / LOCK_NAME
    full = LockHeld(path, {"pid": 41, "host": "build-7", "command": "atlas run", "started": "2026-01-02T03:04:05Z"})
    assert str(full) == (
        f"{tmp_path / 'out'} is in use by `atlas run` (pid 41 on host build-7, since 2026-01-02T03:04:05Z). "
        f"Wait for it to finish; if that process is gone for good, delete {path}."
    )
    assert full.path == path and full.holder["pid"] == 41
    empty = LockHeld(path, {})
    assert str(empty).startswith(f"{tmp_path / 'out'} is in use by `an unknown command` (pid ? on host ?, since an unknown time). ")


@pytest.mark.parametrize(
    ("content", "holder"),
    [
        (b"", None),
        (b"  \n", None),
        (b'{"pid": 7, "command": "atlas run"}\n', {"pid": 7, "command": "atlas run"}),
        (b"not json", {"command": "unknown (unreadable lock file)"}),
        (b"[1, 2]", {"command": "unknown (unreadable lock file)"}),
        (b"\xff\xfe", {"command": "unknown (unreadable lock file)"}),
    ],
)
def test_what_a_lock_file_says_is_read_whatever_it_holds(tmp_path, content: bytes, holder) -> None:
    out = tmp_path / "out"
    out.mkdir()
    assert read_holder(out) is None  # no file: nobody
    (out / LOCK_NAME).write_bytes(content)
    assert read_holder(out) == holder


def test_an_outputs_path_that_cannot_hold_the_lock_is_named(tmp_path) -> None:
    from pipeline.publish.lock import LockUnavailable

    blocker = tmp_path / "outputs"
    blocker.write_text("a file where the folder should be\n", encoding="utf-8")
    with pytest.raises(LockUnavailable) as caught:
        acquire(blocker, "atlas run")
    assert caught.value.path == blocker / LOCK_NAME and isinstance(caught.value.error, OSError)
    assert str(caught.value) == f"the outputs folder {blocker} cannot be used: File exists ({blocker}). It must be a writable folder."
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / LOCK_NAME).mkdir()  # a folder where the lock file should be
    with pytest.raises(LockUnavailable) as caught:
        acquire(tmp_path / "out", "atlas run")
    assert str(caught.value).startswith(f"the outputs folder {tmp_path / 'out'} cannot be used: Is a directory")



def test_the_unavailable_message_names_the_cause_and_another_path_only() -> None:
    from pathlib import Path

    from pipeline.publish.lock import LockUnavailable

    path = Path("/srv/out") / LOCK_NAME
    same = LockUnavailable(path, PermissionError(13, "Permission denied", str(path)))
    assert str(same) == "the outputs folder /srv/out cannot be used: Permission denied. It must be a writable folder."
    other = LockUnavailable(path, OSError(30, "Read-only file system", "/srv"))
    assert str(other) == "the outputs folder /srv/out cannot be used: Read-only file system (/srv). It must be a writable folder."
    bare = LockUnavailable(path, OSError("no space"))  # no errno, no file name
    assert str(bare) == "the outputs folder /srv/out cannot be used: no space. It must be a writable folder."


@pytest.fixture
def far_from_utc(monkeypatch):
    """Local time 14 hours ahead of UTC for the test (restored after)."""
    import time

    monkeypatch.setenv("TZ", "AHEAD-14")  # POSIX form: needs no tz database
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_lock_file_is_one_sorted_json_line_with_a_utc_start(tmp_path, far_from_utc) -> None:
    from datetime import UTC, datetime, timedelta

    out = tmp_path / "deep" / "er" / "out"  # missing parent folders are created
    lock = acquire(out, "atlas run")
    try:
        assert lock.path == out / LOCK_NAME and lock.recovered is None
        assert sorted(lock.info) == ["command", "host", "pid", "started"]
        assert (lock.info["command"], lock.info["host"], lock.info["pid"]) == ("atlas run", socket.gethostname(), os.getpid())
        started = datetime.strptime(lock.info["started"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert abs(datetime.now(UTC) - started) < timedelta(hours=1)  # UTC, not the local time 14 hours ahead
        assert (out / LOCK_NAME).read_text(encoding="utf-8") == json.dumps(lock.info, sort_keys=True) + "\n"
        assert (out / LOCK_NAME).read_text(encoding="utf-8").startswith('{"command": "atlas run", "host": ')
    finally:
        release(lock)
    assert (out / LOCK_NAME).read_bytes() == b""


def test_releasing_twice_is_harmless(tmp_path) -> None:
    out = tmp_path / "out"
    lock = acquire(out, "atlas run")
    release(lock)
    release(lock)  # a second release (an error path that releases again) does nothing
    assert (out / LOCK_NAME).read_bytes() == b""
    with outputs_lock(out, "atlas publish") as again:
        assert again.recovered is None and read_holder(out) == again.info
