"""Content-keyed cache entries: JSON documents validated on read, under a local folder or any UPath URL.

Scope: one :class:`EntryStore` per kind of entry (the extraction of a source file, the findings of
a partition's checks, the Frictionless findings of a partition's written rows). An entry is one
JSON document ``{"format": ..., "key": ..., <payload field>: ...}`` at
``<cache>/<kind>/<key[:2]>/<key>.json``; the key is a sha256 of everything the payload depends on
(the caller's code version and content digest). Reading validates the whole document with pydantic
(strict) against the payload's type: an entry that is missing is a silent miss; one that cannot be
read, is not ours, was written for another key or does not validate is a miss too, reported as an
info finding (``cache-entry-invalid``), and the caller recomputes and replaces it; :meth:`EntryStore.prune`
deletes a kind's entries outside a set of keys. Entries are data,
never code: nothing read here is executed (no pickles). Local writes are atomic (temp file +
rename); an object store gets one whole object. It must not know what the payloads mean.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, make_dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from pydantic import TypeAdapter, ValidationError
from upath import UPath

from pipeline.findings import Finding
from pipeline.fsutil import atomic_write_bytes

T = TypeVar("T")


def entry_key(*parts: object) -> str:
    """The sha256 (hex) of ``parts`` joined by NUL: what an entry's name and ``key`` field hold."""
    return hashlib.sha256("\0".join(map(str, parts)).encode()).hexdigest()


@dataclass(frozen=True)
class EntryStore(Generic[T]):
    """Entries of one kind: ``format`` is their tag, ``field`` the payload's name, ``payload`` its type."""

    kind: str
    format: str
    field: str
    payload: Any  # a type pydantic validates: a dataclass, ``list[Finding]``, ...
    describe: Callable[[str, str], str] = lambda name, why: f"cache entry {name} could not be used ({why}); it was computed again"

    @cached_property
    def _document(self) -> type:
        """The entry's dataclass: ``format`` (this store's tag), ``key`` and the payload field."""
        fields = [("format", Literal[self.format]), ("key", str), (self.field, self.payload)]
        return make_dataclass(f"{self.kind.title().replace('-', '')}Entry", fields, frozen=True)

    @cached_property
    def _adapter(self) -> TypeAdapter[Any]:
        return TypeAdapter(self._document)

    def path(self, cache_url: str, key: str) -> UPath:
        return UPath(cache_url) / self.kind / key[:2] / f"{key}.json"

    def encode(self, key: str, value: T) -> bytes:
        """The entry's bytes: JSON of the payload (dataclass fields; tuples become lists)."""
        return self._adapter.dump_json(self._document(self.format, key, value))

    def decode(self, key: str, data: bytes) -> T:
        """The payload in ``data``; ``ValueError`` saying why when it is not a valid entry for ``key``."""
        try:
            entry = self._adapter.validate_json(data, strict=True)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "document"
            raise ValueError(f"not a valid cache entry ({exc.error_count()} problem(s); first at {where}: {first['msg']})") from None
        except KeyError as exc:  # a finding whose rule this code does not know (Finding.__post_init__)
            raise ValueError(f"not a valid cache entry ({exc.args[0]})") from None
        if entry.key != key:
            raise ValueError(f"an entry written for another key ({entry.key[:12]}…)")
        return getattr(entry, self.field)

    def load(self, cache_url: str, key: str, source_file: str | None = None) -> tuple[T | None, Finding | None]:
        """(the payload, None) on a hit; (None, None) when there is no entry; (None, an info finding
        naming the entry and why) when the entry cannot be used."""
        path = self.path(cache_url, key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None, None
        except OSError as exc:
            return None, self._unusable(path, source_file, f"cannot be read: {exc}")
        try:
            return self.decode(key, data), None
        except ValueError as exc:
            return None, self._unusable(path, source_file, str(exc))

    def _unusable(self, path: UPath, source_file: str | None, why: str) -> Finding:
        return Finding("cache-entry-invalid", self.describe(path.name, why), source_file=source_file)

    def store(self, cache_url: str, key: str, value: T) -> None:
        """Write the entry: atomically on a local disk, as one whole object on an object store."""
        path = self.path(cache_url, key)
        data = self.encode(key, value)
        if path.protocol in ("", "file", "local"):
            atomic_write_bytes(Path(path.path), data, durable=False)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

    def prune(self, cache_url: str, keep: set[str]) -> int:
        """Delete this kind's entries whose key is not in ``keep``; how many were deleted. For a
        kind whose entries a later run would not use again (e.g. keyed by day): without it the cache
        grows with every run. An entry that cannot be listed or deleted is left (a miss costs a
        recomputation, never a wrong answer)."""
        deleted = 0
        try:
            entries = list((UPath(cache_url) / self.kind).glob("*/*.json"))
        except OSError:
            return 0
        for path in entries:
            if path.stem in keep:
                continue
            try:
                path.unlink()
            except OSError:
                continue
            deleted += 1
        return deleted
