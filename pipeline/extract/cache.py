"""The extraction cache: one Arrow IPC file per source file, keyed by its sha256 and the code version.

Scope: name a file's entry from (extraction code version, path in the corpus, sha256); write a
file's extraction as data: its tables as Arrow columns (``pipeline.extract.columnar``: unchanged
files are later concatenated as columns, never decoded into row dicts) and its source and
findings as JSON, validated on read against the same dataclasses (pydantic, strict; the
:class:`~pipeline.cache.EntryStore` document) and every table against its Arrow schema; under a
local folder or any UPath URL (``s3://…``). Also each file's mentions (keyed by the file's entry,
the corpus's names and the file's settled ids, see ``combine``), in the same container. An entry
that is missing is a miss; one that cannot be read, is not ours (an older format too), was written
for another key or does not validate is a miss too, reported as an info finding: the file is
extracted (its mentions found) again and the entry replaced. Entries are data, never code: nothing
read from the cache is executed (no pickles). Also extracts the misses (in a bounded process pool
when there is enough text to pay for one, each worker writing its own entries). It must not
combine files, validate tables or write outputs.

An entry is an Arrow IPC file of one record batch, one row per table: ``table`` (its name) and
``ipc`` (the table as an Arrow IPC stream); its schema metadata ``entry`` holds the JSON document.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
from upath import UPath

from pipeline.cache import EntryStore, entry_key
from pipeline.extract import extract_file
from pipeline.extract.columnar import arrow_schema
from pipeline.extract.combine import MENTION_TABLES, ROW_TABLES, file_tables
from pipeline.extract.model import FileExtraction, FileTables, SourceFile
from pipeline.findings import Finding
from pipeline.fsutil import atomic_write_bytes, sha256_file
from pipeline.schemas import load_schemas

FORMAT: Literal["geneva-digital-atlas/extract-cache/2"] = "geneva-digital-atlas/extract-cache/2"
MENTIONS_FORMAT: Literal["geneva-digital-atlas/mentions-cache/1"] = "geneva-digital-atlas/mentions-cache/1"
# Below this much text to extract, a process pool costs more than it saves.
PARALLEL_MIN_BYTES = 4_000_000
MAX_WORKERS = 4  # a bounded pool (at most this many, at most one per core): each worker holds one file's rows at a time
_META = b"entry"


@dataclass(frozen=True)
class EntryHeader:
    """The JSON part of an extraction entry: the source as read and the file's findings."""

    source: SourceFile
    findings: list[Finding] = field(default_factory=list)


HEADER: EntryStore[EntryHeader] = EntryStore(
    "extract", FORMAT, "extraction", EntryHeader,
    describe=lambda name, why: f"extraction cache entry {name} for this file {why}; the file was extracted again",
)
MENTIONS_HEADER: EntryStore[list[str]] = EntryStore(
    "mentions", MENTIONS_FORMAT, "tables", list[str],
    describe=lambda name, why: f"mentions cache entry {name} for this file {why}; its mentions were found again",
)


@dataclass(frozen=True)
class SourceEntry:
    """A file to extract: its path, its name in the corpus, sha256 and size."""

    path: str
    rel: str
    sha256: str
    bytes: int

    @classmethod
    def of(cls, path: Path, rel: str) -> SourceEntry:
        return cls(str(path), rel, sha256_file(path), path.stat().st_size)


def cache_key(code_version: str, rel: str, sha256: str) -> str:
    return entry_key(code_version, rel, sha256)


def _path(store: EntryStore[Any], cache_url: str, key: str) -> UPath:
    return UPath(cache_url) / store.kind / key[:2] / f"{key}.arrow"


def entry_path(cache_url: str, key: str) -> UPath:
    return _path(HEADER, cache_url, key)


def _pack(document: bytes, tables: dict[str, pa.Table]) -> bytes:
    blobs = []
    for table in tables.values():
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        blobs.append(sink.getvalue().to_pybytes())
    outer = pa.table({"table": pa.array(list(tables), pa.string()), "ipc": pa.array(blobs, pa.large_binary())}).replace_schema_metadata(
        {_META: document}
    )
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, outer.schema) as writer:
        writer.write_table(outer)
    return sink.getvalue().to_pybytes()


