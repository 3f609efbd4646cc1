"""Step 6: countries and organisations named in the profiles' text.

Scope: one Aho-Corasick automaton holds every country name (pycountry plus the vocabulary's
aliases) and every name and acronym of the corpus's organisations; each profile's text blocks
(summary, headings, section texts, footnote lines) are scanned once, leftmost-longest, whole words
only: linear in the text however many organisations share their first words. The scan runs over
the blocks' UTF-8 bytes (encoding a block that is ASCII costs a copy; a joined ``str`` would be
widened to the widest character of the profile; a block may come as its UTF-8 bytes, as a table
holds it, and is then decoded only when a mention in it is kept), and only the offsets of the
mentions kept are turned back into characters. A country named inside an organisation's name ("… of Kenya") still
counts as a country mention. One row per profile, line and country (or mentioned organisation); a
profile naming itself is left out. It must not decide which profiles exist.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick_rs

from pipeline.extract.matching import country_matcher, phrase_patterns

_COUNTRY = "\x00"  # prefix of a country key (organisation ids are slugs: never start so)


# (organization_id, text or its UTF-8 bytes, first line): a summary, heading, section text or footnote line
TextBlock = tuple[str, str | bytes, int]


@dataclass(frozen=True)
class Matcher:
    automaton: ahocorasick_rs.BytesAhoCorasick  # over the patterns' UTF-8, leftmost-longest
    patterns: tuple[str, ...]
    keys: tuple[str, ...]  # by pattern index: an organisation id, or _COUNTRY + alpha-2
    inner: dict[int, list[tuple[int, int, str]]]  # pattern of an organisation → countries inside it
    country_names: dict[str, str]
    own: dict[str, frozenset[int]]  # an organisation id → its patterns with no country inside (its matches are skipped)


def mentions(organizations: list[dict], blocks: Iterable[TextBlock]) -> tuple[list[dict], list[dict]]:
    """(`country_mentions` rows, `organization_mentions` rows) of the profiles' text blocks."""
    return scan(matcher(names(organizations)), blocks)


def scan(corpus: Matcher, blocks: Iterable[TextBlock]) -> tuple[list[dict], list[dict]]:
    """:func:`mentions` with the automaton of :func:`matcher` (built once, used for many files: a
    profile's mentions depend only on its own blocks and the corpus's names)."""
    by_org: dict[str, tuple[list[str | bytes], list[int]]] = {}
    for oid, text, first_line in blocks:
        if text:
            texts, lines = by_org.setdefault(oid, ([], []))
            texts.append(text)
            lines.append(first_line)
    countries: dict[tuple[str, int, str], dict] = {}
    named: dict[tuple[str, int, str], dict] = {}
    for oid, (texts, lines) in by_org.items():
        _scan(corpus, oid, texts, lines, countries, named)
    return list(countries.values()), list(named.values())


def names(organizations: Iterable[dict]) -> dict[str, str]:
    """Each name and acronym of the corpus's organisations (whitespace collapsed) → the id of the
    first organisation that has it: with the country names, all a scan looks for."""
    phrases: dict[str, str] = {}
    for org in organizations:
        for phrase in (org["name"], org["acronym"], *(org["alternate_acronyms"] or "").split(";")):
            if phrase and len(phrase) >= 2:
                phrases.setdefault(" ".join(phrase.split()), org["organization_id"])
    return phrases


def matcher(phrases: dict[str, str]) -> Matcher:
    """The automaton over every country name and the organisations' ``phrases`` (:func:`names`)."""
    cm = country_matcher()
    patterns, keys = phrase_patterns([*((p, _COUNTRY + code) for p, code in cm.phrases), *phrases.items()])
    # A contiguous NFA, not a DFA: at 1000× (12,758 patterns) it is built in 11 ms instead of 69 ms
    # and holds 4 MB instead of 76 MB; the scan is ~20% slower, the whole step a little faster.
    automaton = ahocorasick_rs.BytesAhoCorasick(
        [p.encode() for p in patterns],
        matchkind=ahocorasick_rs.MatchKind.LeftmostLongest,
        implementation=ahocorasick_rs.Implementation.ContiguousNFA,
    )
    inner: dict[int, list[tuple[int, int, str]]] = {}
    for index, (pattern, key) in enumerate(zip(patterns, keys, strict=True)):
        if key[0] != _COUNTRY and (found := [(start, start + len(mention), code) for start, code, mention in cm.find(pattern)]):
            inner[index] = found
    own: dict[str, set[int]] = {}
    for index, key in enumerate(keys):
        if key[0] != _COUNTRY and index not in inner:
            own.setdefault(key, set()).add(index)
    return Matcher(automaton, patterns, keys, inner, cm.names, {key: frozenset(found) for key, found in own.items()})


