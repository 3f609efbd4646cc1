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

from dataclasses import dataclass
from functools import lru_cache

from pipeline.extract import lines as L
from pipeline.extract.matching import IssueMatch, SectionMatch, match_issue, match_section, split_marker
from pipeline.extract.model import Body, Heading
from pipeline.findings import Finding, excerpt_of
from pipeline.vocab import Vocabulary, fold

_ACCOUNT_MAX = 120  # an account line outside the social section is shorter than this


class _Walk:
    """The state of one walk: the open level-1 section, its kind, and the open issue heading."""

    def __init__(self, rel: str, vocab: Vocabulary, cut: int | None) -> None:
        self.rel, self.vocab = rel, vocab
        self.body = Body()
        self.top: Heading | None = None
        self.kind: str | None = None  # section | issues | social, of the open level-1 section
        self.issue: Heading | None = None
        self.cut = cut  # a line the page was cut off in

    def finding(
        self, rule: str, message: str, line: int, table: str, value: str, column: str | None = None, excerpt: str | None = None
    ) -> None:
        self.body.findings.append(
            Finding(
                rule, message, table=table, column=column, value=value, source_file=self.rel, source_line=line, excerpt=excerpt or value
            )
        )

    def unparsed(self, t: str, k: int) -> None:
        """A line under the social-media heading that is no `Platform @handle` line: reported."""
        message = f"{t[:200]!r} under the social-media heading is not a `Platform @handle` line"
        self.finding("social-line-unparsed", message, k + 1, "social_media_accounts", t[:200], excerpt=excerpt_of(t[:1000]))

    def add(self, level: int, r: _Read, index: int, parent: Heading | None, canonical: str | None, match: str | None = None) -> Heading:
        h = Heading(level, r.text, index, parent, canonical, match, footnote=r.marker)
        self.body.headings.append(h)
        return h


@dataclass(frozen=True, slots=True)
class _Read:
    """What a short line is, wherever it stands (the walk adds where it stands). A pure function of
    the text, cached: the same headings recur in every profile."""

    text: str
    account: tuple[str, str] | None  # `Platform @handle`, a leading bullet allowed
    known_account: bool  # an account line of a known platform, short enough outside its section
    heading: bool
    section: SectionMatch | None
    issue: IssueMatch | None
    marker: int | None  # the footnote marker of a heading


@lru_cache(maxsize=1 << 16)
def _read(t: str, vocab: Vocabulary) -> _Read:
    account = L.social_account(L.BULLET.sub("", t, count=1)) if "@" in t else None
    plain = L.social_account(t) if account else None
    known = bool(plain and fold(plain[0]) in vocab.platforms and len(t) < _ACCOUNT_MAX)
    heading = not known and L.heading_text(t)
    return _Read(
        t,
        account,
        known,
        heading,
        match_section(t, vocab) if heading else None,
        match_issue(t, vocab) if heading else None,
        split_marker(t)[1] if heading else None,
    )


def walk_body(lines: list[str], index: L.LineIndex, lo: int, hi: int, rel: str, vocab: Vocabulary, cut: int | None = None) -> Body:
    """Headings, accounts and citations of lines ``lo``..``hi`` (0-based, inclusive). Only short
    lines can be headings or accounts; prose lines are visited only for their citations. Line
    ``cut``, where the page was cut off mid-line, is read as prose unless it names a section."""
    w = _Walk(rel, vocab, cut)
    consumed: set[int] = set()  # heading and account lines: their bracketed numbers are no citations
    prev = lo - 1
    for k in index.between(index.short, lo, hi):
        if w.kind == "social":
            _long_social_lines(w, lines, prev + 1, k - 1)
        prev = k
        text = lines[k].strip()
        if text and _line(w, text, k):
            consumed.add(k)
    if w.kind == "social":
        _long_social_lines(w, lines, prev + 1, hi)
    for k in index.between(index.cited, lo, hi):
        if k not in consumed:
            w.body.citations.extend((k + 1, n) for n in L.citations(lines[k]))
    return w.body


def _long_social_lines(w: _Walk, lines: list[str], lo: int, hi: int) -> None:
    """Long lines under the social-media heading are prose, not accounts: reported."""
    for k in range(lo, hi + 1):
        t = lines[k].strip()
        if t:
            w.unparsed(t, k)


def _line(w: _Walk, t: str, k: int) -> bool:
    """One non-blank short line: a heading or an account line (True), or prose (False)."""
    if "@" not in t and (t[-1] in L.NOT_LAST or t[0].islower()):  # plain prose: most unique lines
        if w.kind == "social":
            w.unparsed(t, k)
        return False
    r = _read(t, w.vocab)
    line_no = k + 1
    if w.kind == "social" and r.account:
        w.body.accounts.append((r.account[0], r.account[1].lstrip("@").strip(), line_no))
        return True
    # Checked before headings: a short `Platform @handle` line also looks like a heading.
    if r.known_account and r.account:
        w.body.accounts.append((r.account[0], r.account[1].lstrip("@").strip(), line_no))
        w.finding(
            "social-line-outside-social-section",
            f"{t!r} is an account line outside the social-media section; recorded",
            line_no,
            "social_media_accounts",
            t,
        )
        return True
    if r.heading and (k != w.cut or r.section):
        _heading(w, r, k)
        return True
    if w.kind == "social":
        w.unparsed(t, k)
    return False


def _heading(w: _Walk, r: _Read, k: int) -> None:
    line_no, t, sm = k + 1, r.text, r.section
    if sm:
        w.top = w.add(1, r, k, None, sm.canonical)
        w.kind = w.vocab.section_kinds.get(sm.canonical, "section")
        w.issue = None
        if sm.kind == "misspelt":
            w.finding("misspelt-heading", f"heading {t!r} read as {sm.canonical!r}", line_no, "sections", t, "heading")
        elif sm.kind == "variant":
            w.finding("variant-heading", f"heading {t!r} read as the section {sm.canonical!r}", line_no, "sections", t, "heading")
        return
    if w.kind == "social":
        w.unparsed(t, k)
        return
    if w.kind == "issues":
        _issue_heading(w, r, k)
        return
    w.add(2 if w.top is not None else 1, r, k, w.top, None)


def _issue_heading(w: _Walk, r: _Read, k: int) -> None:
    """Under "Digital policy issues": an issue heading (level 2) or a sub-heading of one (level 3)."""
    im = r.issue
    if im and not (im.match == "contains" and w.issue is not None and w.issue.canonical == im.issue):
        w.issue = w.add(2, r, k, w.top, im.issue, im.match)
    elif w.issue is not None:
        w.add(3, r, k, w.issue, None)
    else:
        w.add(2, r, k, w.top, None)
        w.finding(
            "unmapped-issue-heading",
            f"heading {r.text!r} under Digital policy issues names no issue of the taxonomy; kept as a sub-section",
            k + 1,
            "sections",
            r.text,
            "heading",
        )
