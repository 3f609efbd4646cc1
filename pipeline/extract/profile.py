"""One source file's text → profiles → rows of every table.

Scope: find where profiles start (a header block of known labels, with the name line above it),
walk each profile's body into its heading tree (top-level sections, policy-issue headings, further
sub-headings), social-media accounts and footnotes, and record every line's provenance. Problems
become findings; a profile too broken to publish goes to quarantine with its reason. It must not
look at other files (cross-file work is in ``combine``) and must not name any organisation.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from pipeline.extract import lines as L
from pipeline.extract.header import parse_header, slug
from pipeline.extract.matching import bare_heading, country_matcher, match_issue, match_section, split_marker
from pipeline.findings import Finding, excerpt_of
from pipeline.vocab import Vocabulary, fold

MAX_HEADER_GAP = 2  # non-blank unknown `Label:` lines tolerated inside a header block
LONG_LINE = 100_000
_EXCERPT_SCAN = 1_000  # an excerpt never needs more of a line than this (keeps long lines linear)


def _excerpt(line: str) -> str:
    return excerpt_of(line[:_EXCERPT_SCAN])


@dataclass
class Span:
    name_index: int | None
    header_start: int
    header_end: int  # index of the last header line
    end: int  # index of the profile's last line (inclusive)
    fields: dict[str, tuple[str, int]] = field(default_factory=dict)  # column → (value, line number)


@dataclass
class FileRows:
    rows: dict[str, list[dict]]
    findings: list[Finding]


def _header_blocks(lines: list[str], vocab: Vocabulary) -> list[tuple[int, int, dict, list[tuple[str, str, int]]]]:
    """(first, last, fields, duplicates) of every run of header lines (blank lines may separate them)."""
    blocks = []
    i, n = 0, len(lines)
    while i < n:
        hit = L.header_field(lines[i], vocab) if ":" in lines[i] and len(lines[i]) < 400 else None
        if not hit:
            i += 1
            continue
        first = last = i
        fields: dict[str, tuple[str, int]] = {}
        dups: list[tuple[str | None, str, int]] = []
        gaps = 0
        j = i
        while j < n:
            line = lines[j]
            if not line.strip():
                j += 1
                continue
            hit = L.header_field(line, vocab) if ":" in line and len(line) < 400 else None
            if not hit:
                # An unknown `Label: value` line between known header lines ("Director: ...") is
                # reported (column None), not taken as the end of the header or a new profile's name.
                unknown = L.HEADER.match(line) if ":" in line and len(line) < 400 else None
                if unknown and gaps < MAX_HEADER_GAP and _known_field_follows(lines, j + 1, MAX_HEADER_GAP - gaps - 1, vocab):
                    gaps += 1
                    dups.append((None, unknown.group(1), j + 1))
                    j += 1
                    continue
                break
            column, value, label = hit
            if column in fields:
                dups.append((column, label, j + 1))
            else:
                fields[column] = (value.strip(), j + 1)
            last = j
            j += 1
        distinct = len(fields)
        # One field alone starts a profile only when it is the acronym: a lone `Established:` or
        # `Website:` line is more likely prose (a tool's website, a programme's start) than a header.
        if distinct >= 2 or (distinct == 1 and "acronym" in fields):
            blocks.append((first, last, fields, dups))
        i = last + 1
    return blocks


# A name may end in a full stop only as part of a legal-form abbreviation: "Inc.", "Ltd.", "S.A.".
_ABBREVIATION_END = re.compile(r"(?:^|\s)(?:[A-Z][A-Za-z]{0,3}\.|(?:[A-Za-z]\.){2,})$")


def _known_field_follows(lines: list[str], j: int, more_unknown: int, vocab: Vocabulary) -> bool:
    """Is the next non-blank line from ``j`` a known header field (after at most ``more_unknown``
    further unknown `Label:` lines)?"""
    while j < len(lines):
        line = lines[j]
        if line.strip():
            if ":" not in line or len(line) >= 400:
                return False
            if L.header_field(line, vocab):
                return True
            if more_unknown <= 0 or not L.HEADER.match(line):
                return False
            more_unknown -= 1
        j += 1
    return False


def _is_name_line(text: str, vocab: Vocabulary) -> bool:
    t = text.strip()
    if not t or len(t) > 200 or t.endswith((";", ",", ":")) or t[0].islower():
        return False
    if t.endswith(".") and (len(t.split()) > 12 or not _ABBREVIATION_END.search(t)):
        return False
    if L.is_bullet(t) or L.footnote_definition(t) or L.header_field(t, vocab):
        return False
    acc = L.social_account(t)
    if acc and fold(acc[0]) in vocab.platforms:
        return False
    return match_section(t, vocab) is None


def split_profiles(lines: list[str], vocab: Vocabulary) -> tuple[list[Span], list[tuple[str, str, int]]]:
    spans: list[Span] = []
    dup_fields: list[tuple[str, str, int]] = []
    blocks = _header_blocks(lines, vocab)
    prev_end = -1
    for first, last, fields, dups in blocks:
        j = first - 1
        while j > prev_end and not lines[j].strip():
            j -= 1
        name_index = j if j > prev_end and _is_name_line(lines[j], vocab) else None
        if spans:
            spans[-1].end = (name_index if name_index is not None else first) - 1
        spans.append(Span(name_index, first, last, len(lines) - 1, fields))
        dup_fields.extend(dups)
        prev_end = last
    return spans, dup_fields


def _footnote_start(lines: list[str], lo: int, hi: int) -> int | None:
    """Index where the trailing block of footnote definitions starts, or None."""
    defs = [(k, L.footnote_definition(lines[k])) for k in range(lo, hi + 1) if lines[k][:1].isdigit() or (lines[k][:1] == " " and lines[k].lstrip()[:1].isdigit())]
    defs = [(k, d) for k, d in defs if d]
    if not defs:
        return None
    # The block must have no heading after its start: find the last heading once (linear).
    last_heading = -1
    for m in range(hi, defs[0][0], -1):
        text = lines[m]
        if text.strip() and not L.footnote_definition(text) and L.is_heading(text):
            last_heading = m
            break
    for idx, (k, (number, _)) in enumerate(defs):
        following = defs[idx + 1][1][0] if idx + 1 < len(defs) else None
        if number != 1 and following != number + 1:
            continue
        if k > last_heading:
            return k
    return None


def _trim(lines: list[str], lo: int, hi: int) -> tuple[int, int] | None:
    while lo <= hi and not lines[lo].strip():
        lo += 1
    while hi >= lo and not lines[hi].strip():
        hi -= 1
    return (lo, hi) if lo <= hi else None


def _text(lines: list[str], rng: tuple[int, int] | None) -> str | None:
    if rng is None:
        return None
    return "\n".join(line.strip() for line in lines[rng[0] : rng[1] + 1])


def parse_file(text: str, rel: str, vocab: Vocabulary) -> FileRows:
    rows: dict[str, list[dict]] = {k: [] for k in ("organizations", "sections", "policy_issues", "social_media_accounts", "footnotes", "country_mentions", "quarantine")}
    findings: list[Finding] = []
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for k, line in enumerate(lines):
        if len(line) > LONG_LINE:
            findings.append(Finding("line-too-long", f"line {k + 1} has {len(line):,} characters", source_file=rel, source_line=k + 1, excerpt=excerpt_of(line[:300])))
    spans, dups = split_profiles(lines, vocab)
    for column, label, line_no in dups:
        if column is None:
            findings.append(Finding("unknown-header-field", f"{label}: is not a known header field; the line is left out of the data", table="organizations", source_file=rel, source_line=line_no, excerpt=_excerpt(lines[line_no - 1])))
            continue
        findings.append(Finding("duplicate-header-field", f"{label}: given twice in one header; the first is used", table="organizations", column=column, source_file=rel, source_line=line_no, excerpt=_excerpt(lines[line_no - 1])))
    if not spans:
        nonblank = [k for k, line in enumerate(lines) if line.strip()]
        first, last = (nonblank[0], nonblank[-1]) if nonblank else (0, max(len(lines) - 1, 0))
        findings.append(Finding("no-profiles", f"{rel} holds no profile: no header block (Acronym:, Established:, Address:, Website:, Stakeholder group:) was found", source_file=rel, source_line=first + 1, excerpt=_excerpt(lines[first]) if lines else None))
        rows["quarantine"].append(_quarantine(rel, lines, first, last, None, "no-profiles", "no profile header found in the file"))
        return FileRows(rows, findings)
    first_start = spans[0].name_index if spans[0].name_index is not None else spans[0].header_start
    pre = _trim(lines, 0, first_start - 1)
    if pre:
        findings.append(Finding("text-before-first-profile", f"lines {pre[0] + 1}–{pre[1] + 1} come before the first profile and belong to none", source_file=rel, source_line=pre[0] + 1, excerpt=_excerpt(lines[pre[0]])))
        rows["quarantine"].append(_quarantine(rel, lines, pre[0], pre[1], None, "text-before-first-profile", "text before the first profile header"))
    offsets = None
    for span in spans:
        offsets = _parse_profile(lines, span, rel, vocab, rows, findings, text, offsets)
    return FileRows(rows, findings)


def _quarantine(rel: str, lines: list[str], first: int, last: int, name: str | None, rule: str, reason: str) -> dict:
    shown = [line.strip()[:_EXCERPT_SCAN] for line in lines[first : last + 1] if line.strip()][:3]
    return {
        "source_file": rel, "source_line_start": first + 1, "source_line_end": max(last, first) + 1,
        "name": name, "rule": rule, "reason": reason, "excerpt": excerpt_of(" | ".join(shown), 400) if shown else None,
    }


def _parse_profile(lines, span: Span, rel, vocab: Vocabulary, rows, findings, text, offsets):
    start = span.name_index if span.name_index is not None else span.header_start
    end = span.end
    rng = _trim(lines, start, end)
    end = rng[1] if rng else end
    name = lines[span.name_index].strip() if span.name_index is not None else None
    body_lo, body_hi = span.header_end + 1, end
    fn_start = _footnote_start(lines, body_lo, body_hi)
    prose_hi = (fn_start - 1) if fn_start is not None else body_hi

    # -- walk the body ------------------------------------------------------------------------
    heads: list[dict] = []  # sections in order
    accounts: list[tuple[str, str, int]] = []
    cites: list[tuple[int, int]] = []  # (line number, footnote number) of prose citations
    local: list[Finding] = []
    top = None  # current level-1 section
    top_kind = None  # section | issues | social | None
    issue_head = None  # current level-2 issue section
    for k in range(body_lo, prose_hi + 1):
        raw = lines[k]
        t = raw.strip()
        if not t:
            continue
        line_no = k + 1
        if top_kind == "social":
            acc = L.social_account(L.BULLET.sub("", t, count=1))  # "• Twitter @x" is an account too
            if acc:
                accounts.append((acc[0], acc[1].lstrip("@").strip(), line_no))
                continue
        # Checked before headings: a short `Platform @handle` line also looks like a heading.
        acc = L.social_account(t) if "@" in t else None
        if acc and fold(acc[0]) in vocab.platforms and len(t) < 120:
            accounts.append((acc[0], acc[1].lstrip("@").strip(), line_no))
            local.append(Finding("social-line-outside-social-section", f"{t!r} is an account line outside the social-media section; recorded", table="social_media_accounts", value=t, source_file=rel, source_line=line_no, excerpt=t))
            continue
        if L.is_heading(t):
            sm = match_section(t, vocab)
            if sm:
                top = _head(heads, 1, t, k, None, sm.canonical)
                top_kind = vocab.section_kinds.get(sm.canonical, "section")
                issue_head = None
                if sm.kind == "misspelt":
                    local.append(Finding("misspelt-heading", f"heading {t!r} read as {sm.canonical!r}", table="sections", column="heading", value=t, source_file=rel, source_line=line_no, excerpt=t))
                elif sm.kind == "variant":
                    local.append(Finding("variant-heading", f"heading {t!r} read as the section {sm.canonical!r}", table="sections", column="heading", value=t, source_file=rel, source_line=line_no, excerpt=t))
                continue
            if top_kind == "social":
                local.append(Finding("social-line-unparsed", f"{t!r} under the social-media heading is not a `Platform @handle` line", table="social_media_accounts", value=t, source_file=rel, source_line=line_no, excerpt=t))
                continue
            if top_kind == "issues":
                im = match_issue(t, vocab)
                if im and not (im.match == "contains" and issue_head is not None and issue_head["canonical_heading"] == im.issue):
                    issue_head = _head(heads, 2, t, k, top, im.issue, match=im.match)
                    continue
                if issue_head is not None:
                    _head(heads, 3, t, k, issue_head, None)
                else:
                    _head(heads, 2, t, k, top, None)
                    local.append(Finding("unmapped-issue-heading", f"heading {t!r} under Digital policy issues names no issue of the taxonomy; kept as a sub-section", table="sections", column="heading", value=t, source_file=rel, source_line=line_no, excerpt=t))
                continue
            _head(heads, 2 if top is not None else 1, t, k, top, None)
            continue
        if top_kind == "social":
            local.append(Finding("social-line-unparsed", f"{t[:200]!r} under the social-media heading is not a `Platform @handle` line", table="social_media_accounts", value=t[:200], source_file=rel, source_line=line_no, excerpt=_excerpt(t)))
        if "(" in t:
            cites.extend((line_no, n) for n in L.citations(t))

    # -- footnotes --------------------------------------------------------------------------------
    notes: dict[int, dict] = {}
    parts: dict[int, list[tuple[int, str]]] = {}
    if fn_start is not None:
        current = None
        for k in range(fn_start, body_hi + 1):
            t = lines[k].strip()
            if not t:
                continue
            d = L.footnote_definition(t)
            if d:
                number, note = d
                if number in notes:
                    local.append(Finding("footnote-duplicate-number", f"footnote {number} is defined twice; the first is kept", table="footnotes", value=str(number), source_file=rel, source_line=k + 1, excerpt=_excerpt(t)))
                    current = None
                    continue
                current = notes[number] = {"number": number, "text": note, "source_line": k + 1}
                parts[number] = [(k + 1, note)]
            elif current is not None:
                parts[current["number"]].append((k + 1, t))  # joined once below: += in a loop is quadratic
        for number, texts in parts.items():
            notes[number]["text"] = " ".join(t for _, t in texts)
            notes[number]["_lines"] = texts  # (line, text) of each part, for provenance; not a column

    # -- header -----------------------------------------------------------------------------------
    first_head = heads[0]["_index"] if heads else prose_hi + 1
    summary_rng = _trim(lines, body_lo, first_head - 1)
    summary = _text(lines, summary_rng)
    hdr = parse_header(span.fields, name, span.name_index + 1 if span.name_index is not None else None, summary or "", summary_rng[0] + 1 if summary_rng else None, rel, vocab)
    org_id = hdr.row["organization_id"]
    label = name or hdr.row.get("acronym") or "profile"
    if not heads and not summary and fn_start is None:
        hdr.blocking.append(Finding("profile-truncated", f"{label!r} ends inside its header: no text follows the header lines", table="organizations", source_file=rel, source_line=span.header_end + 1, excerpt=_excerpt(lines[span.header_end])))
    if hdr.blocking or not org_id:
        for f in hdr.blocking:
            findings.append(_with_excerpt(f, lines))
        reason = "; ".join(f.message for f in hdr.blocking) or "no identifier"
        rows["quarantine"].append(_quarantine(rel, lines, start, end, label if label != "profile" else None, hdr.blocking[0].rule if hdr.blocking else "profile-unidentifiable", reason))
        return offsets
    key = {"organization_id": org_id}
    for f in hdr.findings + local:
        findings.append(_with_excerpt(_keyed(f, key), lines))

    org = {**hdr.row, "summary": summary, "summary_source_line": summary_rng[0] + 1 if summary_rng else None,
           "source_file": rel, "source_line_start": start + 1, "source_line_end": end + 1}
    rows["organizations"].append(org)

    # -- sections, with ids, text ranges and footnote markers -------------------------------------
    seen_ids: dict[str, int] = {}
    boundaries = [h["_index"] for h in heads] + [prose_hi + 1]
    cited_by_heading: dict[int, list[dict]] = {}
    org_issues: list[dict] = []
    for idx, h in enumerate(heads):
        parent = h["_parent"]
        # Known sections and issues are named by their canonical heading, so a corrected typo or a
        # reworded issue heading keeps its id across editions; other headings by their own text.
        base = slug(h["canonical_heading"] or bare_heading(h["heading"])) or "section"
        path = f"{parent['section_id']}/{base}" if parent else base
        if path in seen_ids:
            seen_ids[path] += 1
            findings.append(Finding("duplicate-section-id", f"heading {h['heading']!r} appears twice at the same place; the second is {path}-{seen_ids[path]}", table="sections", key={**key, "section_id": path}, source_file=rel, source_line=h["_index"] + 1, excerpt=h["heading"]))
            path = f"{path}-{seen_ids[path]}"
        else:
            seen_ids[path] = 1
        h["section_id"] = path
        text_rng = _trim(lines, h["_index"] + 1, boundaries[idx + 1] - 1)
        last = text_rng[1] if text_rng else h["_index"]
        _, marker = split_marker(h["heading"])
        if marker is not None:
            cited_by_heading.setdefault(marker, []).append(h)
        rows["sections"].append({
            "organization_id": org_id, "section_id": path, "parent_section_id": parent["section_id"] if parent else None,
            "level": h["level"], "heading": h["heading"], "canonical_heading": h["canonical_heading"], "footnote_number": marker,
            "text": _text(lines, text_rng), "text_source_line": text_rng[0] + 1 if text_rng else None,
            "source_line_start": h["_index"] + 1, "source_line_end": last + 1,
        })
        if h.get("match"):
            issue = vocab.issues[h["canonical_heading"]]
            org_issues.append({
                "organization_id": org_id, "section_id": path, "issue": issue.issue, "basket": issue.basket,
                "heading": h["heading"], "match": h["match"], "footnote_number": marker, "local_term": None,
                "source_line": h["_index"] + 1,
            })
    rows["policy_issues"].extend(org_issues)

    # -- issues: duplicates and local terms ---------------------------------------------------------
    seen_issue: dict[str, dict] = {}
    for r in org_issues:
        if r["issue"] in seen_issue:
            findings.append(Finding("duplicate-issue", f"issue {r['issue']!r} has two headings (lines {seen_issue[r['issue']]['source_line']} and {r['source_line']})", table="policy_issues", key={**key, "section_id": r["section_id"]}, column="issue", value=r["heading"], source_file=rel, source_line=r["source_line"], excerpt=r["heading"]))
        else:
            seen_issue[r["issue"]] = r
        if r["footnote_number"] in notes:
            r["local_term"] = local_term(notes[r["footnote_number"]]["text"])

    # -- footnote rules -------------------------------------------------------------------------------
    cited_numbers = set(cited_by_heading) | {n for _, n in cites}
    for number, hs in cited_by_heading.items():
        if number not in notes:
            for h in hs:
                findings.append(Finding("footnote-undefined", f"heading {h['heading']!r} cites footnote {number}, which the profile does not define", table="sections", key={**key, "section_id": h["section_id"]}, column="footnote_number", value=str(number), source_file=rel, source_line=h["_index"] + 1, excerpt=h["heading"]))
            continue
        if len(hs) > 1:
            where = ", ".join(f"{h['heading']!r} (line {h['_index'] + 1})" for h in hs)
            findings.append(Finding("footnote-cited-twice", f"footnote {number} is cited by {len(hs)} headings: {where}", table="sections", key={**key, "section_id": hs[-1]["section_id"]}, column="footnote_number", value=str(number), source_file=rel, source_line=hs[-1]["_index"] + 1, excerpt=hs[-1]["heading"]))
        about = footnote_issue(notes[number]["text"], vocab)
        for h in hs:
            heading_issue = h["canonical_heading"] if h.get("match") else None
            if about and about != heading_issue:
                findings.append(Finding("footnote-issue-mismatch", f"footnote {number} is about {about!r} but is cited on the heading {h['heading']!r}", table="sections", key={**key, "section_id": h["section_id"]}, column="footnote_number", value=str(number), source_file=rel, source_line=h["_index"] + 1, excerpt=h["heading"]))
    for line_no, number in dict.fromkeys(cites):
        if number not in notes:
            findings.append(Finding("footnote-undefined", f"the text cites footnote ({number}), which the profile does not define", table="sections", key=key, value=str(number), source_file=rel, source_line=line_no, excerpt=_excerpt(lines[line_no - 1])))
    for number, note in sorted(notes.items()):
        if number not in cited_numbers:
            findings.append(Finding("footnote-uncited", f"footnote {number} is never cited in the profile", table="footnotes", key={**key, "number": number}, source_file=rel, source_line=note["source_line"], excerpt=excerpt_of(note["text"])))
        rows["footnotes"].append({"organization_id": org_id, **note})

    # -- social-media accounts ------------------------------------------------------------------------
    seen_acc = set()
    for platform, handle, line_no in accounts:
        if not handle or (platform, handle) in seen_acc:
            continue
        seen_acc.add((platform, handle))
        if fold(platform) not in vocab.platforms:
            findings.append(Finding("unknown-social-platform", f"platform {platform!r} is not in vocabularies/social_platforms.csv", table="social_media_accounts", key={**key, "platform": platform, "handle": handle}, column="platform", value=platform, source_file=rel, source_line=line_no, excerpt=_excerpt(lines[line_no - 1])))
        rows["social_media_accounts"].append({"organization_id": org_id, "platform": platform, "handle": handle, "source_line": line_no})

    # -- countries named anywhere in the profile's prose, headings and footnotes ------------------------
    if offsets is None:
        offsets = _line_offsets(text)
    lo_off = offsets[span.header_end + 1] if span.header_end + 1 < len(offsets) else len(text)
    hi_off = offsets[end + 1] if end + 1 < len(offsets) else len(text)
    seen_c = set()
    cm = country_matcher()
    for pos, code, mention in cm.find_in(text, lo_off, hi_off):
        line_no = bisect.bisect_right(offsets, pos)
        if (line_no, code) in seen_c:
            continue
        seen_c.add((line_no, code))
        rows["country_mentions"].append({"organization_id": org_id, "country_code": code, "country_name": cm.names.get(code, code), "mention": mention, "source_line": line_no})
    return offsets


def _line_offsets(text: str) -> list[int]:
    offsets = [0]
    find = text.find
    pos = find("\n")
    while pos != -1:
        offsets.append(pos + 1)
        pos = find("\n", pos + 1)
    return offsets


def _head(heads: list[dict], level: int, heading: str, index: int, parent: dict | None, canonical: str | None, match: str | None = None) -> dict:
    h = {"level": level, "heading": heading, "_index": index, "_parent": parent, "canonical_heading": canonical, "match": match}
    heads.append(h)
    return h


def _keyed(f: Finding, key: dict) -> Finding:
    if f.key is not None:
        return f
    return Finding(**{**f.__dict__, "key": key})


def _with_excerpt(f: Finding, lines: list[str]) -> Finding:
    if f.excerpt is not None or not f.source_line or f.source_line > len(lines):
        return f
    return Finding(**{**f.__dict__, "excerpt": _excerpt(lines[f.source_line - 1])})


_QUOTED = (("‘", "’"), ("“", "”"), ("'", "'"), ('"', '"'), ("«", "»"))


def local_term(note: str) -> str | None:
    """The first quoted term of a footnote: "... addressed as ‘International standards’." → International standards."""
    best = None
    for open_q, close_q in _QUOTED:
        i = note.find(open_q)
        if i == -1 or (best is not None and i >= best[0]):
            continue
        j = note.find(close_q, i + 1)
        term = note[i + 1 : j] if j != -1 else note[i + 1 :]
        term = term.strip().rstrip(".;,").strip()
        if term:
            best = (i, term)
    return best[1] if best else None


def footnote_issue(note: str, vocab: Vocabulary) -> str | None:
    """The issue a footnote is about: the first taxonomy issue it names outside quotation marks."""
    plain = note
    for open_q, close_q in _QUOTED:
        while (i := plain.find(open_q)) != -1:
            j = plain.find(close_q, i + 1)
            plain = plain[:i] + " " + (plain[j + 1 :] if j != -1 else "")
    words = fold(plain).split()
    for i in range(len(words)):
        for n in range(min(6, len(words) - i), 0, -1):
            issue = vocab.issue_keys.get(" ".join(words[i : i + n]))
            if issue and n >= 1 and (n > 1 or len(words[i]) > 3):
                return issue
    return None
