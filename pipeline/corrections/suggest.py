"""The correction entry an editor would add for a finding, as YAML ready to paste into the
corrections file.

Scope: :func:`suggested_entry` turns a correctable finding (a report entry with a table, the row's
key and a column, about a cell corrections may change, still open) into the text of one entry of
the corrections file in the documented layout (items indented under ``corrections:``). Where the
finding flags a value, the entry names it as ``source_value`` and offers ``replace`` with the same
text for the editor to change: applied as it is, it changes nothing (``correction-unneeded``), and
it goes stale by itself when the publisher's text changes. Without a value it offers
``value: null`` to fill in. ``editor`` (and ``date`` when the report has none) is left empty: an
entry nobody signed is skipped with a finding, so a pasted entry cannot take effect unread.
Values are the shortest YAML scalars that read back exactly (plain where YAML allows, quoted where
it must be), so what the editor pastes reads back as the finding's text. It must not read files or
tables.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import yaml

from pipeline.corrections.cells import ORG, correctable_columns, correctable_tables
from pipeline.corrections.entries import LIST_KEY, UNRESOLVED_RULES
from pipeline.findings import RULES

INDENT = "  "  # items of the `corrections:` list, as the documented file has them
_DOUBLE = "\n\r\t\x85\u2028\u2029\ufeff"  # characters only a double-quoted scalar keeps on one line
_DOUBLE_CHARS = re.compile(f"[{re.escape(_DOUBLE)}]")
# Rules that flag an empty cell (their value names the heading, not text of the cell): the entry
# offers a whole value to write.
EMPTY_CELL_RULES = frozenset({"empty-section"})
# Text YAML's emitter always writes plain: a letter first (no indicator), printable, no edge space,
# no ': ' or ' #' and no ':' at the end — unless its resolver reads it as another type (null, true,
# no…). The fast path of :func:`scalar`: no YAML dump per value (a report has tens of thousands).
_PLAIN = re.compile(r"[^\W\d_](?:[^\u2028\u2029\ufeff]*[^\s:])?")
_STR_TAG = "tag:yaml.org,2002:str"


def quoted(value: object) -> str:
    """A YAML double-quoted scalar holding ``str(value)`` exactly, on one line; invisible format
    characters (a soft hyphen, a bidirectional override) escaped too, so the entry shows them."""
    dumped = yaml.safe_dump(str(value), allow_unicode=True, default_style='"', width=float("inf")).rstrip("\n")
    return "".join(f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Cf", "Cc") else c for c in dumped)


def scalar(value: object) -> str:
    """``str(value)`` as a YAML scalar that reads back exactly, on one line: plain where YAML surely
    allows it (see ``_PLAIN``), else single-quoted (a ': ' or ' #', a leading digit, quote or
    indicator, a word YAML would read as null or true), double-quoted for line breaks, controls,
    invisible characters and edge spaces. No YAML dump per value: a report has tens of thousands
    (and repeats its values: rule titles, organisation ids; hence the cache)."""
    return _scalar(str(value))


@lru_cache(maxsize=1 << 16)
def _scalar(text: str) -> str:
    if _plain(text):
        return text
    if text != text.strip() or _DOUBLE_CHARS.search(text) or not text.isprintable():
        return quoted(text)
    return "'" + text.replace("'", "''") + "'"


def _plain(text: str) -> bool:
    """True when YAML's dump of ``text`` is ``text`` itself (see ``_PLAIN``)."""
    return (
        _PLAIN.fullmatch(text) is not None
        and text.isprintable()
        and ": " not in text
        and " #" not in text
        and _resolver().resolve(yaml.ScalarNode, text, (True, False)) == _STR_TAG
    )


@lru_cache(maxsize=1)
def _resolver() -> yaml.resolver.Resolver:
    return yaml.resolver.Resolver()


def _flow(value: object) -> str:
    """A scalar inside a flow mapping (``key: {...}``), where ``,[]{}`` must be quoted too."""
    text = scalar(value)
    return quoted(value) if not text.startswith(("'", '"')) and any(c in text for c in ",[]{}") else text


def suggested_entry(finding: Mapping[str, Any], *, date: str | None = None) -> str | None:
    """The entry (several lines, no trailing newline) that corrects the finding's cell, or None when
    the finding names no cell a correction may change. ``date``: the entry's date (YYYY-MM-DD)."""
    if finding.get("status", "open") != "open" or finding.get("rule") in UNRESOLVED_RULES:
        return None
    table = correctable_tables().get(str(finding.get("table") or ""))
    column = finding.get("column")
    key = finding.get("key") or {}
    if table is None or column not in correctable_columns(table):
        return None
    primary_key = table.primary_key
    if any(key.get(c) in (None, "") for c in primary_key):
        return None
    lines = [f"- organization: {scalar(key[ORG])}", f"table: {table.name}"]
    others = primary_key[1:]
    if others:
        lines.append("key: {" + ", ".join([f"{c}: {_flow(key[c])}" for c in others]) + "}")
    lines.append(f"column: {column}")
    value = finding.get("value")
    if value not in (None, "") and finding.get("rule") not in EMPTY_CELL_RULES:
        lines.append(f"source_value: {scalar(value)}")
        lines.append(f"replace: {scalar(value)}  # ← the corrected text")
    else:
        lines.append("value: null  # ← the value to publish")
    rule = RULES.get(str(finding.get("rule")))
    lines.append(f"reason: {scalar(rule.title if rule else finding.get('rule'))}")
    lines.append("editor:")
    lines.append(f"date: {date}" if date else "date:")
    return INDENT + f"\n{INDENT}  ".join(lines)  # the first line opens the item, the others are indented under it


def wrap(entries: list[str]) -> str:
    """A whole corrections file holding ``entries`` (what a new file starts as)."""
    return f"{LIST_KEY}:\n" + "\n".join(entries) + "\n"