class _Blocks:
    """One profile's blocks as UTF-8 joined by line breaks (``data``), and, for byte offsets of
    ``data`` met in increasing order, the block's text, the character offset in it and the line:
    counted from the previous offset, so a long block with many mentions stays linear."""

    def __init__(self, texts: list[str | bytes], first_lines: list[int]) -> None:
        self.texts, self.first_lines = texts, first_lines  # a block given as bytes is decoded when first met
        self.encoded = [text if isinstance(text, bytes) else text.encode() for text in texts]
        self.data = b"\n".join(self.encoded)
        self.starts: list[int] = []
        pos = 0
        for raw in self.encoded:
            self.starts.append(pos)
            pos += len(raw) + 1
        self.block, self.byte, self.char, self.line = -1, 0, 0, 0  # offsets within the block

    def at(self, offset: int) -> tuple[str, int, int]:
        i = bisect.bisect_right(self.starts, offset) - 1
        local = offset - self.starts[i]
        if i != self.block or local < self.byte:
            self.block, self.byte, self.char, self.line = i, 0, 0, self.first_lines[i]
        raw, text = self.encoded[i], self.texts[i]
        if isinstance(text, bytes):
            text = self.texts[i] = text.decode()
        self.line += raw.count(b"\n", self.byte, local)
        # a match starts on a character boundary: the bytes up to it decode
        self.char = local if len(raw) == len(text) else self.char + len(raw[self.byte : local].decode())
        self.byte = local
        return text, self.char, self.line


def _scan(corpus: Matcher, oid: str, texts: list[str | bytes], first_lines: list[int], countries: dict, named: dict) -> None:
    """One profile: its blocks scanned at once (no name spans a line break). Most matches are the
    profile's own names (skipped first); a name's countries are looked at after it."""
    blocks = _Blocks(texts, first_lines)
    patterns, keys, inner, names = corpus.patterns, corpus.keys, corpus.inner, corpus.country_names
    own = corpus.own.get(oid, frozenset())
    for index, offset, _ in corpus.automaton.find_matches_as_indexes(blocks.data):
        if index in own:  # the profile naming itself: most matches
            continue
        key = keys[index]
        within = inner.get(index)
        text, start, line = blocks.at(offset)
        end, n = start + len(patterns[index]), len(text)
        if key != oid and _whole_word(text, start, end, n):
            if key[0] == _COUNTRY:
                _add_country(countries, oid, line, key[1:], text[start:end], names)
            elif (oid, line, key) not in named:
                mention = text[start:end]
                named[oid, line, key] = {"organization_id": oid, "mentioned_organization_id": key, "mention": mention, "source_line": line}
        for a, b, code in within or ():  # a pattern holds no line break: the same line
            if _whole_word(text, start + a, start + b, n):
                _add_country(countries, oid, line, code, text[start + a : start + b], names)


def _add_country(countries: dict, oid: str, line: int, code: str, mention: str, names: dict[str, str]) -> None:
    if (oid, line, code) not in countries:
        name = names.get(code, code)
        countries[oid, line, code] = {
            "organization_id": oid,
            "country_code": code,
            "country_name": name,
            "mention": mention,
            "source_line": line,
        }


def _whole_word(text: str, start: int, end: int, n: int) -> bool:
    before = text[start - 1] if start else " "
    after = text[end] if end < n else " "
    return not (before.isalnum() or before == "_" or after.isalnum() or after == "_")
