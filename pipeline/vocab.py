"""Controlled vocabularies read from ``vocabularies/`` (data files editors extend without code).

Scope: load the issue taxonomy, aliases, section headings, social platforms and country aliases into
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
    )
