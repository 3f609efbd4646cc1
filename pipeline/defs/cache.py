"""The extraction cache: one pickled ``FileExtraction`` per source file, keyed by its sha256.

Scope: name a file's cache entry from (extraction code version, path in the corpus, sha256), read
and write entries under a local folder or any UPath URL, and extract the misses (in a process pool
when there is enough text to pay for one). A changed file gets a new key and is re-extracted
alone; unchanged files are read back. It must not combine files, validate or write outputs.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

# Below this much text to extract, a process pool costs more than it saves.
PARALLEL_MIN_BYTES = 4_000_000


@dataclass(frozen=True)
class SourceEntry:
    """A file to extract: its path, its name in the corpus, sha256 and size."""

    path: str
    rel: str
    sha256: str
    bytes: int


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cache_key(code_version: str, rel: str, sha256: str) -> str:
    return hashlib.sha256(f"{code_version}\0{rel}\0{sha256}".encode()).hexdigest()


def _upath(url: str):
    from upath import UPath

    return UPath(url)


def entry_path(cache_url: str, key: str):
    return _upath(cache_url) / "extract" / key[:2] / f"{key}.pkl"


def load(cache_url: str, key: str):
    """The cached ``FileExtraction`` or None (missing or unreadable entries are misses)."""
    path = entry_path(cache_url, key)
    try:
        return pickle.loads(path.read_bytes())
    except (FileNotFoundError, OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None


def store(cache_url: str, key: str, extraction) -> None:
    path = entry_path(cache_url, key)
    data = pickle.dumps(extraction, protocol=pickle.HIGHEST_PROTOCOL)
    if path.protocol in ("", "file", "local"):
        local = Path(path.path)
        local.parent.mkdir(parents=True, exist_ok=True)
        tmp = local.with_name(f".{local.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, local)  # readers never see half an entry
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)  # object stores write whole objects


def _extract(entry: SourceEntry):
    from pipeline.extract import extract_file

    return extract_file(Path(entry.path), entry.rel)


def extract_missing(entries: Sequence[SourceEntry], *, workers: int | None = None) -> list:
    """``extract_file`` for each entry, in order; in a process pool when the text is large."""
    if not entries:
        return []
    total = sum(e.bytes for e in entries)
    workers = workers or min(len(entries), os.cpu_count() or 1)
    if workers < 2 or total < PARALLEL_MIN_BYTES:
        return [_extract(e) for e in entries]
    import multiprocessing

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method)) as pool:
        return list(pool.map(_extract, entries, chunksize=max(1, len(entries) // (workers * 4))))
