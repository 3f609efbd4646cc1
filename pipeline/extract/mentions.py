"""Step 6: countries and organisations named in the profiles' text.

Scope: ``country_mentions`` scans one file's text once (one Aho-Corasick pass) and keeps, per
profile, the countries named in its summary, headings, prose and footnotes (not in its header),
once per line and country. ``organization_mentions`` scans every text block of the corpus once for
the names and acronyms of the corpus's organisations (linear however many organisations share
their first words). It must not decide which profiles exist.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.extract.matching import country_matcher, phrase_matcher


@dataclass(frozen=True, slots=True)
class TextRange:
    """Lines ``first``..``last`` (1-based, inclusive) whose mentions belong to ``organization_id``."""

    organization_id: str
    first: int
    last: int


def country_mentions(text: str, ranges: list[TextRange]) -> list[dict]:
    """`country_mentions` rows for the profiles' ranges of one file (ranges in line order)."""
    if not ranges:
        return []
    cm = country_matcher()
    rows: list[dict] = []
    seen: set[tuple[int, str]] = set()
    line, pos, r = 1, 0, 0
    for start, code, mention in cm.find(text):
        line += text.count("\n", pos, start)
        pos = start
        while r < len(ranges) and ranges[r].last < line:
            r += 1
        if r == len(ranges):
            break
        if line < ranges[r].first or (line, code) in seen:
            continue
        seen.add((line, code))
        rows.append({"organization_id": ranges[r].organization_id, "country_code": code, "country_name": cm.names.get(code, code), "mention": mention, "source_line": line})
    return rows


@dataclass(frozen=True, slots=True)
class TextBlock:
    """A piece of a profile's text (summary, heading, section text, footnote line) and its first line."""

    organization_id: str
    text: str
    first_line: int


def organization_mentions(organizations: list[dict], blocks: Iterable[TextBlock]) -> list[dict]:
    """Where a profile names another organisation of the dataset by its name or acronym."""
    by_phrase: dict[str, str] = {}
    for org in organizations:
        for phrase in (org["name"], org["acronym"], *(org["alternate_acronyms"] or "").split(";")):
            if phrase and len(phrase) >= 2:
                by_phrase.setdefault(" ".join(phrase.split()), org["organization_id"])
    matcher = phrase_matcher((phrase, phrase) for phrase in by_phrase)
    if matcher is None:
        return []
    # Every block in one string (joined by line breaks, which no phrase spans): one scan.
    kept = [b for b in blocks if b.text]
    starts: list[int] = []
    pos = 0
    for b in kept:
        starts.append(pos)
        pos += len(b.text) + 1
    big = "\n".join([b.text for b in kept])
    out: dict[tuple[str, int, str], dict] = {}
    for start, end, phrase in matcher.find(big):
        i = bisect.bisect_right(starts, start) - 1
        block = kept[i]
        target = by_phrase[phrase]
        if target == block.organization_id:
            continue
        line = block.first_line + big.count("\n", starts[i], start)
        out.setdefault((block.organization_id, line, target), {"organization_id": block.organization_id, "mentioned_organization_id": target, "mention": big[start:end], "source_line": line})
    return list(out.values())
