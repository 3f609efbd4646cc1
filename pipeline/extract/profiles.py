"""Step 1: where do the profiles of a file start and end?

Scope: find every header block (known `Label: value` lines, in any order and case, blank lines
between them or not, up to two unknown labels inside) and the name line above it, and cut the file
into profile spans. A block starts a profile when it has two or more fields, when it is an
`Acronym:` line alone, or when any one field has a name line above it. It must not parse the
header values or the prose (later steps do).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.extract import lines as L
from pipeline.extract.matching import match_issue, match_section
from pipeline.extract.model import HeaderField, HeaderNote, ProfileSpan
from pipeline.vocab import Vocabulary

MAX_HEADER_GAP = 2  # unknown `Label:` lines tolerated inside a header block


@dataclass(slots=True)
class _Block:
    first: int
    last: int
    fields: dict[str, HeaderField]
    notes: list[HeaderNote]


def find_profiles(lines: list[str], index: L.LineIndex, vocab: Vocabulary) -> tuple[list[ProfileSpan], list[HeaderNote]]:
    """The file's profiles in order, and the header lines they do not use (repeats, unknown labels)."""
    spans: list[ProfileSpan] = []
    notes: list[HeaderNote] = []
    prev_end = -1
    for block in _header_blocks(lines, index, vocab):
        if block.first <= prev_end:
            continue
        name_index, long_name = _name_above(lines, block.first, prev_end, vocab)
        if not _starts_profile(block, lines, name_index, vocab):
            continue
        if spans:
            spans[-1].end = (block.first if name_index is None else name_index) - 1
        spans.append(ProfileSpan(name_index, block.first, block.last, len(lines) - 1, block.fields, long_name))
        notes.extend(block.notes)
        prev_end = block.last
    return spans, notes


def _starts_profile(block: _Block, lines: list[str], name_index: int | None, vocab: Vocabulary) -> bool:
    """Two fields, an acronym alone, or one field under a name line (even one too long to be a
    name; not a heading of the text)."""
    if len(block.fields) >= 2 or "acronym" in block.fields:
        return True
    return name_index is not None and match_issue(lines[name_index], vocab) is None


def _name_above(lines: list[str], first: int, prev_end: int, vocab: Vocabulary) -> tuple[int | None, bool]:
    """The name line just above a header block (blank lines may separate them): (index, False);
    (index, True) for a line that would be the name but is too long; (None, False) for none."""
    j = first - 1
    while j > prev_end and not lines[j].strip():
        j -= 1
    if j <= prev_end:
        return None, False
    kind = L.name_kind(lines[j], vocab)
    if kind is None or (kind == "name" and match_section(lines[j].strip(), vocab) is not None):
        return None, False
    return j, kind == "long"


def _header_blocks(lines: list[str], index: L.LineIndex, vocab: Vocabulary) -> list[_Block]:
    """Every run of header lines (blank lines and up to two unknown labels may separate them)."""
    blocks: list[_Block] = []
    last = -1
    for i in index.labelled:
        if i <= last or L.header_field(lines[i], vocab) is None:
            continue
        block = _read_block(lines, i, vocab)
        blocks.append(block)
        last = block.last
    return blocks


def _read_block(lines: list[str], i: int, vocab: Vocabulary) -> _Block:
    block = _Block(i, i, {}, [])
    gaps = 0
    for j in range(i, len(lines)):
        line = lines[j]
        if not line.strip():
            continue
        hit = L.header_field(line, vocab)
        if hit is None:
            # An unknown `Label: value` line between known header lines ("Director: ...") is
            # reported, not taken as the end of the header or as a new profile's name.
            label = L.unknown_label(line)
            if label is None or gaps >= MAX_HEADER_GAP or not _known_field_follows(lines, j + 1, MAX_HEADER_GAP - gaps - 1, vocab):
                break
            gaps += 1
            block.notes.append(HeaderNote(None, label, j + 1))
            continue
        column, value, label = hit
        if column in block.fields:
            block.notes.append(HeaderNote(column, label, j + 1))
        else:
            block.fields[column] = HeaderField(column, value, label, j + 1)
        block.last = j  # a repeated field is still part of the header
    return block


def _known_field_follows(lines: list[str], j: int, more_unknown: int, vocab: Vocabulary) -> bool:
    """Is the next non-blank line from ``j`` a known header field (after at most ``more_unknown``
    further unknown `Label:` lines)?"""
    while j < len(lines):
        line = lines[j]
        if line.strip():
            if L.header_field(line, vocab):
                return True
            if more_unknown <= 0 or L.unknown_label(line) is None:
                return False
            more_unknown -= 1
        j += 1
    return False
