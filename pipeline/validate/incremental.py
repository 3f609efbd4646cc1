"""The in-memory checks, partition by partition, with a cache: only changed partitions are checked.

Scope: :func:`check_partitioned` gives exactly the findings of
:func:`pipeline.validate.checks.check_tables` on the same tables, computed as

- the global checks (:func:`~pipeline.validate.checks.global_findings`: pandera with the keys,
  foreign keys, years in the future) on the whole table set, every run (vectorised: a fraction of a
  second at 1000×; the calendar makes "in the future" uncacheable);
- the row-local rules (:func:`~pipeline.validate.checks.local_findings`) on the partitions whose
  findings are not cached: a partition is the rows that trace to one source file
  (:mod:`pipeline.validate.partitions`), cached by the sha256 of its rows and the code version, so
  a partition whose rows did not change is not checked again, whatever changed elsewhere. Changed
  partitions are checked in batches of about :data:`BATCH_ROWS` rows, so memory stays bounded
  whatever the corpus size.

Cache entries are JSON (:class:`pipeline.cache.EntryStore`, kind ``checks``): a damaged or foreign
entry is a miss with an info finding and the partition is checked again. Rows that trace to no file
are always checked. It must not read or write anything but the cache.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import version

import pandas as pd

from pipeline.cache import EntryStore, entry_key
from pipeline.findings import Finding
from pipeline.fsutil import collector_paused
from pipeline.validate.checks import LocalChecks, global_findings, ordered
from pipeline.validate.locate import Locator
from pipeline.validate.partitions import NO_FILE, Partitions
from pipeline.validate.words import save_verdicts

FORMAT = "geneva-digital-atlas/check-cache/1"
# Rows of changed partitions checked at once. Each batch prepares its own screens and vocabulary and
# copies its rows: at 1000x (283k rows) one batch peaked at +479 MB and 2.2 CPU-s, 60k-row batches
# at +610 MB and 2.5 CPU-s; the bound matters for larger corpora.
BATCH_ROWS = 300_000
STORE: EntryStore[list[Finding]] = EntryStore(
    "checks", FORMAT, "findings", list[Finding],
    describe=lambda name, why: f"check cache entry {name} for this file {why}; its rows were checked again",
)


@cache
def libraries() -> str:
    """The versions of the libraries whose answers the cached findings depend on."""
    return ";".join(f"{dist}={version(dist)}" for dist in ("pandas", "polars", "pyarrow", "pandera", "wordsegment"))


@dataclass
class CheckRun:
    """The findings (report order) and what was done: source-file partitions, checked now, read from the cache."""

    findings: list[Finding]
    partitions: int = 0
    checked: list[str] = field(default_factory=list)
    cached: int = 0
    problems: list[Finding] = field(default_factory=list)  # unusable cache entries (also in findings)


def _batches(names: list[str], sizes: Mapping[str, int], batch_rows: int) -> Iterator[list[str]]:
    batch: list[str] = []
    rows = 0
    for name in names:
        batch.append(name)
        rows += sizes.get(name, 0)
        if rows >= batch_rows:
            yield batch
            batch, rows = [], 0
    if batch:
        yield batch


def _by_partition(findings: list[Finding], names: list[str]) -> dict[str, list[Finding]] | None:
    """The findings of a batch grouped by the partition they name, or None when one names a
    partition outside the batch (then nothing of the batch is cached: the partition rule broke)."""
    groups: dict[str, list[Finding]] = {name: [] for name in names}
    for f in findings:
        group = groups.get(f.source_file or NO_FILE)
        if group is None:
            return None
        group.append(f)
    return groups


def check_partitioned(
    tables: Mapping[str, pd.DataFrame],
    *,
    cache_url: str | None,
    code_version: str,
    today: dt.date | None = None,
    batch_rows: int = BATCH_ROWS,
) -> CheckRun:
    """:func:`~pipeline.validate.checks.check_tables` of ``tables``, the row-local rules run only on
    the partitions without a valid cache entry under ``cache_url`` (None: no cache, every partition
    is checked) for ``code_version``; entries are written for the partitions checked. The collector
    rests meanwhile (:func:`pipeline.fsutil.collector_paused`: cached findings, digests and keys
    are acyclic)."""
    with collector_paused():
        return _check_partitioned(tables, cache_url, code_version, today, batch_rows)


def _check_partitioned(tables: Mapping[str, pd.DataFrame], cache_url: str | None, code_version: str, today: dt.date | None,
                       batch_rows: int) -> CheckRun:
    frames = {name: df.reset_index(drop=True) for name, df in tables.items()}
    parts = Partitions.of(frames)
    digests = parts.digests(frames) if cache_url else {}
    keys = {name: entry_key(code_version, libraries(), name, digest) for name, digest in digests.items() if name != NO_FILE}
    run = CheckRun([], partitions=len([n for n in parts.names() if n != NO_FILE]))
    local: dict[str, list[Finding]] = {}
    for name, key in keys.items() if cache_url else ():
        found, problem = STORE.load(cache_url, key, name)  # type: ignore[arg-type]
        if found is not None:
            local[name] = found
        elif problem is not None:
            run.problems.append(problem)
    run.cached = len(local)
    dirty = [name for name in parts.names() if name not in local]
    sizes = parts.sizes()
    found_global: list[Finding] | None = None
    for batch in _batches(dirty, sizes, batch_rows) if dirty else iter([[]]):
        subset = parts.subset(frames, batch)
        with LocalChecks(subset, Locator(subset)) as checks:
            if found_global is None:  # the whole tables, while the first batch's screens run
                found_global = global_findings(frames, Locator(frames), today=today)
            fresh = checks.findings()
        groups = _by_partition(fresh, batch)
        if groups is None:
            local[f"\0{len(local)}"] = fresh
            continue
        local.update(groups)
        for name in batch if cache_url else ():
            if name != NO_FILE:
                STORE.store(cache_url, keys[name], groups[name])  # type: ignore[arg-type]
    run.checked = [name for name in dirty if name != NO_FILE]
    merged = list(found_global or [])
    for name in sorted(local):
        merged += local[name]
    run.findings = ordered(merged + run.problems)
    if run.checked:
        save_verdicts()  # the word model's new answers, for the next process
    return run
