"""One source file's text → profiles → rows of every table, step by step.

Scope: run the extraction steps over one file: index its lines (``lines``) → find profiles
(``profiles``) → read each header (``header``) → walk the body's headings (``headings``) → build
sections (``sections``) → read footnotes (``footnotes``); record every row's provenance and turn
problems into findings. A field that cannot be right is nulled and kept in the quarantine with its
table, organisation and column; a profile that cannot be identified is quarantined whole with its
reason. The last step, mentions of countries and organisations (``mentions``), needs the whole
corpus and runs in ``combine``. It must not look at other files and must not name any organisation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from pipeline.extract import lines as L
from pipeline.extract.footnotes import CitationCheck, check_citations, find_block, read_footnotes
from pipeline.extract.header import Header, HeaderInput, parse_header
from pipeline.extract.headings import walk_body
from pipeline.extract.model import Body, ColumnRows, FieldDefect, HeaderNote, ProfileSpan
from pipeline.extract.profiles import find_profiles
from pipeline.extract.sections import SECTION_COLUMNS, section_rows
from pipeline.findings import Finding, excerpt_of
from pipeline.vocab import Vocabulary, fold

LONG_LINE = 100_000
TABLES = ("organizations", "sections", "policy_issues", "social_media_accounts", "footnotes", "quarantine")
_EXCERPT_SCAN = 1_000  # an excerpt never needs more of a line than this (keeps long lines linear)


def _excerpt(line: str) -> str:
    return excerpt_of(line[:_EXCERPT_SCAN])


@dataclass
class FileRows:
    """A file's rows by table (``sections`` built as columns) and its findings."""

    sections: ColumnRows = field(default_factory=lambda: ColumnRows(SECTION_COLUMNS))
    lists: dict[str, list[dict]] = field(default_factory=lambda: {k: [] for k in TABLES if k != "sections"})
    findings: list[Finding] = field(default_factory=list)

    @property
    def rows(self) -> dict[str, Sequence[dict]]:
        return {k: self.sections if k == "sections" else self.lists[k] for k in TABLES}


@dataclass(frozen=True)
class _File:
    """What every step of one file needs: its lines, its name and the vocabulary."""

    lines: list[str]
    index: L.LineIndex
    rel: str
    vocab: Vocabulary
    cut_off: bool  # the text does not end with a line break: its last line may be cut


def parse_file(text: str, rel: str, vocab: Vocabulary) -> FileRows:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    f = _File(lines, L.index_lines(text, lines), rel, vocab, not text.endswith("\n"))
    out = FileRows()
    if _has_long_line(text):
        out.findings += [_long_line(f, k) for k, line in enumerate(lines) if len(line) > LONG_LINE]
    spans, notes = find_profiles(lines, f.index, vocab)
    out.findings += [_header_note(f, note) for note in notes]
    if not spans:
        _no_profiles(f, out)
        return out
    _text_before(f, spans[0], out)
    for span in spans:
        _parse_profile(f, span, out)
    return out


def _long_line(f: _File, k: int) -> Finding:
    line = f.lines[k]
    return Finding(
        "line-too-long", f"line {k + 1} has {len(line):,} characters", source_file=f.rel, source_line=k + 1, excerpt=excerpt_of(line[:300])
    )


def _header_note(f: _File, note: HeaderNote) -> Finding:
    """A header line left out: an unknown label, or a field given twice."""
    if note.column is None:
        message, rule = f"{note.label}: is not a known header field; the line is left out of the data", "unknown-header-field"
    else:
        message, rule = f"{note.label}: given twice in one header; the first is used", "duplicate-header-field"
    excerpt = _excerpt(f.lines[note.line - 1])
    return Finding(rule, message, table="organizations", column=note.column, source_file=f.rel, source_line=note.line, excerpt=excerpt)


def _text_before(f: _File, first: ProfileSpan, out: FileRows) -> None:
    """Text before the first profile (another page's): kept in the quarantine, with a warning."""
    pre = L.trim_range(f.lines, 0, first.start - 1)
    if pre:
        message = f"lines {pre[0] + 1}–{pre[1] + 1} come before the first profile and belong to none"
        out.findings.append(
            Finding("text-before-first-profile", message, source_file=f.rel, source_line=pre[0] + 1, excerpt=_excerpt(f.lines[pre[0]]))
        )
        out.lists["quarantine"].append(
            _quarantine(f, pre[0], pre[1], None, "text-before-first-profile", "text before the first profile header")
        )


