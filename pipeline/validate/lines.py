"""Line-level detectors for profile text: list introductions without a list, placeholder text.

Scope: pure functions over the lines of one text cell (``sections.text``, ``organizations.summary``
...), saying which line (0-based) is suspicious and why. They know nothing about tables or
findings (``pipeline.validate.text_rules`` does that) and must not hold any text of the sample.

What a list looks like in the profiles: bullet lines (``•``, ``-``, ``*``, ``–``, ``1.``, ``a)``),
"Label: text" items (a short label, a colon, the item), or a run of short lines; a section whose
text ends with an introduction may also go on with sub-headings that are the list's items.
"""

from __future__ import annotations

import re

from pipeline.validate.scan import re2_class, re2_space

_BULLET_CHARS = "[•▪◦‣●○■□➢➤►✓✔·*–—-]"
BULLET = re.compile(r"^\s*(?:" + _BULLET_CHARS + r"\s*|(?:\(?\d{1,2}|\(?[a-z]|\(?(?:ii|iii|iv|vi|vii|viii|ix))[.)]\s+)\S")
_LABEL_ITEM = re.compile(r"^\s*(?P<label>[^\s:][^:]{0,60}):\s+\S")
SHORT_LINE = 80


def is_bullet(line: str) -> bool:
    return bool(BULLET.match(line))


def bullet_screen() -> str:
    """Lines that are bullet lines (:func:`is_bullet`), as an RE2/Rust pattern that matches no other
    line (it may miss some: numbered items): a bullet character after optional whitespace, then a
    character that is not whitespace after optional whitespace."""
    ws = re2_space()
    return f"^{ws}*{re2_class(_BULLET_CHARS)}{ws}*[^{ws[1:]}"


def is_label_item(line: str) -> bool:
    m = _LABEL_ITEM.match(line)
    return m is not None and len(m.group("label").split()) <= 6 and not line.rstrip().endswith(":")


def is_list_intro(line: str) -> bool:
    """A line ending with ":" that is not a time or a ratio ("10:"): ``re``'s ``\\d`` is ``str.isdecimal``."""
    text = line.strip()
    return text.endswith(":") and len(text) > 1 and not text[-2].isdecimal()


def _next_nonblank(lines: list[str], start: int) -> int | None:
    for j in range(start, len(lines)):
        if lines[j].strip():
            return j
    return None


def list_follows(lines: list[str], intro: int) -> bool | None:
    """True when a list starts after line ``intro``; None when the text ends there (the caller
    decides: sub-headings may be the list); False otherwise."""
    j = _next_nonblank(lines, intro + 1)
    if j is None:
        return None
    k = _next_nonblank(lines, j + 1)
    return list_follows_lines(lines[j], lines[k] if k is not None else None)


def list_follows_lines(first: str, second: str | None) -> bool:
    """:func:`list_follows` from the first two non-blank lines after the introduction."""
    if is_bullet(first):
        return True
    if is_label_item(first) and second is not None and (is_label_item(second) or is_bullet(second)):
        return True
    short = lambda s: len(s.strip()) <= SHORT_LINE and not is_list_intro(s)  # noqa: E731
    return second is not None and short(first) and short(second)


def lists_missing(lines: list[str], *, has_subheadings: bool) -> list[int]:
    """0-based lines that end with ``:`` and are not followed by a list. (The rule reads only the
    lines that may be introductions, each with the two non-blank lines after it: see
    ``pipeline.validate.text_rules.list_intro_findings``; this is the same answer for one cell.)"""
    missing = []
    for i, line in enumerate(lines):
        if not is_list_intro(line):
            continue
        follows = list_follows(lines, i)
        if follows is False or (follows is None and not has_subheadings):
            missing.append(i)
    return missing


# -- placeholders ---------------------------------------------------------------------------------

