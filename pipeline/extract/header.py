"""The profile header: name line and `Label: value` fields, parsed into organisation columns.

Scope: parse the values of one profile's header (acronyms, year, address, website) into typed
fields with findings; decide whether the header is too broken to publish (quarantine). It must not
look at the profile's prose except the summary sentence that may state the year established.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from pipeline.extract.matching import resolve_country
from pipeline.findings import Finding
from pipeline.vocab import Vocabulary, fold

_EMPTY_VALUES = {"", "n a", "na", "none", "nil", "unknown", "tbc", "tbd"}
_NO_ACRONYM = re.compile(r"^(?:[Nn]o|[Nn]one|[Nn]ot|[Ww]ithout)\b(?!\S*[A-Z]{2})")
_ACRONYM_SPLIT = re.compile(r"\s*[,;/]\s*|\s+or\s+")
_YEAR = re.compile(r"\b(\d{1,6})\b")
_SUMMARY_YEAR = re.compile(r"\b(?:[Ee]stablished|[Ff]ounded|[Cc]reated|[Ss]et up|[Ll]aunched)\s+in\s+(\d{4})\b")
_POSTAL = re.compile(r"^(?:(?P<prefix>[A-Z]{1,3})\s?[-–—]\s?)?(?P<code>\d{4,5})\s+(?P<city>[^\d].*?)(?:\s+\d{1,3})?$")
_DISTRICT = re.compile(r"\s+\d{1,3}$")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_DOMAIN = re.compile(r"^(?:www\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?:/\S*)?$")
_COUNTRY_PREFIX = {"CH": "CH", "F": "FR", "FR": "FR", "D": "DE", "DE": "DE", "I": "IT", "A": "AT", "FL": "LI", "LI": "LI"}


def slug(text: str) -> str:
    return "-".join(fold(text).split())


@dataclass
class HeaderResult:
    row: dict
    findings: list[Finding] = field(default_factory=list)
    blocking: list[Finding] = field(default_factory=list)  # errors that quarantine the profile


_GLOSS = re.compile(r"\s*\([^()]*\)")


def split_acronyms(value: str) -> list[str]:
    folded = fold(value)
    if not value.strip(" .-–—") or (folded and folded in _EMPTY_VALUES):  # fold drops non-Latin letters
        return []
    if _NO_ACRONYM.match(value):  # "No acronym", "None official", "Not applicable": a statement, not an acronym
        return []
    # "UNHCR (UN Refugee Agency)": the bracket glosses the acronym, it is not part of it.
    value = _GLOSS.sub("", value) or value
    return [a for a in (p.strip(" .") for p in _ACRONYM_SPLIT.split(value)) if a]


def parse_address(address: str, vocab: Vocabulary) -> tuple[str | None, str | None, str | None]:
    """'Palais des Nations, CH-1211 Genève 10, Switzerland' → ('1211', 'Geneva', 'CH')."""
    parts = [p.strip() for p in address.split(",") if p.strip()]
    postal = city = country = None
    for i in range(len(parts) - 1, -1, -1):
        m = _POSTAL.match(parts[i])
        if m:
            postal, city = m.group("code"), m.group("city").strip()
            words = city.split()  # "1211 Genève 20 Switzerland": a country written without a comma
            for k in range(min(3, len(words) - 1), 0, -1):
                if code := resolve_country(" ".join(words[-k:])):
                    city, country = _DISTRICT.sub("", " ".join(words[:-k])), code
                    break
            prefix = m.group("prefix")
            if prefix and prefix in _COUNTRY_PREFIX:
                country = _COUNTRY_PREFIX[prefix]
            for later in parts[i + 1 :]:
                country = resolve_country(later) or country
            break
    if country is None and parts:
        country = resolve_country(parts[-1])
    if city is not None:
        city = vocab.city_aliases.get(fold(city), city)
    return postal, city, country


def parse_header(
    fields: dict[str, tuple[str, int]], name: str | None, name_line: int | None, summary: str, summary_line: int | None,
    rel: str, vocab: Vocabulary, *, today: date | None = None,
) -> HeaderResult:
    """``fields``: column → (value as written, source line)."""
    today = today or date.today()
    out = HeaderResult(row={})
    row = out.row

    def finding(rule: str, message: str, line: int | None, column: str | None = None, value: str | None = None, blocking: bool = False, **kw) -> None:
        f = Finding(rule, message, table="organizations", column=column, value=value, source_file=rel, source_line=line, **kw)
        (out.blocking if blocking else out.findings).append(f)

    acronyms = split_acronyms(fields["acronym"][0]) if "acronym" in fields else []
    row["name"] = name
    row["acronym"] = acronyms[0] if acronyms else None
    row["alternate_acronyms"] = ";".join(acronyms[1:]) or None
    label = name or row["acronym"]
    if not name and not acronyms:
        first = min([ln for _, ln in fields.values()] or [name_line or 1])
        finding("profile-unidentifiable", "profile has neither a name line nor an acronym, so it cannot be identified", first, blocking=True)
    elif not name:
        finding("missing-name", f"profile {label!r} has no name line above its header", min(ln for _, ln in fields.values()), column="name")
    elif not acronyms:
        finding("missing-acronym", f"{label!r} has no acronym; its identifier is made from the name", name_line, column="acronym")
    row["organization_id"] = slug(row["acronym"] or "") or slug(name or "") or None
    if row["organization_id"] is None and (name or acronyms):
        finding("profile-unidentifiable", f"neither the acronym {row['acronym']!r} nor the name {name!r} gives an identifier (it needs Latin letters or digits)",
                fields["acronym"][1] if "acronym" in fields else name_line, "organization_id", blocking=True)

    # Year established
    row["established"] = None
    row["established_source"] = None
    if "established" in fields:
        value, line = fields["established"]
        numbers = list(_YEAR.finditer(value))  # "12 May 1998": the four-digit number is the year
        m = next((x for x in numbers if len(x.group(1)) == 4), numbers[0] if numbers else None)
        if fold(value) in _EMPTY_VALUES:
            pass
        elif not m:
            finding("established-unparseable", f"{label!r}: Established {value!r} is not a year", line, "established", value, blocking=True)
        else:
            year = int(m.group(1))
            if not (1000 <= year <= today.year):
                finding("established-impossible", f"{label!r}: year established {year} is impossible (must lie between 1000 and {today.year})", line, "established", value, blocking=True)
            else:
                row["established"], row["established_source"] = year, "header"
    if row["established"] is None and summary:
        m = _SUMMARY_YEAR.search(summary)
        if m and 1000 <= int(m.group(1)) <= today.year:
            line = (summary_line or 1) + summary.count("\n", 0, m.start())
            row["established"], row["established_source"] = int(m.group(1)), "summary"
            finding("established-from-summary", f"{label!r}: no Established line; year {m.group(1)} taken from the summary", line, "established", m.group(0))

    # Address
    address, line = fields.get("address", (None, None))
    row["address"] = address or None
    row["postal_code"] = row["city"] = row["country_code"] = None
    if address:
        row["postal_code"], row["city"], row["country_code"] = parse_address(address, vocab)
        if not (row["postal_code"] and row["city"] and row["country_code"]):
            missing = [k for k in ("postal_code", "city", "country_code") if not row[k]]
            finding("address-unparsed", f"{label!r}: could not read {', '.join(missing)} from the address", line, "address", address)

    # Website
    website, line = fields.get("website", (None, None))
    row["website"] = None
    if website:
        scheme = _SCHEME.match(website)
        if scheme and scheme.group(1).lower() not in ("http", "https"):
            finding("website-scheme", f"{label!r}: website {website!r} uses the scheme {scheme.group(1)!r}; only http(s) is allowed", line, "website", website, blocking=True)
        elif not scheme and _DOMAIN.match(website):
            row["website"] = "https://" + website
            finding("website-not-https", f"{label!r}: website {website!r} has no scheme; published as https://{website}", line, "website", website)
        elif not scheme:
            finding("website-scheme", f"{label!r}: website {website!r} is not a URL", line, "website", website, blocking=True)
        else:
            row["website"] = website
    row["stakeholder_group"] = fields.get("stakeholder_group", (None, None))[0] or None

    for column in ("acronym", "established", "address", "website", "stakeholder_group"):
        if column not in fields and not (column == "acronym"):
            finding("missing-header-field", f"{label!r}: no {column.replace('_', ' ').capitalize()} line in the header", name_line or min([ln for _, ln in fields.values()] or [1]), column)
    return out
