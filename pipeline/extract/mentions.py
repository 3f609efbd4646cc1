"""Step 6: countries and organisations named in the profiles' text.

Scope: one Aho-Corasick automaton holds every country name (pycountry plus the vocabulary's
aliases) and every name and acronym of the corpus's organisations; each profile's text blocks
(summary, headings, section texts, footnote lines) are scanned once, leftmost-longest, whole words
only: linear in the text however many organisations share their first words. A country named
inside an organisation's name ("… of Kenya") still counts as a country mention. One row per
profile, line and country (or mentioned organisation); a profile naming itself is left out. It
must not decide which profiles exist.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.extract.matching import PhraseMatcher, country_matcher, phrase_matcher

_COUNTRY = "\x00"  # prefix of a country key (organisation ids are slugs: never start so)


TextBlock = tuple[str, str, int]  # (organization_id, text, first line): a summary, heading, section text or footnote line


@dataclass(frozen=True)
class _Corpus:
    matcher: PhraseMatcher  # key: an organisation id, or _COUNTRY + alpha-2
    inner: dict[int, list[tuple[int, int, str]]]  # pattern of an organisation → countries inside it
    country_names: dict[str, str]


def mentions(organizations: list[dict], blocks: Iterable[TextBlock]) -> tuple[list[dict], list[dict]]:
    """(`country_mentions` rows, `organization_mentions` rows) of the profiles' text blocks."""
    corpus = _corpus(organizations)
    by_org: dict[str, tuple[list[str], list[int]]] = {}
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


def _corpus(organizations: list[dict]) -> _Corpus:
    cm = country_matcher()
    phrases: dict[str, str] = {}
    for org in organizations:
        for phrase in (org["name"], org["acronym"], *(org["alternate_acronyms"] or "").split(";")):
            if phrase and len(phrase) >= 2:
                phrases.setdefault(" ".join(phrase.split()), org["organization_id"])
    matcher = phrase_matcher([*((p, _COUNTRY + code) for p, code in cm.phrases), *phrases.items()])
    assert matcher is not None
    inner: dict[int, list[tuple[int, int, str]]] = {}
    for index, (pattern, key) in enumerate(zip(matcher.patterns, matcher.keys, strict=True)):
        if key[0] != _COUNTRY and (found := [(start, start + len(mention), code) for start, code, mention in cm.find(pattern)]):
            inner[index] = found
    return _Corpus(matcher, inner, cm.names)


class _Lines:
    """Line numbers of offsets into one profile's joined blocks, for offsets met in increasing
    order: counted from the previous offset, so a long line with many mentions stays linear."""

    def __init__(self, big: str, texts: list[str], first_lines: list[int]) -> None:
        self.big, self.first_lines = big, first_lines
        self.starts: list[int] = []
        pos = 0
        for text in texts:
            self.starts.append(pos)
            pos += len(text) + 1
        self.block, self.pos, self.line = -1, 0, 0

    def at(self, offset: int) -> int:
        i = bisect.bisect_right(self.starts, offset) - 1
        if i != self.block or offset < self.pos:
            self.block, self.pos, self.line = i, self.starts[i], self.first_lines[i]
        self.line += self.big.count("\n", self.pos, offset)
        self.pos = offset
        return self.line


def _scan(corpus: _Corpus, oid: str, texts: list[str], first_lines: list[int], countries: dict, named: dict) -> None:
    """One profile: its blocks joined by line breaks (which no name spans), scanned once. Most
    matches are the profile's own names (skipped first); a name's countries are looked at after it."""
    big = "\n".join(texts)
    lines = _Lines(big, texts, first_lines)
    n = len(big)
    keys, inner, names = corpus.matcher.keys, corpus.inner, corpus.country_names
    for index, start, end in corpus.matcher.automaton.find_matches_as_indexes(big):
        key = keys[index]
        within = inner.get(index)
        if key == oid:
            if within is None:  # the profile naming itself: most matches
                continue
        elif _whole_word(big, start, end, n):
            line = lines.at(start)
            if key[0] == _COUNTRY:
                _add_country(countries, oid, line, key[1:], big[start:end], names)
            elif (oid, line, key) not in named:
                mention = big[start:end]
                named[oid, line, key] = {"organization_id": oid, "mentioned_organization_id": key, "mention": mention, "source_line": line}
        for a, b, code in within or ():
            if _whole_word(big, start + a, start + b, n):
                _add_country(countries, oid, lines.at(start + a), code, big[start + a : start + b], names)


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
