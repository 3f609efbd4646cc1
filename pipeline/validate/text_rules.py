"""Text-quality rules over the prose columns, each finding pointing at the exact source line.

Scope: turn the detectors of ``pipeline.validate.words`` and ``pipeline.validate.lines`` into
findings (``mixed-script-word``, ``run-together-words``, ``list-intro-without-list``,
``placeholder-text``, ``empty-section``) for the prose columns named in :data:`PROSE_COLUMNS`.
Line ``i`` of a multi-line text is source line ``<column>_source_line + i``
(:class:`pipeline.validate.locate.Locator`). It must not name any organisation or text of the
sample, and must not check values against the schema.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import pandas as pd

from pipeline.findings import Finding, excerpt_of
from pipeline.validate.lines import heading_placeholder_reason, is_list_intro, list_follows, lists_missing, placeholder_reason
from pipeline.validate.locate import Locator, is_missing
from pipeline.validate.words import mixed_script_words, run_together_words

# Prose columns of the data contract that editors write (checked by the text-quality rules).
PROSE_COLUMNS: dict[str, tuple[str, ...]] = {
    "organizations": ("summary",),
    "sections": ("heading", "text"),
    "footnotes": ("text",),
}
SECTIONS = "sections"


@dataclass(frozen=True)
class Cell:
    table: str
    row: int
    column: str
    lines: list[str]


def prose_cells(tables: Mapping[str, pd.DataFrame]) -> Iterator[Cell]:
    for table, columns in PROSE_COLUMNS.items():
        df = tables.get(table)
        if df is None:
            continue
        for column in columns:
            if column not in df.columns:
                continue
            for row, value in enumerate(df[column].tolist()):
                if not is_missing(value) and str(value).strip():
                    yield Cell(table, row, column, str(value).split("\n"))


def _finding(rule: str, message: str, cell: Cell, i: int, locator: Locator, value: str | None) -> Finding:
    place = locator.place(cell.table, cell.row, cell.column, i)
    return Finding(rule, message, table=cell.table, key=place.key, column=cell.column, value=value,
                   source_file=place.source_file, source_line=place.source_line, excerpt=excerpt_of(cell.lines[i]))


def word_findings(tables: Mapping[str, pd.DataFrame], locator: Locator) -> list[Finding]:
    """``mixed-script-word`` and ``run-together-words`` on every line of the prose columns."""
    out: list[Finding] = []
    for cell in prose_cells(tables):
        for i, line in enumerate(cell.lines):
            for w in mixed_script_words(line):
                out.append(_finding("mixed-script-word", f"word {w.word!r} mixes scripts: {w.detail}", cell, i, locator, w.word))
            for w in run_together_words(line):
                out.append(_finding("run-together-words", f"words run together in {w.word!r}: {w.detail}", cell, i, locator, w.word))
    return out


def _children(sections: pd.DataFrame) -> set[tuple[object, object]]:
    if "parent_section_id" not in sections.columns:
        return set()
    return {
        (org, parent)
        for org, parent in zip(sections["organization_id"].tolist(), sections["parent_section_id"].tolist(), strict=True)
        if not is_missing(parent)
    }


def _section_rows(tables: Mapping[str, pd.DataFrame]) -> Iterator[tuple[int, dict, bool]]:
    """(row, record, has child sections) for every section."""
    sections = tables.get(SECTIONS)
    if sections is None or sections.empty:
        return
    parents = _children(sections)
    for row, rec in enumerate(sections.to_dict("records")):
        yield row, rec, (rec.get("organization_id"), rec.get("section_id")) in parents


def list_intro_findings(tables: Mapping[str, pd.DataFrame], locator: Locator) -> list[Finding]:
    """``list-intro-without-list``: a line (or heading) ending in ``:`` with no list after it."""
    subheaded = {row: has for row, _, has in _section_rows(tables)}
    out: list[Finding] = []
    for cell in prose_cells(tables):
        if cell.column == "heading":
            continue
        has_subheadings = cell.table == SECTIONS and subheaded.get(cell.row, False)
        for i in lists_missing(cell.lines, has_subheadings=has_subheadings):
            out.append(_finding("list-intro-without-list", "line ends with ':' but no list follows", cell, i, locator, cell.lines[i].strip()))
    # a heading that ends with ':' introduces its text: the text must start with a list
    for row, rec, has_children in _section_rows(tables):
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


def placeholder_findings(tables: Mapping[str, pd.DataFrame], locator: Locator) -> list[Finding]:
    """``placeholder-text``: editorial notes, markers and questions left in headings and text."""
    out: list[Finding] = []
    for cell in prose_cells(tables):
        if cell.column == "heading":
            continue
        for i, line in enumerate(cell.lines):
            if reason := placeholder_reason(line):
                out.append(_finding("placeholder-text", f"placeholder text: {reason}", cell, i, locator, line.strip()))
    for row, rec, _ in _section_rows(tables):
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


def empty_section_findings(tables: Mapping[str, pd.DataFrame], locator: Locator) -> list[Finding]:
    """``empty-section``: a heading with no text and no sub-headings."""
    out: list[Finding] = []
    for row, rec, has_children in _section_rows(tables):
        text = rec.get("text")
        if has_children or (not is_missing(text) and str(text).strip()):
            continue
        place = locator.place(SECTIONS, row)
        heading = "" if is_missing(rec.get("heading")) else str(rec["heading"])
        out.append(Finding("empty-section", f"section {heading!r} has no text and no sub-headings", table=SECTIONS, key=place.key,
                           column="text", value=heading, source_file=place.source_file, source_line=place.source_line,
                           excerpt=excerpt_of(heading)))
    return out


def text_findings(tables: Mapping[str, pd.DataFrame], locator: Locator) -> list[Finding]:
    return [
        *word_findings(tables, locator),
        *list_intro_findings(tables, locator),
        *placeholder_findings(tables, locator),
        *empty_section_findings(tables, locator),
    ]
