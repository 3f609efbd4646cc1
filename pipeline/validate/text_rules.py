"""Text-quality rules over the prose columns, each finding pointing at the exact source line.

Scope: turn the detectors of ``pipeline.validate.words`` and ``pipeline.validate.lines`` into
findings (``mixed-script-word``, ``run-together-words``, ``list-intro-without-list``,
``placeholder-text``, ``empty-section``) for the prose columns named in :data:`PROSE_COLUMNS`.
Line ``i`` of a multi-line text is source line ``<column>_source_line + i``
(:class:`pipeline.validate.locate.Locator`).

How it stays fast: every rule first screens whole columns (:mod:`pipeline.validate.scan`, one
polars pass shared by the screens of a column), and the word model judges each distinct word of
the prose once (:func:`pipeline.validate.words.glued_among`) before one literal search
(:func:`pipeline.validate.scan.contains_literals`) finds the rows holding a run-together word; only
the rows a screen keeps are read in Python, line by line, with the same detectors as before, in the
same order. It must not name any organisation or text of the sample, and must not check values
against the schema.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
import polars as pl

from pipeline.findings import Finding, excerpt_of
from pipeline.validate.lines import (
    bullet_screen,
    heading_placeholder_reason,
    is_list_intro,
    list_follows,
    list_follows_lines,
    list_intro_screen,
    placeholder_reason,
    placeholder_screen,
    placeholder_screens,
)
from pipeline.validate.locate import ORG_KEY, Hit, Locator, plain_values
from pipeline.validate.scan import Screen, Screens, re2_space
from pipeline.validate.words import mixed_script_screen, mixed_script_words, run_together_issues

# Prose columns of the data contract that editors write (checked by the text-quality rules).
PROSE_COLUMNS: dict[str, tuple[str, ...]] = {
    "organizations": ("summary",),
    "sections": ("heading", "text"),
    "footnotes": ("text",),
}
SECTIONS = "sections"
HEADING, TEXT, PARENT, SECTION_ID, CANONICAL = "heading", "text", "parent_section_id", "section_id", "canonical_heading"
MIXED, PLACEHOLDER, INTRO, BLANK = "mixed", "placeholder", "intro", "blank"


def prose_columns(tables: Mapping[str, pd.DataFrame]) -> Iterator[tuple[str, str]]:
    """(table, column) of every prose column present in ``tables``, in :data:`PROSE_COLUMNS` order."""
    for table, columns in PROSE_COLUMNS.items():
        df = tables.get(table)
        if df is not None:
            yield from ((table, c) for c in columns if c in df.columns)


def screens(tables: Mapping[str, pd.DataFrame]) -> list[Screen]:
    """The column screens the rules of this module read."""
    out: list[Screen] = []
    for table, column in prose_columns(tables):
        out.append(Screen(MIXED, table, column, (), mixed_script_screen()))
        out.append(Screen(PLACEHOLDER, table, column, placeholder_screens()))
        out.append(Screen(INTRO, table, column, (list_intro_screen(),)))  # led by ':'
    out.append(Screen(BLANK, SECTIONS, TEXT, (f"^{re2_space()}*$",)))  # empty or whitespace only: anchored
    return out


def _is_prose(value: str | None) -> bool:
    return value is not None and bool(value) and not value.isspace()


class Sections:
    """What the section-level rules need to know about rows of ``sections``, read for those rows only."""

    def __init__(self, tables: Mapping[str, pd.DataFrame], found: Screens):
        self.df = tables.get(SECTIONS)
        self.found = found
        self._children: set[tuple[object, object]] | None = None
        self._parents: np.ndarray | None = None  # parent_rows of the table, when it can answer

    def _plain(self, column: str, rows: Sequence[int]) -> list[object]:
        assert self.df is not None
        return plain_values(self.df[column], rows) if column in self.df.columns else [None] * len(rows)

    def texts(self, column: str, rows: Sequence[int]) -> list[str | None]:
        """The values of ``column`` at ``rows`` as the rules read them (None when missing or no such column)."""
        if self.df is None or column not in self.df.columns:
            return [None] * len(rows)
        return self.found.values(SECTIONS, column, rows)

    def has_children(self, rows: Sequence[int]) -> list[bool]:
        """Whether each of ``rows`` is the parent of another section of its organisation."""
        if self.df is None or PARENT not in self.df.columns or not len(rows):
            return [False] * len(rows)
        if self._parents is None:
            self._parents = parent_rows(self.df)
        if self._parents is not None:
            return self._parents[np.asarray(rows, dtype=np.int64)].tolist()
        if self._children is None:
            with_parent = np.flatnonzero(~self.df[PARENT].isna().to_numpy()).tolist()
            self._children = set(zip(self._plain(ORG_KEY, with_parent), self._plain(PARENT, with_parent), strict=True))
        children = self._children
        return [pair in children for pair in zip(self._plain(ORG_KEY, rows), self._plain(SECTION_ID, rows), strict=True)]


def parent_rows(df: pd.DataFrame) -> np.ndarray | None:
    """Whether each row of ``df`` is the parent of another row of its organisation (some row with
    the same ``organization_id``, both missing counting as the same, has its ``section_id`` as
    ``parent_section_id``), by one polars semi-join; None unless the three columns are strings."""
    import pyarrow as pa

    columns = (ORG_KEY, SECTION_ID, PARENT)
    if not all(c in df.columns and isinstance(df[c].dtype, pd.StringDtype) for c in columns):
        return None
    org, section, parent = (pl.from_arrow(pa.array(df[c], from_pandas=True)) for c in columns)
    rows = pl.DataFrame({"org": org, "id": section}).with_row_index("row")
    children = pl.DataFrame({"org": org, "id": parent}).drop_nulls("id").unique()
    parents = rows.join(children, on=["org", "id"], how="semi", nulls_equal=True)["row"].to_numpy()
    out = np.zeros(len(df), dtype=bool)
    out[parents] = True
    return out


WordLines = list[tuple[str, str, list[tuple[int, int, str]]]]  # (table, column, [(row, line, text)]) per prose column


def mixed_script_lines(tables: Mapping[str, pd.DataFrame], found: Screens) -> WordLines:
    """The lines holding a letter of another script, per prose column (of the rows the
    mixed-script screen keeps): all :func:`mixed_script_findings` reads."""
    return [(table, column, found.lines(table, column, found.rows(MIXED, table, column), pattern=mixed_script_screen()))
            for table, column in prose_columns(tables)]


# (word, detail) of each run-together token, and (table, column, [(row, line number, line, its run-together tokens)]) per prose column
GluedLines = tuple[dict[str, tuple[str, str]], list[tuple[str, str, list[tuple[int, int, str, list[str]]]]]]


def run_together_lines(tables: Mapping[str, pd.DataFrame], found: Screens) -> GluedLines:
    """The run-together tokens of the prose, and the lines holding one, per prose column: all
    :func:`run_together_findings` reads.

    The distinct words of all the prose (:attr:`Screens.tokens`) are judged once; one literal
    search per column finds the rows holding a run-together one, and of those rows polars keeps
    the lines holding one as a token. Polars and the word model only: may run in a worker thread
    once the vocabulary is collected, while the calling thread works on other rules."""
    issues = run_together_issues(found.tokens)
    return issues, [(table, column, found.token_lines(table, column, set(issues))) for table, column in prose_columns(tables)]


def mixed_script_findings(tables: Mapping[str, pd.DataFrame], locator: Locator, found: Screens,
                          lines: WordLines | None = None) -> list[Finding]:
    """``mixed-script-word`` on every line of the prose columns, read from :func:`mixed_script_lines`
    (found here when ``lines`` is None)."""
    hits: list[Hit] = []
    for table, column, kept in mixed_script_lines(tables, found) if lines is None else lines:
        for row, i, line in kept:
            excerpt = None
            for w in mixed_script_words(line):
                excerpt = excerpt or excerpt_of(line)
                hits.append(Hit("mixed-script-word", f"word {w.word!r} mixes scripts: {w.detail}", table, row, column, i, w.word, excerpt))
    return locator.findings(hits)


def run_together_findings(tables: Mapping[str, pd.DataFrame], locator: Locator, found: Screens,
                          lines: GluedLines | None = None) -> list[Finding]:
    """``run-together-words`` on every line of the prose columns, read from :func:`run_together_lines`
    (found here when ``lines`` is None): a line's issues are those of its ``str.split()`` tokens.
    (A line's run-together tokens are those of its cell that are on it, so judging line by line
    finds what judging the cell does.)"""
    hits: list[Hit] = []
    issues, kept_lines = run_together_lines(tables, found) if lines is None else lines
    for table, column, kept in kept_lines:
        for row, i, line, glued in kept:
            excerpt = excerpt_of(line)
            hits += [Hit("run-together-words", f"words run together in {word!r}: {detail}", table, row, column, i, word, excerpt)
                     for word, detail in map(issues.__getitem__, glued)]
    return locator.findings(hits)


def word_findings(tables: Mapping[str, pd.DataFrame], locator: Locator, found: Screens) -> list[Finding]:
    """``mixed-script-word`` and ``run-together-words`` on every line of the prose columns (each
    rule's findings in row and line order; rules never tie in the report's order)."""
    return mixed_script_findings(tables, locator, found) + run_together_findings(tables, locator, found)


def list_intro_findings(tables: Mapping[str, pd.DataFrame], locator: Locator, found: Screens, sections: Sections) -> list[Finding]:
    """``list-intro-without-list``: a line (or heading) ending in ``:`` with no list after it."""
    hits: list[Hit] = []
    for table, column in prose_columns(tables):
        if column == HEADING:
            continue
        # each line that may introduce a list, with the two non-blank lines after it: all list_follows reads
        # (an introduction followed by a bullet line has a list: polars leaves it out)
        candidates = found.lines_followed(table, column, found.rows(INTRO, table, column), pattern=list_intro_screen(),
                                          unless_next=bullet_screen())
        intros = [x for x in candidates if is_list_intro(x[2])]
        subheaded = sections.has_children([x[0] for x in intros]) if table == SECTIONS else [False] * len(intros)
        for (row, i, line, after), has_subheadings in zip(intros, subheaded, strict=True):
            follows = list_follows_lines(after[0], after[1] if len(after) > 1 else None) if after else None
            if follows is False or (follows is None and not has_subheadings):
                hits.append(Hit("list-intro-without-list", "line ends with ':' but no list follows", table, row, column, i,
                                line.strip(), excerpt_of(line)))
    # a heading that ends with ':' introduces its text: the text must start with a list
    headings = [(row, h) for row, h in found.candidates(INTRO, SECTIONS, HEADING) if is_list_intro(h)]
    rows = [row for row, _ in headings]
    for (row, heading), text, has_children in zip(headings, sections.texts(TEXT, rows), sections.has_children(rows), strict=True):
        follows = list_follows([heading] + ([] if text is None else text.split("\n")), 0)
        if follows is False or (follows is None and not has_children):
            hits.append(Hit("list-intro-without-list", "heading ends with ':' but no list follows", SECTIONS, row, HEADING, None,
                            heading, excerpt_of(heading)))
    return locator.findings(hits)


def placeholder_findings(tables: Mapping[str, pd.DataFrame], locator: Locator, found: Screens, sections: Sections) -> list[Finding]:
    """``placeholder-text``: editorial notes, markers and questions left in headings and text."""
    hits: list[Hit] = []
    for table, column in prose_columns(tables):
        if column == HEADING:
            continue
        for row, i, line in found.lines(table, column, found.rows(PLACEHOLDER, table, column), pattern=placeholder_screen()):
            if reason := placeholder_reason(line):
                hits.append(Hit("placeholder-text", f"placeholder text: {reason}", table, row, column, i, line.strip(), excerpt_of(line)))
    headings = found.candidates(PLACEHOLDER, SECTIONS, HEADING)
    canonical = sections.texts(CANONICAL, [row for row, _ in headings])
    for (row, heading), known in zip(headings, canonical, strict=True):
        if reason := heading_placeholder_reason(heading, names_known_heading=known is not None):
            hits.append(Hit("placeholder-text", f"placeholder text: {reason}", SECTIONS, row, HEADING, None, heading, excerpt_of(heading)))
    return locator.findings(hits)


def empty_section_findings(tables: Mapping[str, pd.DataFrame], locator: Locator, found: Screens, sections: Sections) -> list[Finding]:
    """``empty-section``: a heading with no text and no sub-headings."""
    df = tables.get(SECTIONS)
    if df is None or df.empty:
        return []
    blank = found.rows(BLANK, SECTIONS, TEXT) if TEXT in df.columns else None
    if blank is None:  # no text column, or one that could not be screened: every row
        rows = list(range(len(df)))
    else:
        rows = sorted(set(blank) | set(np.flatnonzero(df[TEXT].isna().to_numpy()).tolist()))
    texts = sections.texts(TEXT, rows)
    rows = [row for row, text in zip(rows, texts, strict=True) if not _is_prose(text)]
    hits = []
    for row, has_children, heading in zip(rows, sections.has_children(rows), sections.texts(HEADING, rows), strict=True):
        if not has_children:
            shown = heading or ""
            hits.append(Hit("empty-section", f"section {shown!r} has no text and no sub-headings", SECTIONS, row, TEXT, None,
                            shown, excerpt_of(shown)))
    return locator.findings(hits)


def text_findings(tables: Mapping[str, pd.DataFrame], locator: Locator, found: Screens | None = None) -> list[Finding]:
    """Every finding of this module; ``found``: the evaluated :func:`screens` with the prose as
    vocabulary (evaluated here when None)."""
    found = found or Screens(tables, screens(tables), prose_columns(tables)).prepare().run().run_vocabulary()
    sections = Sections(tables, found)
    return [
        *word_findings(tables, locator, found),
        *list_intro_findings(tables, locator, found, sections),
        *placeholder_findings(tables, locator, found, sections),
        *empty_section_findings(tables, locator, found, sections),
    ]
