"""Shared helpers for the corrections tests (a helper module, not a test module): two profiles
written in the atlas style with known defects, a corrections entry builder, and the extraction of
a sources folder with its corrections applied, as ``atlas extract`` does it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from conftest import make_profile

from pipeline.corrections.apply import apply_corrections
from pipeline.extract import Extraction, extract_paths
from pipeline.findings import Finding

LAKE_BODY = """Digital activities

LDI trains civil servants and works closely with ofpartners across the region.

Digital policy issues

Cybersecurity

LDI works on cybersecurity.
"""
# "Established: 1" (an impossible year: published empty, kept in the quarantine) and a prose line
# with two words run together.
LAKE = make_profile(
    name="Lakeside Digital Institute",
    acronym="LDI",
    established="1",
    address="Quai du Lac 4, 1201 Geneva, Switzerland",
    website="https://ldi.example.org",
    group="Academia and think tanks",
    summary="The Lakeside Digital Institute studies digital governance.",
    body=LAKE_BODY,
)
# A website that is not an http(s) URL (published empty).
HARBOUR = make_profile(
    name="Harbour Policy Observatory",
    acronym="HPO",
    established="1998",
    website="javascript:alert(1)",
    summary="The Harbour Policy Observatory monitors online services.",
)
PROFILES = LAKE + "\n" + HARBOUR


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line of ``text`` holding ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def entry(**fields: object) -> str:
    """One entry of the corrections file (items indented under ``corrections:``); values as given,
    written verbatim after the field name."""
    defaults: dict[str, object] = {"reason": "Checked with the organisation.", "editor": "Jane Editor", "date": "2024-05-02"}
    lines = []
    for i, (name, value) in enumerate({**fields, **{k: v for k, v in defaults.items() if k not in fields}}.items()):
        lines.append(("  - " if i == 0 else "    ") + f"{name}: {value}")
    return "\n".join(lines)


def corrections_file(*entries: str) -> str:
    return "corrections:\n" + "\n".join(entries) + "\n"


def write_sources(folder: Path, corrections: str | None, profiles: str = PROFILES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "profiles.txt").write_text(profiles, encoding="utf-8")
    path = folder / "corrections.yaml"
    if corrections is None:
        path.unlink(missing_ok=True)
    else:
        path.write_text(corrections, encoding="utf-8")
    return folder


def extract_corrected(folder: Path) -> Extraction:
    """The folder's extraction with its ``corrections.yaml`` applied, as ``atlas extract`` does it."""
    return apply_corrections(extract_paths([folder]), folder / "corrections.yaml", sources_dir=folder)


# The entries most tests use: the impossible year of LAKE set to 1991, and its run-together words split.
ESTABLISHED_LINE = line_of(PROFILES, "Established: 1")
YEAR = entry(
    organization="ldi",
    table="organizations",
    column="established",
    source_value='"1"',
    value="1991",
    reason="The institute's founding charter says 1991.",
)
SPACE = entry(
    organization="ldi",
    table="sections",
    key="{section_id: digital-activities}",
    column="text",
    source_value="ofpartners",
    replace='"of partners"',
    reason="Missing space.",
)


def by_rule(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]


def cell(extraction: Extraction, table: str, column: str, **key: object) -> object:
    frame = extraction.tables[table]
    mask = frame["organization_id"] == key.pop("organization_id")
    for name, value in key.items():
        mask &= frame[name] == value
    values = frame.loc[mask, column].tolist()
    assert len(values) == 1, values
    return None if pd.isna(values[0]) else values[0]
