"""What kind of line is this? Small, pure classifiers of one normalised line of profile text.

Scope: header labels, name lines, headings, bullets, social-media lines, footnote definitions and
footnote markers, as the atlas format writes them. No state, no tables, no findings; no
organisation or sample content, only the format's conventions.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from pipeline.vocab import Vocabulary, fold

LABEL_WINDOW = 48  # a header label's colon comes within this many characters of the line start
SHORT_LINE = 160  # a heading, name or account line is never longer than this
HEADER = re.compile(r"^\s*([A-Za-z][A-Za-z ]{1,30}?)\s*:\s*(.*?)\s*$")  # any `Label: value` line
BULLET = re.compile(r"^\s*(?:[•◦▪▫●○‣∙·■□➢►*]|-(?=\s)|\d{1,2}[.)](?=\s))\s*")
SOCIAL = re.compile(r"^\s*([A-Z][\w+.]*(?: [A-Z][\w+.]*)?)\s*:?\s*@\s*(\S.*?)\s*$")  # "Twitter @x", "Twitter: @x"
FOOTNOTE = re.compile(r"\s*(\d{1,5})\s*[-–—]\s*(\S.*)")  # `1-text`, `12 – text` (text right-stripped by the caller)
_PAREN_NUMBER = re.compile(r"\((\d{1,4})\)")
LIST_INTRO_END = re.compile(
    r"\b(?:include|includes|including|included|following|follows|below|are|is|were|was|namely|such as|"
    r"consist of|consists of|comprise|comprises|contains|cover|covers|listed|these|areas|activities|examples)\s*:$",
    re.IGNORECASE,
)
_SENTENCE_END = (".", ";", ",", "!")
_PROSE_STARTS = ("see also",)
_TWO_SENTENCES = re.compile(r"\b[A-Z][a-z]?\. ")
# A name may end in a full stop only as part of a legal-form abbreviation: "Inc.", "Ltd.", "S.A.".
_ABBREVIATION_END = re.compile(r"(?:^|\s)(?:[A-Z][A-Za-z]{0,3}\.|(?:[A-Za-z]\.){2,})$")
_SENTENCE_BREAK = re.compile(r"[.!?] [A-Z]")
NAME_MAX = 200  # characters: a longer line above a header is not read as a name


def header_field(line: str, vocab: Vocabulary) -> tuple[str, str, str] | None:
    """('acronym', 'UNXX', 'Acronym') for a known header label (any case and spacing), else None."""
    colon = line.find(":", 0, LABEL_WINDOW)
    if colon < 2:
        return None
    label = line[:colon]
    column = vocab.header_fields.get(fold(label))
    return (column, line[colon + 1 :].strip(), label.strip()) if column else None


def unknown_label(line: str) -> str | None:
    """The label of a `Label: value` line whose label is not a known header field."""
    if line.find(":", 0, LABEL_WINDOW) < 2:
        return None
    m = HEADER.match(line)
    return m.group(1) if m else None


def name_kind(text: str, vocab: Vocabulary) -> str | None:
    """'name' for a line that can be an organisation's name above its header, 'long' for one that
    would be a name but is longer than any name, None for anything else (prose, headings...)."""
    t = text.strip()
    if not t or t.endswith((";", ",", ":")) or t[0].islower():
        return None
    long = len(t) > NAME_MAX
    if long and _SENTENCE_BREAK.search(t):  # a paragraph, not a name
        return None
    if t.endswith(".") and (len(t.split()) > 12 or not _ABBREVIATION_END.search(t)):
        return None
    if is_bullet(t) or footnote_definition(t) or header_field(t, vocab):
        return None
    acc = social_account(t) if "@" in t else None
    if acc and fold(acc[0]) in vocab.platforms:
        return None
    return "long" if long else "name"


def is_bullet(line: str) -> bool:
    return bool(BULLET.match(line))


def social_account(line: str) -> tuple[str, str] | None:
    m = SOCIAL.match(line)
    if not m:
        return None
    handle = m.group(2).strip()
    return (m.group(1), handle) if handle else None


def footnote_definition(line: str) -> tuple[int, str] | None:
    m = FOOTNOTE.match(line)
    if not m:
        return None
    return int(m.group(1)), m.group(2).rstrip()


def citations(line: str) -> list[int]:
    """Footnote numbers cited in a prose line ("... until MC13 (2)." / "87 members (3) and ..."):
    a bracketed number right after a word, a quote or a bracket (one space allowed between), and
    before a space, punctuation or the end. An enumeration "(1) ... (2) ..." is not a citation.
    Numbers of three or four digits are candidates only: the caller keeps those the profile defines."""
    found = [(m.start(), m.end(), m.group(1)) for m in _PAREN_NUMBER.finditer(line)]
    numbers = {n for _, _, n in found}
    if not found or ("1" in numbers and "2" in numbers):
        return []
    out = []
    for start, end, number in found:
        before = line[start - 1] if start else ""
        if before.isspace() and start > 1:  # "members (3)": one space between
            before = line[start - 2]
        after = line[end] if end < len(line) else " "
        if before and (before.isalnum() or before in _CITED_AFTER) and (after.isspace() or after in _CITED_BEFORE):
            out.append(int(number))
    return out


_CITED_AFTER = frozenset("_’'\")]")  # besides letters and digits, what a citation may follow
_CITED_BEFORE = frozenset(".,;:!?)")  # besides spaces, what may follow a citation


def is_heading(line: str) -> bool:
    """Headings are short lines without a final full stop; '?' or ':' endings only when short."""
    text = line.strip()
    return bool(text) and heading_text(text)


_NOT_FIRST = frozenset("([\"'‘“")
NOT_LAST = frozenset(".;,!…")  # a line ending so is prose, never a heading
_BULLET_FIRST = frozenset("•◦▪▫●○‣∙·■□➢►*-")


def heading_text(text: str) -> bool:
    """``is_heading`` of a stripped, non-empty line (cheapest tests first: most lines fail one)."""
    first, last = text[0], text[-1]
    if last in NOT_LAST or first in _NOT_FIRST or first.islower() or len(text) > SHORT_LINE:
        return False
    if (first in _BULLET_FIRST or first.isdigit()) and BULLET.match(text):
        return False
    if first in "Ss" and text[:12].lower().startswith(_PROSE_STARTS):
        return False
    words = len(text.split()) if text.count(" ") > 2 else text.count(" ") + 1
    if words > 16:
        return False
    if last == "?":
        return words <= 3  # a longer question is a sentence (often an editorial placeholder)
    if last == ":":
        return words <= 5 and not LIST_INTRO_END.search(text)
    return not (". " in text[:-1] and not _TWO_SENTENCES.search(text))  # two sentences


def trim_range(lines: list[str], lo: int, hi: int) -> tuple[int, int] | None:
    """``lo``..``hi`` without blank lines at either end, or None when only blank lines remain."""
    while lo <= hi and not lines[lo].strip():
        lo += 1
    while hi >= lo and not lines[hi].strip():
        hi -= 1
    return (lo, hi) if lo <= hi else None


def block_text(lines: list[str], rng: tuple[int, int] | None) -> str | None:
    """The lines of a range, each stripped, joined by line breaks (line i is source line lo + i)."""
    if rng is None:
        return None
    return "\n".join([line.strip() for line in lines[rng[0] : rng[1] + 1]])


@dataclass(frozen=True, slots=True)
class LineIndex:
    """Which lines of a file can be what, found once per file in a few passes that do not call
    Python code per line: the steps then visit a few candidate lines instead of every line.
    Lists of 0-based line indexes, ascending."""

    short: list[int]  # non-empty lines short enough to be a name, heading or account line
    labelled: list[int]  # lines with a colon near the start: header-label candidates
    cited: list[int]  # lines holding a bracketed number: footnote-citation candidates

    def between(self, which: list[int], lo: int, hi: int) -> list[int]:
        """The indexes of ``which`` within lines ``lo``..``hi`` (inclusive)."""
        return which[bisect.bisect_left(which, lo) : bisect.bisect_right(which, hi)]


def index_lines(text: str, lines: list[str]) -> LineIndex:
    short = [k for k, line in enumerate(lines) if line and (len(line) <= SHORT_LINE or line[0] in " \t" or line[-1] in " \t")]
    return LineIndex(short, _lines_with(text, ":", LABEL_WINDOW), _cited_lines(text))


def _lines_with(text: str, char: str, window: int) -> list[int]:
    """Lines whose first ``char`` is among their first ``window`` characters (not the first one).
    Linear: the first ``char`` of a line is found, then the search goes on from the next line."""
    found: list[int] = []
    row, pos = 0, 0  # the line being looked at, and where it starts
    find, rfind, count = text.find, text.rfind, text.count
    i = find(char)
    while i != -1:
        nl = rfind("\n", pos, i)
        if nl != -1:
            row += count("\n", pos, nl + 1)
            pos = nl + 1
        if 1 < i - pos < window:
            found.append(row)
        end = find("\n", i)
        if end == -1:
            break
        row, pos = row + 1, end + 1
        i = find(char, pos)
    return found


def _cited_lines(text: str) -> list[int]:
    cited: list[int] = []
    row, pos = 0, 0
    for m in _PAREN_NUMBER.finditer(text):  # the pattern starts with "(": a fast scan, few hits
        row += text.count("\n", pos, m.start())
        pos = m.start()
        if not cited or cited[-1] != row:
            cited.append(row)
    return cited
