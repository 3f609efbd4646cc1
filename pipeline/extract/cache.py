"""The extraction cache: one JSON document per source file, keyed by its sha256 and the code version.

Scope: name a file's entry from (extraction code version, path in the corpus, sha256); write a
:class:`~pipeline.extract.model.FileExtraction` as JSON generically from its dataclass fields (so a
field added to the model is cached without a change here) under a local folder or any UPath URL
(``s3://…``); read an entry back and validate it against the same dataclasses (pydantic, strict).
An entry that is missing is a miss; one that cannot be read, is not ours, was written for another
key or does not validate is a miss too, reported as an info finding: the file is extracted again
and the entry replaced. Entries are data, never code: nothing read from the cache is executed.
Also extracts the misses (in a bounded process pool when there is enough text to pay for one,
each worker writing its own entries). The entries are :class:`pipeline.cache.EntryStore` entries.
It must not combine files, validate tables or write outputs.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from upath import UPath

from pipeline.cache import EntryStore, entry_key
from pipeline.extract import extract_file
from pipeline.extract.model import FileExtraction
from pipeline.findings import Finding
from pipeline.fsutil import sha256_file

FORMAT: Literal["geneva-digital-atlas/extract-cache/1"] = "geneva-digital-atlas/extract-cache/1"
# Below this much text to extract, a process pool costs more than it saves.
PARALLEL_MIN_BYTES = 4_000_000
MAX_WORKERS = 4  # a bounded pool (at most this many, at most one per core): each worker holds one file's rows at a time

STORE: EntryStore[FileExtraction] = EntryStore(
    "extract", FORMAT, "extraction", FileExtraction,
    describe=lambda name, why: f"extraction cache entry {name} for this file {why}; the file was extracted again",
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


def entry_path(cache_url: str, key: str) -> UPath:
    return STORE.path(cache_url, key)


def encode(key: str, extraction: FileExtraction) -> bytes:
    """The entry's bytes: JSON of the dataclasses' fields (tuples become lists)."""
    return STORE.encode(key, extraction)


def decode(key: str, data: bytes) -> FileExtraction:
    """The extraction in ``data``; ``ValueError`` saying why when it is not a valid entry for ``key``."""
    return STORE.decode(key, data)


def load(cache_url: str, key: str, rel: str) -> tuple[FileExtraction | None, Finding | None]:
    """(the cached extraction, None) on a hit; (None, None) when there is no entry; (None, an info
    finding naming the entry and why) when the entry cannot be used."""
    return STORE.load(cache_url, key, rel)


def store(cache_url: str, key: str, extraction: FileExtraction) -> None:
    """Write the entry: atomically on a local disk, as one whole object on an object store."""
    STORE.store(cache_url, key, extraction)


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


def iter_extractions(cache_url: str, files: Sequence[tuple[SourceEntry, str]], problems: list[Finding]) -> Iterator[FileExtraction]:
    """Each file's extraction, one at a time in source-path order (what ``combine`` streams): from
    the cache where a valid entry exists, else extracted here and stored. The info findings of
    unusable entries are appended to ``problems``."""
    for entry, key in sorted(files, key=lambda pair: pair[0].rel):
        fx, problem = load(cache_url, key, entry.rel)
        if problem is not None:
            problems.append(problem)
        if fx is None:
            fx = _extract(entry)
            store(cache_url, key, fx)
        yield fx


def read_or_extract(cache_url: str, files: Sequence[tuple[SourceEntry, str]]) -> tuple[list[FileExtraction], list[Finding]]:
    """Every file's extraction at once, in source-path order, and the info findings of unusable
    entries (:func:`iter_extractions`, listed)."""
    problems: list[Finding] = []
    return list(iter_extractions(cache_url, files, problems)), problems
