"""Validation of the sample and of folders written by ``atlas extract``: the acceptance of issue 3."""

from __future__ import annotations

import json

import pytest

from pipeline.config import PROJECT_ROOT
from pipeline.extract import extract_paths, write_tables
from pipeline.validate import validate_folder
from pipeline.validate.checks import check_tables

SAMPLE = PROJECT_ROOT / "sources"
FILE = "geneva-digital-atlas-2022.txt"

# Each defect kind of the sample at its line (rule, line); the sample's text is the test's fixture.
EXPECTED_CHECKS = {
    ("mixed-script-word", 471), ("mixed-script-word", 634),  # Cyrillic С in "С2"
    ("run-together-words", 333),  # Guatemala;Honduras
    ("run-together-words", 459),  # forRoadSafetyinitiative
    ("run-together-words", 672),  # ITUis
    ("run-together-words", 883), ("run-together-words", 884),  # Gigahasmappedover…, ofpartners
    ("list-intro-without-list", 163),  # "Examples include:" then nothing
    ("list-intro-without-list", 299),  # "These conventions include:" then prose
    ("list-intro-without-list", 367), ("list-intro-without-list", 369), ("list-intro-without-list", 371),
    ("list-intro-without-list", 453),
    ("placeholder-text", 167), ("placeholder-text", 169),  # questions to the editor
    ("placeholder-text", 153),  # "Data governance?"
    ("empty-section", 733), ("empty-section", 735),
}
NOT_EXPECTED = {
    ("list-intro-without-list", 91),  # "as follows:" then sub-headings
    ("list-intro-without-list", 215), ("list-intro-without-list", 433), ("list-intro-without-list", 455),  # bullets follow
    ("list-intro-without-list", 591),  # "For example:" then "Label: text" items
}


@pytest.fixture(scope="module")
def extraction():
    return extract_paths([SAMPLE])


@pytest.fixture(scope="module")
def sample_report(extraction, tmp_path_factory):
    folder = tmp_path_factory.mktemp("tables")
    write_tables(extraction, folder)
    return folder, validate_folder(folder).to_dict()


def test_sample_checks_find_each_defect_at_its_line_and_no_error(extraction):
    found = check_tables(extraction.tables)
    assert [f for f in found if f.severity == "error"] == []
    got = {(f.rule, f.source_line) for f in found}
    assert EXPECTED_CHECKS <= got, EXPECTED_CHECKS - got
    assert not (NOT_EXPECTED & got)
    assert {f.source_file for f in found} == {FILE}


def test_sample_report_is_publishable_and_complete(sample_report):
    folder, report = sample_report
    assert report["summary"]["publishable"] is True
    assert report["summary"]["by_severity"]["error"] == 0
    got = {(f["rule"], f["source_line"]) for f in report["findings"]}
    assert EXPECTED_CHECKS <= got
    assert ("misspelt-heading", 317) in got  # from extraction_findings.json
    assert {"report.json", "report.md", "report.html"} <= {p.name for p in folder.iterdir()}
    on_disk = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert on_disk == json.loads(json.dumps(report))
    assert [s["path"] for s in report["generated"]["sources"]] == [FILE]
    # the same folder validated again gives the same bytes
    before = (folder / "report.json").read_bytes()
    validate_folder(folder)
    assert (folder / "report.json").read_bytes() == before


BROKEN = """Good Organisation

Acronym: GOOD

Established: 1990

Website: https://good.example

Good Organisation works on good things.

Digital activities

It does digital things.

Established: 20006

Website: javascript:alert(1)

A profile with no name and no acronym.

Digital activities

Some text.

Other Organisation

Acronym: OTHER

Established: 2001

Website: https://other.example

Other works too.

Digital activities

Text here.
"""


def test_broken_profile_gives_errors_naming_file_and_line(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "broken.txt").write_text(BROKEN, encoding="utf-8")
    extraction = extract_paths([tmp_path / "src"])
    assert set(extraction.tables["organizations"]["organization_id"]) == {"good", "other"}  # the others still extracted
    write_tables(extraction, tmp_path / "tables")
    report = validate_folder(tmp_path / "tables", tmp_path / "report").to_dict()
    assert report["summary"]["publishable"] is False
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    assert errors and all(f["source_file"] == "broken.txt" and f["source_line"] for f in errors)
    text = json.dumps(errors)
    assert "20006" in text and "javascript" in text
    assert (tmp_path / "report" / "report.html").is_file()


def test_folder_with_renamed_and_missing_columns_reports_errors(tmp_path, extraction):
    folder = tmp_path / "tables"
    write_tables(extraction, folder)
    sections = folder / "sections.csv"
    lines = sections.read_text(encoding="utf-8").split("\n")
    sections.write_text("\n".join([lines[0].replace("canonical_heading", "canonical")] + lines[1:]), encoding="utf-8")
    (folder / "footnotes.csv").unlink()
    report = validate_folder(folder).to_dict()
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    messages = " ".join(f["message"] for f in errors)
    assert "'canonical_heading' is named 'canonical'" in messages
    assert "footnotes.csv is missing" in messages
    assert report["summary"]["publishable"] is False
    # the rest is still validated
    assert any(f["rule"] == "mixed-script-word" for f in report["findings"])
