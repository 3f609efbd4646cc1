"""Phrase and heading matching: many names at once, and headings against the vocabularies.

Scope: ``PhraseMatcher`` finds any of many phrases (country names, organisation names and
acronyms) as whole words in one linear Aho-Corasick pass, however many phrases share their first
words; ``country_matcher`` builds it for the countries of pycountry plus the vocabulary's aliases;
``resolve_country`` reads one country name; ``match_section`` / ``match_issue`` read headings
against the section and issue vocabularies. It must not know which table a match goes to.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache

import ahocorasick_rs
import pycountry

from pipeline.vocab import Vocabulary, fold, load_vocabulary

_TOKEN = re.compile(r"[^\W_]+")
_APOSTROPHES = ("'", "’")


def tokens(phrase: str) -> list[str]:
    return _TOKEN.findall(phrase)


def phrase_variants(phrase: str) -> set[str]:
    """The ways a phrase may be written in prose: as given (spaces collapsed), its words joined by
    single spaces ("Korea, Republic of" → "Korea Republic of"), and with either apostrophe."""
    written = " ".join(phrase.split())
    out = {written, " ".join(tokens(written))}
    for a, b in (_APOSTROPHES, _APOSTROPHES[::-1]):
        out |= {v.replace(a, b) for v in list(out) if a in v}
    return {v for v in out if v}


@dataclass(frozen=True)
class PhraseMatcher:
    """Whole-word, case-sensitive matches of many phrases, leftmost-longest, in one linear pass
    (an Aho-Corasick automaton: the cost does not grow with how many phrases share a prefix)."""

    automaton: ahocorasick_rs.AhoCorasick
    patterns: tuple[str, ...]  # the written forms searched for
    keys: tuple[str, ...]  # the key each pattern stands for, by pattern index

    def find(self, text: str, exclude: str | None = None) -> Iterator[tuple[int, int, str]]:
        """(start, end, key) of every phrase in ``text`` that is a whole word run (leaving out the
        phrases of key ``exclude`` before anything else is looked at)."""
        n = len(text)
        keys = self.keys
        matches = self.automaton.find_matches_as_indexes(text)
        if exclude is not None:
            matches = [m for m in matches if keys[m[0]] != exclude]
        for index, start, end in matches:
            before = text[start - 1] if start else " "
            after = text[end] if end < n else " "
            if not (before.isalnum() or before == "_" or after.isalnum() or after == "_"):
                yield start, end, keys[index]


def phrase_patterns(phrases: Iterable[tuple[str, str]]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(patterns, the key of each) for (phrase, key) pairs: every written variant of a phrase
    stands for its key (the first key given for a variant wins); patterns sorted."""
    patterns: dict[str, str] = {}
    for phrase, key in phrases:
        for variant in phrase_variants(phrase):
            patterns.setdefault(variant, key)
    ordered = sorted(patterns)
    return tuple(ordered), tuple(patterns[p] for p in ordered)


def phrase_matcher(phrases: Iterable[tuple[str, str]]) -> PhraseMatcher | None:
    """A matcher for (phrase, key) pairs; every written variant of a phrase stands for its key."""
    patterns, keys = phrase_patterns(phrases)
    if not patterns:
        return None
    automaton = ahocorasick_rs.AhoCorasick(
        patterns, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest, implementation=ahocorasick_rs.Implementation.DFA
    )
    return PhraseMatcher(automaton, patterns, keys)


# -- countries ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountryMatcher:
    matcher: PhraseMatcher  # key: alpha-2
    codes: dict[str, str]  # folded name → alpha-2
    names: dict[str, str]  # alpha-2 → ISO short name
    phrases: tuple[tuple[str, str], ...]  # (written form, alpha-2) of every name matched

    def find(self, text: str) -> Iterator[tuple[int, str, str]]:
        """(offset, alpha-2, mention as written) for every country named in ``text``."""
        for start, end, code in self.matcher.find(text):
            yield start, code, text[start:end]