def _has_long_line(text: str) -> bool:
    """Is some line longer than LONG_LINE? Windows of LONG_LINE characters are searched from their
    end for a line break, so the text is crossed in a few steps rather than line by line."""
    pos, n = 0, len(text)
    while n - pos > LONG_LINE:
        nl = text.rfind("\n", pos, pos + LONG_LINE + 1)
        if nl == -1:
            return True
        pos = nl + 1
    return False


def _no_profiles(f: _File, out: FileRows) -> None:
    nonblank = [k for k, line in enumerate(f.lines) if line.strip()]
    first, last = (nonblank[0], nonblank[-1]) if nonblank else (0, max(len(f.lines) - 1, 0))
    out.findings.append(
        Finding(
            "no-profiles",
            f"{f.rel} holds no profile: no header block (a name line followed by Acronym:, Established:, Address:, Website: "
            "or Stakeholder group:) was found",
            source_file=f.rel,
            source_line=first + 1,
            excerpt=_excerpt(f.lines[first]) if f.lines else None,
        )
    )
    out.lists["quarantine"].append(_quarantine(f, first, last, None, "no-profiles", "no profile header found in the file"))


def _quarantine(f: _File, first: int, last: int, name: str | None, rule: str, reason: str, **cell: object) -> dict:
    """A quarantine row: a rejected range of lines, or (with ``cell``) one nulled field."""
    shown = [line.strip()[:_EXCERPT_SCAN] for line in f.lines[first : last + 1] if line.strip()][:3]
    return {
        "source_file": f.rel,
        "source_line_start": first + 1,
        "source_line_end": max(last, first) + 1,
        "name": name,
        "rule": rule,
        "reason": reason,
        "excerpt": excerpt_of(" | ".join(shown), 400) if shown else None,
        "organization_id": cell.get("organization_id"),
        "table": cell.get("table"),
        "column": cell.get("column"),
        "value": cell.get("value"),
    }


@dataclass
class _Profile:
    """One profile while its steps run: where its parts lie, and what was read of it so far."""

    span: ProfileSpan
    end: int  # last non-blank line
    fn_start: int | None  # first line of the footnote block
    prose_hi: int  # last line of the prose (before the footnotes)
    name: str | None = None
    summary: str | None = None
    summary_line: int | None = None

    @property
    def body_lo(self) -> int:
        return self.span.header_end + 1


def _parse_profile(f: _File, span: ProfileSpan, out: FileRows) -> None:
    """All rows of one profile (or its quarantine row): locate its parts, walk its body, read its
    header, then publish it or quarantine it."""
    rng = L.trim_range(f.lines, span.start, span.end)
    end = rng[1] if rng else span.end
    fn_start = find_block(f.lines, f.index, span.header_end + 1, end)
    p = _Profile(span, end, fn_start, (fn_start - 1) if fn_start is not None else end)
    body = walk_body(f.lines, f.index, p.body_lo, p.prose_hi, f.rel, f.vocab, len(f.lines) - 1 if f.cut_off else None)
    summary_rng = L.trim_range(f.lines, p.body_lo, (body.headings[0].index if body.headings else p.prose_hi + 1) - 1)
    p.summary, p.summary_line = L.block_text(f.lines, summary_rng), summary_rng[0] + 1 if summary_rng else None
    p.name = f.lines[span.name_index].strip() if span.name_index is not None and not span.long_name else None
    name_line = span.name_index + 1 if span.name_index is not None else None
    header = parse_header(HeaderInput(span.fields, p.name, name_line, p.summary or "", p.summary_line, f.rel), f.vocab)
    _check_whole(f, p, header, bool(body.headings or summary_rng or fn_start is not None))
    if header.blocking or not header.row["organization_id"]:
        _quarantine_profile(f, p, header, out)
    else:
        _publish(f, p, header, body, out)


def _quarantine_profile(f: _File, p: _Profile, header: Header, out: FileRows) -> None:
    """A profile that cannot be published: one quarantine row with every reason, and its errors."""
    span = p.span
    label = p.name or header.row.get("acronym") or (f.lines[span.name_index].strip()[:200] if span.name_index is not None else None)
    reason = "; ".join(b.message for b in header.blocking) or "no identifier"
    row = _quarantine(f, span.start, p.end, label, header.blocking[0].rule if header.blocking else "profile-unidentifiable", reason)
    out.lists["quarantine"].append(row)
    out.findings += [replace(b, excerpt=row["excerpt"]) for b in header.blocking]  # the profile's first lines show which it is


