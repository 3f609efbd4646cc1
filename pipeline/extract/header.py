"""Step 2: the profile header (name line and `Label: value` fields) → organisation columns.

Scope: read each header value into its typed column (acronyms, year established with what else the
line says, address by country convention, website, stakeholder group), with findings. A value
that cannot be right (an impossible year, a website that is not an http(s) URL) is a *field
defect*: the column is published as null and the value kept with its reason (field-level
quarantine); the rest of the record stands. Only a profile that cannot be identified (no name and
no acronym, or a name line far too long to be a name) is quarantined whole. It must not look at
the prose except the summary sentence that may state the year established.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pipeline.extract.address import read_address
from pipeline.extract.model import FieldDefect, HeaderField
from pipeline.findings import Finding
from pipeline.vocab import Vocabulary, fold, group_key

_EMPTY_VALUES = {"", "n a", "na", "none", "nil", "unknown", "tbc", "tbd"}
_NO_ACRONYM = re.compile(r"^(?:[Nn]o|[Nn]one|[Nn]ot|[Ww]ithout)\b(?!\S*[A-Z]{2})")
_ACRONYM_SPLIT = re.compile(r"\s*[,;/]\s*|\s+or\s+")
_GLOSS = re.compile(r"\s*\([^()]*\)")
_NUMBER = re.compile(r"\b(\d{1,6})\b")
_SUMMARY_YEAR = re.compile(
    r"\b(?:[Ee]stablished|[Ff]ounded|[Cc]reated|[Ss]et up|[Ll]aunched|[Ee]stablishment|[Ff]oundation|[Cc]reation|[Ii]nception)"
    r"\s+in\s+(?:(?:early|late|mid)[- ])?(?:[A-Z][a-z]+\s+)?(\d{4})\b"
)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_DOMAIN = re.compile(r"^(?:www\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?:/\S*)?$")
FIRST_YEAR = 1000  # the earliest year established the data accepts


def slug(text: str) -> str:
    return "-".join(fold(text).split())


@dataclass
class Header:
    """The organisation columns read from a header, and what was wrong with it."""

    row: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)
    defects: list[FieldDefect] = field(default_factory=list)  # nulled fields (field-level quarantine)
    blocking: list[Finding] = field(default_factory=list)  # the profile cannot be published at all


@dataclass(frozen=True)
class HeaderInput:
    """What the header step reads: the fields, the name line and the summary below the header."""

    fields: dict[str, HeaderField]
    name: str | None
    name_line: int | None
    summary: str
    summary_line: int | None
    rel: str


def split_acronyms(value: str) -> list[str]:
    folded = fold(value)
    if not value.strip(" .-–—") or (folded and folded in _EMPTY_VALUES):  # fold drops non-Latin letters
        return []
    if _NO_ACRONYM.match(value):  # "No acronym", "None official", "Not applicable": a statement, not an acronym
        return []
    # "UNHCR (UN Refugee Agency)": the bracket glosses the acronym, it is not part of it.
    value = _GLOSS.sub("", value) or value
    return [a for a in (p.strip(" .") for p in _ACRONYM_SPLIT.split(value)) if a]


class _Reader:
    """Collects one header's findings and defects while its columns are read."""

    def __init__(self, given: HeaderInput, vocab: Vocabulary, today: date) -> None:
        self.given, self.vocab, self.today = given, vocab, today
        self.out = Header(row={})
        self.label = given.name or "profile"

    def finding(self, rule: str, message: str, line: int | None, column: str | None = None, value: str | None = None) -> None:
        self.out.findings.append(
            Finding(
                rule,
                f"{self.label!r}: {message}",
                table="organizations",
                column=column,
                value=value,
                source_file=self.given.rel,
                source_line=line,
            )
        )

    def defect(self, f: HeaderField, rule: str, reason: str) -> None:
        """The field is published as null; its value is kept with the reason."""
        self.out.row[f.column] = None
        self.out.defects.append(FieldDefect(f.column, f.value, f.line, rule, reason))
        self.finding(rule, f"{reason}; published as empty, the value is kept in the quarantine", f.line, f.column, f.value)

    def first_line(self) -> int:
        return min([f.line for f in self.given.fields.values()] or [self.given.name_line or 1])


def parse_header(given: HeaderInput, vocab: Vocabulary, *, today: date | None = None) -> Header:
    r = _Reader(given, vocab, today or date.today())
    _identity(r)
    _established(r)
    _address(r)
    _website(r)
    _stakeholder_group(r)
    for column in ("established", "address", "website", "stakeholder_group"):
        if column not in given.fields:
            r.finding(
                "missing-header-field",
                f"no {column.replace('_', ' ').capitalize()} line in the header",
                given.name_line or r.first_line(),
                column,
            )
    return r.out


