"""Structured findings shared by extraction, validation, checks and reports.

Scope: the ``Finding`` record, the catalogue of rules with their default severity and the hint that
tells an editor how to fix the source, and small helpers to count findings. It must not detect
anything itself: extractors and validators create findings, reports render them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import Literal

Severity = Literal["error", "warning", "info"]
_SCALARS = (str, int, float, bool, type(None))  # immutable: a copied dict of these is a deep copy
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@dataclass(frozen=True)
class Rule:
    """A rule's identity: ``severity`` is its default, ``hint`` how to fix the source."""

    name: str
    severity: Severity
    title: str
    hint: str


def _rules(*rows: tuple[str, Severity, str, str]) -> dict[str, Rule]:
    return {name: Rule(name, sev, title, hint) for name, sev, title, hint in rows}


# The rule catalogue. Severity: error blocks publication, warning needs an editor's acceptance,
# info is shown. Documented in README.md ("Validation rules").
RULES: dict[str, Rule] = _rules(
    # -- input files ------------------------------------------------------------------------
    ("file-unreadable", "error", "Source file cannot be read", "Check the file's permissions and that it is a regular file."),
    ("file-empty", "error", "Source file is empty", "Remove the file or paste the profiles into it."),
    ("file-binary", "error", "Source file is not text", "Export the profiles as plain UTF-8 text."),
    ("file-encoding-unknown", "error", "Source file is not UTF-8", "Re-save the file as UTF-8."),
    (
        "file-encoding-converted",
        "warning",
        "Source file was decoded from another encoding",
        "Re-save the file as UTF-8 so nothing depends on the guess.",
    ),
    (
        "file-name-clash",
        "error",
        "Two source files with the same name",
        "Give every source file a distinct name, or extract the folders separately.",
    ),
    (
        "file-outside-sources",
        "error",
        "Source path leads outside the sources folder",
        "Copy the file into the sources folder instead of linking to it.",
    ),
    (
        "file-not-regular",
        "warning",
        "Not a regular file in the sources folder",
        "Remove the named pipe, socket or device from the sources folder; only regular files are read.",
    ),
    (
        "file-skipped",
        "info",
        "File or folder in the sources folder not read",
        "Nothing to do if it is not a profile file: hidden files and links to folders are never read.",
    ),
    (
        "run-failed",
        "error",
        "The pipeline run failed before its release candidate",
        "Read the reason: fix the named file or folder (a link loop, permissions, disk space), then run again.",
    ),
    (
        "cache-entry-invalid",
        "info",
        "Extraction cache entry could not be used",
        "Nothing to do: the file was extracted again and its cache entry replaced.",
    ),
    ("line-too-long", "warning", "Very long line", "Check the file: a line this long is usually a paste or conversion accident."),
    (
        "text-before-first-profile",
        "warning",
        "Text before the first profile",
        "Delete the stray text or add the profile header it belongs to.",
    ),
    (
        "no-profiles",
        "error",
        "No profile found in file",
        "A profile starts with the name line followed by `Acronym:`, `Established:`, `Address:`, `Website:` or `Stakeholder group:` lines.",
    ),
    # -- profile header ---------------------------------------------------------------------
    ("profile-unidentifiable", "error", "Profile has neither name nor acronym", "Add the organisation's name line or an `Acronym:` line."),
    (
        "profile-truncated",
        "warning",
        "Profile ends inside its header",
        "The profile has header lines but no text (the page was cut off): restore the missing part. The record is kept; "
        "a header value the file ends in the middle of is left empty.",
    ),
    (
        "name-too-long",
        "error",
        "Name line far too long",
        "The line above the header is too long to be a name: put the organisation's name on its own line; the profile "
        "is quarantined until then.",
    ),
    ("missing-name", "warning", "Profile has no name line", "Add the organisation's name on its own line above the header."),
    (
        "missing-acronym",
        "info",
        "Profile has no acronym",
        "Add an `Acronym:` line if the organisation has one; the identifier is made from the name.",
    ),
    ("missing-header-field", "info", "Header field missing", "Add the field to the profile's header if it is known."),
    ("duplicate-header-field", "warning", "Header field given twice", "Keep one line per header field."),
    (
        "unknown-header-field",
        "info",
        "Unknown header field",
        "Check the label: known labels are Acronym, Established, Address, Website, Stakeholder group.",
    ),
    (
        "established-unparseable",
        "warning",
        "Year established is not a year",
        "Write the year as four digits, e.g. `Established: 1995`. The record is published with the year empty.",
    ),
    (
        "established-impossible",
        "warning",
        "Year established is impossible",
        "Correct the year: it must lie between 1000 and the current year. The record is published with the year empty.",
    ),
    (
        "established-qualified",
        "info",
        "Year established written with more than the year",
        "Nothing to do if the year is right: the line as written is kept in `established_text`.",
    ),
    ("established-from-summary", "info", "Year established read from the summary", "Add an `Established:` line to the header."),
    (
        "website-scheme",
        "warning",
        "Website is not an http(s) URL",
        "Give the website as an https:// address. The record is published with the website empty.",
    ),
    ("website-not-https", "warning", "Website uses plain http", "Use the https:// address if the site offers one."),
    (
        "address-unparsed",
        "info",
        "Address could not be fully parsed",
        "Check the address: postal code, city and country should be recognisable. The parts read are published, the others left empty.",
    ),
    (
        "stakeholder-group-unknown",
        "info",
        "Stakeholder group not in the vocabulary",
        "Use one of the groups of vocabularies/stakeholder_groups.csv, or add the group (or an alias) there.",
    ),
    (
        "duplicate-organization",
        "error",
        "Same organisation profiled twice with conflicting values",
        "Keep one profile per organisation, or make the values agree.",
    ),
    ("duplicate-organization-same", "info", "Same organisation profiled twice with the same values", "Remove the repeated profile."),
    # -- structure ----------------------------------------------------------------------------
    ("misspelt-heading", "warning", "Misspelt section heading", "Correct the heading's spelling."),
    ("variant-heading", "info", "Variant of a known section heading", "Use the atlas's heading if the section is the same."),
    (
        "unmapped-issue-heading",
        "warning",
        "Heading under Digital policy issues matches no issue",
        "Add the issue or an alias to vocabularies/ if it is one; otherwise nothing to do.",
    ),
    ("empty-section", "warning", "Section has no text", "Write the section's text or remove the heading."),
    (
        "list-intro-without-list",
        "warning",
        "List introduction with no list after it",
        "Add the list the line announces, or rephrase the line.",
    ),
    (
        "placeholder-text",
        "warning",
        "Editorial placeholder or question left in the text",
        "Replace the placeholder with the real text or delete it.",
    ),
    (
        "social-line-outside-social-section",
        "info",
        "Platform @handle line outside the social-media section",
        "Move the account under the social-media heading.",
    ),
    (
        "social-line-unparsed",
        "warning",
        "Line in the social-media section is not `Platform @handle`",
        "Write each account as `Platform @handle`.",
    ),
    (
        "unknown-social-platform",
        "info",
        "Social-media platform not in the vocabulary",
        "Add the platform to vocabularies/social_platforms.csv if it is real.",
    ),
    ("duplicate-section-id", "info", "Same heading twice at one level", "Check whether the repeated heading is intended."),
    ("duplicate-issue", "warning", "Same policy issue under two headings", "Merge the two headings."),
    (
        "section-repeated",
        "error",
        "Top-level section repeated in one profile",
        "Two profiles may have run together: check the header of the profile that starts before the repeated section "
        "(its name line and `Label:` lines).",
    ),
    # -- footnotes ------------------------------------------------------------------------------
    ("footnote-undefined", "warning", "Footnote cited but never defined", "Add the footnote or remove the marker."),
    (
        "footnote-uncited",
        "warning",
        "Footnote defined but never cited",
        "Add the marker where the footnote belongs, or delete the footnote.",
    ),
    (
        "footnote-cited-twice",
        "warning",
        "One footnote number cited by two headings",
        "Check the markers: each footnote belongs to one heading.",
    ),
    (
        "footnote-issue-mismatch",
        "warning",
        "Footnote cited on a heading it does not describe",
        "Move the marker to the heading the footnote is about.",
    ),
    ("footnote-duplicate-number", "warning", "Footnote number defined twice", "Renumber the footnotes."),
    # -- text quality ------------------------------------------------------------------------------
    (
        "mixed-script-word",
        "warning",
        "Word mixes Latin and another script",
        "Retype the word: a look-alike letter from another alphabet is inside it.",
    ),
    ("run-together-words", "warning", "Words run together", "Add the missing space."),
    (
        "spreadsheet-formula",
        "warning",
        "Value would run as a spreadsheet formula",
        "Reword the value so it does not start with =, +, - or @ (CSV cells are written with a leading apostrophe).",
    ),
    ("markup-in-text", "warning", "Markup in profile text", "Remove the HTML from the profile; it is published as plain text."),
    ("control-characters", "warning", "Control characters in text", "Remove the invisible control characters."),
    # -- schema / cross-table --------------------------------------------------------------------
    ("schema", "error", "Value breaks the table schema", "Correct the source so the value fits the column's type and constraints."),
    (
        "schema-published-file",
        "error",
        "Published file breaks the data package schema",
        "A bug in the pipeline or a corrupt file: re-run and report it.",
    ),
    ("established-in-future", "error", "Year established lies in the future", "Correct the year."),
    ("foreign-key", "error", "Row refers to a missing row", "A bug in the pipeline or an inconsistent source: report it."),
    # -- editors' corrections (pipeline.corrections; the corrections file, sources/corrections.yaml by default) --------
    (
        "corrections-file-invalid",
        "error",
        "Corrections file cannot be read",
        "Fix the corrections file at the line named (it must be YAML: a `corrections:` list of entries). Until then no "
        "correction is applied, so publishing would drop them all.",
    ),
    (
        "correction-invalid",
        "warning",
        "Correction entry is invalid; skipped",
        "Fix the entry at the line named: organization, table, column, value (or source_value and replace), reason, editor and "
        "date (YYYY-MM-DD); the key columns for tables with a compound key. The other entries are applied.",
    ),
    (
        "correction-stale",
        "warning",
        "Correction no longer fits the source; not applied",
        "The organisation or row is gone, or the publisher's text changed (the entry's source_value is no longer there): "
        "check the source, then update or delete the entry.",
    ),
    (
        "correction-rejected",
        "warning",
        "Correction value breaks the column's rules; not applied",
        "Write a value the column accepts (its type, pattern, range; a year that is possible, an http(s) website).",
    ),
    ("correction-unneeded", "info", "Correction changes nothing", "The source already gives this value: delete the entry."),
)
# Statuses of a finding: ``open`` (to act on) or ``corrected`` (an editors' correction resolved it).
STATUSES: tuple[str, ...] = ("open", "corrected")