def _publish(f: _File, p: _Profile, header: Header, body: Body, out: FileRows) -> None:
    """The organisation's row, its nulled fields in the quarantine, its findings and body rows."""
    org_id = header.row["organization_id"]
    key: dict[str, object] = {"organization_id": org_id}
    out.findings += [_with_excerpt(_keyed(x, key), f.lines) for x in header.findings + body.findings]
    label = p.name or header.row.get("acronym")
    for d in header.defects:
        cell = {"organization_id": org_id, "table": "organizations", "column": d.column, "value": d.value}
        out.lists["quarantine"].append(_quarantine(f, d.line - 1, d.line - 1, label, d.rule, d.reason, **cell))
    source = {"source_file": f.rel, "source_line_start": p.span.start + 1, "source_line_end": p.end + 1}
    out.lists["organizations"].append({**header.row, "summary": p.summary, "summary_source_line": p.summary_line, **source})
    _body_rows(f, p, body, org_id, out)


def _check_whole(f: _File, p: _Profile, header: Header, has_text: bool) -> None:
    """Whole-profile problems: a name line too long to be a name (quarantined), a profile cut off
    inside its header (kept; its last field nulled when the file ends in the middle of it)."""
    span = p.span
    if span.long_name and span.name_index is not None:
        n = len(f.lines[span.name_index].strip())
        header.blocking.insert(
            0,
            Finding(
                "name-too-long",
                f"the line above the header has {n:,} characters: too long for an organisation's name, so the profile cannot be named",
                table="organizations",
                column="name",
                source_file=f.rel,
                source_line=span.name_index + 1,
            ),
        )
    if has_text:
        return
    label = header.row.get("name") or header.row.get("acronym") or "profile"
    header.findings.append(
        Finding(
            "profile-truncated",
            f"{label!r} ends inside its header: no text follows the header lines; the record is kept",
            table="organizations",
            source_file=f.rel,
            source_line=span.header_end + 1,
        )
    )
    last = max(span.fields.values(), key=lambda x: x.line)
    if f.cut_off and last.line == len(f.lines) and last.column != "acronym" and header.row.get(last.column) is not None:
        header.row[last.column] = None  # the file ends inside this line: its value may be cut off
        if last.column == "address":
            header.row["postal_code"] = header.row["city"] = header.row["country_code"] = None
        header.defects.append(
            FieldDefect(
                last.column,
                last.value,
                last.line,
                "profile-truncated",
                f"the file ends inside the {last.label} line, so its value {last.value!r} may be cut off",
            )
        )


def _body_rows(f: _File, p: _Profile, body: Body, org_id: str, out: FileRows) -> None:
    key: dict[str, object] = {"organization_id": org_id}
    notes, note_findings = read_footnotes(f.lines, p.fn_start, p.end, f.rel) if p.fn_start is not None else ({}, [])
    sec = section_rows(body.headings, f.lines, p.prose_hi + 1, org_id, f.rel, f.vocab, notes)
    out.sections.extend_columns(sec.sections)
    out.lists["policy_issues"] += sec.policy_issues
    out.findings += [_keyed(x, key) for x in note_findings] + sec.findings
    out.findings += check_citations(CitationCheck(notes, body.headings, body.citations, key, f.rel), f.lines, f.vocab)
    out.lists["footnotes"] += [
        {"organization_id": org_id, "number": n.number, "text": n.text, "source_line": n.line, "_lines": n.parts}
        for _, n in sorted(notes.items())
    ]
    out.lists["social_media_accounts"] += _accounts(f, body.accounts, key, out.findings)


def _accounts(f: _File, accounts: list[tuple[str, str, int]], key: dict[str, object], findings: list[Finding]) -> list[dict]:
    rows = []
    seen = set()
    for platform, handle, line_no in accounts:
        if not handle or (platform, handle) in seen:
            continue
        seen.add((platform, handle))
        if fold(platform) not in f.vocab.platforms:
            findings.append(
                Finding(
                    "unknown-social-platform",
                    f"platform {platform!r} is not in vocabularies/social_platforms.csv",
                    table="social_media_accounts",
                    key={**key, "platform": platform, "handle": handle},
                    column="platform",
                    value=platform,
                    source_file=f.rel,
                    source_line=line_no,
                    excerpt=_excerpt(f.lines[line_no - 1]),
                )
            )
        rows.append({"organization_id": key["organization_id"], "platform": platform, "handle": handle, "source_line": line_no})
    return rows


def _keyed(f: Finding, key: dict[str, object]) -> Finding:
    return f if f.key is not None else replace(f, key=key)


def _with_excerpt(f: Finding, lines: list[str]) -> Finding:
    if f.excerpt is not None or not f.source_line or f.source_line > len(lines):
        return f
    return replace(f, excerpt=_excerpt(lines[f.source_line - 1]))
