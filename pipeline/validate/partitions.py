"""Partitions of a table set: the rows of every table that trace to one source file.

Scope: label each row of each table with the source file a finding about it would name (the same
rule as :class:`pipeline.validate.locate.Locator`: the row's ``source_file``, else the file of its
``organization_id`` in the table that has both), take the rows of some partitions as a smaller table
set (order kept), and give each partition a content digest: a sha256 over its rows' hashes in every
table (polars row hashes under two seeds, the tables' dtypes and row counts), so a partition whose
rows did not change keeps its digest whatever happened to the other files. Rows that trace to no
file form the partition :data:`NO_FILE`, which is never cached.

Why partitions are enough for the row-local rules (``pipeline.validate.checks.local_findings``):
every row of an organisation carries that organisation's file, so the context a row-local rule
reads (the row itself, its organisation's other sections for "has sub-headings", the file its
organisation came from) lies inside the row's partition, and a finding about a row names the row's
partition as its ``source_file``. Checking some partitions alone therefore finds exactly what
checking everything finds about them. It must not check anything itself.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from pipeline.validate.locate import FILE_COLUMN, ORG_KEY, is_missing, plain_values

NO_FILE = ""  # the partition of rows that trace to no source file
_SEEDS = (0x9E3779B97F4A7C15, 0x632BE59BD9B4E019)  # two independent 64-bit hashes per row


def _org_files(tables: Mapping[str, pd.DataFrame]) -> dict[str, str]:
    """organization_id → source_file, the first row that has both (as the Locator reads them)."""
    out: dict[str, str] = {}
    for df in tables.values():
        if ORG_KEY in df.columns and FILE_COLUMN in df.columns:
            for org, path in zip(df[ORG_KEY].tolist(), df[FILE_COLUMN].tolist(), strict=True):
                if not is_missing(org) and not is_missing(path):
                    out.setdefault(str(org), str(path))
    return out


def _labels(df: pd.DataFrame, org_files: Mapping[str, str]) -> np.ndarray:
    """Each row's partition: its ``source_file``, else its organisation's file, else NO_FILE."""
    n = len(df)
    files: list[object] = plain_values(df[FILE_COLUMN]) if FILE_COLUMN in df.columns else [None] * n
    if ORG_KEY in df.columns and any(f is None for f in files):
        orgs = plain_values(df[ORG_KEY])
        files = [org_files.get(str(o), NO_FILE) if f is None and o is not None else f for f, o in zip(files, orgs, strict=True)]
    return np.array([NO_FILE if f is None else str(f) for f in files], dtype=object)


def _row_hashes(df: pd.DataFrame) -> np.ndarray:
    """Two 64-bit hashes of every row (an ``(n, 2)`` array), from polars where it can hold the frame."""
    import polars as pl

    if not len(df.columns) or not len(df):
        return np.zeros((len(df), 2), dtype=np.uint64)
    try:
        frame = pl.from_pandas(df)
    except (TypeError, ValueError, pl.exceptions.PolarsError, ImportError):  # plain Python objects: pandas hashes them
        frame = None
    if frame is not None:
        return np.stack([frame.hash_rows(seed=seed).to_numpy() for seed in _SEEDS], axis=1)
    text = df.map(lambda v: None if is_missing(v) else f"{type(v).__name__}:{v}")
    keys = ("atlas-partition-0", "atlas-partition-1")
    return np.stack([pd.util.hash_pandas_object(text, index=False, hash_key=key).to_numpy() for key in keys], axis=1)


@dataclass(frozen=True)
class Partitions:
    """The partition label of every row of every table (``labels[table][row]``)."""

    labels: dict[str, np.ndarray]

    @classmethod
    def of(cls, tables: Mapping[str, pd.DataFrame]) -> Partitions:
        org_files = _org_files(tables)
        return cls({name: _labels(df, org_files) for name, df in tables.items()})

    def names(self) -> list[str]:
        """Every partition that has a row, sorted (NO_FILE first when present)."""
        return sorted({str(label) for labels in self.labels.values() for label in set(labels.tolist())})

    def sizes(self) -> dict[str, int]:
        """Rows per partition, over every table."""
        out: Counter[str] = Counter()
        for labels in self.labels.values():
            out.update(labels.tolist())
        return dict(out)

    @cached_property
    def _codes(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per table, each row's partition as an integer code, and the partition of each code."""
        out = {}
        for table, labels in self.labels.items():
            codes, uniques = pd.factorize(labels)
            out[table] = (codes, np.asarray(uniques, dtype=object))
        return out

    def rows(self, table: str, names: Iterable[str]) -> np.ndarray:
        """Positions of the rows of ``table`` in the partitions ``names``, in table order (compared
        as integer codes: a string comparison per row would cost more than the rules of a batch)."""
        codes, uniques = self._codes[table]
        if not len(codes):
            return np.array([], dtype=np.int64)
        wanted = np.flatnonzero(np.isin(uniques, np.array(list(names), dtype=object)))
        if len(wanted) == len(uniques):
            return np.arange(len(codes), dtype=np.int64)
        return np.flatnonzero(np.isin(codes, wanted))

    def subset(self, tables: Mapping[str, pd.DataFrame], names: Iterable[str]) -> dict[str, pd.DataFrame]:
        """The rows of the partitions ``names`` of every table, in table order (index reset). A
        table all of whose rows are wanted is given as it is (no copy)."""
        wanted = list(names)
        out = {}
        for name, df in tables.items():
            rows = self.rows(name, wanted)
            whole = len(rows) == len(df) and isinstance(df.index, pd.RangeIndex) and df.index.start == 0 and df.index.step == 1
            out[name] = df if whole else df.iloc[rows].reset_index(drop=True)
        return out

    def digests(self, tables: Mapping[str, pd.DataFrame]) -> dict[str, str]:
        """partition → sha256 of its rows in every table (with the tables' columns and dtypes)."""
        parts: dict[str, hashlib._Hash] = {name: hashlib.sha256() for name in self.names()}
        for table in sorted(tables):
            df = tables[table]
            labels = self.labels[table]
            hashes = _row_hashes(df)
            shape = ("\0".join(f"{c}:{t}" for c, t in df.dtypes.items())).encode()
            order = np.argsort(labels.astype(str), kind="stable")
            sorted_labels = labels[order].astype(str)
            bounds = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1], True]) if len(order) else np.array([0])
            for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
                h = parts[str(sorted_labels[start])]
                h.update(f"\0{table}\0{stop - start}\0".encode() + shape)
                h.update(np.ascontiguousarray(hashes[order[start:stop]]).tobytes())
        return {name: h.hexdigest() for name, h in parts.items()}