def _unpack(data: bytes, expected: dict[str, pa.Schema]) -> tuple[bytes, dict[str, pa.Table]]:
    """(the JSON document, the tables) of an entry; ``ValueError`` when it is not one holding
    exactly the ``expected`` tables, each with its schema."""
    try:
        outer = pa.ipc.open_file(pa.py_buffer(data)).read_all()
        document = (outer.schema.metadata or {}).get(_META)
        if document is None or outer.schema.names != ["table", "ipc"]:
            raise ValueError("no entry document")
        names = outer.column("table").to_pylist()
        blobs = outer.column("ipc").combine_chunks()
        tables = {name: pa.ipc.open_stream(blobs[i].as_buffer()).read_all() for i, name in enumerate(names)}
        for table in tables.values():
            table.validate(full=True)  # offsets in range, UTF-8 strings: a damaged file fails here, not later
    except (pa.ArrowException, OSError, ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        raise ValueError(f"not a valid cache entry (not an Arrow entry: {exc})") from None
    if sorted(tables) != sorted(expected) or len(names) != len(expected):
        raise ValueError(f"not a valid cache entry (tables {names}, expected {list(expected)})")
    for name, table in tables.items():
        if not table.schema.equals(expected[name]):
            raise ValueError(f"not a valid cache entry (table {name} has columns {table.schema.to_string()!r})")
    return document, {name: tables[name] for name in expected}


def _expected(names: Sequence[str]) -> dict[str, pa.Schema]:
    schemas = load_schemas()
    return {name: arrow_schema(schemas[name]) for name in names}


def encode(key: str, extraction: FileExtraction | FileTables) -> bytes:
    """The entry's bytes: the file's tables as Arrow, its source and findings as JSON."""
    ft = file_tables(extraction)
    return _pack(HEADER.encode(key, EntryHeader(ft.source, ft.findings)), ft.tables)


def decode(key: str, data: bytes) -> FileTables:
    """The extraction in ``data``; ``ValueError`` saying why when it is not a valid entry for ``key``."""
    document, tables = _unpack(data, _expected(ROW_TABLES))
    header = HEADER.decode(key, document)
    return FileTables(header.source, tables, list(header.findings), key)


def _read(store: EntryStore[Any], cache_url: str, key: str, rel: str | None) -> tuple[bytes | None, Finding | None]:
    path = _path(store, cache_url, key)
    try:
        return path.read_bytes(), None
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, Finding("cache-entry-invalid", store.describe(path.name, f"cannot be read: {exc}"), source_file=rel)


def load(cache_url: str, key: str, rel: str) -> tuple[FileTables | None, Finding | None]:
    """(the cached extraction, None) on a hit; (None, None) when there is no entry; (None, an info
    finding naming the entry and why) when the entry cannot be used."""
    data, problem = _read(HEADER, cache_url, key, rel)
    if data is None:
        return None, problem
    try:
        return decode(key, data), None
    except ValueError as exc:
        return None, Finding("cache-entry-invalid", HEADER.describe(entry_path(cache_url, key).name, str(exc)), source_file=rel)


def _write(path: UPath, data: bytes) -> None:
    """Atomically on a local disk, as one whole object on an object store."""
    if path.protocol in ("", "file", "local"):
        atomic_write_bytes(Path(path.path), data, durable=False)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def store(cache_url: str, key: str, extraction: FileExtraction | FileTables) -> None:
    """Write the entry: atomically on a local disk, as one whole object on an object store."""
    _write(entry_path(cache_url, key), encode(key, extraction))


class MentionsCache:
    """Each file's mentions (``combine``'s :class:`~pipeline.extract.combine.MentionStore`) under
    ``cache_url``; the info findings of unusable entries are appended to ``problems``."""

    def __init__(self, cache_url: str, problems: list[Finding]) -> None:
        self.cache_url, self.problems = cache_url, problems

    def get(self, key: str, source_file: str) -> dict[str, pa.Table] | None:
        data, problem = _read(MENTIONS_HEADER, self.cache_url, key, source_file)
        if data is not None:
            try:
                document, tables = _unpack(data, _expected(MENTION_TABLES))
                if MENTIONS_HEADER.decode(key, document) == list(MENTION_TABLES):
                    return tables
                raise ValueError("not a valid cache entry (its document names other tables)")
            except ValueError as exc:
                name = _path(MENTIONS_HEADER, self.cache_url, key).name
                problem = Finding("cache-entry-invalid", MENTIONS_HEADER.describe(name, str(exc)), source_file=source_file)
        if problem is not None:
            self.problems.append(problem)
        return None

    def put(self, key: str, tables: dict[str, pa.Table]) -> None:
        _write(_path(MENTIONS_HEADER, self.cache_url, key), _pack(MENTIONS_HEADER.encode(key, list(tables)), tables))


def _extract(entry: SourceEntry) -> FileExtraction:
    return extract_file(Path(entry.path), entry.rel)


def _extract_and_store(job: tuple[str, SourceEntry, str]) -> str:
    """Worker: extract one file and write its entry (the rows never travel back to the parent)."""
    cache_url, entry, key = job
    store(cache_url, key, _extract(entry))
    return key


def _pool(workers: int) -> ProcessPoolExecutor:
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method))


