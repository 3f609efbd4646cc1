"""The extraction cache: one JSON document per source file, keyed by its sha256 and the code version.

Scope: name a file's entry from (extraction code version, path in the corpus, sha256); write a
:class:`~pipeline.extract.model.FileExtraction` as JSON generically from its dataclass fields (so a
field added to the model is cached without a change here) under a local folder or any UPath URL
(``s3://…``); read an entry back and validate it against the same dataclasses (pydantic, strict).
An entry that is missing is a miss; one that cannot be read, is not ours, was written for another
key or does not validate is a miss too, reported as an info finding: the file is extracted again
and the entry replaced. Entries are data, never code: nothing read from the cache is executed.
Also extracts the misses (in a process pool when there is enough text to pay for one). It must not
combine files, validate tables or write outputs.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import TypeAdapter, ValidationError
from upath import UPath

from pipeline.extract import extract_file
from pipeline.extract.model import FileExtraction
from pipeline.findings import Finding
from pipeline.fsutil import atomic_write_bytes, sha256_file

FORMAT: Literal["geneva-digital-atlas/extract-cache/1"] = "geneva-digital-atlas/extract-cache/1"
# Below this much text to extract, a process pool costs more than it saves.
PARALLEL_MIN_BYTES = 4_000_000


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


@dataclass(frozen=True)
class CacheEntry:
    """What one cache file holds: the format tag, the key it was written under, the extraction."""

    format: Literal["geneva-digital-atlas/extract-cache/1"]  # = FORMAT
    key: str
    extraction: FileExtraction


@cache
def _adapter() -> TypeAdapter[CacheEntry]:
    return TypeAdapter(CacheEntry)


def cache_key(code_version: str, rel: str, sha256: str) -> str:
    return hashlib.sha256(f"{code_version}\0{rel}\0{sha256}".encode()).hexdigest()


def entry_path(cache_url: str, key: str) -> UPath:
    return UPath(cache_url) / "extract" / key[:2] / f"{key}.json"


def encode(key: str, extraction: FileExtraction) -> bytes:
    """The entry's bytes: JSON of the dataclasses' fields (tuples become lists)."""
    return _adapter().dump_json(CacheEntry(FORMAT, key, extraction))


def decode(key: str, data: bytes) -> FileExtraction:
    """The extraction in ``data``; ``ValueError`` saying why when it is not a valid entry for ``key``."""
    try:
        entry = _adapter().validate_json(data, strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "document"
        raise ValueError(f"not a valid cache entry ({exc.error_count()} problem(s); first at {where}: {first['msg']})") from None
    except KeyError as exc:  # a finding whose rule this code does not know (Finding.__post_init__)
        raise ValueError(f"not a valid cache entry ({exc.args[0]})") from None
    if entry.key != key:
        raise ValueError(f"an entry written for another key ({entry.key[:12]}…)")
    return entry.extraction


def load(cache_url: str, key: str, rel: str) -> tuple[FileExtraction | None, Finding | None]:
    """(the cached extraction, None) on a hit; (None, None) when there is no entry; (None, an info
    finding naming the entry and why) when the entry cannot be used."""
    path = entry_path(cache_url, key)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, _unusable(path, rel, f"cannot be read: {exc}")
    try:
        return decode(key, data), None
    except ValueError as exc:
        return None, _unusable(path, rel, str(exc))


def _unusable(path: UPath, rel: str, why: str) -> Finding:
    return Finding(
        "cache-entry-invalid", f"extraction cache entry {path.name} for this file {why}; the file was extracted again", source_file=rel
    )


def store(cache_url: str, key: str, extraction: FileExtraction) -> None:
    """Write the entry: atomically on a local disk, as one whole object on an object store."""
    path = entry_path(cache_url, key)
    data = encode(key, extraction)
    if path.protocol in ("", "file", "local"):
        atomic_write_bytes(Path(path.path), data, durable=False)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _extract(entry: SourceEntry) -> FileExtraction:
    return extract_file(Path(entry.path), entry.rel)


def extract_missing(entries: Sequence[SourceEntry], *, workers: int | None = None) -> list[FileExtraction]:
    """``extract_file`` for each entry, in order; in a process pool when the text is large."""
    if not entries:
        return []
    total = sum(e.bytes for e in entries)
    workers = workers or min(len(entries), os.cpu_count() or 1)
    if workers < 2 or total < PARALLEL_MIN_BYTES:
        return [_extract(e) for e in entries]
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method)) as pool:
        return list(pool.map(_extract, entries, chunksize=max(1, len(entries) // (workers * 4))))


def read_or_extract(cache_url: str, files: Sequence[tuple[SourceEntry, str]]) -> tuple[list[FileExtraction], list[Finding]]:
    """Every file's extraction: from the cache where a valid entry exists, else extracted and
    stored. ``files`` pairs each entry with its cache key. Returns the extractions in order and the
    info findings of unusable entries."""
    found: list[FileExtraction | None] = []
    findings: list[Finding] = []
    for entry, key in files:
        fx, problem = load(cache_url, key, entry.rel)
        found.append(fx)
        if problem is not None:
            findings.append(problem)
    misses = [i for i, fx in enumerate(found) if fx is None]
    for i, fx in zip(misses, extract_missing([files[i][0] for i in misses]), strict=True):
        store(cache_url, files[i][1], fx)
        found[i] = fx
    return [fx for fx in found if fx is not None], findings
