"""What a candidate may take over from the previous one: its unchanged tables' written files.

Scope: the staging manifest (``staging/.staging.json``, :class:`StagingManifest`, one typed model
for its writer and its reader), the content digest of a table as it is written (:func:`table_digest`)
and the decision to reuse a file of the previous candidate (:class:`Previous`). A candidate's
``data/<table>.csv`` and ``data/<table>.parquet`` are a function of the table's Arrow rows and schema,
the code that writes them and the libraries it uses (the writers are deterministic: the reproducibility
tests hold them to it), so a table whose digest, code version and libraries equal those the manifest
records can take the previous candidate's files instead of writing them again: the same bytes.

A previous file is reused only when all of these hold, else everything is written again:
the manifest reads as this model and format; it was written by the same code version, libraries
and ``outputs`` folder (a staging folder copied from elsewhere does not qualify); the file is the one
the manifest describes (same inode, size and modification time) and its sha256 is still the one
recorded (read again here: a hand edit that kept the size and time is caught too). The manifest
is written last, after ``SHA256SUMS``, only into a publishable build: a blocked or interrupted run
leaves none, so the files of a candidate that never was are never taken over. Reused files are
hard links (the writers replace files by renaming, never write into one, and a release copies its
files) or copies where links are refused. When some table changed, the previous database may
still be the start of this one (:meth:`Previous.database`: the file as recorded, built from the
tables the manifest lists), copied and brought up to date by ``pipeline.publish.database``, never
written in place. It must not decide what is valid or write data itself.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from pipeline.artifacts import Artifact
from pipeline.fsutil import sha256_file
from pipeline.publish.layout import STAGING_MANIFEST as MANIFEST_NAME

_SEEDS = (0x9E3779B97F4A7C15, 0x632BE59BD9B4E019)  # two independent 64-bit hashes per row


class FileRecord(Artifact):
    """A written file of the candidate (path relative to the candidate) and what identifies it."""

    path: str
    sha256: str
    bytes: int
    inode: int
    mtime_ns: int


class TableRecord(Artifact):
    """A published table: the digest of the rows its files were written from, and the files;
    ``check``: the digest of what the Frictionless check of its file read (:func:`check_digests`)
    and ``findings`` that check's findings about the file (``Finding.to_dict``)."""

    digest: str
    rows: int
    files: list[FileRecord]
    check: str | None = None
    findings: list[dict[str, Any]] | None = None


class StagingManifest(Artifact):
    """``staging/.staging.json``: what the candidate's data files were written from."""

    format: Literal["geneva-digital-atlas/staging-manifest/1"] = "geneva-digital-atlas/staging-manifest/1"
    code_version: str
    outputs_dir: str
    tables: dict[str, TableRecord]
    database: TableRecord | None = None  # digest: of every table's digest, in order, and the file name


def libraries() -> str:
    from importlib.metadata import version

    return ";".join(f"{d}={version(d)}" for d in ("pyarrow", "polars", "duckdb", "pandas", "frictionless"))


def table_digest(table: pa.Table) -> str:
    """sha256 of an Arrow table's schema (with its metadata) and rows: two 64-bit polars row
    hashes per row, in row order (the files are written in that order)."""
    import polars as pl

    digest = hashlib.sha256(table.schema.serialize().to_pybytes())
    digest.update(f"\0{table.num_rows}\0".encode())
    if table.num_rows and table.num_columns:
        frame = pl.from_arrow(table, rechunk=False)
        assert isinstance(frame, pl.DataFrame)
        for seed in _SEEDS:
            digest.update(frame.hash_rows(seed=seed).to_numpy().tobytes())
    return digest.hexdigest()