@dataclass(frozen=True)
class Finding:
    """One thing a check found, pointing at the source file and line where it can be fixed."""

    rule: str
    message: str
    severity: Severity | None = None  # None → the rule's default severity
    table: str | None = None
    key: dict[str, object] | None = None
    column: str | None = None
    value: str | None = None
    source_file: str | None = None
    source_line: int | None = None
    excerpt: str | None = None
    hint: str | None = field(default=None)
    # "corrected" when an editors' correction resolved it; ``resolution`` then says which (the
    # corrections file and line, editor, date, reason, old and new value, the severity it had).
    status: str = "open"
    resolution: dict[str, str | int | None] | None = None

    def __post_init__(self) -> None:
        rule = RULES.get(self.rule)
        if rule is None:
            raise KeyError(f"unknown rule {self.rule!r}; add it to pipeline.findings.RULES")
        if self.severity is None:
            object.__setattr__(self, "severity", rule.severity)
        if self.hint is None:
            object.__setattr__(self, "hint", rule.hint)

    @property
    def location(self) -> str:
        if self.source_file is None:
            return ""
        return f"{self.source_file}:{self.source_line}" if self.source_line else self.source_file

    def to_dict(self) -> dict[str, object]:
        """The fields as a dict, as ``dataclasses.asdict`` gives them (``key`` copied), without its
        recursive deep copy (findings are serialised by the tens of thousands)."""
        key = self.key
        if self.resolution is not None or (key is not None and not all(type(v) in _SCALARS for v in key.values())):
            return asdict(self)
        return {
            "rule": self.rule,
            "message": self.message,
            "severity": self.severity,
            "table": self.table,
            "key": None if key is None else dict(key),
            "column": self.column,
            "value": self.value,
            "source_file": self.source_file,
            "source_line": self.source_line,
            "excerpt": self.excerpt,
            "hint": self.hint,
            "status": self.status,
            "resolution": None,
        }

    def sort_key(self) -> tuple:
        return (
            SEVERITIES.index(self.severity),
            self.source_file or "",
            self.source_line or 0,
            self.rule,
            self.table or "",
            self.column or "",
            str(self.value or ""),
        )


