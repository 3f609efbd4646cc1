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
from collections.abc import Mapping, Sequence
from functools import cache, partial

import pandas as pd

from pipeline.csvio import FORMULA_PREFIXES
from pipeline.findings import Finding, excerpt_of
from pipeline.schemas import load_schemas
from pipeline.validate.locate import Locator
from pipeline.validate.scan import JoinedColumn, arrow_rows, arrow_strings, re2_class, re2_space
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


# Characters a control-character or mixed-script finding needs (one class: one scan of the text).
_SUSPECT_CHARS = re.compile(_CONTROL_CLASS)
_SUSPECT_CHARS_OR_LOOKALIKE = re.compile(_CONTROL_CLASS[:-1] + _LOOKALIKE_SCRIPTS[1:])
# Every match of MARKUP contains one of these (tags "<", entities "&", handlers "=", script URLs).
_MARKUP_NEEDS = ("<", "&", "=", "javascript")


def _candidates(values: Sequence[object], *, lookalikes: bool) -> list[int]:
    """Rows whose value may hold a finding: starts like a formula, or contains markup, a control
    character or (with ``lookalikes``) a letter of a look-alike script; in row order.

    The same rows as searching each value for ``formula | MARKUP | control | look-alike`` with
    ``re``, found column-wide (:class:`pipeline.validate.scan.JoinedColumn`): one scan for the
    suspect characters, one per formula prefix and one per substring markup needs, so only the values around a hit are looked at one by one."""
    column = JoinedColumn(values)
    texts = column.texts
    rows = column.rows_starting_with(FORMULA_PREFIXES)
    rows |= column.rows_matching(_SUSPECT_CHARS_OR_LOOKALIKE if lookalikes else _SUSPECT_CHARS)
    for needle in _MARKUP_NEEDS:
        rows |= {row for row in column.rows_with(needle) if row not in rows and MARKUP.search(texts[row])}
    return sorted(rows)


@cache
def _re2_markup() -> str:
    """An RE2 pattern that matches wherever :data:`MARKUP` does (and a little more): ``\\b`` dropped,
    ``\\s`` spelt out, ``\\d`` widened to "not ';'"."""
    ws = re2_space()
    return (
        rf"</?[A-Za-z][A-Za-z0-9-]*(?:{ws}[^<>]*)?/?>"
        rf"|on[a-z]{{3,}}{ws}*="
        rf"|javascript{ws}*:"
        r"|&(?:[a-zA-Z]{2,8}|#[^;]{2,5}|#x[0-9a-fA-F]{2,4});"
    )


def _arrow_candidates(series: pd.Series, *, lookalikes: bool) -> dict[int, str] | None:
    """:func:`_candidates` computed by Arrow's string kernels without converting the column to
    Python strings (row → value of each candidate); None when Arrow cannot take the column. Arrow
    (RE2) searches the suspect characters and a looser MARKUP; ``re`` then confirms MARKUP on the
    few values RE2 found."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = arrow_strings(series)
    if arr is None:
        return None
    rows = arrow_rows(arr, re2_class((_SUSPECT_CHARS_OR_LOOKALIKE if lookalikes else _SUSPECT_CHARS).pattern))
    for prefix in FORMULA_PREFIXES:
        rows.update(int(i) for i in pc.starts_with(arr, prefix).fill_null(False).to_numpy(zero_copy_only=False).nonzero()[0])
    maybe = sorted(arrow_rows(arr, _re2_markup()) - rows)
    maybe_values = arr.take(pa.array(maybe, type=pa.int64())).to_pylist() if maybe else []
    rows.update(row for row, value in zip(maybe, maybe_values, strict=True) if MARKUP.search(value))
    ordered = sorted(rows)
    values = arr.take(pa.array(ordered, type=pa.int64())).to_pylist() if ordered else []
    return dict(zip(ordered, values, strict=True))


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
    for name, df in tables.items():
        if name not in schemas or not schemas[name].published or df.empty:
            continue
        prose = set(PROSE_COLUMNS.get(name, ()))
        for column in _string_columns(name, df):
            prose_column = column in prose
            emit = partial(_emit, out, locator, name, column)
            # screened in Arrow, only the candidate values read (else the same screen in Python)
            candidates = _arrow_candidates(df[column], lookalikes=not prose_column)
            if candidates is None:
                values = df[column].tolist()
                candidates = {row: values[row] for row in _candidates(values, lookalikes=not prose_column)}
            for row, raw in candidates.items():
                value = str(raw)
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