def check_digests(arrows: Mapping[str, pa.Table], digests: Mapping[str, str], foreign_keys: Mapping[str, Sequence[dict]],
                  places: tuple[str, Sequence[str]]) -> dict[str, str]:
    """table → digest of everything the Frictionless check of its file reads
    (``pipeline.validate.written``): the table's own rows (row checks, unique fields, primary key,
    the cells and notes of its errors), the referenced columns of the tables its ``foreign_keys``
    point at (the only cells of another file a foreign-key check compares), and ``places``
    (table, columns) that locate a finding's row in its source file (the organisations' files)."""
    columns: dict[tuple[str, tuple[str, ...]], str] = {}

    def of(table: str, names: Sequence[str]) -> str:
        key = (table, tuple(names))
        if key not in columns:
            data = arrows.get(table)
            present = data is not None and all(n in data.column_names for n in names)
            columns[key] = table_digest(data.select(list(names))) if data is not None and present else "absent"
        return f"{table}:{','.join(names)}={columns[key]}"

    out = {}
    for name, digest in digests.items():
        parts = [name, digest, of(*places)]
        parts += [of(fk["reference"].get("resource") or name, list(fk["reference"]["fields"])) for fk in foreign_keys.get(name, [])]
        out[name] = hashlib.sha256("\0".join(parts).encode()).hexdigest()
    return out


def combined_digest(digests: dict[str, str], name: str) -> str:
    return hashlib.sha256("\0".join([name, *(f"{t}={d}" for t, d in digests.items())]).encode()).hexdigest()


def file_record(root: Path, rel: str) -> FileRecord:
    """The record of ``root/rel`` (its sha256 from :func:`sha256_file`, reused when this process
    already read the unchanged file, e.g. for ``SHA256SUMS``)."""
    path = root / rel
    st = path.stat()
    return FileRecord(path=rel, sha256=sha256_file(path, reuse=True), bytes=st.st_size, inode=st.st_ino, mtime_ns=st.st_mtime_ns)


@dataclass(frozen=True)
class Previous:
    """The previous candidate (``folder``) and its manifest, when both can be trusted for this run."""

    folder: Path
    manifest: StagingManifest

    @classmethod
    def find(cls, staging: Path, outputs_dir: Path, code_version: str) -> Previous | None:
        """The candidate in ``staging`` when its manifest was written by this code version and
        libraries for ``outputs_dir``; None otherwise (then everything is written)."""
        try:
            manifest = StagingManifest.read(staging / MANIFEST_NAME)
        except (FileNotFoundError, ValueError):
            return None
        if manifest.code_version != full_version(code_version) or manifest.outputs_dir != str(outputs_dir.resolve()):
            return None
        return cls(staging, manifest)

    def database(self, digests: Mapping[str, str]) -> tuple[Path, str, list[str]] | None:
        """The previous database file, the sha256 it was recorded with and the tables whose digest
        differs from ``digests`` (this build's), when the manifest describes that file as built from
        the tables it records and the file is still the one recorded: the start of this build's
        database (``pipeline.publish.database.update_database``, which checks the sha256 as it
        copies). None otherwise."""
        record = self.manifest.database
        previous = {name: table.digest for name, table in self.manifest.tables.items()}
        if record is None or len(record.files) != 1 or list(previous) != list(digests):
            return None
        file = record.files[0]
        if record.digest != combined_digest(previous, file.path) or not _same_file(self.folder / file.path, file):
            return None
        return self.folder / file.path, file.sha256, [name for name, digest in digests.items() if previous[name] != digest]

    def take(self, record: TableRecord | None, digest: str, build: Path) -> bool:
        """Link (or copy) the files of ``record`` into ``build`` when its digest is ``digest`` and
        every file is still the one recorded; True when all were taken. On False nothing of it
        is left in ``build``."""
        if record is None or record.digest != digest:
            return False
        taken: list[Path] = []
        for f in record.files:
            source, target = self.folder / f.path, build / f.path
            if not _same_file(source, f):
                break
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(source, target)
            except OSError:
                shutil.copy2(source, target)
            taken.append(target)
            if sha256_file(target, reuse=True) != f.sha256:  # the bytes, read once (SHA256SUMS reuses it)
                break
        else:
            return True
        for path in taken:
            path.unlink(missing_ok=True)
        return False


def _same_file(path: Path, record: FileRecord) -> bool:
    try:
        st = path.stat()
    except OSError:
        return False
    same = (st.st_ino, st.st_size, st.st_mtime_ns) == (record.inode, record.bytes, record.mtime_ns)
    return same and path.is_file() and not path.is_symlink()


def full_version(code_version: str) -> str:
    """The code version a manifest records: the caller's (its modules' digest) and the libraries'."""
    return f"{code_version};{libraries()}"