def _identity(r: _Reader) -> None:
    """Name, acronyms and the identifier made from them."""
    given, row = r.given, r.out.row
    acronym_field = given.fields.get("acronym")
    acronyms = split_acronyms(acronym_field.value) if acronym_field else []
    row["name"] = given.name
    row["acronym"] = acronyms[0] if acronyms else None
    row["alternate_acronyms"] = ";".join(acronyms[1:]) or None
    r.label = given.name or row["acronym"] or "profile"
    row["organization_id"] = slug(row["acronym"] or "") or slug(given.name or "") or None
    where = acronym_field.line if acronym_field else given.name_line
    if not given.name and not acronyms:
        r.out.blocking.append(
            Finding(
                "profile-unidentifiable",
                "profile has neither a name line nor an acronym, so it cannot be identified",
                table="organizations",
                source_file=given.rel,
                source_line=r.first_line(),
            )
        )
    elif row["organization_id"] is None:
        r.out.blocking.append(
            Finding(
                "profile-unidentifiable",
                f"neither the acronym {row['acronym']!r} nor the name {given.name!r} gives an identifier "
                "(it needs Latin letters or digits)",
                table="organizations",
                column="organization_id",
                source_file=given.rel,
                source_line=where,
            )
        )
    elif not given.name:
        r.finding("missing-name", "the profile has no name line above its header", r.first_line(), "name")
    elif not acronyms:
        r.finding("missing-acronym", "no acronym; its identifier is made from the name", given.name_line, "acronym")


def _established(r: _Reader) -> None:
    """The year from the `Established:` line (what else the line says kept), else from the summary."""
    row, f = r.out.row, r.given.fields.get("established")
    row["established"] = row["established_source"] = row["established_text"] = None
    if f is not None and fold(f.value) not in _EMPTY_VALUES:
        numbers = list(_NUMBER.finditer(f.value))  # "12 May 1998": the four-digit number is the year
        m = next((x for x in numbers if len(x.group(1)) == 4), numbers[0] if numbers else None)
        if m is None:
            r.defect(f, "established-unparseable", f"Established {f.value!r} is not a year")
            return
        year = int(m.group(1))
        if not FIRST_YEAR <= year <= r.today.year:
            r.defect(
                f, "established-impossible", f"year established {year} is impossible (it must lie between {FIRST_YEAR} and {r.today.year})"
            )
            return
        row["established"], row["established_source"] = year, "header"
        if f.value.strip() != m.group(1):  # "c. 1950", "1919 (Geneva office 1946)", "12 May 1998"
            row["established_text"] = f.value.strip()
            r.finding(
                "established-qualified",
                f"Established {f.value!r} is read as {year}; the line as written is kept in established_text",
                f.line,
                "established",
                f.value,
            )
        return
    _established_from_summary(r)


def _established_from_summary(r: _Reader) -> None:
    row, summary = r.out.row, r.given.summary
    found = [m for m in _SUMMARY_YEAR.finditer(summary) if FIRST_YEAR <= int(m.group(1)) <= r.today.year] if summary else []
    if not found:
        return
    m = found[0]
    line = (r.given.summary_line or 1) + summary.count("\n", 0, m.start())
    row["established"], row["established_source"] = int(m.group(1)), "summary"
    row["established_text"] = "; ".join(x.group(0) for x in found)  # "founded in 1919; established in 1946"
    r.finding("established-from-summary", f"no Established line; year {m.group(1)} taken from the summary", line, "established", m.group(0))


def _address(r: _Reader) -> None:
    row, f = r.out.row, r.given.fields.get("address")
    row["address"] = f.value if f is not None and f.value else None
    row["postal_code"] = row["city"] = row["country_code"] = None
    if row["address"] is None or f is None:
        return
    parsed = read_address(f.value, r.vocab)
    row["postal_code"], row["city"], row["country_code"] = parsed.postal_code, parsed.city, parsed.country_code
    if parsed.problems:
        r.finding(
            "address-unparsed",
            f"could not read the whole address ({'; '.join(parsed.problems)}); what was read is published, the rest left empty",
            f.line,
            "address",
            f.value,
        )


def _website(r: _Reader) -> None:
    row, f = r.out.row, r.given.fields.get("website")
    row["website"] = None
    if f is None or not f.value:
        return
    scheme = _SCHEME.match(f.value)
    if scheme and scheme.group(1).lower() not in ("http", "https"):
        r.defect(f, "website-scheme", f"website {f.value!r} uses the scheme {scheme.group(1)!r}; only http(s) is allowed")
    elif any(c.isspace() for c in f.value) or (not scheme and not _DOMAIN.match(f.value)):
        r.defect(f, "website-scheme", f"website {f.value!r} is not a URL")
    elif not scheme:
        row["website"] = "https://" + f.value
        r.finding("website-not-https", f"website {f.value!r} has no scheme; published as https://{f.value}", f.line, "website", f.value)
    else:
        row["website"] = f.value


def _stakeholder_group(r: _Reader) -> None:
    """The group as the vocabulary names it ("Academia & think tank" → "Academia and think tanks")."""
    row, f = r.out.row, r.given.fields.get("stakeholder_group")
    row["stakeholder_group"] = None
    if f is None or not f.value:
        return
    known = r.vocab.stakeholder_groups.get(group_key(f.value))
    row["stakeholder_group"] = known or f.value
    if known is None:
        r.finding(
            "stakeholder-group-unknown",
            f"stakeholder group {f.value!r} is not in vocabularies/stakeholder_groups.csv; published as written",
            f.line,
            "stakeholder_group",
            f.value,
        )