@cache
def country_matcher() -> CountryMatcher:
    vocab = load_vocabulary()
    codes: dict[str, str] = {}
    forms: dict[str, str] = {}  # folded → a written form
    names: dict[str, str] = {}

    def add(form: str | None, code: str) -> None:
        key = fold(form) if form else ""
        if key and key not in codes:
            codes[key] = code
            forms[key] = form  # type: ignore[assignment]

    for c in pycountry.countries:
        names[c.alpha_2] = c.name
        for attr in ("common_name", "name", "official_name"):
            add(getattr(c, attr, None), c.alpha_2)
    for alias, code in vocab.country_aliases.items():
        add(alias, code)
    # "Bolivia, Plurinational State of" → "Bolivia", where the short form names one country only.
    short: dict[str, set[str]] = {}
    for key in list(codes):
        if "," in forms[key]:
            short.setdefault(fold(forms[key].split(",", 1)[0]), set()).add(codes[key])
    for key, found in short.items():
        if len(found) == 1 and key not in codes:
            codes[key] = next(iter(found))
            forms[key] = _title(key)
    # Case-sensitive: country names are capitalised in prose ("Chad", "Guinea", "Jordan" as words
    # in lower case are not countries); the title-cased folded form covers missing accents.
    written = set(forms.values()) | {_title(f) for f in forms} | {_title(f.title()) for f in forms.values()}
    phrases = tuple(sorted((p, codes[fold(p)]) for p in written if fold(p) in codes))
    matcher = phrase_matcher(phrases)
    assert matcher is not None
    return CountryMatcher(matcher, codes, names, phrases)


def _title(folded: str) -> str:
    small = {"of", "the", "and", "da", "de", "du", "des", "la", "le"}
    return " ".join(w if (w in small and i) else w[:1].upper() + w[1:] for i, w in enumerate(folded.split()))


def resolve_country(name: str) -> str | None:
    """A country as written (e.g. in an address) → alpha-2, or None."""
    return country_matcher().codes.get(fold(name))


# -- issues and sections -----------------------------------------------------------------------

_MARKER = re.compile(r"\s*\((\d{1,3})\)\s*[:?]?\s*$")  # "Access (4)", also "Access (4):"
_CONNECTORS = ("including", "and", "in", "for", "with", "incl", "e g", "such as")


def split_marker(heading: str) -> tuple[str, int | None]:
    """'Digital standards (1)' → ('Digital standards', 1)."""
    m = _MARKER.search(heading)
    if not m:
        return heading.strip(), None
    return heading[: m.start()].strip(), int(m.group(1))


def bare_heading(heading: str) -> str:
    text, _ = split_marker(heading)
    return text.rstrip("?:!;,. ").strip()


@dataclass(frozen=True)
class IssueMatch:
    issue: str
    match: str  # exact | alias | contains


def match_issue(heading: str, vocab: Vocabulary | None = None) -> IssueMatch | None:
    return _match_issue(heading, vocab or load_vocabulary())


@lru_cache(maxsize=65536)
def _match_issue(heading: str, vocab: Vocabulary) -> IssueMatch | None:
    key = fold(bare_heading(heading))
    if not key:
        return None
    canonical = vocab.issue_keys.get(key)
    if canonical:
        return IssueMatch(canonical, "exact" if fold(canonical) == key else "alias")
    # "X including Y", "X and Y", "X (...)" where X is one known issue: the longest known prefix.
    words = key.split()
    for n in range(len(words) - 1, 0, -1):
        head, rest = " ".join(words[:n]), " ".join(words[n:])
        canonical = vocab.issue_keys.get(head)
        if canonical and rest.startswith(_CONNECTORS):
            return IssueMatch(canonical, "contains")
    return None


_MISSPELT = 0.88  # similarity (difflib ratio) from which a heading is a misspelt known section


@dataclass(frozen=True)
class SectionMatch:
    canonical: str
    kind: str  # exact | misspelt | variant


def match_section(heading: str, vocab: Vocabulary | None = None) -> SectionMatch | None:
    """A top-level section heading, in any capitals, also when misspelt ('Social medial channels'),
    worded as a known alias ('Data and digital activities') or extended ('Digital tools and ...')."""
    return _match_section(heading, vocab or load_vocabulary())


@lru_cache(maxsize=65536)
def _match_section(heading: str, vocab: Vocabulary) -> SectionMatch | None:
    key = fold(bare_heading(heading))
    if not key or len(key) > 60:
        return None
    if key in vocab.sections:
        return SectionMatch(vocab.sections[key], "exact")
    if key in vocab.section_aliases:
        return SectionMatch(vocab.section_aliases[key], "variant")
    best, best_ratio = None, 0.0
    for known, canonical in vocab.sections.items():
        if abs(len(known) - len(key)) > 6:
            continue
        sm = difflib.SequenceMatcher(None, key, known)
        if sm.real_quick_ratio() < _MISSPELT or sm.quick_ratio() < _MISSPELT:  # upper bounds of ratio(): cheap rejects
            continue
        ratio = sm.ratio()
        if ratio > best_ratio:
            best, best_ratio = canonical, ratio
    if best is not None and best_ratio >= _MISSPELT:
        return SectionMatch(best, "misspelt")
    for known, canonical in (*vocab.sections.items(), *vocab.section_aliases.items()):
        if key.startswith(known + " ") and len(key.split()) <= len(known.split()) + 3:
            return SectionMatch(canonical, "variant")
    return None
