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
from collections.abc import Mapping
from functools import partial

import pandas as pd

from pipeline.csvio import FORMULA_PREFIXES
from pipeline.findings import Finding, excerpt_of
from pipeline.schemas import load_schemas
from pipeline.validate.locate import Locator
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
_LOOKALIKE_SCRIPTS = "[\u0370-\u03ff\u1f00-\u1fff\u0400-\u052f\u0530-\u058f\u13a0-\u13ff\u2c80-\u2cff]"


def _string_columns(table_name: str, df: pd.DataFrame) -> list[str]:
    table = load_schemas()[table_name]
    return [f["name"] for f in table.fields if f.get("type", "string") == "string" and f["name"] in df.columns]


def _candidates(series: pd.Series, pattern: str) -> list[int]:
    mask = series.astype("string").str.contains(pattern, regex=True, na=False)
    return [i for i, hit in enumerate(mask.tolist()) if hit]


def _control_names(text: str) -> str:
    names = []
    for ch in dict.fromkeys(CONTROL.findall(text)):
        names.append(f"U+{ord(ch):04X} {unicodedata.name(ch, 'control')}")
    return ", ".join(names)


def _emit(out: list[Finding], locator: Locator, table: str, column: str, rule: str, message: str, row: int,
          line_no: int | None, line: str, value: str) -> None:
    place = locator.place(table, row, column, line_no)
    out.append(Finding(rule, message, table=table, key=place.key, column=column, value=value,
                       source_file=place.source_file, source_line=place.source_line, excerpt=excerpt_of(line)))


def visible(text: str) -> str:
    """``text`` with each control character shown as ``⟨U+XXXX⟩`` (for excerpts)."""
    return CONTROL.sub(lambda m: f"⟨U+{ord(m.group()):04X}⟩", text)


def cell_findings(tables: Mapping[str, pd.DataFrame], locator: Locator) -> list[Finding]:
    schemas = load_schemas()
    out: list[Finding] = []
    formula_pattern = "^[" + re.escape("".join(FORMULA_PREFIXES)) + "]"
    for name, df in tables.items():
        if name not in schemas or not schemas[name].published or df.empty:
            continue
        prose = set(PROSE_COLUMNS.get(name, ()))
        for column in _string_columns(name, df):
            series = df[column].reset_index(drop=True)
            values = series.tolist()
            emit = partial(_emit, out, locator, name, column)
            prose_column = column in prose
            combined = "|".join([formula_pattern, MARKUP.pattern, _CONTROL_CLASS] + ([] if prose_column else [_LOOKALIKE_SCRIPTS]))
            for row in _candidates(series, combined):
                value = str(values[row])
                if value.startswith(FORMULA_PREFIXES):
                    emit("spreadsheet-formula", f"{name}.{column} starts with {value[:1]!r}: a spreadsheet would run it as a formula",
                         row, 0, value.split("\n")[0], value[:80])
                for i, line in enumerate(value.split("\n")):
                    if m := MARKUP.search(line):
                        emit("markup-in-text", f"{name}.{column} contains markup {m.group()!r}; it is published as plain text",
                             row, i, line, m.group())
                    if CONTROL.search(line):
                        emit("control-characters", f"{name}.{column} contains control characters: {_control_names(line)}",
                             row, i, visible(line), _control_names(line))
                    if not prose_column:  # prose is checked line by line in text_rules
                        for w in mixed_script_words(line):
                            emit("mixed-script-word", f"{name}.{column}: word {w.word!r} mixes scripts: {w.detail}", row, i, line, w.word)
    return out