_MARKERS = re.compile(r"\b(?:TODO|TBC|TBD|FIXME|XXX+)\b|(?i:lorem ipsum)|(?i:\[(?:insert|add|to be|tbc|tbd|todo|check|\?)[^\]]*\])")
_WHOLE_LINE_BODY = r"(?:\[\s*(?:\.\.\.|…)\s*\]|\.\.\.|…|\?+|n/?a|tbc|tbd|todo|to be (?:completed|confirmed|added|written))[.!]?"
_WHOLE_LINE = re.compile(r"(?i)^" + _WHOLE_LINE_BODY + "$")
# Screens (each may match more than the rule; never less): a reason needs a "?", a whole
# placeholder line ("?"..., "...", "…", "[...]" or one of the words below) or a match of
# _MARKERS, which holds "[", "TODO", "TBC", "TBD", "FIXME" or "XXX", or "orem" once lowercased.
_PLACEHOLDER_NEEDS = ("?", "...", "…", "[", "TODO", "TBC", "TBD", "FIXME", "XXX")
_PLACEHOLDER_WORDS = "(?i:n/?a|tbc|tbd|todo|to be )"  # after optional whitespace at a line's start
_SENTENCE_BREAK = re.compile(r"[.!?]\s+\S")
_QUOTES = "\"'‘’“”«»"


def placeholder_screen() -> str:
    """Where a line may have a :func:`placeholder_reason`, as a column or line screen
    (:mod:`pipeline.validate.scan`): a "?", "...", "…", "[", a marker, "orem" in any case, or a line
    starting with one of the placeholder words."""
    ws = re2_space()
    return f"{_placeholder_needles()}|(?i:orem)|(?m:^{ws}*{_PLACEHOLDER_WORDS})"


def placeholder_screens() -> tuple[str, ...]:
    """:func:`placeholder_screen` as patterns the regex engine finds by a literal or an anchor, to be
    searched one pass each (joined, they are run byte by byte): a line start is the text's start
    or a newline (Rust's multi-line ``^``)."""
    ws = re2_space()
    return (_placeholder_needles(), "(?i:orem)", f"^{ws}*{_PLACEHOLDER_WORDS}", f"\\n{ws}*{_PLACEHOLDER_WORDS}")


def _placeholder_needles() -> str:
    return "|".join(re.escape(n).replace("…", "\\x{2026}") for n in _PLACEHOLDER_NEEDS)


def list_intro_screen() -> str:
    """Where a line may be a list introduction (:func:`is_list_intro`), as a column or line screen."""
    return f"(?m::{re2_space()}*$)"


def placeholder_reason(line: str) -> str | None:
    """Why ``line`` reads as editorial placeholder text, or None."""
    text = line.strip()
    if not text:
        return None
    if _WHOLE_LINE.match(text):
        return "placeholder line"
    if (m := _marker(text)) is not None:
        return f"editorial marker {m.group()!r}"
    if (
        text.endswith("?")
        and not is_bullet(text)
        and text[0] not in _QUOTES
        and not _SENTENCE_BREAK.search(text[:-1])
        and len(text.split()) <= 25
    ):
        return "a whole line that is a question (a note to the editor?)"
    return None


def _marker(text: str) -> re.Match[str] | None:
    """``_MARKERS.search(text)``, searched only when ``text`` holds what each of its alternatives
    needs: "[", a marker's literal, or "orem" in ``str.lower()`` (only ASCII letters fold to
    "orem" in ``re``'s case-insensitive match, and each lowers to its letter)."""
    if "[" in text or "TODO" in text or "TBC" in text or "TBD" in text or "FIXME" in text or "XXX" in text or "orem" in text.lower():
        return _MARKERS.search(text)
    return None


def heading_placeholder_reason(heading: str, *, names_known_heading: bool) -> str | None:
    """Why a heading reads as an editorial note: a marker, or a known heading left with a ``?``."""
    text = heading.strip()
    if _WHOLE_LINE.match(text) or _marker(text):
        return "placeholder heading"
    if names_known_heading and text.endswith("?"):
        return "known heading left with a question mark"
    return None
