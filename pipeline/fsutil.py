"""Filesystem primitives for crash-safe outputs: atomic writes, checksums, swaps and zips.

The project's one atomic-write helper (:func:`atomic_write_bytes` and its text/JSON forms): every
module that writes a file a reader may open at the same time (tables, reports, the extraction
cache, release files) goes through it.

Scope: write a file so that a reader sees the old or the new content and never half of it (temp file
in the same folder, fsync, ``os.replace``, fsync of the folder); fsync a whole tree before it is
renamed into place; swap a freshly built folder in for an old one; SHA256SUMS files that
``sha256sum -c`` accepts; deterministic zips (fixed timestamps and permissions, sorted entries).
It must not know what a release or a table is: callers decide which files exist and where.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path
from typing import BinaryIO

SUMS_NAME = "SHA256SUMS"
_CHUNK = 1 << 20
# 1980-01-01 00:00:00, the earliest time a zip entry can carry: every entry gets it.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_HASHED: dict[tuple[int, int, int, int, int], str] = {}  # stat stamp → sha256 of a file this process read whole
_HASHED_MAX = 4096


def _stamp(st: os.stat_result) -> tuple[int, int, int, int, int]:
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def sha256_file(path: Path, *, reuse: bool = False) -> str:
    """The file's sha256, read from disk. ``reuse``: the digest this process already read for the
    same file, if its device, inode, size, modification and change times are all unchanged (a
    write or a replacement changes them; a rename does not): the site shows the checksums of the
    candidate the same run has just written and summed (330 MB read twice at 1000×). Checks of
    integrity never reuse: they read the bytes."""
    st = path.stat()
    if reuse and (known := _HASHED.get(_stamp(st))) is not None:
        return known
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    hexdigest = digest.hexdigest()
    if _stamp(path.stat()) == _stamp(st):  # unchanged while it was read
        if len(_HASHED) >= _HASHED_MAX:
            _HASHED.clear()
        _HASHED[_stamp(st)] = hexdigest
    return hexdigest


def link_or_copy(source: Path, dest: Path) -> None:
    """Hard-link ``source`` at ``dest`` (same bytes, no copy), else copy it (another filesystem).
    Never a symlink: the result survives ``cp -r`` and static hosting."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, dest)
    except OSError:
        shutil.copy2(source, dest)


def fsync_dir(path: Path) -> None:
    """Make a folder's entries (created, renamed files) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """fsync every file and folder under ``root`` (children first), then ``root`` itself."""
    for dirpath, _dirnames, filenames in os.walk(root, topdown=False):
        for name in filenames:
            path = Path(dirpath, name)
            if path.is_symlink():
                continue
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(dirpath))


@contextlib.contextmanager
def atomic_path(path: Path, *, durable: bool = True) -> Iterator[Path]:
    """``with atomic_path(path) as tmp: <write the file tmp>``: a temp name in the same folder that is
    renamed over ``path`` only when the block ends without error, so a reader sees the old or the
    new content, never half of it (for writers that need a path, e.g. a database). ``durable``:
    fsync the file and its folder; pass False inside a build folder that is fsynced as a whole
    (:func:`fsync_tree`) before it is renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # the writer creates it
    try:
        yield tmp
        if durable:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_dir(path.parent)


@contextlib.contextmanager
def atomic_file(path: Path, *, durable: bool = True) -> Iterator[BinaryIO]:
    """``with atomic_file(path) as f: f.write(...)``: :func:`atomic_path` with the temp file open
    for writing."""
    with atomic_path(path, durable=durable) as tmp, tmp.open("xb") as f:
        yield f


