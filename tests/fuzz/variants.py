"""A variation corpus with ground truth by construction (issue 11).

The sample's profiles (read from ``sources/`` when called) are rewritten into the layout variants
real atlas pages have: any subset of header lines in any order, labels in other words, cases and
spacings, single or double line breaks, no name line (with an acronym), an acronym that is the
whole name, years with a qualifier or only in the summary, addresses in several countries'
conventions, stakeholder groups in other spellings, section headings in other capitals, with
trailing spaces or worded as aliases, bulleted accounts and lists, text of another page before
the first profile, and a page cut off at any character after the header. The generator writes
every value itself, so it knows what the extraction must give (``Expected``); ``check`` compares.

Ground truth never comes from the pipeline: only the vocabularies' data files (the format's
words) and the sample's text are read. Prose that would state a year (``Founded in 1980``) is
left out of the summaries unless the generator puts the year there on purpose.
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sources" / "geneva-digital-atlas-2022.txt"
VOCAB = REPO / "vocabularies"
_SAMPLE_LABEL = re.compile(r"^(Acronym|Established|Address|Website|Stakeholder group):\s*(.*?)\s*$")
_COLUMN = {
    "Acronym": "acronym",
    "Established": "established",
    "Address": "address",
    "Website": "website",
    "Stakeholder group": "stakeholder_group",
}
_ACCOUNT = re.compile(r"^([A-Z][A-Za-z]+) @(\S.*?)\s*$")
_YEAR_STATEMENT = re.compile(r"\b(?:established|founded|created|set up|launched|establishment|foundation|creation|inception)\s+in\b", re.I)
_SYLLABLES = [c + v for c in "BDFGKLMNPRSTVZ" for v in "AEIOU"]
COLUMNS = (
    "name",
    "acronym",
    "alternate_acronyms",
    "established",
    "established_source",
    "established_text",
    "address",
    "postal_code",
    "city",
    "country_code",
    "website",
    "stakeholder_group",
)
SECTIONS = ("Digital activities", "Digital policy issues", "Digital tools", "Future of meetings", "Social media channels")
JUNK = (
    "Back to the list of actors in International Geneva.",
    "This page belongs to another part of the website and was last updated in spring.",
    "Related reading: an overview of digital cooperation in the city, with maps and timelines.",
    "Cookies help us deliver our services; by using them you agree to our use of cookies.",
)
BULLET_ITEMS = (
    "training courses for diplomats on digital policy.",
    "an annual conference on emerging technologies.",
    "a series of briefings for delegations in the city.",
    "online tools that map national strategies.",
)


@dataclass(frozen=True)
class SampleProfile:
    """One profile of the sample, as the generator needs it."""

    name: str
    header: dict[str, str]  # column → value as written
    paragraphs: tuple[str, ...]  # prose lines of the body that state no year
    accounts: tuple[tuple[str, str], ...]  # (platform, handle)


@dataclass
class Expected:
    """What the extraction must give for one generated profile (None: the field is absent)."""

    organization_id: str
    name: str | None
    fields: dict[str, object]  # organizations column → value
    sections: list[str] | None  # canonical level-1 headings in order (None: cut off, not checked)
    issues: set[str] | None
    accounts: set[tuple[str, str]] | None
    header_lines: int = 0  # the name line (if any) and the header lines come first
    unchecked: set[str] = field(default_factory=set)  # columns the generator cannot vouch for
    text: str = ""  # the profile as written (for failure messages)


@dataclass
class Batch:
    files: dict[str, str] = field(default_factory=dict)
    expected: list[Expected] = field(default_factory=list)


@cache
def sample_profiles() -> tuple[SampleProfile, ...]:
    """The sample split at each name line (the line above a block of `Label:` lines)."""
    lines = SAMPLE.read_text(encoding="utf-8").replace("\u00a0", " ").split("\n")
    starts = [i for i in range(len(lines) - 1) if lines[i].strip() and not _SAMPLE_LABEL.match(lines[i]) and _next_is_label(lines, i)]
    profiles = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        header, body_at = {}, start + 1
        for j in range(start + 1, end):
            m = _SAMPLE_LABEL.match(lines[j])
            if m:
                header[_COLUMN[m.group(1)]] = m.group(2)
                body_at = j + 1
            elif lines[j].strip():
                break
        body = [line.strip() for line in lines[body_at:end] if line.strip()]
        paragraphs = tuple(p for p in body if len(p) > 160 and p.endswith(".") and not p[0].isdigit() and not _YEAR_STATEMENT.search(p))
        accounts = tuple((m.group(1), m.group(2)) for p in body if (m := _ACCOUNT.match(p)))
        profiles.append(SampleProfile(lines[start].strip(), header, paragraphs, accounts))
    return tuple(profiles)


def _next_is_label(lines: list[str], i: int) -> bool:
    j = i + 1
    while j < len(lines) and not lines[j].strip():
        j += 1
    return j < len(lines) and bool(_SAMPLE_LABEL.match(lines[j]))


@cache
def _vocab() -> dict[str, object]:
    def rows(name: str) -> list[dict[str, str]]:
        with (VOCAB / name).open(encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))

    labels: dict[str, list[str]] = {}
    for r in rows("header_fields.csv"):
        labels.setdefault(r["field"], []).append(r["label"])
    aliases: dict[str, list[str]] = {}
    for r in rows("section_aliases.csv"):
        aliases.setdefault(r["heading"], []).append(r["alias"])
    groups = sorted({r["group"] for r in rows("stakeholder_groups.csv")})
    issues = [r["issue"] for r in rows("policy_issues.csv")]
    return {"labels": labels, "section_aliases": aliases, "groups": groups, "issues": issues}


# -- addresses: (template, postal code, city, country) -----------------------------------------
ADDRESSES = (
    ("Rue des Exemples {n}, 1202 Genève, Switzerland", "1202", "Geneva", "CH"),
    ("Chemin du Modèle {n} 1211 Geneva 20, Switzerland", "1211", "Geneva", "CH"),  # no comma before the postcode
    ("Maison de l'Essai, Route de Test {n}, CH-1218 Le Grand-Saconnex", "1218", "Le Grand-Saconnex", "CH"),
    ("Case postale {n}, CH-1211 GENÈVE 2, Suisse", "1211", "Geneva", "CH"),
    ("Avenue de l'Exemple {n}, Case postale 56, 1211 Genève 20, Switzerland", "1211", "Geneva", "CH"),
    ("Exempelgasse {n}, 3003 Berne, Switzerland", "3003", "Bern", "CH"),
    ("CH-1204 Genève", "1204", "Geneva", "CH"),  # no country
    ("{n4} Example Avenue, Suite 300 Springfield, United States of America", None, "Springfield", "US"),  # no zip; a 4-digit street number
    ("{n4} Sample Street, Springfield, IL 62701-1234, USA", "62701-1234", "Springfield", "US"),
    ("{n} Test Boulevard, Floor 12, Riverton, NY 10001, United States", "10001", "Riverton", "US"),
    ("{n} rue de l'Essai, 75008 Paris, France", "75008", "Paris", "FR"),
    ("{n} allée des Tests, F-01210 Ferney-Voltaire, France", "01210", "Ferney-Voltaire", "FR"),
    ("{n} Example Road, London SW1A 1AA, United Kingdom", "SW1A 1AA", "London", "GB"),
    ("Beispielstrasse {n}, 10115 Berlin, Germany", "10115", "Berlin", "DE"),
    ("Example Road {n}, Nairobi 00100, Kenya", "00100", "Nairobi", "KE"),
)


class _Writer:
    """Writes one profile variant and its expected record from a random stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def token(self, uid: int) -> str:
        word, n = "", uid
        for _ in range(3):
            word += _SYLLABLES[n % len(_SYLLABLES)]
            n //= len(_SYLLABLES)
        return word + "N" + _SYLLABLES[n % len(_SYLLABLES)]

    def label(self, column: str) -> str:
        labels: list[str] = _vocab()["labels"][column]  # type: ignore[index]
        label = labels[0] if self.chance(0.6) else self.rng.choice(labels)
        label = self.rng.choice((label, label, label.lower(), label.upper(), label.title()))
        return self.rng.choice(("{}: ", "{}: ", "{} : ", "{}:", "{}:  ", "  {}: ", "• {}: ")).format(label)

    def established(self, year: int) -> tuple[str, dict[str, object]]:
        kind = self.rng.randrange(5)
        if kind == 1:
            value = f"c. {year}"
        elif kind == 2:
            value = f"{year} (Geneva office {min(year + 21, 2020)})"
        elif kind == 3:
            value = f"{self.rng.randrange(1, 29)} May {year}"
        else:
            value = str(year)
        return value, {"established": year, "established_source": "header", "established_text": None if value == str(year) else value}

    def group(self) -> tuple[str, str]:
        canonical = self.rng.choice(_vocab()["groups"])  # type: ignore[arg-type]
        written = canonical
        if self.chance(0.3):
            written = written.replace(" and ", " & ")
        if self.chance(0.3) and written.endswith("s"):
            written = written[:-1]  # "International and regional organisation"
        if self.chance(0.2):
            written = written.replace("organisation", "organization")
        if self.chance(0.2):
            written = written.lower()
        return written, canonical

    def heading(self, canonical: str) -> str:
        aliases: list[str] = _vocab()["section_aliases"].get(canonical, [])  # type: ignore[attr-defined]
        kind = self.rng.randrange(6)
        if kind == 1:
            return canonical.title()
        if kind == 2:
            return canonical.upper()
        if kind == 3:
            return canonical + self.rng.choice((" ", "  ", "\t"))
        if kind == 4 and aliases:
            return self.rng.choice(aliases)
        return canonical


