"""Step 5: a profile's numbered footnotes, and how its headings and prose cite them.

Scope: find the trailing block of footnote definitions (`1-text`, `1 – text`, continuation lines
joined), read each definition, and check the citations against them (undefined, uncited, cited by
two headings, cited on a heading it does not describe, defined twice). Numbers of four digits or
more count as definitions only in sequence (after n-1), so a year at the start of a line is not a
footnote and 10,000 footnotes are 10,000 rows. Also the local term a footnote gives an issue. It
must not walk the prose (the headings step collects citations).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pipeline.extract import lines as L
from pipeline.extract.model import Footnote, Heading
from pipeline.findings import Finding, excerpt_of
from pipeline.vocab import Vocabulary, fold

SEQUENTIAL_FROM = 1000  # from this number on, a definition must follow its predecessor
_PROSE_CITATION_MAX = 99  # a bracketed number above this in prose cites a footnote only if defined
_QUOTED = (("‘", "’"), ("“", "”"), ("'", "'"), ('"', '"'), ("«", "»"))


def _definition(line: str, previous: int | None) -> tuple[int, str] | None:
    d = L.footnote_definition(line) if line.lstrip()[:1].isdigit() else None
    if d and d[0] >= SEQUENTIAL_FROM and d[0] != (previous or 0) + 1:
        return None  # "2022 – the year ..." in a footnote's text, not footnote 2022
    return d


def find_block(lines: list[str], index: L.LineIndex, lo: int, hi: int) -> int | None:
    """Index where the trailing block of footnote definitions starts, or None: the first definition
    after the profile's last heading that starts a numbered run (1, or n followed by n+1)."""
    last_heading = lo - 1
    for m in reversed(index.between(index.short, lo, hi)):  # headings are short lines
        text = lines[m]
        if text.strip() and not L.footnote_definition(text) and L.is_heading(text):
            last_heading = m
            break
    defs: list[tuple[int, int]] = []
    previous = None
    for k in range(last_heading + 1, hi + 1):
        d = _definition(lines[k], previous) if lines[k] else None
        if d:
            defs.append((k, d[0]))
            previous = d[0]
    for idx, (k, number) in enumerate(defs):
        following = defs[idx + 1][1] if idx + 1 < len(defs) else None
        if number == 1 or following == number + 1:
            return k
    return None


def read_footnotes(lines: list[str], start: int, hi: int, rel: str) -> tuple[dict[int, Footnote], list[Finding]]:
    """The definitions of lines ``start``..``hi``; a repeated number keeps the first."""
    notes: dict[int, Footnote] = {}
    findings: list[Finding] = []
    current: Footnote | None = None
    previous = None
    for k in range(start, hi + 1):
        t = lines[k].strip()
        if not t:
            continue
        d = _definition(t, previous)
        if d is None:
            if current is not None:
                current.parts.append((k + 1, t))  # joined once below: += in a loop is quadratic
            continue
        number, text = d
        previous = number
        if number in notes:
            findings.append(
                Finding(
                    "footnote-duplicate-number",
                    f"footnote {number} is defined twice; the first is kept",
                    table="footnotes",
                    value=str(number),
                    source_file=rel,
                    source_line=k + 1,
                    excerpt=excerpt_of(t[:1000]),
                )
            )
            current = None
            continue
        current = notes[number] = Footnote(number, text, k + 1, [(k + 1, text)])
    for note in notes.values():
        if len(note.parts) > 1:
            note.text = " ".join(t for _, t in note.parts)
    return notes, findings


@dataclass(frozen=True)
class CitationCheck:
    """What the footnote rules look at for one profile."""

    notes: dict[int, Footnote]
    headings: list[Heading]
    citations: list[tuple[int, int]]  # (line, number) cited in prose
    key: dict[str, object]
    rel: str


def check_citations(c: CitationCheck, lines: list[str], vocab: Vocabulary) -> list[Finding]:
    """Undefined, uncited, cited by two headings, cited on a heading it does not describe."""
    findings: list[Finding] = []
    by_number: dict[int, list[Heading]] = {}
    for h in c.headings:
        if h.footnote is not None:
            by_number.setdefault(h.footnote, []).append(h)
    for number, hs in by_number.items():
        findings += _heading_citations(c, number, hs, vocab)
    prose = [(line, n) for line, n in dict.fromkeys(c.citations) if n <= _PROSE_CITATION_MAX or n in c.notes]
    for line_no, number in prose:
        if number not in c.notes:
            findings.append(
                Finding(
                    "footnote-undefined",
                    f"the text cites footnote ({number}), which the profile does not define",
                    table="sections",
                    key=c.key,
                    value=str(number),
                    source_file=c.rel,
                    source_line=line_no,
                    excerpt=excerpt_of(lines[line_no - 1][:1000]),
                )
            )
    cited = set(by_number) | {n for _, n in prose}
    for number, note in sorted(c.notes.items()):
        if number not in cited:
            findings.append(
                Finding(
                    "footnote-uncited",
                    f"footnote {number} is never cited in the profile",
                    table="footnotes",
                    key={**c.key, "number": number},
                    source_file=c.rel,
                    source_line=note.line,
                    excerpt=excerpt_of(note.text[:1000]),
                )
            )
    return findings


def _heading_citations(c: CitationCheck, number: int, hs: list[Heading], vocab: Vocabulary) -> list[Finding]:
    def finding(rule: str, message: str, h: Heading) -> Finding:
        return Finding(
            rule,
            message,
            table="sections",
            key={**c.key, "section_id": h.section_id},
            column="footnote_number",
            value=str(number),
            source_file=c.rel,
            source_line=h.index + 1,
            excerpt=h.text,
        )

    if number not in c.notes:
        return [
            finding("footnote-undefined", f"heading {h.text!r} cites footnote {number}, which the profile does not define", h) for h in hs
        ]
    out = []
    if len(hs) > 1:
        where = ", ".join(f"{h.text!r} (line {h.index + 1})" for h in hs)
        out.append(finding("footnote-cited-twice", f"footnote {number} is cited by {len(hs)} headings: {where}", hs[-1]))
    about = footnote_issue(c.notes[number].text, vocab)
    for h in hs:
        if about and about != (h.canonical if h.match else None):
            out.append(
                finding("footnote-issue-mismatch", f"footnote {number} is about {about!r} but is cited on the heading {h.text!r}", h)
            )
    return out


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


@lru_cache(maxsize=4096)
def footnote_issue(note: str, vocab: Vocabulary) -> str | None:
    """The issue a footnote is about: the first taxonomy issue it names outside quotation marks."""
    plain = note
    for open_q, close_q in _QUOTED:
        while (i := plain.find(open_q)) != -1:
            j = plain.find(close_q, i + 1)
            plain = plain[:i] + " " + (plain[j + 1 :] if j != -1 else "")
    words = fold(plain).split()
    firsts = _first_words(vocab)
    for i, word in enumerate(words):
        if word not in firsts:
            continue
        for n in range(min(6, len(words) - i), 0, -1):
            issue = vocab.issue_keys.get(" ".join(words[i : i + n]))
            if issue and (n > 1 or len(word) > 3):
                return issue
    return None


@lru_cache(maxsize=8)
def _first_words(vocab: Vocabulary) -> frozenset[str]:
    """The first words of the vocabulary's issue names and aliases (a word no issue starts with
    cannot start a match: most of a long footnote is skipped at the cost of one set lookup)."""
    return frozenset(key.split()[0] for key in vocab.issue_keys if key)
