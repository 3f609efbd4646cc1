"""What kind of line is this? Small, pure classifiers of one normalised line of profile text.

Scope: header labels, name lines, headings, bullets, social-media lines, footnote definitions and
footnote markers, as the atlas format writes them. No state, no tables, no findings; no
organisation or sample content, only the format's conventions.
"""

from __future__ import annotations

import re

from pipeline.vocab import Vocabulary, fold

LABEL_WINDOW = 48  # a header label's colon comes within this many characters of the line start
HEADER = re.compile(r"^\s*([A-Za-z][A-Za-z ]{1,30}?)\s*:\s*(.*?)\s*$")  # any `Label: value` line
BULLET = re.compile(r"^\s*(?:[•◦▪▫●○‣∙·■□➢►*]|-(?=\s)|\d{1,2}[.)](?=\s))\s*")
SOCIAL = re.compile(r"^\s*([A-Z][\w+.]*(?: [A-Z][\w+.]*)?)\s*:?\s*@\s*(\S.*?)\s*$")  # "Twitter @x", "Twitter: @x"
FOOTNOTE = re.compile(r"^\s*(\d{1,5})\s*[-–—]\s*(\S.*?)\s*$")
# A footnote citation in prose: "... until MC13 (2)." / "87 members (3) and ...".
CITATION = re.compile(r"(?<=[\w’'\")\]])\s?\((\d{1,4})\)(?=[\s.,;:!?)]|$)")
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
    return (int(m.group(1)), m.group(2)) if m else None


def citations(line: str) -> list[int]:
    """Footnote numbers cited in a prose line; an enumeration "(1) ... (2) ..." is not a citation.
    Numbers of three or four digits are candidates only: the caller keeps those the profile defines."""
    numbers = _PAREN_NUMBER.findall(line)
    if not numbers or ("1" in numbers and "2" in numbers):
        return []
    return [int(n) for n in CITATION.findall(line)]


def is_heading(line: str) -> bool:
    """Headings are short lines without a final full stop; '?' or ':' endings only when short."""
    text = line.strip()
    if not text or len(text) > 160 or is_bullet(line):
        return False
    if text.endswith(_SENTENCE_END) or text.endswith("…"):
        return False
    if text[0].islower() or text[0] in "([\"'‘“":
        return False
    if text[:12].lower().startswith(_PROSE_STARTS):
        return False
    words = text.split()
    if len(words) > 16:
        return False
    if text.endswith("?"):
        return len(words) <= 3  # a longer question is a sentence (often an editorial placeholder)
    if text.endswith(":"):
        return len(words) <= 5 and not LIST_INTRO_END.search(text)
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
