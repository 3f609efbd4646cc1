"""Checks on every string cell of the published tables: formulas, markup, control characters.

Scope: ``spreadsheet-formula`` (a cell a spreadsheet would run: starts with ``=``, ``+``, ``-``,
``@``, tab or CR; the CSV writer guards it, the finding tells the editor), ``markup-in-text`` (HTML
tags, event-handler attributes, ``javascript:`` URLs, character entities), ``control-characters``
(C0/C1 controls other than newline and tab, and invisible format characters such as zero-width
spaces or bidirectional overrides), and ``mixed-script-word`` for the cells that are not prose
(prose is covered line by line in ``pipeline.validate.text_rules``). Candidate cells are found with
vectorised regexes first, so large tables stay fast. It must not check schema constraints.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from functools import cache

import pandas as pd

from pipeline.csvio import FORMULA_PREFIXES
from pipeline.findings import Finding, excerpt_of
from pipeline.schemas import load_schemas
from pipeline.validate.locate import Hit, Locator
from pipeline.validate.scan import Screen, Screens, re2_class, re2_space
from pipeline.validate.text_rules import PROSE_COLUMNS
from pipeline.validate.words import mixed_script_words

MARKUP = re.compile(
    r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>"  # tags
    r"|\bon[a-z]{3,}\s*=\s*[\"'`]?"  # event handlers: onerror=, onclick=
    r"|\bjavascript\s*:"  # script URLs
    r"|&(?:[a-zA-Z]{2,8}|#\d{2,5}|#x[0-9a-fA-F]{2,4});"  # character entities
)
# C0/C1 controls except tab and newline, plus invisible format characters (Cf) such as U+200B,
# U+FEFF and the bidirectional overrides U+202A-U+202E / U+2066-U+2069, and U+00AD soft hyphen.
_CONTROL_CLASS = "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]"
CONTROL = re.compile(_CONTROL_CLASS)
KIND = "cell"
_LOOKALIKE_SCRIPTS = "[\u0370-\u03ff\u1f00-\u1fff\u0400-\u052f\u0530-\u058f\u13a0-\u13ff\u2c80-\u2cff]"
# Characters a control-character or mixed-script finding needs (one class: one scan of the text).
_SUSPECT_CHARS = re.compile(_CONTROL_CLASS)
_SUSPECT_CHARS_OR_LOOKALIKE = re.compile(_CONTROL_CLASS[:-1] + _LOOKALIKE_SCRIPTS[1:])


def _string_columns(table_name: str, df: pd.DataFrame) -> list[str]:
    table = load_schemas()[table_name]
    return [f["name"] for f in table.fields if f.get("type", "string") == "string" and f["name"] in df.columns]


def _checked_columns(tables: Mapping[str, pd.DataFrame]) -> Iterator[tuple[str, str, bool]]:
    """(table, column, is prose) of every string column of every published table that has rows
    (not the provenance tables: their cells record other tables' values as they were)."""
    schemas = load_schemas()
    for name, df in tables.items():
        if name not in schemas or not schemas[name].published or schemas[name].provenance or df.empty:
            continue
        prose = set(PROSE_COLUMNS.get(name, ()))
        for column in _string_columns(name, df):
            yield name, column, column in prose


@cache
def _re2_markup() -> tuple[str, ...]:
    """RE2/Rust patterns that match wherever :data:`MARKUP` does (and a little more), each led by
    a literal: ``\\b`` dropped, ``\\s`` spelt out, ``\\d`` widened to "not ';'"."""
    ws = re2_space()
    return (
        rf"</?[A-Za-z][A-Za-z0-9-]*(?:{ws}[^<>]*)?/?>",
        rf"on[a-z]{{3,}}{ws}*=",
        rf"javascript{ws}*:",
        r"&(?:[a-zA-Z]{2,8}|#[^;]{2,5}|#x[0-9a-fA-F]{2,4});",
    )


def _formula_screen() -> str:
    return "^[" + "".join(f"\\x{{{ord(p):x}}}" for p in FORMULA_PREFIXES) + "]"


def _suspect_class(lookalikes: bool) -> str:
    return re2_class((_SUSPECT_CHARS_OR_LOOKALIKE if lookalikes else _SUSPECT_CHARS).pattern)


@cache
def cell_screen(lookalikes: bool) -> str:
    """Where a cell may hold a finding of this module, as one pattern (:mod:`pipeline.validate.scan`):
    it starts like a formula, or holds a control character, markup or (with ``lookalikes``) a
    letter of a look-alike script."""
    return "|".join([_formula_screen(), _suspect_class(lookalikes), *_re2_markup()])


def screens(tables: Mapping[str, pd.DataFrame]) -> list[Screen]:
    """The column screens :func:`cell_findings` reads: :func:`cell_screen` as patterns led by a
    literal or an anchor (each searched in its own pass) and a class of characters."""
    return [Screen(KIND, name, column, (_formula_screen(), *_re2_markup()), _suspect_class(not prose))
            for name, column, prose in _checked_columns(tables)]


def _control_names(text: str) -> str:
    names = []
    for ch in dict.fromkeys(CONTROL.findall(text)):
        names.append(f"U+{ord(ch):04X} {unicodedata.name(ch, 'control')}")
    return ", ".join(names)


def visible(text: str) -> str:
    """``text`` with each control character shown as ``⟨U+XXXX⟩`` (for excerpts)."""
    return CONTROL.sub(lambda m: f"⟨U+{ord(m.group()):04X}⟩", text)


def _cell_hits(name: str, column: str, row: int, value: str, prose_column: bool) -> Iterator[Hit]:
    if value.startswith(FORMULA_PREFIXES):
        yield Hit("spreadsheet-formula", f"{name}.{column} starts with {value[:1]!r}: a spreadsheet would run it as a formula",
                  name, row, column, 0, value[:80], excerpt_of(value.split("\n")[0]))
    for i, line in enumerate(value.split("\n")):
        if m := MARKUP.search(line):
            yield Hit("markup-in-text", f"{name}.{column} contains markup {m.group()!r}; it is published as plain text",
                      name, row, column, i, m.group(), excerpt_of(line))
        if CONTROL.search(line):
            names = _control_names(line)
            yield Hit("control-characters", f"{name}.{column} contains control characters: {names}", name, row, column, i,
                      names, excerpt_of(visible(line)))
        if not prose_column:  # prose is checked line by line in text_rules
            for w in mixed_script_words(line):
                yield Hit("mixed-script-word", f"{name}.{column}: word {w.word!r} mixes scripts: {w.detail}", name, row, column, i,
                          w.word, excerpt_of(line))


def cell_findings(tables: Mapping[str, pd.DataFrame], locator: Locator, found: Screens | None = None) -> list[Finding]:
    """Every finding of this module; ``found``: the evaluated :func:`screens` (evaluated here when None)."""
    found = found or Screens(tables, screens(tables)).prepare().run()
    hits: list[Hit] = []
    for name, column, prose in _checked_columns(tables):
        for row, value in found.candidates(KIND, name, column):
            hits.extend(_cell_hits(name, column, row, value, prose))
    return locator.findings(hits)