def atomic_write_bytes(path: Path, data: bytes, *, durable: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_file`)."""
    with atomic_file(path, durable=durable) as f:
        f.write(data)
    return path


def atomic_write_text(path: Path, text: str, *, durable: bool = True) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"), durable=durable)


def json_text(data: object) -> str:
    """The project's JSON style: 2-space indent, UTF-8 kept, trailing newline (stable for diffs);
    the text of :func:`json_chunks`."""
    return b"".join(json_chunks(data)).decode("utf-8")


def json_chunks(data: object, *, plain: bool | None = None) -> tuple[bytes, ...]:
    """The project's JSON document of ``data`` as UTF-8 bytes, in pieces whose concatenation is the
    document (a large one is written or hashed piece by piece, never also held as a ``str``, its
    re-encoding and a copy with the trailing newline).

    The bytes are those of ``json.dumps(data, indent=2, ensure_ascii=False)`` and a newline.
    Python's encoder is pure Python when it indents (seconds for a report of 30,000 findings), so
    documents of plain JSON types without floats (which pydantic-core writes with a shorter
    exponent) go through pydantic-core's encoder, which writes the same layout and escapes ~20
    times faster. ``plain=True``: the caller built ``data`` of those types only (dicts with
    string keys, lists, str, int, bool, None), so the walk that checks it (:func:`is_plain`, most
    of the cost for a large report) is skipped; a string with a lone surrogate, which neither
    encoder writes, still fails as it does without the hint."""
    if plain or is_plain(data):
        import pydantic_core

        try:
            return pydantic_core.to_json(data, indent=2), b"\n"
        except pydantic_core.PydanticSerializationError:
            if not plain:
                raise
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),


_SURROGATE = re.compile("[\ud800-\udfff]")


_PLAIN_TYPES = frozenset({str, int, bool, type(None), dict, list})


def is_plain(data: object) -> bool:
    """Only dicts with string keys, lists, strings without lone surrogates, ints, bools and None.

    Checked a list at a time (the types of its items, the keys of its dicts and the text of its
    strings in one C-level pass each): a first release's ``changes.json`` holds millions of values,
    which an item-by-item walk took a quarter of a second to vouch for at 1000×."""
    stack: list[list] = [[data]]
    while stack:
        items = stack.pop()
        kinds = set(map(type, items))
        if not kinds <= _PLAIN_TYPES:
            return False
        if str in kinds and not _plain_strings(items if kinds == {str} else [x for x in items if type(x) is str]):
            return False
        if dict in kinds:
            dicts = items if kinds == {dict} else [x for x in items if type(x) is dict]
            for keys in set(map(tuple, dicts)):
                if not all(type(k) is str for k in keys):
                    return False
            stack.append(list(chain.from_iterable(map(dict.values, dicts))))
        if list in kinds:
            stack.append(list(chain.from_iterable(x for x in items if type(x) is list)))
    return True


def _plain_strings(strings: list[str]) -> bool:
    """No lone surrogate in any of ``strings``."""
    text = "".join(strings)
    return text.isascii() or not _SURROGATE.search(text)


def atomic_write_json(path: Path, data: object, *, durable: bool = True) -> Path:
    """``data`` as :func:`json_text` at ``path``, atomically, written from the encoder's bytes (a
    large document is never also held as a ``str`` and its re-encoding)."""
    with atomic_file(path, durable=durable) as f:
        for chunk in json_chunks(data):
            f.write(chunk)
    return path


def read_json(path: Path) -> object:
    return json.loads(path.read_text(encoding="utf-8"))


def make_temp_dir(parent: Path, prefix: str) -> Path:
    """A fresh, hidden folder inside ``parent`` (so a rename from it never crosses filesystems)."""
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=parent))


def remove_temp_dirs(parent: Path, prefix: str) -> list[Path]:
    """Delete leftovers of interrupted builds (``prefix*`` folders/files/links in ``parent``)."""
    removed: list[Path] = []
    if not parent.is_dir():
        return removed
    for entry in sorted(parent.iterdir()):
        if not entry.name.startswith(prefix):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


# -- atomic folder swap ----------------------------------------------------------------------------

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _renameat2_exchange(a: Path, b: Path) -> bool:
    """Linux ``renameat2(RENAME_EXCHANGE)``: swap two paths in one step. False when unavailable."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (22, 38, 95):  # EINVAL / ENOSYS / EOPNOTSUPP: filesystem or kernel cannot exchange
        return False
    raise OSError(err, os.strerror(err), str(a), None, str(b))


def swap_in_dir(new: Path, target: Path) -> None:
    """Put folder ``new`` at ``target``, replacing any folder there; the old one is deleted.

    Where the kernel can exchange the two folders in one step (Linux ``renameat2``), a reader sees
    the whole old folder or the whole new one; elsewhere the old folder is renamed away first, so
    for an instant ``target`` is missing (never half-written). ``new`` is fsynced first.
    """
    fsync_tree(new)
    if target.exists() and not target.is_symlink():
        if _renameat2_exchange(new, target):
            fsync_dir(target.parent)
            shutil.rmtree(new)  # ``new`` now holds the old content
            return
        old = target.with_name(f"{new.name}.old")
        os.rename(target, old)
        os.rename(new, target)
        fsync_dir(target.parent)
        shutil.rmtree(old)
        return
    if target.is_symlink():
        target.unlink()
    os.rename(new, target)
    fsync_dir(target.parent)


# -- checksums -----------------------------------------------------------------------------------


def list_files(root: Path, exclude: Iterable[str] = ()) -> list[str]:
    """Relative POSIX paths of the regular files under ``root``, sorted; ``exclude`` holds paths or
    folder prefixes (``"quarantine/"``) to leave out."""
    skip = tuple(exclude)
    out = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            rel = path.relative_to(root).as_posix()
            if not any(rel == s or (s.endswith("/") and rel.startswith(s)) for s in skip):
                out.append(rel)
    return sorted(out)


def file_checksums(root: Path, exclude: Iterable[str] = ()) -> dict[str, str]:
    """The sha256 of every file under ``root`` (to be written down: a digest this process read
    from the unchanged file is reused, see :func:`sha256_file`)."""
    return {rel: sha256_file(root / rel, reuse=True) for rel in list_files(root, exclude)}


def sums_text(checksums: dict[str, str]) -> str:
    """``sha256sum`` output format: ``<hex>  <path>`` per line, sorted by path."""
    for rel in checksums:
        if "\n" in rel or "\\" in rel:
            raise ValueError(f"file name {rel!r} cannot be listed in {SUMS_NAME}")
    return "".join(f"{checksums[rel]}  {rel}\n" for rel in sorted(checksums))


def write_sha256sums(root: Path, exclude: Iterable[str] = (), *, durable: bool = True) -> Path:
    """``root/SHA256SUMS`` over every file under ``root`` except itself and ``exclude``."""
    checksums = file_checksums(root, (*exclude, SUMS_NAME))
    return atomic_write_text(root / SUMS_NAME, sums_text(checksums), durable=durable)


def parse_sha256sums(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        digest, _, rel = line.partition(" ")
        out[rel[1:] if rel[:1] in (" ", "*") else rel] = digest
    return out


def verify_sha256sums(root: Path, only: Iterable[str] | None = None) -> list[str]:
    """Problems found checking ``root/SHA256SUMS`` (empty list: every listed file matches), each
    naming the file; ``only``: check just these listed files (a file not listed is a problem)."""
    sums = root / SUMS_NAME
    if not sums.is_file():
        return [f"{SUMS_NAME}: missing"]
    listed = parse_sha256sums(sums.read_text(encoding="utf-8"))
    problems = [f"{rel}: not listed in {SUMS_NAME}" for rel in (only or ()) if rel not in listed]
    wanted = set(only) if only is not None else None
    for rel, digest in listed.items():
        if wanted is not None and rel not in wanted:
            continue
        if rel.startswith("/") or ".." in rel.split("/"):
            problems.append(f"{rel}: listed in {SUMS_NAME} with a path outside the folder")
            continue
        path = root / rel
        if not path.is_file():
            problems.append(f"{rel}: listed in {SUMS_NAME} but missing")
        elif sha256_file(path) != digest:
            problems.append(f"{rel}: checksum differs from {SUMS_NAME}")
    return problems


# -- deterministic zip -----------------------------------------------------------------------------


def deterministic_zip(src: Path, dest: Path, arcroot: str, date_time: tuple[int, int, int, int, int, int] = ZIP_EPOCH) -> Path:
    """Zip every file under ``src`` into ``dest`` as ``arcroot/<relative path>``: entries sorted,
    every timestamp ``date_time`` (the release time; 1980-01-01 by default), permissions 0644,
    deflate at zlib's default level — the same folder gives the same bytes. Written atomically."""
    stamp = max(date_time, ZIP_EPOCH)  # a zip entry cannot be older than 1980
    with atomic_file(dest) as raw, zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for rel in list_files(src):
            info = zipfile.ZipInfo(f"{arcroot}/{rel}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            info.create_system = 3  # Unix, so the permissions above are honoured
            with (src / rel).open("rb") as f, zf.open(info, "w") as out:
                shutil.copyfileobj(f, out, _CHUNK)
    return dest


ARROW_POOL_ENV = "ARROW_DEFAULT_MEMORY_POOL"
POLARS_ALLOCATOR_ENV = "_RJEM_MALLOC_CONF"  # the jemalloc built into polars reads this (its symbols are prefixed)
POLARS_ALLOCATOR_CONF = "dirty_decay_ms:300,muzzy_decay_ms:0"


def configure_allocators() -> None:
    """Make the native allocators hand freed memory back to the system at once (Arrow) or within 0.3 s (polars).

    - Arrow allocates through the C library's ``malloc`` instead of its bundled mimalloc. Mimalloc
      keeps the pages it frees: building one 93 MB string column left +253 MB resident with
      mimalloc and +95 MB with the system pool.
    - Polars' jemalloc hands freed pages back within 0.3 s (its background thread purges them),
      instead of keeping them for seconds. With jemalloc's default, reading three key columns of
      a 129 MB CSV left 151 MB resident after the frame was dropped; purged at once, 17 MB. At
      once (``dirty_decay_ms:0``) costs every new frame its page faults: ``check_tables`` at 1000×
      took 0.71 s and 1.09 CPU-s with it, 0.65 s and 1.00 CPU-s with 0.3 s, for a peak of the whole
      1000× run 10-20 MB higher (three runs each).

    Both settings are placed in the environment, so worker processes inherit them. Arrow reads its
    setting when pyarrow is first imported, and jemalloc reads its setting when polars starts. If
    pyarrow is already loaded, Arrow's pool is switched at once. If polars is already loaded, its
    setting applies only to new processes. A value the operator set for either variable is kept."""
    if POLARS_ALLOCATOR_ENV not in os.environ:
        os.environ[POLARS_ALLOCATOR_ENV] = POLARS_ALLOCATOR_CONF
    if os.environ.get(ARROW_POOL_ENV):
        return
    os.environ[ARROW_POOL_ENV] = "system"
    if "pyarrow" in sys.modules:
        import pyarrow as pa

        pa.set_memory_pool(pa.system_memory_pool())


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (as it was before, after), around work that makes
    hundreds of thousands of objects in no reference cycle (findings, keys, row dicts, rendered
    pieces: reference counting frees them). Meanwhile the collector would walk every live object
    again each time the survivors grow by a quarter: at 1000×, 6–9 full passes of the live data in
    staging alone (~1 s of a 24 s run)."""
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_FROZEN: list[bool] = []  # whether this process has frozen its long-lived objects (freeze_long_lived, importing)


@contextlib.contextmanager
def importing() -> Iterator[None]:
    """Pause the collector while a block imports code. When the block imported modules, what is
    alive is frozen (``gc.freeze``) before the collector resumes: imports make long-lived objects
    and next to no garbage, and were the collector to resume first, its next pass would walk all
    of them (~0.2 s after Dagster's and the job's imports); no later pass walks them either. A
    block that imports nothing new freezes nothing (a process that runs the job again)."""
    import gc

    was_enabled = gc.isenabled()
    modules = len(sys.modules)
    gc.disable()
    try:
        yield
    finally:
        if len(sys.modules) > modules:
            gc.freeze()
            _FROZEN[:] = [True]
        if was_enabled:
            gc.enable()


def freeze_long_lived() -> bool:
    """Move every object alive now to the collector's permanent generation (``gc.freeze``), once
    per process; True when this call did it.

    Called when a process starts running steps, after the code is imported: the ~200,000 objects
    of the imported modules (Dagster's, pandas', the pipeline's functions and classes) live as long
    as the process, yet every full collection walked them (~0.2 s each at 1000×, several per run:
    :func:`release_memory`'s and the collector's own). What is frozen is still freed by reference
    counting when it is released; only reference cycles among frozen objects are never reclaimed.
    Nothing is collected first: the imports leave ~3,000 unreachable objects, cheaper to keep than
    a full pass over the ~365,000 live ones (~0.1 s on the sample's cold command)."""
    import gc

    if _FROZEN:
        return False
    gc.freeze()
    _FROZEN.append(True)
    return True


RELEASE_MEMORY_ROWS = 100_000  # above this many rows, freed memory is handed back at once (a full collection costs ~0.2 s)


def release_after_large(rows: int) -> None:
    """:func:`release_memory` when the work just done handled more than ``RELEASE_MEMORY_ROWS`` rows
    (measured at 1000×: 222 MB handed back after the Frictionless check of the written files)."""
    if rows > RELEASE_MEMORY_ROWS:
        release_memory()


def release_memory() -> None:
    """Collect the young garbage and hand the freed heap back to the operating system (glibc's
    ``malloc_trim``), so a process that just dropped a large structure shrinks at once.

    A young collection (generations 0 and 1) suffices: the steps' bodies and the IO manager run
    with the collector paused, so what they made is still young; a full one also walks every
    object alive since the imports (at 1000×, 0.04–0.12 s each, five per run, finding the same
    few thousand objects)."""
    import ctypes
    import ctypes.util
    import gc

    gc.collect(1)
    name = ctypes.util.find_library("c")
    if name is None:
        return
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return
    trim(0)