def _workers(entries: Sequence[SourceEntry], workers: int | None) -> int:
    if sum(e.bytes for e in entries) < PARALLEL_MIN_BYTES:
        return 1
    return min(len(entries), workers or min(MAX_WORKERS, os.cpu_count() or 1))


def extract_missing(entries: Sequence[SourceEntry], *, workers: int | None = None) -> list[FileExtraction]:
    """``extract_file`` for each entry, in order; in a process pool when the text is large."""
    if not entries:
        return []
    n = _workers(entries, workers)
    if n < 2:
        return [_extract(e) for e in entries]
    with _pool(n) as pool:
        return list(pool.map(_extract, entries, chunksize=max(1, len(entries) // (n * 4))))


def extract_to_cache(cache_url: str, files: Sequence[tuple[SourceEntry, str]], *, workers: int | None = None) -> None:
    """Extract each (entry, key) of ``files`` and store its cache entry; in a bounded process pool
    when the text is large, each worker writing the entries of the files it extracted (so no
    process ever holds more than one file's rows, and nothing big is sent between processes)."""
    if not files:
        return
    n = _workers([e for e, _ in files], workers)
    if n < 2:
        for entry, key in files:
            store(cache_url, key, _extract(entry))
        return
    jobs = sorted(((cache_url, e, k) for e, k in files), key=lambda job: -job[1].bytes)  # biggest first
    with _pool(n) as pool:
        for _ in pool.map(_extract_and_store, jobs):
            pass


def iter_extractions(cache_url: str, files: Sequence[tuple[SourceEntry, str]], problems: list[Finding]) -> Iterator[FileTables]:
    """Each file's extraction, one at a time in source-path order (what ``combine`` streams): from
    the cache where a valid entry exists, else extracted here and stored. The info findings of
    unusable entries are appended to ``problems``."""
    for entry, key in sorted(files, key=lambda pair: pair[0].rel):
        fx, problem = load(cache_url, key, entry.rel)
        if problem is not None:
            problems.append(problem)
        if fx is None:
            fx = replace(file_tables(_extract(entry)), key=key)
            store(cache_url, key, fx)
        yield fx


def read_or_extract(cache_url: str, files: Sequence[tuple[SourceEntry, str]]) -> tuple[list[FileTables], list[Finding]]:
    """Every file's extraction at once, in source-path order, and the info findings of unusable
    entries (:func:`iter_extractions`, listed)."""
    problems: list[Finding] = []
    return list(iter_extractions(cache_url, files, problems)), problems
