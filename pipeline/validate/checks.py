"""All in-memory checks of a set of extracted tables, as one list of findings.

Scope: run the pandera schema of every table (lazy, every failure), the cross-table and semantic
checks (foreign keys, year established in the future, plain-http website), the cell checks
(spreadsheet formulas, markup, control characters) and the text-quality rules, and return the
findings in a deterministic order. The column-wide screens of the cell and text rules
(:mod:`pipeline.validate.scan`, polars) run in a second thread while pandera runs in this one
(polars releases the GIL). It must not read or write files (``pipeline.validate``'s
``validate_folder`` does) nor render reports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import pandas as pd

from pipeline.findings import Finding
from pipeline.validate import cells, text_rules
from pipeline.validate.crosstable import established_findings, foreign_key_findings, website_findings
from pipeline.validate.locate import Locator
from pipeline.validate.scan import Screens
from pipeline.validate.schema_check import pandera_findings


def check_tables(tables: Mapping[str, pd.DataFrame], *, today: dt.date | None = None) -> list[Finding]:
    """Every finding about ``tables`` (name → frame as built by ``schema(name).frame``)."""
    frames = {name: df.reset_index(drop=True) for name, df in tables.items()}
    locator = Locator(frames)
    found = Screens(frames, [*cells.screens(frames), *text_rules.screens(frames)], text_rules.prose_columns(frames)).prepare()
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="atlas-screens") as pool:  # polars releases the GIL
        vocabulary = pool.submit(found.run_vocabulary)
        alone, shared = pool.submit(found.run, alone=True), pool.submit(found.run, alone=False)
        findings = [
            *pandera_findings(frames, locator),
            *foreign_key_findings(frames, locator),
            *established_findings(frames, locator, today=today),
            *website_findings(frames, locator),
        ]
        alone.result()
        sections = text_rules.Sections(frames, found)
        findings += [
            *text_rules.list_intro_findings(frames, locator, found, sections),
            *text_rules.empty_section_findings(frames, locator, found, sections),
        ]
        shared.result()
        findings += [
            *cells.cell_findings(frames, locator, found),
            *text_rules.placeholder_findings(frames, locator, found, sections),
        ]
        vocabulary.result()
        findings += text_rules.word_findings(frames, locator, found)
    # each rule's findings keep the order the rule found them in, and two rules' findings never
    # tie in the sort key (it holds the rule): the stable sort gives the same list in any rule order
    return sorted(findings, key=Finding.sort_key)
