"""Controlled vocabularies read from ``vocabularies/`` (data files editors extend without code).

Scope: load the issue taxonomy, aliases, section headings and their aliases, social platforms, stakeholder
groups, country and city aliases, postcode prefixes and address words into
immutable lookup structures, once per process. It must not match text against them; the
extractors do that.
"""

from __future__ import annotations

import csv
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from pipeline.config import VOCABULARIES_DIR


@lru_cache(maxsize=1 << 17)
def fold(text: str) -> str:
    """Key for case- and punctuation-insensitive matching: NFKD, no accents, lowercase, words only."""
    if text.isascii():
        return " ".join(_WORDS.findall(text.lower().replace("&", " and ")))
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.casefold().replace("&", " and ")
    return " ".join(_WORDS.findall(text))


_WORDS = re.compile(r"[a-z0-9]+")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(f)]


@dataclass(frozen=True)
class Issue:
    issue: str
    basket: str
    provenance: str
    basket_assigned: bool


@dataclass(frozen=True, eq=False)  # hashed by identity: one loaded vocabulary, cached lookups
class Vocabulary:
    version: str
    issues: dict[str, Issue]  # canonical name → Issue
    issue_keys: dict[str, str]  # folded name or alias → canonical name
    baskets: dict[str, str]  # folded alias → basket
    sections: dict[str, str]  # folded heading → canonical heading
    section_kinds: dict[str, str]  # canonical heading → kind (section, issues, social)
    platforms: dict[str, str]  # folded platform → platform as listed
    country_aliases: dict[str, str]  # alias as written → alpha-2
    header_fields: dict[str, str]  # folded header label → organizations column
    city_aliases: dict[str, str]  # folded local-language city → English name
    section_aliases: dict[str, str]  # folded other wording → canonical section heading
    stakeholder_groups: dict[str, str]  # group_key(alias) → canonical stakeholder group
    postcode_prefixes: dict[str, str]  # letters before a postal code ("CH", "F") → alpha-2
    address_terms: dict[str, tuple[str, ...]]  # kind (po_box, unit, street, city_suffix) → terms


@cache
def load_vocabulary(directory: Path = VOCABULARIES_DIR) -> Vocabulary:
    meta = tomllib.loads((directory / "vocabulary.toml").read_text(encoding="utf-8"))
    issues = {
        r["issue"]: Issue(r["issue"], r["basket"], r["provenance"], r["basket_assigned"].lower() == "true")
        for r in _rows(directory / "policy_issues.csv")
    }
    keys = {fold(name): name for name in issues}
    for r in _rows(directory / "policy_issue_aliases.csv"):
        if r["issue"] not in issues:
            raise ValueError(f"{directory / 'policy_issue_aliases.csv'}: alias {r['alias']!r} names unknown issue {r['issue']!r}")
        keys.setdefault(fold(r["alias"]), r["issue"])
    sections = {}
    kinds = {}
    for r in _rows(directory / "sections.csv"):
        sections[fold(r["heading"])] = r["heading"]
        kinds[r["heading"]] = r["kind"]
    return Vocabulary(
        version=str(meta["version"]),
        issues=issues,
        issue_keys=keys,
        baskets={fold(r["alias"]): r["basket"] for r in _rows(directory / "baskets.csv")},
        sections=sections,
        section_kinds=kinds,
        platforms={fold(r["platform"]): r["platform"] for r in _rows(directory / "social_platforms.csv")},
        country_aliases={r["alias"]: r["country_code"] for r in _rows(directory / "country_aliases.csv")},
        header_fields={fold(r["label"]): r["field"] for r in _rows(directory / "header_fields.csv")},
        city_aliases={fold(r["alias"]): r["city"] for r in _rows(directory / "city_aliases.csv")},
        section_aliases=_section_aliases(directory, kinds),
        stakeholder_groups={group_key(r["alias"]): r["group"] for r in _rows(directory / "stakeholder_groups.csv")},
        postcode_prefixes={r["prefix"]: r["country_code"] for r in _rows(directory / "postcode_prefixes.csv")},
        address_terms=_address_terms(directory),
    )


def group_key(text: str) -> str:
    """Key of a stakeholder group: folded, each word without a final ``s`` and with ``iz`` as ``is``,
    so "Academia & think tank" and "academia and think tanks" are one group."""
    return " ".join(w.rstrip("s").replace("iz", "is") for w in fold(text).split())


def _section_aliases(directory: Path, kinds: dict[str, str]) -> dict[str, str]:
    aliases = {}
    for r in _rows(directory / "section_aliases.csv"):
        if r["heading"] not in kinds:
            raise ValueError(f"{directory / 'section_aliases.csv'}: alias {r['alias']!r} names unknown section {r['heading']!r}")
        aliases[fold(r["alias"])] = r["heading"]
    return aliases


def _address_terms(directory: Path) -> dict[str, tuple[str, ...]]:
    terms: dict[str, list[str]] = {}
    for r in _rows(directory / "address_terms.csv"):
        terms.setdefault(r["kind"], []).append(r["term"])
    return {kind: tuple(sorted(found, key=len, reverse=True)) for kind, found in terms.items()}