# (rule, message, table, key, column, value, source file, source line, excerpt) of one finding
LocatedRow = tuple[str, str, "str | None", "dict[str, object] | None", "str | None", "str | None", "str | None", "int | None", "str | None"]


def make_findings(rows: Iterable[LocatedRow]) -> list[Finding]:
    """The findings ``Finding(rule, message, table=…, key=…, column=…, value=…, source_file=…,
    source_line=…, excerpt=…)`` makes of each row, equal to them, made about twice as fast for the
    tens of thousands the checks make: a frozen dataclass sets each field through
    ``object.__setattr__``; here each finding is given its whole ``__dict__`` at once, and each
    rule's severity and hint are looked up once."""
    defaults = {f.name: f.default for f in fields(Finding)}
    status, resolution = defaults.pop("status"), defaults.pop("resolution")
    others = {name: value for name, value in defaults.items() if name not in _MADE}  # fields added later: their defaults
    rules: dict[str, tuple[str, str | None]] = {}  # rule → its severity and hint
    new, give = object.__new__, object.__setattr__
    out: list[Finding] = []
    append = out.append
    for rule, message, table, key, column, value, source_file, source_line, excerpt in rows:
        if (spec := rules.get(rule)) is None:
            if rule not in RULES:
                raise KeyError(f"unknown rule {rule!r}; add it to pipeline.findings.RULES")
            spec = rules[rule] = (RULES[rule].severity, RULES[rule].hint)
        finding = new(Finding)
        give(finding, "__dict__", {"rule": rule, "message": message, "severity": spec[0], "table": table, "key": key,
                                   "column": column, "value": value, "source_file": source_file, "source_line": source_line,
                                   "excerpt": excerpt, "hint": spec[1], "status": status, "resolution": resolution})
        if others:
            finding.__dict__.update(others)
        append(finding)
    return out


_MADE = frozenset("rule message severity table key column value source_file source_line excerpt hint".split())


def severity_counts(findings: Iterable[Finding]) -> dict[str, int]:
    counts = Counter(f.severity for f in findings)
    return {s: counts.get(s, 0) for s in SEVERITIES}


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


def excerpt_of(text: str, limit: int = 240) -> str:
    """A one-line excerpt of source text for reports (never more than ``limit`` characters): its
    ``str.split()`` words joined by one space. (A printable text holds no whitespace but the ASCII
    space, every other one being a separator or control character: with no double, leading or
    trailing space, it is its own excerpt, found without splitting it.)"""
    one = text if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " " else " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"