def write_profile(rng: random.Random, src: SampleProfile, uid: int) -> tuple[list[str], Expected]:
    """The lines of one profile variant (without line breaks) and what it must extract to."""
    w = _Writer(rng)
    token = w.token(uid)
    name = f"{src.name} {token.title()}"
    acronym = "V" + token
    keep_name = w.chance(0.85)
    header: list[tuple[str, str]] = []  # (column, line)
    fields: dict[str, object] = {"name": name if keep_name else None}
    if w.chance(0.9) or not keep_name:
        if w.chance(0.05):  # an acronym that is the whole name
            acronym = name
            header.append(("acronym", w.label("acronym") + name))
        elif w.chance(0.2):
            header.append(("acronym", w.label("acronym") + f"{acronym}, {acronym}X"))
            fields["alternate_acronyms"] = acronym + "X"
        else:
            header.append(("acronym", w.label("acronym") + acronym))
        fields["acronym"] = acronym
    else:
        fields["acronym"] = None
    year = int(re.search(r"\d{4}", src.header.get("established", "1990")).group())  # type: ignore[union-attr]
    summary_year = False
    if w.chance(0.8):
        value, found = w.established(year)
        header.append(("established", w.label("established") + value))
        fields.update(found)
    elif w.chance(0.5):
        summary_year = True
        fields.update({"established": year, "established_source": "summary", "established_text": f"Established in {year}"})
    if w.chance(0.8):
        template, postal, city, country = rng.choice(ADDRESSES)
        address = template.format(n=rng.randrange(1, 200), n4=rng.randrange(1000, 9999))
        header.append(("address", w.label("address") + address))
        fields.update({"address": address, "postal_code": postal, "city": city, "country_code": country})
    if w.chance(0.8):
        host = token.lower()
        website, published = rng.choice(
            (
                (f"https://www.{host}.org/", f"https://www.{host}.org/"),
                (f"http://{host}.int", f"http://{host}.int"),
                (f"www.{host}.org", f"https://www.{host}.org"),
            )
        )
        header.append(("website", w.label("website") + website))
        fields["website"] = published
    if w.chance(0.8):
        written, canonical = w.group()
        header.append(("stakeholder_group", w.label("stakeholder_group") + written))
        fields["stakeholder_group"] = canonical
    if not header:  # a name line needs at least one header line to be a profile
        header.append(("acronym", w.label("acronym") + acronym))
        fields["acronym"] = acronym
    rng.shuffle(header)
    body, sections, issues, accounts = _body(w, src, acronym, year if summary_year else None)
    lines = ([name + rng.choice(("", "", " "))] if keep_name else []) + [line for _, line in header] + body
    oid = _slug(acronym if fields.get("acronym") else name)
    return lines, Expected(oid, fields["name"], fields, sections, issues, accounts, len(header) + keep_name)  # type: ignore[arg-type]


