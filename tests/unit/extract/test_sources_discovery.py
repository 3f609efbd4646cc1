"""What lies in the sources folder besides regular files (issue 16): each gets a finding naming it,
none is read, none is skipped silently, and nothing raises or hangs.

Hidden files and folders and links to folders are info (`file-skipped`); named pipes, sockets and
devices are warnings (`file-not-regular`); links that cannot be followed (a loop, a missing
target) are errors (`file-unreadable`), as are links out of the folder (`file-outside-sources`).
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

from conftest import make_profile

from pipeline.extract import extract_paths
from pipeline.extract.reader import discover

GOOD = make_profile(name="Good Organisation", acronym="GOOD")


def _by_rule(findings, rule: str) -> dict[str, object]:
    return {f.source_file: f for f in findings if f.rule == rule}


def _sources(tmp_path: Path) -> Path:
    src = tmp_path / "s"  # short: a socket's path must stay under 108 bytes
    src.mkdir()
    (src / "good.txt").write_text(GOOD, encoding="utf-8")
    return src


def test_hidden_files_and_folders_are_reported_once_and_not_read(tmp_path: Path) -> None:
    src = _sources(tmp_path)
    (src / ".draft.txt").write_text(make_profile(acronym="DRAFT"), encoding="utf-8")
    (src / ".git").mkdir()
    (src / ".git" / "a.txt").write_text(make_profile(acronym="GITA"), encoding="utf-8")
    (src / "sub").mkdir()
    (src / "sub" / ".hidden.txt").write_text(make_profile(acronym="SUBH"), encoding="utf-8")
    ex = extract_paths([src])
    assert list(ex.tables["organizations"]["organization_id"]) == ["good"]
    skipped = _by_rule(ex.findings, "file-skipped")
    assert set(skipped) == {".draft.txt", ".git", "sub/.hidden.txt"}  # the hidden folder once, not its files
    assert "hidden folder" in skipped[".git"].message and "hidden file" in skipped[".draft.txt"].message
    assert {f.severity for f in skipped.values()} == {"info"}


def test_a_named_pipe_is_reported_and_never_opened(tmp_path: Path) -> None:
    """A FIFO would block a reader until someone writes to it: it must never be opened. A writer
    thread waits on the pipe; had extraction opened it, the writer's profile would be extracted."""
    src = _sources(tmp_path)
    fifo = src / "pipe.txt"
    os.mkfifo(fifo)
    payload = make_profile(acronym="PIPE").encode()

    def writer() -> None:
        with open(fifo, "wb") as f:  # blocks until the pipe is opened for reading
            f.write(payload)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    ex = extract_paths([src])
    assert list(ex.tables["organizations"]["organization_id"]) == ["good"]
    (f,) = _by_rule(ex.findings, "file-not-regular").values()
    assert (f.source_file, f.severity) == ("pipe.txt", "warning") and "named pipe (FIFO)" in f.message
    assert thread.is_alive()  # still waiting for a reader: extraction never opened the pipe
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # release the writer
    thread.join(timeout=30)  # a deadline only against a hang
    os.close(fd)
    assert [s.path for s in ex.sources] == ["good.txt"]


def test_a_socket_and_a_device_are_reported_and_not_read(tmp_path: Path) -> None:
    src = _sources(tmp_path)
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(src / "sock"))
        files, findings = discover([src, Path("/dev/null")])
    assert [rel for _, rel in files] == ["good.txt"]
    special = _by_rule(findings, "file-not-regular")
    assert set(special) == {"sock", "null"}
    assert "a socket" in special["sock"].message and "a character device" in special["null"].message
    assert all(f.severity == "warning" for f in special.values())


def test_links_that_cannot_be_followed_are_errors_naming_the_link(tmp_path: Path) -> None:
    src = _sources(tmp_path)
    (src / "loop").symlink_to("loop")
    (src / "ping.txt").symlink_to("pong.txt")
    (src / "pong.txt").symlink_to("ping.txt")
    (src / "gone.txt").symlink_to("missing.txt")
    ex = extract_paths([src])  # no RuntimeError ("Symlink loop from ...") and no OSError
    assert list(ex.tables["organizations"]["organization_id"]) == ["good"]
    broken = _by_rule(ex.findings, "file-unreadable")
    assert set(broken) == {"loop", "ping.txt", "pong.txt", "gone.txt"}
    assert all(f.severity == "error" and "link that cannot be followed" in f.message for f in broken.values())
    assert "link loop" in broken["loop"].message or "Too many levels" in broken["loop"].message
    assert "No such file" in broken["gone.txt"].message


def test_a_link_to_a_folder_inside_is_not_followed_and_says_so(tmp_path: Path) -> None:
    src = _sources(tmp_path)
    (src / "sub").mkdir()
    (src / "sub" / "more.txt").write_text(make_profile(acronym="MORE"), encoding="utf-8")
    (src / "alias").symlink_to("sub", target_is_directory=True)
    (src / "self").symlink_to(".", target_is_directory=True)
    ex = extract_paths([src])
    assert sorted(ex.tables["organizations"]["organization_id"]) == ["good", "more"]
    assert [s.path for s in ex.sources] == ["good.txt", "sub/more.txt"]  # read once, where it is
    skipped = _by_rule(ex.findings, "file-skipped")
    assert set(skipped) == {"alias", "self"} and all("link to a folder" in f.message for f in skipped.values())


def test_regular_files_give_no_discovery_finding(tmp_path: Path) -> None:
    """The no-trigger side: a plain folder of regular files (and a link to one inside) is quiet."""
    src = _sources(tmp_path)
    (src / "sub").mkdir()
    (src / "sub" / "more.txt").write_text(make_profile(acronym="MORE"), encoding="utf-8")
    (src / "also.txt").symlink_to("good.txt")
    files, findings = discover([src])
    assert [rel for _, rel in files] == ["also.txt", "good.txt", "sub/more.txt"]
    assert findings == []
