"""All in-memory checks of a set of extracted tables, as one list of findings.

Scope: run the pandera schema of every table (lazy, every failure), the cross-table and semantic
checks (foreign keys, year established in the future, plain-http website), the cell checks
(spreadsheet formulas, markup, control characters) and the text-quality rules, and return the
findings in a deterministic order. The checks come in two groups: :func:`global_findings` read
across rows, partitions or the calendar and always run on the whole table set;
:func:`local_findings` (row-local rules) may run on some partitions alone
(``pipeline.validate.incremental``). The column-wide screens of the cell and text rules
(:mod:`pipeline.validate.scan`, polars) and the prose's vocabulary (numpy, Arrow) are found by
worker threads while this one runs the global checks (pandera) (polars, numpy and Arrow release the
GIL); then this thread runs the rules whose screens are patterns while a worker runs those that read
the vocabulary (run-together words; control characters and mixed-script words, whose screens in
the prose read the vocabulary's characters).
The cyclic garbage collector is paused while the checks run (:func:`collector_paused`). It must
not read or write files (``pipeline.validate``'s ``validate_folder`` does) nor render reports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import pandas as pd

from pipeline.findings import Finding
from pipeline.fsutil import collector_paused
from pipeline.validate import cells, text_rules
from pipeline.validate.crosstable import established_findings, foreign_key_findings, website_findings
from pipeline.validate.locate import Locator
from pipeline.validate.scan import Screens
from pipeline.validate.schema_check import pandera_findings


class LocalChecks:
    """The row-local rules of ``frames`` (see :func:`local_findings`). On entry, worker threads
    search the column-wide screens and collect the vocabulary (polars, numpy and Arrow release the
    GIL), and two more then run the rules that read the vocabulary (the run-together words; the
    cell rules and mixed-script words), so the calling thread can work meanwhile (on
    :func:`global_findings`, then :meth:`pattern_findings`); :meth:`vocabulary_findings` waits for
    those two."""

    def __init__(self, frames: Mapping[str, pd.DataFrame], locator: Locator):
        self.frames, self.locator = frames, locator
        self.found = Screens(frames, [*cells.screens(frames), *text_rules.screens(frames)], text_rules.prose_columns(frames)).prepare()
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="atlas-screens")  # one per task below

    def __enter__(self) -> LocalChecks:
        self._screens = self._pool.submit(self.found.run)
        self._vocabulary = self._pool.submit(self.found.run_vocabulary)
        self._words = self._pool.submit(self._run_together_findings)
        self._characters = self._pool.submit(self._character_findings)
        return self

    def _run_together_findings(self) -> list[Finding]:
        """The run-together words' findings (a worker: once the vocabulary is collected, the word
        model judges its words, and polars finds the lines holding a bad one)."""
        self._vocabulary.result()
        frames, locator, found = self.frames, self.locator, self.found
        return text_rules.run_together_findings(frames, locator, found, text_rules.run_together_lines(frames, found))

    def _character_findings(self) -> list[Finding]:
        """The findings of the cell rules and mixed-script words (a worker: their screens read the
        vocabulary's characters, and the cell screens of the other columns are patterns), while
        polars searches the run-together words' lines."""
        self._vocabulary.result()
        self._screens.result()
        frames, locator, found = self.frames, self.locator, self.found
        return [*cells.cell_findings(frames, locator, found), *text_rules.mixed_script_findings(frames, locator, found)]

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def findings(self) -> list[Finding]:
        """The findings of the row-local rules, rule by rule (each in the order it found them)."""
        return self.pattern_findings() + self.vocabulary_findings()

    def pattern_findings(self) -> list[Finding]:
        """The findings of the row-local rules whose screens are patterns alone (plain-http
        websites, list introductions, empty sections, placeholders), while a worker finds those of
        the rules that read the vocabulary (:meth:`vocabulary_findings`)."""
        frames, locator, found = self.frames, self.locator, self.found
        findings = website_findings(frames, locator)
        self._screens.result()
        sections = text_rules.Sections(frames, found)
        return [
            *findings,
            *text_rules.list_intro_findings(frames, locator, found, sections),
            *text_rules.empty_section_findings(frames, locator, found, sections),
            *text_rules.placeholder_findings(frames, locator, found, sections),
        ]

    def vocabulary_findings(self) -> list[Finding]:
        """The findings of the rules that read the vocabulary (waits for the workers finding them)."""
        return [*self._words.result(), *self._characters.result()]


def global_findings(frames: Mapping[str, pd.DataFrame], locator: Locator, *, today: dt.date | None = None) -> list[Finding]:
    """The checks that read across rows, partitions or the calendar: pandera (types and
    constraints, with the primary and unique keys), foreign keys, a year established in the future."""
    return [
        *pandera_findings(frames, locator),
        *foreign_key_findings(frames, locator),
        *established_findings(frames, locator, today=today),
    ]


def local_findings(frames: Mapping[str, pd.DataFrame], locator: Locator | None = None) -> list[Finding]:
    """The row-local rules: what they find about a row depends on that row's partition alone
    (:mod:`pipeline.validate.partitions`): plain-http websites, cell and text rules."""
    with collector_paused(), LocalChecks(frames, locator or Locator(frames)) as local:
        return local.findings()


def ordered(findings: list[Finding]) -> list[Finding]:
    """``findings`` in report order. Each rule's findings keep the order the rule found them in,
    and two rules' findings never tie in the sort key (it holds the rule): the stable sort gives
    the same list in any rule order, and for any split of the rows into partitions."""
    return sorted(findings, key=Finding.sort_key)


def check_tables(tables: Mapping[str, pd.DataFrame], *, today: dt.date | None = None) -> list[Finding]:
    """Every finding about ``tables`` (name → frame as built by ``schema(name).frame``), in report
    order: the global checks while worker threads screen the columns and collect the vocabulary,
    the row-local rules whose screens are patterns while a worker finds the findings of those that
    read the vocabulary."""
    frames = {name: df.reset_index(drop=True) for name, df in tables.items()}
    with collector_paused():
        locator = Locator(frames)
        with LocalChecks(frames, locator) as local:
            found = global_findings(frames, locator, today=today)  # while the workers screen the columns
            found += local.pattern_findings()  # while a worker finds those of the rules reading the vocabulary
            found += local.vocabulary_findings()
        return ordered(found)