def _body(
    w: _Writer, src: SampleProfile, acronym: str, summary_year: int | None
) -> tuple[list[str], list[str], set[str], set[tuple[str, str]]]:
    rng = w.rng
    paragraphs = list(src.paragraphs) or [
        f"{acronym} works on digital policy in many ways, with partners from every region, and publishes its research and data openly."
    ]
    summary = rng.choice(paragraphs)
    if summary_year is not None:
        summary = f"Established in {summary_year}, {acronym} works with partners worldwide. " + summary
    lines = [summary]
    chosen = [s for s in SECTIONS if w.chance(0.7)]
    issues: set[str] = set()
    accounts: set[tuple[str, str]] = set()
    for canonical in chosen:
        lines.append(w.heading(canonical))
        if canonical == "Digital policy issues":
            for issue in rng.sample(_vocab()["issues"], rng.randrange(1, 4)):  # type: ignore[arg-type]
                issues.add(issue)
                lines += [issue, rng.choice(paragraphs)]
        elif canonical == "Social media channels":
            own = list(src.accounts) or [("Twitter", acronym.lower())]
            for platform, handle in rng.sample(own, rng.randrange(1, len(own) + 1)):
                accounts.add((platform, handle))
                lines.append(rng.choice(("{} @{}", "• {} @{}", "{}: @{}")).format(platform, handle))
        elif w.chance(0.3):
            lines += [f"{acronym} runs:"] if w.chance(0.5) else []
            lines += [f"• {item}" for item in rng.sample(BULLET_ITEMS, 2)]
        else:
            lines.append(rng.choice(paragraphs))
    return lines, [s for s in chosen], issues, accounts


