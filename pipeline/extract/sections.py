"""Step 4: the heading tree → `sections` (as column lists) and `policy_issues` rows.

Scope: give each heading its stable id (the slug of its canonical section or issue, else of its own
text, under its parent's id), its text (the lines up to the next heading, line structure kept) and
its footnote marker; one `policy_issues` row per issue heading, with the local term its footnote
gives. Reports a heading repeated at one place, an issue under two headings, and, as an error, a
top-level section of the atlas that appears twice in one profile: the sign that a profile whose
header was not recognised has been merged into this one. It must not walk the prose.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pipeline.extract.footnotes import local_term
from pipeline.extract.header import slug
from pipeline.extract.lines import block_text, trim_range
from pipeline.extract.matching import bare_heading
from pipeline.extract.model import Footnote, Heading
from pipeline.findings import Finding
from pipeline.vocab import Vocabulary

# The `sections` columns, in the schema's order: section_rows gives them as column lists.
SECTION_COLUMNS = (
    "organization_id",
    "section_id",
    "parent_section_id",
    "level",
    "heading",
    "canonical_heading",
    "footnote_number",
    "text",
    "text_source_line",
    "source_line_start",
    "source_line_end",
)


@dataclass
class SectionRows:
    sections: dict[str, list]  # SECTION_COLUMNS → one value per heading
    policy_issues: list[dict]
    findings: list[Finding]


def section_rows(
    headings: list[Heading], lines: list[str], prose_end: int, org_id: str, rel: str, vocab: Vocabulary, notes: dict[int, Footnote]
) -> SectionRows:
    """Rows for the headings of one profile whose prose ends before line index ``prose_end``: the
    sections as columns (:data:`SECTION_COLUMNS`), one value per heading in heading order."""
    out = SectionRows({}, [], [])
    key: dict[str, object] = {"organization_id": org_id}
    _assign_ids(headings, key, rel, out.findings)
    boundaries = [h.index for h in headings] + [prose_end]
    texts, text_lines, ends = [], [], []
    for idx, h in enumerate(headings):
        text_rng = trim_range(lines, h.index + 1, boundaries[idx + 1] - 1)
        texts.append(block_text(lines, text_rng))
        text_lines.append(text_rng[0] + 1 if text_rng else None)
        ends.append((text_rng[1] if text_rng else h.index) + 1)
        if h.match and h.canonical:
            out.policy_issues.append(_issue_row(h, org_id, vocab, notes))
    out.sections = {
        "organization_id": [org_id] * len(headings),
        "section_id": [h.section_id for h in headings],
        "parent_section_id": [h.parent.section_id if h.parent else None for h in headings],
        "level": [h.level for h in headings],
        "heading": [h.text for h in headings],
        "canonical_heading": [h.canonical for h in headings],
        "footnote_number": [h.footnote for h in headings],
        "text": texts,
        "text_source_line": text_lines,
        "source_line_start": [h.index + 1 for h in headings],
        "source_line_end": ends,
    }
    out.findings += _duplicate_issues(out.policy_issues, key, rel)
    return out


def _assign_ids(headings: list[Heading], key: dict[str, object], rel: str, findings: list[Finding]) -> None:
    """Known sections and issues are named by their canonical heading, so a corrected typo or a
    reworded issue heading keeps its id across editions; other headings by their own text."""
    seen: dict[str, int] = {}
    for h in headings:
        base = _base_id(h.canonical or h.text, h.canonical is not None)
        path = f"{h.parent.section_id}/{base}" if h.parent else base
        if path not in seen:
            seen[path] = 1
            h.section_id = path
            continue
        seen[path] += 1
        if h.level == 1 and h.canonical:
            findings.append(
                Finding(
                    "section-repeated",
                    f"the section {h.canonical!r} appears twice in one profile (line {h.index + 1}): "
                    "the text after it may be another profile whose header was not recognised",
                    table="sections",
                    key={**key, "section_id": path},
                    column="heading",
                    value=h.text,
                    source_file=rel,
                    source_line=h.index + 1,
                    excerpt=h.text,
                )
            )
        else:
            findings.append(
                Finding(
                    "duplicate-section-id",
                    f"heading {h.text!r} appears twice at the same place; the second is {path}-{seen[path]}",
                    table="sections",
                    key={**key, "section_id": path},
                    source_file=rel,
                    source_line=h.index + 1,
                    excerpt=h.text,
                )
            )
        h.section_id = f"{path}-{seen[path]}"


@lru_cache(maxsize=1 << 14)
def _base_id(text: str, canonical: bool) -> str:
    """The id part of a heading: the slug of its canonical name, or of its own words."""
    return slug(text if canonical else bare_heading(text)) or "section"


def _issue_row(h: Heading, org_id: str, vocab: Vocabulary, notes: dict[int, Footnote]) -> dict:
    issue = vocab.issues[h.canonical or ""]
    note = notes.get(h.footnote) if h.footnote is not None else None
    return {
        "organization_id": org_id,
        "section_id": h.section_id,
        "issue": issue.issue,
        "basket": issue.basket,
        "heading": h.text,
        "match": h.match,
        "footnote_number": h.footnote,
        "local_term": local_term(note.text) if note else None,
        "source_line": h.index + 1,
    }


def _duplicate_issues(rows: list[dict], key: dict[str, object], rel: str) -> list[Finding]:
    seen: dict[str, dict] = {}
    findings = []
    for r in rows:
        first = seen.setdefault(r["issue"], r)
        if first is not r:
            findings.append(
                Finding(
                    "duplicate-issue",
                    f"issue {r['issue']!r} has two headings (lines {first['source_line']} and {r['source_line']})",
                    table="policy_issues",
                    key={**key, "section_id": r["section_id"]},
                    column="issue",
                    value=r["heading"],
                    source_file=rel,
                    source_line=r["source_line"],
                    excerpt=r["heading"],
                )
            )
    return findings
