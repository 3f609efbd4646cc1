"""Filesystem primitives: atomic writes, folder swaps, hard links, sums, deterministic zips."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import fsutil
from pipeline.fsutil import (
    atomic_path,
    atomic_write_text,
    deterministic_zip,
    link_or_copy,
    parse_sha256sums,
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


def test_atomic_path_renames_only_a_complete_file_and_cleans_up_on_error(tmp_path) -> None:
    target = tmp_path / "db.duckdb"
    with atomic_path(target) as tmp:
        assert not tmp.exists() and tmp.parent == tmp_path  # the writer creates it, beside the target
        tmp.write_bytes(b"v1")
    assert target.read_bytes() == b"v1"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("writer failed")
    assert target.read_bytes() == b"v1"
    assert [p.name for p in tmp_path.iterdir()] == ["db.duckdb"]


def test_link_or_copy_makes_a_hard_link_never_a_symlink(tmp_path) -> None:
    source = tmp_path / "a.csv"
    source.write_text("x")
    link_or_copy(source, tmp_path / "latest" / "a.csv")
    copy = tmp_path / "latest" / "a.csv"
    assert not copy.is_symlink() and os.stat(copy).st_ino == os.stat(source).st_ino


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


@pytest.mark.parametrize(("given", "expected"), [(None, "system"), ("mimalloc", "mimalloc")])
def test_arrow_allocates_with_the_system_pool_unless_the_operator_chose_one(given: str | None, expected: str) -> None:
    """Run in a fresh interpreter: the pool is chosen once per process (pyarrow already loaded here)."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if given:
        env["ARROW_DEFAULT_MEMORY_POOL"] = given
    code = (
        "import pyarrow as pa\nfrom pipeline.fsutil import configure_allocators\nconfigure_allocators()\n"
        "import os\nprint(pa.default_memory_pool().backend_name, os.environ['ARROW_DEFAULT_MEMORY_POOL'])"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.split()
    assert out == [expected, expected]


def test_freed_memory_is_handed_back_only_after_large_work(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline import fsutil

    calls: list[int] = []
    monkeypatch.setattr(fsutil, "release_memory", lambda: calls.append(1))
    fsutil.release_after_large(fsutil.RELEASE_MEMORY_ROWS)  # a full collection costs ~0.2 s: not for small work
    assert calls == []
    fsutil.release_after_large(fsutil.RELEASE_MEMORY_ROWS + 1)
    assert calls == [1]


_FREEZE = (
    "import gc\nfrom pipeline.defs.resources import AtlasPaths\nimport dagster as dg\n"
    "before = [object()]  # a container alive before the step's set-up\n"
    "paths = AtlasPaths(sources='s', outputs='o')\n"
    "with dg.build_resources({'paths': paths}):\n    pass\n"
    "after = [object()]\n"
    "tracked = {id(o) for o in gc.get_objects()}\n"
    "from pipeline.fsutil import freeze_long_lived\n"
    "print(gc.get_freeze_count() > 100_000, id(before) in tracked, id(after) in tracked, freeze_long_lived())"
)


def test_a_step_process_freezes_the_imported_code_once() -> None:
    """Run in a fresh interpreter: the freeze is once per process. After the resource's set-up, the
    objects alive then (the imported code and ``before``) are out of the collector's generations,
    objects made later (``after``) are in them, and a second call freezes nothing."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _FREEZE], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "False", "True", "False"]


_POLARS_RETAINED = (
    "import sys\nfrom pipeline.fsutil import configure_allocators\n"
    "if sys.argv[1] == 'on':\n    configure_allocators()\n"
    "import polars as pl\n"
    "def rss():\n    return next(int(x.split()[1]) for x in open('/proc/self/status') if x.startswith('VmRSS')) // 1024\n"
    "before = rss()\nframe = pl.DataFrame({'t': pl.Series(['x' * 40] * 2_000_000)}).with_columns(u=pl.col('t').str.to_uppercase())\n"
    "del frame\nimport time\nend = time.monotonic() + 3.0\n"  # up to 3 s (a loaded machine), until under 40 MB
    "while rss() - before >= 40 and time.monotonic() < end:\n    time.sleep(0.1)\nprint(rss() - before)"
)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads resident memory from /proc (Linux)")
def test_polars_hands_freed_memory_back_within_a_second() -> None:
    """Run in fresh interpreters: jemalloc reads its setting when polars starts. ~170 MB of strings
    are built and dropped; with the setting, almost nothing stays resident within a second (0.4 s
    measured; the script waits up to 3 s on a loaded machine), while a 10 s decay keeps it all."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}

    def kept(mode: str, conf: str | None = None) -> int:
        run_env = env if conf is None else {**env, "_RJEM_MALLOC_CONF": conf}
        return int(subprocess.run([sys.executable, "-c", _POLARS_RETAINED, mode], env=run_env, capture_output=True, text=True,
                                  check=True).stdout)

    assert kept("off", "dirty_decay_ms:10000,muzzy_decay_ms:0") > 100  # pages kept for 10 s stay (so this test can tell)
    assert kept("on") < 40


def test_an_operator_s_own_polars_allocator_setting_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline import fsutil

    monkeypatch.setenv("_RJEM_MALLOC_CONF", "narenas:2")
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "system")
    fsutil.configure_allocators()
    assert os.environ["_RJEM_MALLOC_CONF"] == "narenas:2"
    monkeypatch.delenv("_RJEM_MALLOC_CONF")
    fsutil.configure_allocators()
    assert os.environ["_RJEM_MALLOC_CONF"] == fsutil.POLARS_ALLOCATOR_CONF


@pytest.mark.parametrize("document", [
    {"a": [1, "é", None, True, {"b": []}], "c": "x" * 70_000},  # plain: pydantic-core's encoder
    {"a": 1.5, "b": [float("inf")]},  # floats: Python's encoder
])
def test_json_files_are_written_as_json_dumps_would(tmp_path: Path, document: dict) -> None:
    from pipeline.fsutil import atomic_write_json, json_chunks, json_text

    expected = (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    assert b"".join(json_chunks(document)) == expected == json_text(document).encode("utf-8")
    path = atomic_write_json(tmp_path / "x.json", document, durable=False)
    assert path.read_bytes() == expected


def test_a_digest_is_reused_only_when_asked_and_only_for_the_unchanged_file(tmp_path: Path) -> None:
    import hashlib

    path = tmp_path / "data.csv"
    path.write_bytes(b"a,b\n1,2\n")
    first = fsutil.sha256_file(path)
    assert first == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    stamp = fsutil._stamp(path.stat())
    fsutil._HASHED[stamp] = "0" * 64  # as if this process had read other bytes under the same stamp
    assert fsutil.sha256_file(path, reuse=True) == "0" * 64  # reused: not read again
    assert fsutil.sha256_file(path) == first  # integrity checks read the bytes
    moved = path.rename(tmp_path / "renamed.csv")  # a rename keeps the stamp (the staged build is renamed into place)
    assert fsutil.sha256_file(moved, reuse=True) == first
    moved.write_bytes(b"a,b\n1,3\n")  # same size, new bytes: a new stamp
    assert fsutil.sha256_file(moved, reuse=True) == hashlib.sha256(b"a,b\n1,3\n").hexdigest()


@pytest.mark.parametrize(("document", "plain"), [
    ({"t": {"added": [{"id": "a", "n": 1}, {"id": "b", "n": None}], "x": [[True, "é"], []]}}, True),
    ({"t": {"added": [{"id": "a"}, {"id": 1.5}]}}, False),  # a float deep in a list of dicts
    ({"t": [{"id": "a"}, {2: "b"}]}, False),  # a key that is not a string
    ({"t": [["ok", "\ud800"]]}, False),  # a lone surrogate in a nested list
    ({"t": [{"id": "a"}, "b", 3, [{"k": ("tuple",)}]]}, False),  # a tuple inside a mixed list
])
def test_plain_documents_are_told_apart_list_by_list(document: dict, plain: bool) -> None:
    assert fsutil.is_plain(document) is plain
    if plain:
        expected = (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        assert b"".join(fsutil.json_chunks(document)) == expected


def _plain_item_by_item(data: object) -> bool:
    """The definition ``is_plain`` must keep: one value at a time."""
    stack: list[object] = [data]
    while stack:
        item = stack.pop()
        if type(item) is dict:
            if not all(type(k) is str for k in item):
                return False
            stack.extend(item.values())
        elif type(item) is list:
            stack.extend(item)
        elif type(item) is str:
            if not item.isascii() and fsutil._SURROGATE.search(item):
                return False
        elif not (type(item) is int or type(item) is bool or item is None):
            return False
    return True


_leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=4),
                    st.sampled_from(["\ud800", "a\udfff", "é"]), st.tuples(st.integers()))
_documents = st.recursive(_leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.one_of(st.text(max_size=3), st.integers()), inner, max_size=4),
), max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(_documents)
def test_plain_list_by_list_equals_value_by_value(document: object) -> None:
    assert fsutil.is_plain(document) is _plain_item_by_item(document)


def test_release_memory_frees_young_cycles_without_a_full_pass() -> None:
    """What a step made with the collector paused is young: a young collection frees its cycles,
    and no full pass walks everything alive since the imports (0.04–0.12 s each at 1000×)."""
    import gc
    import weakref

    from pipeline.fsutil import release_memory

    class Node:
        pass

    generations: list[int] = []

    def watch(phase: str, info: dict) -> None:
        if phase == "start":
            generations.append(info["generation"])

    was = gc.isenabled()
    gc.disable()
    try:
        node = Node()
        node.self = node  # a cycle: reference counting alone never frees it
        alive = weakref.ref(node)
        del node
        gc.callbacks.append(watch)
        try:
            release_memory()
        finally:
            gc.callbacks.remove(watch)
    finally:
        if was:
            gc.enable()
    assert alive() is None
    assert generations and max(generations) < 2
