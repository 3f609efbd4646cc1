"""Text-quality rules over the prose columns, each finding pointing at the exact source line.

Scope: turn the detectors of ``pipeline.validate.words`` and ``pipeline.validate.lines`` into
findings (``mixed-script-word``, ``run-together-words``, ``list-intro-without-list``,
``placeholder-text``, ``empty-section``) for the prose columns named in :data:`PROSE_COLUMNS`.
Line ``i`` of a multi-line text is source line ``<column>_source_line + i``
(:class:`pipeline.validate.locate.Locator`). It must not name any organisation or text of the
sample, and must not check values against the schema.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from pipeline.findings import Finding, excerpt_of
from pipeline.validate.lines import (
    heading_placeholder_reason,
    is_list_intro,
    list_follows,
    list_intro_rows,
    list_intro_screen_re2,
    lists_missing,
    placeholder_reason,
    placeholder_rows,
    placeholder_screen_re2,
)
from pipeline.validate.locate import Locator, is_missing
from pipeline.validate.scan import JoinedColumn, arrow_rows, arrow_strings
from pipeline.validate.words import glued_tokens, mixed_script_rows, mixed_script_screen_re2, mixed_script_words, run_together_tokens

# Prose columns of the data contract that editors write (checked by the text-quality rules).
PROSE_COLUMNS: dict[str, tuple[str, ...]] = {
    "organizations": ("summary",),
    "sections": ("heading", "text"),
    "footnotes": ("text",),
}
SECTIONS = "sections"


@dataclass(eq=False)  # one per text value: a plain class keeps making a hundred thousand of them cheap
class Cell:
    table: str
    row: int
    column: str
    text: str  # the value; its lines are split only for the cells a rule looks at

    @cached_property
    def lines(self) -> list[str]:
        return self.text.split("\n")


def _values(tables: Mapping[str, pd.DataFrame], table: str, column: str, locator: Locator | None) -> list[object] | None:
    """The values of ``table.column``, read through ``locator`` (shared by the rules) when it reads these tables."""
    df = tables.get(table)
    if df is None or column not in df.columns:
        return None
    if locator is not None and locator.tables.get(table) is df:
        return locator.values(table, column)
    return df[column].tolist()


def prose_cells(tables: Mapping[str, pd.DataFrame], locator: Locator | None = None) -> Iterator[Cell]:
    for table, columns in PROSE_COLUMNS.items():
        df = tables.get(table)
        if df is None:
            continue
        for column in columns:
            values = _values(tables, table, column, locator)
            if values is None:
                continue
            for row, value in enumerate(values):
                if not is_missing(value) and (text := str(value)) and not text.isspace():
                    yield Cell(table, row, column, text)


class Screens:
    """Which prose cells may hold a mixed-script word, a placeholder or a list introduction,
    screened column-wide (:mod:`pipeline.validate.scan`) so the rules look line by line only at those."""

    def __init__(self, tables: Mapping[str, pd.DataFrame], locator: Locator | None = None):
        self._rows: dict[tuple[str, str, str], set[int]] = {}
        for table, columns in PROSE_COLUMNS.items():
            for column in columns:
                df = tables.get(table)
                if df is None or column not in df.columns:
                    continue
                arr = arrow_strings(df[column])  # Arrow's RE2 kernels, else the same screens in Python
                if arr is not None:
                    self._rows[("mixed", table, column)] = arrow_rows(arr, mixed_script_screen_re2())
                    self._rows[("placeholder", table, column)] = arrow_rows(arr, placeholder_screen_re2())
                    self._rows[("intro", table, column)] = arrow_rows(arr, list_intro_screen_re2())
                    continue
                joined = JoinedColumn(_values(tables, table, column, locator) or [])
                self._rows[("mixed", table, column)] = mixed_script_rows(joined)
                self._rows[("placeholder", table, column)] = placeholder_rows(joined)
                self._rows[("intro", table, column)] = list_intro_rows(joined)

    def may(self, kind: str, cell: Cell) -> bool:
        return self.may_row(kind, cell.table, cell.column, cell.row)

    def may_row(self, kind: str, table: str, column: str, row: int) -> bool:
        rows = self._rows.get((kind, table, column))
        return rows is None or row in rows


def _finding(rule: str, message: str, cell: Cell, i: int, locator: Locator, value: str | None) -> Finding:
    place = locator.place(cell.table, cell.row, cell.column, i)
    return Finding(rule, message, table=cell.table, key=place.key, column=cell.column, value=value,
                   source_file=place.source_file, source_line=place.source_line, excerpt=excerpt_of(cell.lines[i]))


def word_findings(tables: Mapping[str, pd.DataFrame], locator: Locator, *, cells: Sequence[Cell] | None = None,
                  screens: Screens | None = None) -> list[Finding]:
    """``mixed-script-word`` and ``run-together-words`` on every line of the prose columns.

    Each cell is screened as a whole first (:class:`Screens`, one set of tokens), so only the
    lines of the few suspicious cells are examined one by one."""
    screens = screens or Screens(tables, locator)
    out: list[Finding] = []
    for cell in prose_cells(tables, locator) if cells is None else cells:
        mixed = screens.may("mixed", cell)
        glued = glued_tokens(cell.text)
        if not (mixed or glued):
            continue
        for i, line in enumerate(cell.lines):
            if mixed:
                for w in mixed_script_words(line):
                    out.append(_finding("mixed-script-word", f"word {w.word!r} mixes scripts: {w.detail}", cell, i, locator, w.word))
            if glued and not glued.isdisjoint(line.split()):
                for w in run_together_tokens(line, glued):
                    out.append(_finding("run-together-words", f"words run together in {w.word!r}: {w.detail}", cell, i, locator, w.word))
    return out


def _children(tables: Mapping[str, pd.DataFrame], locator: Locator | None = None) -> set[tuple[object, object]]:
    parents = _values(tables, SECTIONS, "parent_section_id", locator)
    if parents is None:
        return set()
    orgs = _values(tables, SECTIONS, "organization_id", locator)
    if orgs is None:
        raise KeyError("organization_id")
    return {(org, parent) for org, parent in zip(orgs, parents, strict=True) if not is_missing(parent)}


SectionRow = tuple[int, dict, bool]
# The columns of ``sections`` the section-level rules read.
_SECTION_FIELDS = ("organization_id", "section_id", "heading", "canonical_heading", "text")


def _section_rows(tables: Mapping[str, pd.DataFrame], locator: Locator | None = None) -> Iterator[SectionRow]:
    """(row, record of :data:`_SECTION_FIELDS`, has child sections) for every section."""
    sections = tables.get(SECTIONS)
    if sections is None or sections.empty:
        return
    parents = _children(tables, locator)
    columns = [c for c in _SECTION_FIELDS if c in sections.columns]
    for row, values in enumerate(zip(*(_values(tables, SECTIONS, c, locator) for c in columns), strict=True)):
        rec = dict(zip(columns, values, strict=True))
        yield row, rec, (rec.get("organization_id"), rec.get("section_id")) in parents


def list_intro_findings(tables: Mapping[str, pd.DataFrame], locator: Locator, *, cells: Sequence[Cell] | None = None,
                        sections: Sequence[SectionRow] | None = None, screens: Screens | None = None) -> list[Finding]:
    """``list-intro-without-list``: a line (or heading) ending in ``:`` with no list after it."""
    sections = list(_section_rows(tables, locator)) if sections is None else sections
    screens = screens or Screens(tables, locator)
    subheaded = {row: has for row, _, has in sections}
    out: list[Finding] = []
    for cell in prose_cells(tables, locator) if cells is None else cells:
        if cell.column == "heading" or not screens.may("intro", cell):
            continue
        has_subheadings = cell.table == SECTIONS and subheaded.get(cell.row, False)
        for i in lists_missing(cell.lines, has_subheadings=has_subheadings):
            out.append(_finding("list-intro-without-list", "line ends with ':' but no list follows", cell, i, locator, cell.lines[i].strip()))
    # a heading that ends with ':' introduces its text: the text must start with a list
    for row, rec, has_children in sections:
        if not screens.may_row("intro", SECTIONS, "heading", row):
            continue
        heading = rec.get("heading")
        if is_missing(heading) or not is_list_intro(str(heading)):
            continue
        text = rec.get("text")
        lines = [str(heading)] + ([] if is_missing(text) else str(text).split("\n"))
        follows = list_follows(lines, 0)
        if follows is False or (follows is None and not has_children):
            place = locator.place(SECTIONS, row)
            out.append(Finding("list-intro-without-list", "heading ends with ':' but no list follows", table=SECTIONS, key=place.key,
                               column="heading", value=str(heading), source_file=place.source_file, source_line=place.source_line,
                               excerpt=excerpt_of(str(heading))))
    return out


def placeholder_findings(tables: Mapping[str, pd.DataFrame], locator: Locator, *, cells: Sequence[Cell] | None = None,
                         sections: Sequence[SectionRow] | None = None, screens: Screens | None = None) -> list[Finding]:
    """``placeholder-text``: editorial notes, markers and questions left in headings and text."""
    screens = screens or Screens(tables, locator)
    out: list[Finding] = []
    for cell in prose_cells(tables, locator) if cells is None else cells:
        if cell.column == "heading" or not screens.may("placeholder", cell):
            continue
        for i, line in enumerate(cell.lines):
            if reason := placeholder_reason(line):
                out.append(_finding("placeholder-text", f"placeholder text: {reason}", cell, i, locator, line.strip()))
    for row, rec, _ in _section_rows(tables, locator) if sections is None else sections:
        if not screens.may_row("placeholder", SECTIONS, "heading", row):
            continue
        heading = rec.get("heading")
        if is_missing(heading):
            continue
        known = not is_missing(rec.get("canonical_heading"))
        if reason := heading_placeholder_reason(str(heading), names_known_heading=known):
            place = locator.place(SECTIONS, row)
            out.append(Finding("placeholder-text", f"placeholder text: {reason}", table=SECTIONS, key=place.key, column="heading",
                               value=str(heading), source_file=place.source_file, source_line=place.source_line,
                               excerpt=excerpt_of(str(heading))))
    return out


def empty_section_findings(tables: Mapping[str, pd.DataFrame], locator: Locator, *,
                           sections: Sequence[SectionRow] | None = None) -> list[Finding]:
    """``empty-section``: a heading with no text and no sub-headings."""
    out: list[Finding] = []
    for row, rec, has_children in _section_rows(tables, locator) if sections is None else sections:
        text = rec.get("text")
        if has_children or (not is_missing(text) and not str(text).isspace() and str(text)):
            continue
        place = locator.place(SECTIONS, row)
        heading = "" if is_missing(rec.get("heading")) else str(rec["heading"])
        out.append(Finding("empty-section", f"section {heading!r} has no text and no sub-headings", table=SECTIONS, key=place.key,
                           column="text", value=heading, source_file=place.source_file, source_line=place.source_line,
                           excerpt=excerpt_of(heading)))
    return out


def text_findings(tables: Mapping[str, pd.DataFrame], locator: Locator) -> list[Finding]:
    cells = list(prose_cells(tables, locator))  # split into lines once for every rule
    sections = list(_section_rows(tables, locator))  # and the sections table read once
    screens = Screens(tables, locator)  # and each prose column scanned once per screen
    return [
        *word_findings(tables, locator, cells=cells, screens=screens),
        *list_intro_findings(tables, locator, cells=cells, sections=sections, screens=screens),
        *placeholder_findings(tables, locator, cells=cells, sections=sections, screens=screens),
        *empty_section_findings(tables, locator, sections=sections),
    ]
