"""Step 3: the body's headings, as a tree, with the account lines and prose citations met on the way.

Scope: walk a profile's prose (between its header and its footnotes) once, line by line: a known
top-level section heading opens a level-1 section (also misspelt, in other capitals, with a
trailing space, or worded as an alias); under "Digital policy issues" a heading naming an issue of
the taxonomy is level 2 and other headings below it level 3; under the social-media heading each
`Platform @handle` line (bulleted or not) is an account. Long prose lines only matter for their
footnote citations and are not looked at further (that keeps the walk fast). It must not build
rows or ids (the sections step does).
"""

from __future__ import annotations

from pipeline.extract import lines as L
from pipeline.extract.matching import match_issue, match_section, split_marker
from pipeline.extract.model import Body, Heading
from pipeline.findings import Finding, excerpt_of
from pipeline.vocab import Vocabulary, fold

SHORT_LINE = 160  # a heading or an account line is never longer than this
_ACCOUNT_MAX = 120  # an account line outside the social section is shorter than this


class _Walk:
    """The state of one walk: the open level-1 section, its kind, and the open issue heading."""

    def __init__(self, rel: str, vocab: Vocabulary) -> None:
        self.rel, self.vocab = rel, vocab
        self.body = Body()
        self.top: Heading | None = None
        self.kind: str | None = None  # section | issues | social, of the open level-1 section
        self.issue: Heading | None = None

    def finding(self, rule: str, message: str, line: int, table: str, value: str, column: str | None = None, excerpt: str | None = None) -> None:
        self.body.findings.append(Finding(rule, message, table=table, column=column, value=value, source_file=self.rel, source_line=line, excerpt=excerpt or value))

    def add(self, level: int, text: str, index: int, parent: Heading | None, canonical: str | None, match: str | None = None) -> Heading:
        h = Heading(level, text, index, parent, canonical, match, footnote=split_marker(text)[1])
        self.body.headings.append(h)
        return h


def walk_body(lines: list[str], lo: int, hi: int, rel: str, vocab: Vocabulary) -> Body:
    """Headings, accounts and citations of lines ``lo``..``hi`` (0-based, inclusive)."""
    w = _Walk(rel, vocab)
    cites = w.body.citations
    for k in range(lo, hi + 1):
        raw = lines[k]
        if len(raw) > SHORT_LINE and w.kind != "social" and raw[0] != " " and raw[-1] != " ":
            if "(" in raw:  # a prose line: only its footnote citations matter
                cites.extend((k + 1, n) for n in L.citations(raw))
            continue
        text = raw.strip()
        if text:
            _line(w, text, k)
    return w.body


def _line(w: _Walk, t: str, k: int) -> None:
    """One non-blank line that may be a heading or an account line."""
    line_no = k + 1
    if w.kind == "social":
        acc = L.social_account(L.BULLET.sub("", t, count=1))  # "• Twitter @x" is an account too
        if acc:
            w.body.accounts.append((acc[0], acc[1].lstrip("@").strip(), line_no))
            return
    # Checked before headings: a short `Platform @handle` line also looks like a heading.
    acc = L.social_account(t) if "@" in t else None
    if acc and fold(acc[0]) in w.vocab.platforms and len(t) < _ACCOUNT_MAX:
        w.body.accounts.append((acc[0], acc[1].lstrip("@").strip(), line_no))
        w.finding("social-line-outside-social-section", f"{t!r} is an account line outside the social-media section; recorded", line_no, "social_media_accounts", t)
        return
    if len(t) <= SHORT_LINE and L.is_heading(t):
        _heading(w, t, k)
        return
    if w.kind == "social":
        w.finding("social-line-unparsed", f"{t[:200]!r} under the social-media heading is not a `Platform @handle` line", line_no, "social_media_accounts", t[:200], excerpt=excerpt_of(t[:1000]))
    if "(" in t:
        w.body.citations.extend((line_no, n) for n in L.citations(t))


def _heading(w: _Walk, t: str, k: int) -> None:
    line_no = k + 1
    sm = match_section(t, w.vocab)
    if sm:
        w.top = w.add(1, t, k, None, sm.canonical)
        w.kind = w.vocab.section_kinds.get(sm.canonical, "section")
        w.issue = None
        if sm.kind == "misspelt":
            w.finding("misspelt-heading", f"heading {t!r} read as {sm.canonical!r}", line_no, "sections", t, "heading")
        elif sm.kind == "variant":
            w.finding("variant-heading", f"heading {t!r} read as the section {sm.canonical!r}", line_no, "sections", t, "heading")
        return
    if w.kind == "social":
        w.finding("social-line-unparsed", f"{t!r} under the social-media heading is not a `Platform @handle` line", line_no, "social_media_accounts", t)
        return
    if w.kind == "issues":
        _issue_heading(w, t, k)
        return
    w.add(2 if w.top is not None else 1, t, k, w.top, None)


def _issue_heading(w: _Walk, t: str, k: int) -> None:
    """Under "Digital policy issues": an issue heading (level 2) or a sub-heading of one (level 3)."""
    im = match_issue(t, w.vocab)
    if im and not (im.match == "contains" and w.issue is not None and w.issue.canonical == im.issue):
        w.issue = w.add(2, t, k, w.top, im.issue, im.match)
    elif w.issue is not None:
        w.add(3, t, k, w.issue, None)
    else:
        w.add(2, t, k, w.top, None)
        w.finding("unmapped-issue-heading", f"heading {t!r} under Digital policy issues names no issue of the taxonomy; kept as a sub-section", k + 1, "sections", t, "heading")
