"""The corrections file: YAML entries read with their line numbers and validated by a typed model.

Scope: read the editors' corrections file (``sources/corrections.yaml`` by default; the
configuration's ``corrections`` setting) into :class:`Entry` records, each with the line it starts
on; validate every entry with the pydantic model :class:`Entry` (required fields, no unknown
field, a real date, exactly one of ``value`` or ``replace``). ``value``, ``source_value``,
``replace`` and the key's values are read as the text written, never as YAML's guesses (``1.10``
stays ``1.10``, ``no`` stays ``no``, ``0123`` stays ``0123``); only ``null``, ``~`` or nothing is
null. A file that is not YAML or not a list of entries gives one ``corrections-file-invalid``
error naming the file and line; an invalid entry gives a ``correction-invalid`` warning naming
file and line and is skipped, the others are kept. Never raises on bad content. It must not look
at the tables: :mod:`pipeline.corrections.apply` decides what an entry does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipeline.findings import Finding

LIST_KEY = "corrections"  # the top-level key of the file (a bare list of entries is read too)
FORMAT_KEY = "format"
FORMAT = 1
_NULL_TAG = "tag:yaml.org,2002:null"
# The rules of findings about the corrections file itself (never resolved by a correction).
CORRECTION_RULES = frozenset(
    {"corrections-file-invalid", "correction-invalid", "correction-stale", "correction-rejected", "correction-unneeded"}
)
# Rules about records or the profile's structure, not one cell's value: a correction of a cell
# never resolves them (the fix is in the source), so no entry is suggested for them either.
RECORD_RULES = frozenset(
    {"duplicate-organization", "duplicate-organization-same", "duplicate-section-id", "duplicate-issue", "section-repeated"}
)
UNRESOLVED_RULES = CORRECTION_RULES | RECORD_RULES


class Entry(BaseModel):
    """One correction as the editors write it (the file's line is kept beside it)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)

    organization: str = Field(
        min_length=1,
        validation_alias=AliasChoices("organization", "organisation"),
        description="organization_id of the organisation whose record holds the cell",
    )
    table: str = Field(min_length=1, description="the table of the cell (organizations, sections, ...)")
    key: dict[str, str] = Field(default_factory=dict, description="the other primary-key columns of the row, for compound keys")
    column: str = Field(min_length=1, description="the column of the cell")
    value: str | None = Field(default=None, description="the value to publish (null empties the cell)")
    source_value: str | None = Field(
        default=None, description="text the source has at this cell now; the correction goes stale when it is no longer there"
    )
    replace: str | None = Field(default=None, description="the text that takes the place of source_value in the cell")
    reason: str = Field(min_length=1, description="why the cell is corrected")
    editor: str = Field(min_length=1, description="who decided it")
    date: dt.date = Field(description="when (YYYY-MM-DD)")

    @model_validator(mode="after")
    def _one_way(self) -> Entry:
        given = self.model_fields_set
        if ("value" in given) == ("replace" in given):
            raise ValueError("give either value (the whole new value) or replace (with source_value), not both or neither")
        if "replace" in given and (self.replace is None or not self.source_value):
            raise ValueError("replace needs a source_value (the text it replaces) and cannot be null")
        for name in ("reason", "editor"):
            if not getattr(self, name).strip():
                raise ValueError(f"{name} is empty")
        return self

    @property
    def sets_value(self) -> bool:
        """True for ``value:`` (the whole cell), False for ``replace:`` (part of its source text)."""
        return "value" in self.model_fields_set


@dataclass(frozen=True)
class Located:
    """An entry and where it is: the file as findings name it and the line the entry starts on."""

    entry: Entry
    file: str
    line: int
    text: str  # the entry's first line as written (the findings' excerpt)


@dataclass(frozen=True)
class CorrectionsFile:
    """What the file gave: its valid entries, the findings about it, its bytes' sha256 and size."""

    entries: list[Located]
    findings: list[Finding]
    text: str = ""


def read_corrections(path: Path, name: str) -> CorrectionsFile:
    """The entries of the corrections file ``path`` (named ``name`` in findings). A missing file
    has no entries and no finding (the file is optional)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return CorrectionsFile([], [])
    except OSError as exc:
        return CorrectionsFile([], [_file_finding(name, None, f"cannot be read ({exc.strerror or exc})")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        at = data[: exc.start].count(b"\n") + 1
        return CorrectionsFile([], [_file_finding(name, at, "is not UTF-8 text; save it as UTF-8")])
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if "mapping values are not allowed" in problem:
            problem += " (a value that holds ': ' must be in double quotes, e.g. reason: \"Says: 1991\")"
        return CorrectionsFile([], [_file_finding(name, line, f"is not valid YAML: {problem}")], text)
    items, problem = _items(root)
    if problem is not None:
        return CorrectionsFile([], [_file_finding(name, problem[0], problem[1])], text)
    lines = text.splitlines()
    entries: list[Located] = []
    findings: list[Finding] = []
    for node in items:
        line = node.start_mark.line + 1
        excerpt = lines[line - 1].strip() if line <= len(lines) else ""
        entry, error = _entry(node)
        if entry is None:
            findings.append(_entry_finding(name, line, error, excerpt))
        else:
            entries.append(Located(entry, name, line, excerpt))
    return CorrectionsFile(entries, findings, text)


def _file_finding(name: str, line: int | None, problem: str) -> Finding:
    return Finding(
        "corrections-file-invalid",
        f"corrections file {name} {problem}; no correction is applied",
        source_file=name,
        source_line=line,
    )


def _entry_finding(name: str, line: int, problem: str, excerpt: str) -> Finding:
    return Finding(
        "correction-invalid",
        f"correction at {name}:{line} is skipped: {problem}",
        source_file=name,
        source_line=line,
        excerpt=excerpt or None,
    )


def _items(root: yaml.Node | None) -> tuple[list[yaml.Node], tuple[int, str] | None]:
    """The entry nodes of the document, or (line, problem) when it is not a list of entries."""
    if root is None:  # an empty file, or only comments
        return [], None
    line = root.start_mark.line + 1
    if isinstance(root, yaml.MappingNode):
        pairs = {_scalar_text(k) or "": v for k, v in root.value}
        unknown = sorted(k for k in pairs if k not in (LIST_KEY, FORMAT_KEY))
        if unknown:
            return [], (line, f"has unknown top-level key(s) {', '.join(map(repr, unknown))} (expected {LIST_KEY!r})")
        fmt = pairs.get(FORMAT_KEY)
        if fmt is not None and _scalar_text(fmt) != str(FORMAT):
            return [], (fmt.start_mark.line + 1, f"is format {_scalar_text(fmt)!r}; this version reads format {FORMAT}")
        root = pairs.get(LIST_KEY)
        if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == _NULL_TAG):
            return [], None
        line = root.start_mark.line + 1
    if not isinstance(root, yaml.SequenceNode):
        return [], (line, f"must hold a list of entries under {LIST_KEY!r} (each entry starts with '- ')")
    return list(root.value), None


def _scalar_text(node: yaml.Node) -> str | None:
    """A scalar as written (``None`` for YAML's null), or ``None`` for anything else."""
    if not isinstance(node, yaml.ScalarNode) or node.tag == _NULL_TAG:
        return None
    return str(node.value)


def _entry(node: yaml.Node) -> tuple[Entry | None, str]:
    """The entry of a list item, or None and what is wrong with it."""
    if not isinstance(node, yaml.MappingNode):
        return None, "an entry must be a mapping of fields (organization:, table:, column:, ...)"
    raw: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for key_node, value_node in node.value:
        name = _scalar_text(key_node)
        if name is None:
            return None, f"line {key_node.start_mark.line + 1}: a field name must be plain text"
        if name in raw:
            return None, f"field {name!r} is given twice"
        lines[name] = key_node.start_mark.line + 1
        if name == "key":
            if not isinstance(value_node, yaml.MappingNode):
                return None, "key must be a mapping of the row's other key columns, e.g. key: {section_id: digital-tools}"
            raw[name] = {_scalar_text(k) or "": _scalar_text(v) for k, v in value_node.value}
        elif isinstance(value_node, yaml.ScalarNode):
            raw[name] = _scalar_text(value_node)
        else:
            return None, f"field {name!r} must be a single value, not a list or mapping"
    try:
        return Entry.model_validate(raw), ""
    except ValidationError as exc:
        return None, _describe(exc, lines)


def _describe(exc: ValidationError, lines: dict[str, int]) -> str:
    parts = []
    for error in exc.errors()[:3]:
        field = ".".join(str(p) for p in error["loc"]) or "entry"
        msg = error["msg"].removeprefix("Value error, ")
        if error["type"] == "missing":
            parts.append(f"{field} is missing")
        elif error.get("input") is None or error["type"] == "string_too_short":
            parts.append(f"{field} is empty")
        elif error["type"] == "extra_forbidden":
            parts.append(f"unknown field {field!r} (line {lines.get(field, '?')})")
        elif field in lines:
            parts.append(f"{field} (line {lines[field]}): {msg}")
        else:
            parts.append(f"{field}: {msg}" if field != "entry" else msg)
    return "; ".join(parts)