def _slug(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))


def write_batch(seed: int, files: int, per_file: int) -> Batch:
    """``files`` source files of ``per_file`` profiles each; some start with another page's text,
    some end with a profile cut off at a random character after its header."""
    rng = random.Random(seed)
    profiles = sample_profiles()
    batch = Batch()
    uid = seed * 1_000_000
    for f in range(files):
        single = rng.random() < 0.4  # single line breaks throughout
        parts: list[str] = []
        if rng.random() < 0.2:
            parts.append("\n".join(rng.sample(JUNK, rng.randrange(1, 3))))
        for _ in range(per_file):
            lines, expected = write_profile(rng, rng.choice(profiles), uid)
            uid += 1
            sep = "\n" if single else "\n\n"
            expected.text = sep.join(lines)
            header_end = len(sep.join(lines[: expected.header_lines])) + 1  # after the last header line's line break
            parts.append(expected.text)
            batch.expected.append(expected)
        body = "\n\n".join(parts) if not single else "\n".join(parts)
        if rng.random() < 0.3:  # the page is cut off after the last profile's header
            last = batch.expected[-1]
            header_end += len(body) - len(last.text)
            body = body[: rng.randrange(header_end, len(body) + 1)]
            last.sections = last.issues = last.accounts = None
            if last.fields.get("established_source") == "summary":  # the cut may fall before the year
                last.unchecked |= {"established", "established_source", "established_text"}
        else:
            body += "\n"
        batch.files[f"variants-{seed}-{f:03d}.txt"] = body
    return batch


def check(extraction, batch: Batch) -> Iterator[str]:
    """Every problem of an extraction of ``batch`` against what the generator wrote."""
    import pandas as pd

    def records(name: str) -> list[dict]:
        frame = extraction.tables[name]
        return [{k: (None if pd.api.types.is_scalar(v) and pd.isna(v) else v) for k, v in r.items()} for r in frame.to_dict("records")]

    orgs = {r["organization_id"]: r for r in records("organizations")}
    sections: dict[str, list[str]] = {}
    for r in records("sections"):
        if r["level"] == 1 and r["canonical_heading"]:
            sections.setdefault(r["organization_id"], []).append(r["canonical_heading"])
    issues: dict[str, set[str]] = {}
    for r in records("policy_issues"):
        issues.setdefault(r["organization_id"], set()).add(r["issue"])
    accounts: dict[str, set[tuple[str, str]]] = {}
    for r in records("social_media_accounts"):
        accounts.setdefault(r["organization_id"], set()).add((r["platform"], r["handle"]))
    for e in batch.expected:
        row = orgs.get(e.organization_id)
        if row is None:
            yield f"lost: {e.organization_id}\n{e.text[:600]}"
            continue
        for column in COLUMNS:
            want = e.name if column == "name" else e.fields.get(column)
            if column not in e.unchecked and row[column] != want:
                yield f"{e.organization_id}.{column}: extracted {row[column]!r}, written {want!r}\n{e.text[:600]}"
        if e.sections is not None and sections.get(e.organization_id, []) != e.sections:
            yield f"{e.organization_id}: sections {sections.get(e.organization_id)} != {e.sections}\n{e.text[:1500]}"
        if e.issues is not None and issues.get(e.organization_id, set()) != e.issues:
            yield f"{e.organization_id}: issues {issues.get(e.organization_id)} != {e.issues}"
        if e.accounts is not None and accounts.get(e.organization_id, set()) != e.accounts:
            yield f"{e.organization_id}: accounts {accounts.get(e.organization_id)} != {e.accounts}"
    extra = set(orgs) - {e.organization_id for e in batch.expected}
    if extra:
        yield f"organisations nobody wrote: {sorted(extra)[:5]}"
    errors = [f for f in extraction.findings if f.severity == "error"]
    if errors:
        yield f"error findings: {[(f.rule, f.source_file, f.source_line, f.message[:120]) for f in errors[:3]]}"
