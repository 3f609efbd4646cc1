"""Which 8-bit encoding a file that is not UTF-8 is in: Windows-1252, Mac Roman, or refused.

Scope: given the bytes of a file with no byte-order mark that is not UTF-8, decide between the two
8-bit encodings profiles are written in outside UTF-8 (Windows-1252, which includes Latin-1's
letters, and Mac Roman) or refuse, and say why with the bytes that decided it. Both decode almost
any byte, so the text each gives is judged: a reading is *implausible* when a non-ASCII character
sits where text never puts it (a capital inside a word: ``itÕs``, ``cafŽ``, ``FÈdÈration``; a rare
symbol: ``¥``, ``∞``, ``‰``, a spacing accent ``˙``; a letter alone that is no one-letter word
(`` ñ ``); three accented letters in a row; an ellipsis glued to the word after a space (``…cole``); a letter no word starts or ends with
(``ìquotesî``); ``¡``/``¿`` after a letter; a quotation mark inside a word). Exactly one plausible reading is
taken; when both are plausible and differ, the file is refused: a wrong guess would publish garbled
text with a warning that looks routine. (charset-normalizer's coherence was measured as the
tie-breaker on generated profiles and chose the wrong encoding in about a third of such ties, so it
is not used.) It must not read files, normalise text or know anything about profiles.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# (codec, the name an editor knows). Single-byte codecs: character i of a reading is byte i.
CANDIDATES: tuple[tuple[str, str], ...] = (("cp1252", "Windows-1252"), ("mac_roman", "Mac Roman"))
NAMES = dict(CANDIDATES)

# Symbols that 8-bit text of another encoding produces and real prose almost never holds.
_RARE = frozenset("¥¤¦¨¬¯´¸ˆ˜‰¹∞≠≤≥∂∑∏π∫Ω√≈∆◊ƒ")
# Quotation marks never written between two letters (the apostrophe ’ is).
_QUOTES = frozenset("‹›«»“”‘„‚")
# (œ and î never end a word, ì and ë never start one: the Mac Roman reading of Windows-1252's
# “quotes” is ìquotesî.)
# Letters that stand alone in real text: accented one-letter words (French/Portuguese à, Italian è,
# Spanish ó ...) and the ordinal indicators (1ª, 2º).
_STAND_ALONE = frozenset("àÀáéèÉóòªº")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_ACCENT_RUN = re.compile(r"[^\W\d_\x00-\x7f]{3,}")


@dataclass(frozen=True)
class Doubt:
    """Why a reading is implausible: the character at ``offset`` (= its byte's offset) and why."""

    offset: int
    reason: str


@dataclass(frozen=True)
class Verdict:
    """The encoding taken (None: refused) and what decided it, for the finding's message."""

    encoding: str | None
    readings: dict[str, str]
    doubts: dict[str, Doubt | None]


def readings(data: bytes) -> dict[str, str]:
    """Each candidate's text, where the bytes decode and hold no control character."""
    out: dict[str, str] = {}
    for codec, _ in CANDIDATES:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if not any(unicodedata.category(c) == "Cc" and c not in "\n\r\t" for c in set(text)):
            out[codec] = text
    return out


def doubt(text: str) -> Doubt | None:
    """The first place where ``text`` holds a non-ASCII character no text would put there."""
    found: list[Doubt] = []
    for m in _NON_ASCII.finditer(text):
        i = m.start()
        if reason := _out_of_place(m.group(), text[i - 1] if i else " ", text[i + 1] if i + 1 < len(text) else " "):
            found.append(Doubt(i, reason))
            break
    if run := _ACCENT_RUN.search(text):
        found.append(Doubt(run.start(), "three accented letters in a row"))
    return min(found, key=lambda d: d.offset) if found else None


def _out_of_place(c: str, prev: str, nxt: str) -> str:
    """Why the non-ASCII character ``c`` between ``prev`` and ``nxt`` is out of place ('' if not)."""
    if c in _RARE or unicodedata.category(c) in ("Sk", "Lm"):
        return "a symbol prose does not use"
    if c == "…" and nxt.isalpha() and prev.isspace():
        return "an ellipsis glued to the next word"
    if c in _QUOTES and prev.isalpha() and nxt.isalpha():
        return "a quotation mark inside a word"
    if (c in "œŒî" and prev.isalpha() and not nxt.isalpha()) or (c in "ìë" and not prev.isalpha() and nxt.isalpha()):
        return "a letter no word starts or ends with"
    upper = unicodedata.category(c) == "Lu"
    if upper and prev.isalpha() and (prev.islower() or nxt.islower()):
        return "a capital inside a word"
    if c.isalpha() and not prev.isalpha() and not nxt.isalpha() and c not in _STAND_ALONE:
        return "a letter standing alone"
    if c in "¡¿" and prev.isalnum():
        return "an inverted mark after a letter"
    return ""


def decide(data: bytes) -> Verdict:
    """The encoding of ``data`` (not UTF-8, no byte-order mark), or None when it is not certain:
    exactly one plausible reading is taken (or two that give the same text); two plausible readings
    that differ are refused, never guessed between."""
    texts = readings(data)
    doubts = {codec: doubt(text) for codec, text in texts.items()}
    plausible = [codec for codec, d in doubts.items() if d is None]
    if len(plausible) == 1 or (plausible and len({texts[c] for c in plausible}) == 1):
        return Verdict(plausible[0], texts, doubts)
    return Verdict(None, texts, doubts)


def where(data: bytes, offset: int) -> str:
    """'line L (byte offset O): bytes 0xD2 0x73 …' for the run of non-ASCII bytes at ``offset``."""
    start = offset
    while start > 0 and data[start - 1] >= 0x80 and offset - start < 8:
        start -= 1
    end = offset
    while end < len(data) and data[end] >= 0x80 and end - start < 8:
        end += 1
    end = max(end, offset + 1)
    line = data[:start].count(b"\n") + 1
    return f"line {line} (byte offset {start}): byte(s) {' '.join(f'0x{b:02X}' for b in data[start:end])}"


def context(text: str, offset: int, width: int = 12) -> str:
    """The reading's text around ``offset``, on one line."""
    return " ".join(text[max(0, offset - width) : offset + width].split())


def first_difference(readings: dict[str, str]) -> int:
    """The offset of the first character where the readings differ (0 when they do not)."""
    texts = list(readings.values())
    for i, chars in enumerate(zip(*texts, strict=True)):
        if len(set(chars)) > 1:
            return i
    return 0
