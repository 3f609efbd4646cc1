"""Fast phrase matching: many names, one regular-expression pass.

Scope: build one compiled regex from a set of phrases (country names, organisation names and
acronyms) as a token trie, so matching costs one linear scan of the text however many phrases
there are; resolve country names with pycountry plus the vocabulary's alias table; match headings
against the issue and section vocabularies. It must not know which table a match goes to.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache

import pycountry

from pipeline.vocab import Vocabulary, fold, load_vocabulary

_TOKEN = re.compile(r"[^\W_]+")
_SEP = r"[^\w\n]{1,4}"  # between two words: spaces, commas, apostrophes, hyphens (never a line break)


def tokens(phrase: str) -> list[str]:
    return _TOKEN.findall(phrase)


_SEP_MARK = "\x00"


def _char_trie_pattern(node: dict) -> str:
    alts = []
    for ch in sorted(k for k in node if k != ""):
        piece = _SEP if ch == _SEP_MARK else re.escape(ch)
        alts.append(piece + _char_trie_pattern(node[ch]))
    if not alts:
        return ""
    body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    return f"(?:{body})?" if "" in node else body


@dataclass(frozen=True)
class PhraseRegex:
    """A character trie of phrases compiled to one regex (longest match wins).

    The pattern has no leading word boundary (that would defeat the regex engine's first-character
    scan and cost 3x); :meth:`finditer` checks the boundary before a match instead.
    """

    regex: re.Pattern[str]

    def finditer(self, text: str, start: int = 0, end: int | None = None) -> Iterator[re.Match[str]]:
        for m in self.regex.finditer(text, start, len(text) if end is None else end):
            start = m.start()
            if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
                continue
            yield m


def phrase_regex(phrases: Iterable[str]) -> PhraseRegex | None:
    """One regex matching any phrase as whole words; separators between words are flexible."""
    trie: dict = {}
    for phrase in phrases:
        toks = tokens(phrase)
        if not toks:
            continue
        node = trie
        for ch in _SEP_MARK.join(toks):
            node = node.setdefault(ch, {})
        node[""] = {}
    body = _char_trie_pattern(trie)
    return PhraseRegex(re.compile(body + r"(?!\w)")) if body else None


# -- countries ------------------------------------------------------------------------------

@dataclass(frozen=True)
class CountryMatcher:
    regex: PhraseRegex
    codes: dict[str, str]  # folded name → alpha-2
    names: dict[str, str]  # alpha-2 → ISO short name

    def find(self, text: str) -> Iterator[tuple[int, str, str]]:
        """(offset, alpha-2, mention as written) for every country named in ``text``."""
        return self.find_in(text, 0, len(text))

    def find_in(self, text: str, start: int, end: int) -> Iterator[tuple[int, str, str]]:
        for m in self.regex.finditer(text, start, end):
            mention = m.group(0)
            code = self.codes.get(fold(mention))
            if code:
                yield m.start(), code, mention


@cache
def country_matcher() -> CountryMatcher:
    vocab = load_vocabulary()
    codes: dict[str, str] = {}
    forms: dict[str, str] = {}  # folded → a written form (for the regex)
    names: dict[str, str] = {}

    def add(form: str | None, code: str) -> None:
        if not form:
            return
        key = fold(form)
        if key and key not in codes:
            codes[key] = code
            forms[key] = form

    for c in pycountry.countries:
        names[c.alpha_2] = c.name
        for attr in ("common_name", "name", "official_name"):
            add(getattr(c, attr, None), c.alpha_2)
    for alias, code in vocab.country_aliases.items():
        add(alias, code)
    # "Bolivia, Plurinational State of" → "Bolivia", where the short form names one country only.
    short: dict[str, set[str]] = {}
    for key, code in list(codes.items()):
        form = forms[key]
        if "," in form:
            head = form.split(",", 1)[0]
            short.setdefault(fold(head), set()).add(code)
    for key, found in short.items():
        if len(found) == 1 and key not in codes:
            codes[key] = next(iter(found))
            forms[key] = _title(key)
    # Case-sensitive: country names are capitalised in prose ("Chad", "Guinea", "Jordan" as words
    # in lower case are not countries); the title-cased folded form covers missing accents.
    phrases = set(forms.values()) | {_title(f) for f in forms} | {_title(f.title()) for f in forms.values()}
    regex = phrase_regex(phrases)
    assert regex is not None
    return CountryMatcher(regex, codes, names)


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


@dataclass(frozen=True)
class SectionMatch:
    canonical: str
    kind: str  # exact | misspelt | variant


def match_section(heading: str, vocab: Vocabulary | None = None) -> SectionMatch | None:
    """A top-level section heading, also when misspelt ('Social medial channels') or extended."""
    return _match_section(heading, vocab or load_vocabulary())


@lru_cache(maxsize=65536)
def _match_section(heading: str, vocab: Vocabulary) -> SectionMatch | None:
    key = fold(bare_heading(heading))
    if not key or len(key) > 60:
        return None
    if key in vocab.sections:
        return SectionMatch(vocab.sections[key], "exact")
    best, best_ratio = None, 0.0
    for known, canonical in vocab.sections.items():
        if abs(len(known) - len(key)) > 6:
            continue
        ratio = difflib.SequenceMatcher(None, key, known).ratio()
        if ratio > best_ratio:
            best, best_ratio = canonical, ratio
    if best is not None and best_ratio >= 0.88:
        return SectionMatch(best, "misspelt")
    for known, canonical in vocab.sections.items():
        if key.startswith(known + " ") and len(key.split()) <= len(known.split()) + 3:
            return SectionMatch(canonical, "variant")
    return None


# -- many phrases that change every run (organisation names and acronyms) ----------------------

@dataclass(frozen=True)
class PhraseIndex:
    """Phrases found through their first word: one small regex of first words (cheap to compile
    even for thousands of organisations), then each candidate's remaining words are checked at the
    match. ``finditer`` yields (start, end, phrase key); the longest phrase wins."""

    first: PhraseRegex
    tails: dict[str, list[tuple[re.Pattern[str] | None, str]]]

    def finditer(self, text: str) -> Iterator[tuple[int, int, str]]:
        n = len(text)
        for m in self.first.finditer(text):
            start, end = m.start(), m.end()
            for tail, key in self.tails[m.group(0)]:
                if tail is None:
                    if end == n or not (text[end].isalnum() or text[end] == "_"):
                        yield start, end, key
                        break
                elif (t := tail.match(text, end)) is not None:
                    yield start, t.end(), key
                    break


def phrase_index(phrases: Iterable[str]) -> PhraseIndex | None:
    tails: dict[str, list[tuple[int, re.Pattern[str] | None, str]]] = {}
    for phrase in phrases:
        toks = tokens(phrase)
        if not toks:
            continue
        tail = re.compile("".join(_SEP + re.escape(t) for t in toks[1:]) + r"(?!\w)") if len(toks) > 1 else None
        tails.setdefault(toks[0], []).append((len(toks), tail, phrase))
    first = phrase_regex(tails)
    if first is None:
        return None
    ordered = {tok: [(tail, key) for _, tail, key in sorted(c, key=lambda c: -c[0])] for tok, c in tails.items()}
    return PhraseIndex(first, ordered)
