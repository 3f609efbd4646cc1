"""The correction entry an editor would add for a finding, as YAML ready to paste into the
corrections file.

Scope: :func:`suggested_entry` turns a correctable finding (a report entry with a table, the row's
key and a column, about a cell corrections may change, still open) into the text of one entry of
the corrections file in the documented layout (items indented under ``corrections:``). Where the
finding flags a value, the entry names it as ``source_value`` and offers ``replace`` with the same
text for the editor to change: applied as it is, it changes nothing (``correction-unneeded``), and
it goes stale by itself when the publisher's text changes. Without a value it offers
``value: null`` to fill in. ``editor`` is left empty: an entry nobody signed is skipped with a
finding, so a pasted entry cannot take effect unread. Strings are YAML double-quoted (every
character escaped as YAML needs), so what the editor pastes reads back exactly. It must not read
files or tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from pipeline.corrections.cells import ORG, correctable_columns, correctable_tables
from pipeline.corrections.entries import LIST_KEY, UNRESOLVED_RULES
from pipeline.findings import RULES

INDENT = "  "  # items of the `corrections:` list, as the documented file has them
# Rules that flag an empty cell (their value names the heading, not text of the cell): the entry
# offers a whole value to write.
EMPTY_CELL_RULES = frozenset({"empty-section"})


def quoted(value: object) -> str:
    """A YAML double-quoted scalar holding ``str(value)`` exactly."""
    return yaml.safe_dump(str(value), allow_unicode=True, default_style='"', width=float("inf")).rstrip("\n")


def suggested_entry(finding: Mapping[str, Any], *, date: str | None = None) -> str | None:
    """The entry (several lines, no trailing newline) that corrects the finding's cell, or None when
    the finding names no cell a correction may change. ``date``: the entry's date (YYYY-MM-DD)."""
    if finding.get("status", "open") != "open" or finding.get("rule") in UNRESOLVED_RULES:
        return None
    table = correctable_tables().get(str(finding.get("table") or ""))
    column = finding.get("column")
    key = finding.get("key") or {}
    if table is None or column not in correctable_columns(table) or any(key.get(c) in (None, "") for c in table.primary_key):
        return None
    lines = [f"- organization: {quoted(key[ORG])}", f"table: {table.name}"]
    others = table.primary_key[1:]
    if others:
        lines.append("key: {" + ", ".join(f"{c}: {quoted(key[c])}" for c in others) + "}")
    lines.append(f"column: {column}")
    value = finding.get("value")
    if value not in (None, "") and finding.get("rule") not in EMPTY_CELL_RULES:
        lines.append(f"source_value: {quoted(value)}  # what the source says now; the entry goes stale when that changes")
        lines.append(f"replace: {quoted(value)}  # <- write the corrected text here")
    else:
        lines.append("value: null  # <- write the value to publish here")
    rule = RULES.get(str(finding.get("rule")))
    lines.append(f"reason: {quoted(rule.title if rule else finding.get('rule'))}  # <- say why the new value is right")
    lines.append('editor: ""  # <- your name (an entry without one is skipped)')
    lines.append(f"date: {date}" if date else 'date: ""  # <- YYYY-MM-DD')
    return "\n".join(INDENT + (line if i == 0 else "  " + line) for i, line in enumerate(lines))


def wrap(entries: list[str]) -> str:
    """A whole corrections file holding ``entries`` (what a new file starts as)."""
    return f"{LIST_KEY}:\n" + "\n".join(entries) + "\n"
