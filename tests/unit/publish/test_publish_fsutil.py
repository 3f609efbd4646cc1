"""Filesystem primitives: atomic writes, folder swaps, symlink replacement, sums, deterministic zips."""

from __future__ import annotations

import os
import zipfile

import pytest

from pipeline import fsutil
from pipeline.fsutil import (
    atomic_write_text,
    deterministic_zip,
    parse_sha256sums,
    replace_symlink,
    swap_in_dir,
    verify_sha256sums,
    write_sha256sums,
)


def test_atomic_write_leaves_no_temp_and_keeps_old_content_on_failure(tmp_path, monkeypatch) -> None:
    target = tmp_path / "f.txt"
    atomic_write_text(target, "old")
    monkeypatch.setattr(fsutil.os, "replace", lambda *a: (_ for _ in ()).throw(OSError("disk gone")))
    with pytest.raises(OSError, match="disk gone"):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


@pytest.mark.parametrize("exchange", [True, False])
def test_swap_in_dir_replaces_the_whole_folder(tmp_path, monkeypatch, exchange: bool) -> None:
    if not exchange:  # the fallback for kernels/filesystems without renameat2(RENAME_EXCHANGE)
        monkeypatch.setattr(fsutil, "_renameat2_exchange", lambda a, b: False)
    target = tmp_path / "staging"
    target.mkdir()
    (target / "old-only.txt").write_text("old")
    new = tmp_path / ".tmp-build"
    (new / "data").mkdir(parents=True)
    (new / "data" / "t.csv").write_text("new")
    swap_in_dir(new, target)
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*")) == ["data", "data/t.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["staging"]


def test_replace_symlink(tmp_path) -> None:
    (tmp_path / "1.0.0").mkdir()
    (tmp_path / "1.0.1").mkdir()
    link = tmp_path / "latest"
    replace_symlink(link, "1.0.0")
    replace_symlink(link, "1.0.1")
    assert os.readlink(link) == "1.0.1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1.0.0", "1.0.1", "latest"]


def test_sha256sums_round_trip_and_verify(tmp_path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "b.csv").write_text("b")
    (tmp_path / "a.json").write_text("{}")
    (tmp_path / "skip").mkdir()
    (tmp_path / "skip" / "x").write_text("x")
    write_sha256sums(tmp_path, exclude=("skip/",))
    sums = parse_sha256sums((tmp_path / "SHA256SUMS").read_text())
    assert list(sums) == ["a.json", "data/b.csv"]
    assert verify_sha256sums(tmp_path) == []
    (tmp_path / "data" / "b.csv").write_text("changed")
    assert verify_sha256sums(tmp_path) == ["data/b.csv: checksum differs from SHA256SUMS"]


def test_deterministic_zip_ignores_mtimes_and_creation_order(tmp_path) -> None:
    for name, order in (("one", ["b.txt", "a/c.txt"]), ("two", ["a/c.txt", "b.txt"])):
        root = tmp_path / name
        for rel in order:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(rel)
        os.utime(root / "b.txt", (1_000_000 if name == "one" else 2_000_000,) * 2)
        deterministic_zip(root, tmp_path / f"{name}.zip", "pkg-1.0.0")
    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "one.zip") as zf:
        assert zf.namelist() == ["pkg-1.0.0/a/c.txt", "pkg-1.0.0/b.txt"]
        assert zf.read("pkg-1.0.0/b.txt") == b"b.txt"
