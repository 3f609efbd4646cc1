"""``CHANGELOG.md``: the changes of every release in words, newest first.

Scope: render one release's entry from a :class:`~pipeline.publish.versioning.Diff` (summary, then
per table the keys added and removed and the values changed, shortened, with ``changes.json`` as the
complete record) and prepend it to the entries of the previous release's changelog. Values from the
profiles are escaped so that no Markdown or HTML in them takes effect. It must not compute the diff
or write files.
"""

from __future__ import annotations

import re

from pipeline.markdown import md_text
from pipeline.publish.versioning import Diff, TableChange, structure_sentences, summary_lines

CHANGELOG_NAME = "CHANGELOG.md"
MAX_KEYS = 20
MAX_VALUE = 80

BUMP_WORDS = {
    "initial": "First release",
    "major": "Major release (breaking: a table or column removed, retyped or re-keyed)",
    "minor": "Minor release (tables, columns or rows added, or rows removed)",
    "patch": "Patch release (values, descriptions or editors' corrections changed only)",
    "none": "No change",
}


def value_text(value: object, limit: int = MAX_VALUE) -> str:
    """A cell value as inert Markdown text (``(empty)`` for a missing or blank value)."""
    text = "" if value is None else md_text(value, limit)
    return text or "(empty)"


def key_text(key: dict) -> str:
    return " / ".join(value_text(v, 60) for v in key.values())


def header(title: str) -> str:
    return (
        f"# Changelog: {title}\n\n"
        "Versions are computed from the data, not typed: a removed table or column, a changed column type"
        " or a redefined primary key make a major release; added tables, columns or rows, or removed rows,"
        " a minor release; changed values or descriptions, or editors' corrections (rows of a provenance table"
        " such as `corrections`) only, a patch release. Each release's"
        " `changes.json` lists every primary key added, removed or changed, with the old and new values.\n"
    )


def _list(title: str, items: list[str], total: int) -> list[str]:
    lines = [f"{title}:", ""] + [f"- {item}" for item in items]
    if total > len(items):
        lines.append(f"- … and {total - len(items)} more (see `changes.json`)")
    return lines + [""]


def _structure_lines(change: TableChange) -> list[str]:
    lines = [f"- {sentence}" for sentence in structure_sentences(change)]
    return [*lines, ""] if lines else []


def _changed_values(change: TableChange, max_keys: int) -> list[str]:
    items = []
    for row in change.changed[:max_keys]:
        fields = "; ".join(f"`{col}`: {value_text(v['old'])} → {value_text(v['new'])}" for col, v in row["fields"].items())
        items.append(f"{key_text(row['key'])}: {fields}")
    return _list(f"Changed values ({len(change.changed)})", items, len(change.changed))


def table_section(change: TableChange, max_keys: int = MAX_KEYS) -> list[str]:
    if change.status == "unchanged":
        return []
    lines = [f"### `{change.table}`", ""]
    if change.status in ("added", "removed"):
        rows = change.rows_after if change.status == "added" else change.rows_before
        return lines + [f"Table {change.status} ({rows} row{'' if rows == 1 else 's'}).", ""]
    lines += _structure_lines(change)
    if change.added:
        lines += _list(f"Added ({len(change.added)})", [key_text(k) for k in change.added[:max_keys]], len(change.added))
    if change.removed:
        lines += _list(f"Removed ({len(change.removed)})", [key_text(k) for k in change.removed[:max_keys]], len(change.removed))
    if change.changed:
        lines += _changed_values(change, max_keys)
    return lines


def source_section(diff: Diff, max_keys: int = MAX_KEYS) -> list[str]:
    """The raw source files added, removed and changed, with their sha256 (``changes.json`` has them all)."""
    src = diff.sources
    items = [f"Added `{md_text(s['path'])}` (sha256 `{s['sha256']}`)" for s in src.added]
    items += [f"Removed `{md_text(s['path'])}` (sha256 `{s['sha256']}`)" for s in src.removed]
    items += [f"Changed `{md_text(s['path'])}`: sha256 `{s['old_sha256']}` → `{s['new_sha256']}`" for s in src.changed]
    if not items:
        return []
    return ["### Source files", "", *_list("Source files", items[:max_keys], len(items))[2:]]


def entry(diff: Diff, version: str, date: str, *, max_keys: int = MAX_KEYS) -> str:
    """The changelog entry of ``version`` (``date`` as YYYY-MM-DD)."""
    bump = diff.bump
    intro = BUMP_WORDS[bump]
    if diff.previous_version:
        intro += f", compared with {diff.previous_version}"
    lines = [f"## {version} ({date})", ""]
    if bump == "initial":
        lines += [summary_lines(diff)[0], ""]
        lines += [f"- `{c.table}`: {c.rows_after} row{'' if c.rows_after == 1 else 's'}" for c in diff.tables.values()]
        lines += ["", *source_section(diff, max_keys)]
        return "\n".join(lines).rstrip("\n") + "\n"
    lines += [intro + ".", ""]
    lines += [f"- {line}" for line in summary_lines(diff)] + [""]
    for change in diff.tables.values():
        lines += table_section(change, max_keys)
    lines += source_section(diff, max_keys)
    return "\n".join(lines).rstrip("\n") + "\n"


def earlier_entries(previous_changelog: str | None) -> str:
    """The release entries of an existing changelog (everything from its first ``## `` heading)."""
    if not previous_changelog:
        return ""
    match = re.search(r"^## ", previous_changelog, flags=re.MULTILINE)
    return previous_changelog[match.start() :] if match else ""


def changelog(title: str, new_entry: str | None, previous_changelog: str | None) -> str:
    """The whole ``CHANGELOG.md``: header, the new entry (if any), then every earlier entry."""
    parts = [header(title)]
    if new_entry:
        parts.append(new_entry)
    earlier = earlier_entries(previous_changelog)
    if earlier:
        parts.append(earlier)
    return "\n".join(p.rstrip("\n") + "\n" for p in parts)
