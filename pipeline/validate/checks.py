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
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="atlas-screens") as pool:
        screening, vocabulary = pool.submit(found.run), pool.submit(found.run_vocabulary)  # polars, GIL released
        findings = [
            *pandera_findings(frames, locator),
            *foreign_key_findings(frames, locator),
            *established_findings(frames, locator, today=today),
            *website_findings(frames, locator),
        ]
        screening.result()
        sections = text_rules.Sections(frames, found)
        findings += [
            *cells.cell_findings(frames, locator, found),
            *text_rules.list_intro_findings(frames, locator, found, sections),
            *text_rules.placeholder_findings(frames, locator, found, sections),
            *text_rules.empty_section_findings(frames, locator, found, sections),
        ]
        vocabulary.result()
    # each rule's findings keep the order the rule found them in: the stable sort orders ties alike
    return sorted([*findings, *text_rules.word_findings(frames, locator, found)], key=Finding.sort_key)
