"""Semantic versions computed from the data: what changed since the latest release, and how much.

Scope: read a release-shaped folder (``datapackage.json`` + ``data/<table>.parquet``) or freshly
written tables into a snapshot, compare two snapshots table by table (tables and columns added,
removed or retyped; rows added, removed or changed by primary key, with old and new values) and
derive the version bump:

- major: a table or column removed, a column's type changed, a primary key redefined;
- minor: a table, column or row added, or a row removed (the schema still reads the same way);
- patch: values changed only, or descriptive metadata (titles, descriptions, constraints, licence),
  or the raw source files (added, removed or changed: their paths and sha256 are the provenance
  the descriptor records), or rows added to or removed from a provenance table (``provenance: true``
  in its schema: the editors' corrections, whose rows record why values changed, not new records);
- none: nothing changed, so nothing is released.

It also renders ``changes.json``, whose ``sources`` lists the source files added, removed and
changed with their sha256. It must not write files or decide whether data is valid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from pipeline.config import ReleaseConfig, release_config
from pipeline.publish.arrow import read_parquet_table
from pipeline.publish.datapackage import published_schemas, read_datapackage, table_resources
from pipeline.publish.layout import parquet_path, parse_version
from pipeline.schemas import TableSchema, load_schemas

Bump = Literal["major", "minor", "patch", "none", "initial"]
_ORDER: tuple[Bump, ...] = ("none", "patch", "minor", "major")
FIRST_VERSION = "1.0.0"
# Package-level properties whose change alone is a patch release.
META_KEYS = ("name", "title", "description", "homepage", "keywords", "licenses", "contributors")


# -- versions --------------------------------------------------------------------------------------


def next_version(previous: str | None, bump: Bump) -> str:
    """The version after ``previous`` for ``bump`` (``previous`` itself for ``none``)."""
    if previous is None:
        return FIRST_VERSION
    major, minor, patch = parse_version(previous)
    if bump == "major":
        return f"{major + 1}.0.0"
    if bump == "minor":
        return f"{major}.{minor + 1}.0"
    if bump == "patch":
        return f"{major}.{minor}.{patch + 1}"
    return previous


# -- snapshots -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableSnapshot:
    """One table's schema and values: ``data`` maps each column to its values as Python objects
    (``None`` for missing), all columns the same length."""

    name: str
    schema: dict  # the Table Schema descriptor
    data: dict[str, list]

    @classmethod
    def from_frame(cls, name: str, schema: dict, frame: pd.DataFrame) -> TableSnapshot:
        return cls(name, schema, {c: [plain(v) for v in frame[c].tolist()] for c in frame.columns})

    @property
    def fields(self) -> list[dict]:
        return list(self.schema.get("fields", []))

    @property
    def primary_key(self) -> list[str]:
        pk = self.schema.get("primaryKey", [])
        return [pk] if isinstance(pk, str) else list(pk)

    @property
    def rows(self) -> int:
        return len(next(iter(self.data.values()), []))

    def keys(self, pk: list[str]) -> list[tuple]:
        return list(zip(*(self.data[c] for c in pk), strict=True)) if pk else [()] * self.rows


@dataclass(frozen=True)
class Snapshot:
    tables: dict[str, TableSnapshot]
    meta: dict
    sources: dict[str, dict] = field(default_factory=dict)  # raw source path → {"sha256", "bytes"}


def descriptor_sources(descriptor: dict) -> dict[str, dict]:
    """The raw source files a descriptor records (``sources`` entries with a ``file`` and a sha256 ``hash``)."""
    out = {}
    for entry in descriptor.get("sources", []):
        path, digest = entry.get("file"), str(entry.get("hash", ""))
        if isinstance(path, str) and digest.startswith("sha256:"):
            out[path] = {"sha256": digest.removeprefix("sha256:"), "bytes": entry.get("bytes")}
    return out


def config_meta(config: ReleaseConfig | None = None) -> dict:
    cfg = config or release_config()
    meta = {
        "name": cfg.name,
        "title": cfg.title,
        "description": cfg.description,
        "homepage": cfg.homepage,
        "keywords": list(cfg.keywords),
        "licenses": [dict(x) for x in cfg.licenses],
        "contributors": [dict(x) for x in cfg.contributors],
    }
    return {k: v for k, v in meta.items() if v is not None}


def read_snapshot(
    root: Path,
    tables: Iterable[TableSchema] | None = None,
    *,
    config: ReleaseConfig | None = None,
    sources: Iterable[dict] = (),
    keys_only: bool = False,
) -> Snapshot:
    """The published tables under ``root``: schemas from ``tables`` when given (a build in progress,
    metadata from the configuration, ``sources`` the raw files read), else from
    ``root/datapackage.json`` (a candidate or release). ``keys_only``: read the primary-key columns
    only (all a first release's diff compares), not every value."""
    if tables is not None:
        schemas = {t.name: dict(t.descriptor) for t in published_schemas(tables)}
        meta = config_meta(config)
        files = {s["path"]: {"sha256": s["sha256"], "bytes": s.get("bytes")} for s in sources}
    else:
        descriptor = read_datapackage(root)
        schemas = {name: r["schema"] for name, r in table_resources(descriptor).items()}
        meta = {k: descriptor[k] for k in META_KEYS if k in descriptor}
        files = descriptor_sources(descriptor)
    snap = {name: TableSnapshot(name, schema, _read_columns(root / parquet_path(name), schema, keys_only))
            for name, schema in schemas.items()}
    return Snapshot(snap, meta, files)


def _read_columns(path: Path, schema: dict, keys_only: bool) -> dict[str, list]:
    if not keys_only:
        return read_parquet_table(path).to_pydict()
    pk = schema.get("primaryKey", [])
    pk = [pk] if isinstance(pk, str) else list(pk)
    first = [f["name"] for f in schema.get("fields", [])][:1]
    return read_parquet_table(path, columns=pk or first).to_pydict()


# -- diff ------------------------------------------------------------------------------------------


def plain(value: object) -> object:
    """A cell as a JSON value (``None`` for missing)."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


@dataclass
class TableChange:
    table: str
    status: Literal["added", "removed", "changed", "unchanged"]
    rows_before: int
    rows_after: int
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    columns_retyped: list[dict] = field(default_factory=list)
    primary_key_changed: bool = False
    schema_changed: bool = False  # descriptive changes (titles, descriptions, constraints, order)
    added: list[dict] = field(default_factory=list)  # primary keys
    removed: list[dict] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)  # {"key": {...}, "fields": {col: {"old", "new"}}}
    provenance: bool = False  # a provenance table: rows added or removed are a patch

    @property
    def bump(self) -> Bump:
        if self.status == "removed" or self.columns_removed or self.columns_retyped or self.primary_key_changed:
            return "major"
        if self.status == "added" or self.columns_added or ((self.added or self.removed) and not self.provenance):
            return "minor"
        if self.changed or self.schema_changed or self.added or self.removed:
            return "patch"
        return "none"

    def to_dict(self) -> dict:
        return {
            "status": self.status,
            "rows": {"before": self.rows_before, "after": self.rows_after},
            "columns_added": self.columns_added,
            "columns_removed": self.columns_removed,
            "columns_retyped": self.columns_retyped,
            "primary_key_changed": self.primary_key_changed,
            "schema_changed": self.schema_changed,
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
        }


@dataclass
class SourceChanges:
    """Raw source files added, removed and changed (by path) between two snapshots."""

    added: list[dict] = field(default_factory=list)  # {"path", "sha256", "bytes"}
    removed: list[dict] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)  # {"path", "old_sha256", "new_sha256", "old_bytes", "new_bytes"}

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def to_dict(self) -> dict:
        return {"added": self.added, "removed": self.removed, "changed": self.changed}


def diff_sources(old: dict[str, dict], new: dict[str, dict]) -> SourceChanges:
    out = SourceChanges()
    for path in sorted(set(old) | set(new)):
        before, after = old.get(path), new.get(path)
        if before is None and after is not None:
            out.added.append({"path": path, **after})
        elif after is None and before is not None:
            out.removed.append({"path": path, **before})
        elif before is not None and after is not None and before["sha256"] != after["sha256"]:
            out.changed.append(
                {
                    "path": path,
                    "old_sha256": before["sha256"],
                    "new_sha256": after["sha256"],
                    "old_bytes": before.get("bytes"),
                    "new_bytes": after.get("bytes"),
                }
            )
    return out


@dataclass
class Diff:
    previous_version: str | None
    tables: dict[str, TableChange]
    metadata_changed: list[str] = field(default_factory=list)
    sources: SourceChanges = field(default_factory=SourceChanges)

    @property
    def bump(self) -> Bump:
        if self.previous_version is None:
            return "initial"
        levels = [t.bump for t in self.tables.values()] + (["patch"] if self.metadata_changed or self.sources else [])
        return max(levels, key=_ORDER.index, default="none")

    @property
    def version(self) -> str:
        return next_version(self.previous_version, self.bump)


def _key_dicts(keys: Iterable[tuple], pk: list[str]) -> list[dict]:
    return [dict(zip(pk, key, strict=True)) for key in keys]


def _types(snapshot: TableSnapshot) -> dict[str, str]:
    return {f["name"]: f.get("type", "string") for f in snapshot.fields}


def _unique_keys(snapshot: TableSnapshot, pk: list[str], side: str) -> list[tuple]:
    keys = snapshot.keys(pk)
    if len(set(keys)) != len(keys):
        raise ValueError(f"{snapshot.name} ({side}): {len(keys) - len(set(keys))} row(s) repeat a primary key {pk}; cannot compare")
    return keys


def _same(a: object, b: object) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and a != a and b != b)


def diff_table(old: TableSnapshot | None, new: TableSnapshot | None) -> TableChange:
    """How one table changed from ``old`` to ``new`` (either may be missing)."""
    if old is None and new is None:
        raise ValueError("nothing to compare")
    if old is None:
        assert new is not None
        return TableChange(new.name, "added", 0, new.rows, added=_key_dicts(new.keys(new.primary_key), new.primary_key))
    if new is None:
        return TableChange(old.name, "removed", old.rows, 0, removed=_key_dicts(old.keys(old.primary_key), old.primary_key))
    old_types, new_types = _types(old), _types(new)
    change = TableChange(new.name, "unchanged", old.rows, new.rows)
    change.columns_added = [c for c in new_types if c not in old_types]
    change.columns_removed = [c for c in old_types if c not in new_types]
    change.columns_retyped = [
        {"column": c, "old": old_types[c], "new": new_types[c]} for c in new_types if c in old_types and old_types[c] != new_types[c]
    ]
    change.primary_key_changed = old.primary_key != new.primary_key
    structural = change.columns_added or change.columns_removed or change.columns_retyped or change.primary_key_changed
    change.schema_changed = not structural and old.schema != new.schema
    if not change.primary_key_changed:
        pk = new.primary_key
        old_keys = _unique_keys(old, pk, "previous release")
        new_keys = _unique_keys(new, pk, "candidate")
        old_pos = {key: i for i, key in enumerate(old_keys)}
        new_set = set(new_keys)
        change.added = _key_dicts((k for k in new_keys if k not in old_pos), pk)
        change.removed = _key_dicts((k for k in old_keys if k not in new_set), pk)
        compared = [(c, old.data[c], new.data[c]) for c in new_types if c in old_types and c not in pk and old_types[c] == new_types[c]]
        for j, key in enumerate(new_keys):
            i = old_pos.get(key)
            if i is None:
                continue
            fields = {c: {"old": before[i], "new": after[j]} for c, before, after in compared if not _same(before[i], after[j])}
            if fields:
                change.changed.append({"key": dict(zip(pk, key, strict=True)), "fields": fields})
    if change.bump != "none":
        change.status = "changed"
    return change


def diff_snapshots(previous: Snapshot | None, current: Snapshot, previous_version: str | None) -> Diff:
    """Every published table compared; ``previous`` None means a first release."""
    if previous is None:
        tables = {name: diff_table(None, t) for name, t in current.tables.items()}
        return Diff(None, tables, sources=diff_sources({}, current.sources))
    names = list(current.tables) + [n for n in previous.tables if n not in current.tables]
    tables = {n: diff_table(previous.tables.get(n), current.tables.get(n)) for n in names}
    contract = load_schemas()
    for name, change in tables.items():
        change.provenance = name in contract and contract[name].provenance
    meta = sorted(k for k in META_KEYS if previous.meta.get(k) != current.meta.get(k))
    return Diff(previous_version, tables, meta, diff_sources(previous.sources, current.sources))


def structure_sentences(change: TableChange) -> list[str]:
    """How a table's structure changed, one Markdown sentence each (the changelog and the site's
    version comparison both say it this way)."""
    lines = [f"Column `{c}` added." for c in change.columns_added]
    lines += [f"Column `{c}` removed." for c in change.columns_removed]
    lines += [f"Column `{r['column']}` changed type from {r['old']} to {r['new']}." for r in change.columns_retyped]
    if change.primary_key_changed:
        lines.append("Primary key redefined.")
    if change.schema_changed:
        lines.append("Schema description or constraints changed.")
    return lines


# -- changes.json ----------------------------------------------------------------------------------


def _breaking_lines(t: TableChange) -> list[str]:
    lines = [f"Table `{t.table}` removed."] if t.status == "removed" else []
    lines += [f"Column `{t.table}.{c}` removed." for c in t.columns_removed]
    lines += [f"Column `{t.table}.{r['column']}` changed type from {r['old']} to {r['new']}." for r in t.columns_retyped]
    return lines + ([f"Primary key of `{t.table}` redefined."] if t.primary_key_changed else [])


def _additive_lines(t: TableChange) -> list[str]:
    if t.status == "added":
        return [f"Table `{t.table}` added ({t.rows_after} rows)."]
    lines = [f"Column `{t.table}.{c}` added." for c in t.columns_added]
    if t.added and t.status != "removed":
        lines.append(f"`{t.table}`: {_n(len(t.added), 'row')} added.")
    if t.removed and t.status != "removed":
        lines.append(f"`{t.table}`: {_n(len(t.removed), 'row')} removed.")
    return lines


def _value_lines(t: TableChange) -> list[str]:
    lines = [f"`{t.table}`: {_n(len(t.changed), 'row')} with changed values."] if t.changed else []
    return lines + ([f"`{t.table}`: schema description or constraints changed."] if t.schema_changed else [])


def summary_lines(diff: Diff) -> list[str]:
    """One sentence per kind of change, most significant first (used by the changelog too)."""
    if diff.previous_version is None:
        rows = sum(t.rows_after for t in diff.tables.values())
        return [f"First release: {len(diff.tables)} tables, {rows} rows."]
    lines = []
    for kind in (_breaking_lines, _additive_lines, _value_lines):
        for t in diff.tables.values():
            lines += kind(t)
    if diff.metadata_changed:
        lines.append("Dataset metadata changed: " + ", ".join(diff.metadata_changed) + ".")
    lines += source_lines(diff.sources)
    return lines or ["No change."]


def source_lines(sources: SourceChanges) -> list[str]:
    """The source-file changes in words (one sentence per kind)."""
    lines = []
    for kind, items in (("added", sources.added), ("removed", sources.removed), ("changed", sources.changed)):
        if items:
            names = ", ".join(f"`{s['path']}`" for s in items[:10]) + (f" and {len(items) - 10} more" if len(items) > 10 else "")
            lines.append(f"Source {'file' if len(items) == 1 else 'files'} {kind}: {names}.")
    return lines


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def changes_document(diff: Diff, version: str | None = None) -> dict:
    """The content of ``changes.json``."""
    return {
        "version": version or diff.version,
        "previous_version": diff.previous_version,
        "bump": diff.bump,
        "summary": summary_lines(diff),
        "metadata_changed": diff.metadata_changed,
        "sources": diff.sources.to_dict(),
        "tables": {name: change.to_dict() for name, change in diff.tables.items()},
    }
