"""Release diffs for the site: the records added, removed and changed between any two versions.

Scope: for every pair of published versions (older → newer; the latest :data:`MAX_VERSIONS` of
them, so a long history does not make the site grow as its square), compare the two releases
directly with the same code that writes ``changes.json`` (``pipeline.publish.versioning``): tables
and columns added, removed or retyped, and rows added, removed or changed by primary key, with the
added and removed records' values and each changed value before and after, plus the source files
added, removed or changed. Lists are cut at :data:`MAX_ROWS` per kind and table (the totals are
always given). Everything here only reads releases (already checked by ``collect``): it must not
write or render HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

from pipeline.publish import layout
from pipeline.publish.versioning import (
    Diff,
    Snapshot,
    TableChange,
    TableSnapshot,
    diff_snapshots,
    read_snapshot,
    structure_sentences,
    summary_lines,
)
from pipeline.site.collect import Release

MAX_VERSIONS = 12  # pairs among the 12 latest versions: at most 66 diff pages
MAX_ROWS = 200  # records listed per kind (added, removed, changed) and table
MAX_CELL = 400  # characters of a value shown


@dataclass
class Record:
    """An added or removed row: its key in words and its non-empty cells."""

    key: str
    cells: list[tuple[str, str]]


@dataclass
class Change:
    """A changed row: its key and, per changed column, the value before and after."""

    key: str
    fields: list[tuple[str, str, str]]


@dataclass
class TableDiff:
    name: str
    status: str
    rows_before: int
    rows_after: int
    structure: list[str]
    added: list[Record] = field(default_factory=list)
    removed: list[Record] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    added_total: int = 0
    removed_total: int = 0
    changed_total: int = 0


@dataclass
class PairDiff:
    old: str
    new: str
    bump: str
    summary: list[str]
    tables: list[TableDiff]
    sources: dict[str, list[dict]]

    @property
    def page(self) -> str:
        return pair_page(self.old, self.new)

    @property
    def changed_tables(self) -> list[TableDiff]:
        return [t for t in self.tables if t.status != "unchanged"]


def pair_page(old: str, new: str) -> str:
    return f"diff-{old}..{new}.html"


def _text(value: object) -> str:
    if value is None:
        return ""
    text = "true" if value is True else "false" if value is False else str(value)
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def _key_text(key: dict) -> str:
    return " / ".join(_text(v) for v in key.values())


def _records(snapshot: TableSnapshot | None, keys: list[dict]) -> list[Record]:
    if snapshot is None:
        return [Record(_key_text(k), []) for k in keys[:MAX_ROWS]]
    pk = snapshot.primary_key
    position = {key: i for i, key in enumerate(snapshot.keys(pk))}
    out = []
    for key in keys[:MAX_ROWS]:
        i = position.get(tuple(key[c] for c in pk))
        cells = [] if i is None else [(c, _text(v[i])) for c, v in snapshot.data.items() if c not in pk and v[i] is not None]
        out.append(Record(_key_text(key), cells))
    return out


def table_diff(change: TableChange, old: Snapshot, new: Snapshot) -> TableDiff:
    return TableDiff(
        name=change.table,
        status=change.status,
        rows_before=change.rows_before,
        rows_after=change.rows_after,
        structure=structure_sentences(change),
        added=_records(new.tables.get(change.table), change.added),
        removed=_records(old.tables.get(change.table), change.removed),
        changed=[
            Change(_key_text(row["key"]), [(c, _text(v["old"]), _text(v["new"])) for c, v in row["fields"].items()])
            for row in change.changed[:MAX_ROWS]
        ],
        added_total=len(change.added),
        removed_total=len(change.removed),
        changed_total=len(change.changed),
    )


def pair_diff(old_version: str, old: Snapshot, new_version: str, new: Snapshot) -> PairDiff:
    diff: Diff = diff_snapshots(old, new, old_version)
    return PairDiff(
        old=old_version,
        new=new_version,
        bump=diff.bump,
        summary=summary_lines(diff),
        tables=[table_diff(change, old, new) for change in diff.tables.values()],
        sources=diff.sources.to_dict(),
    )


def diff_versions(releases: list[Release]) -> list[str]:
    """The versions the site offers to compare (oldest first)."""
    versions = sorted((r.version for r in releases), key=layout.parse_version)
    return versions[-MAX_VERSIONS:]


def all_pairs(releases: list[Release]) -> list[PairDiff]:
    """The diff of every pair of :func:`diff_versions` (older → newer), each release read once."""
    versions = diff_versions(releases)
    paths = {r.version: r.path for r in releases}
    snapshots = {v: read_snapshot(paths[v]) for v in versions}
    return [pair_diff(a, snapshots[a], b, snapshots[b]) for a, b in combinations(versions, 2)]
