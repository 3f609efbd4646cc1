"""What kind of line is this? Small, pure classifiers of one normalised line of profile text.

Scope: header labels, headings, bullets, social-media lines, footnote definitions and footnote
markers, as the atlas format writes them. No state, no tables, no findings; no organisation or
sample content, only the format's conventions.
"""

from __future__ import annotations

import re

from pipeline.vocab import Vocabulary, fold

HEADER = re.compile(r"^\s*([A-Za-z][A-Za-z ]{1,30}?)\s*:\s*(.*?)\s*$")
BULLET = re.compile(r"^\s*(?:[•◦▪▫●○‣∙·■□➢►*]|-(?=\s)|\d{1,2}[.)](?=\s))\s*")
SOCIAL = re.compile(r"^\s*([A-Z][\w+.]*(?: [A-Z][\w+.]*)?)\s*:?\s*@\s*(\S.*?)\s*$")  # "Twitter @x", "Twitter: @x"
FOOTNOTE = re.compile(r"^\s*(\d{1,3})\s*[-–—]\s*(\S.*?)\s*$")
# A footnote citation in prose: "... until MC13 (2)." / "87 members (3) and ...".
CITATION = re.compile(r"(?<=[\w’'\")\]])\s?\((\d{1,2})\)(?=[\s.,;:!?)]|$)")
_PAREN_NUMBER = re.compile(r"\((\d{1,2})\)")
LIST_INTRO_END = re.compile(
    r"\b(?:include|includes|including|included|following|follows|below|are|is|were|was|namely|such as|"
    r"consist of|consists of|comprise|comprises|contains|cover|covers|listed|these|areas|activities|examples)\s*:$",
    re.IGNORECASE,
)
_SENTENCE_END = (".", ";", ",", "!")
_PROSE_STARTS = ("see also",)


def header_field(line: str, vocab: Vocabulary) -> tuple[str, str, str] | None:
    """('acronym', 'UNXX', 'Acronym') for a known header label, else None."""
    m = HEADER.match(line)
    if not m:
        return None
    field = vocab.header_fields.get(fold(m.group(1)))
    return (field, m.group(2), m.group(1)) if field else None


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
    """Footnote numbers cited in a prose line; an enumeration "(1) ... (2) ..." is not a citation."""
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
    if ". " in text[:-1] and not re.search(r"\b[A-Z][a-z]?\. ", text):  # two sentences
        return False
    return True
