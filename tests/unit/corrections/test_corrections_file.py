"""Reading the corrections file: entries with their lines, values as written, and every kind of bad
file or entry as a finding naming the file and line (never an exception)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from conftest import REPO
from corrections_support import corrections_file, entry

from pipeline.corrections.entries import read_corrections


def read(tmp_path: Path, text: str | bytes):
    path = tmp_path / "corrections.yaml"
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return read_corrections(path, "corrections.yaml")


def test_entries_are_read_with_their_lines_and_values_as_written(tmp_path: Path) -> None:
    text = "# comment\nformat: 1\n" + corrections_file(
        entry(organization="acme", table="organizations", column="established", source_value='"1"', value="1991"),
        entry(organisation="acme", table="footnotes", key="{number: 2}", column="text", value="1.10"),
        entry(organization="beta", table="organizations", column="acronym", value="no"),
        entry(organization="beta", table="organizations", column="postal_code", value="0123"),
        entry(
            organization="beta",
            table="sections",
            key="{section_id: digital-tools}",
            column="text",
            source_value="ofpartners",
            replace="of partners",
        ),
    )
    got = read(tmp_path, text)
    assert got.findings == []
    assert [e.line for e in got.entries] == [4, 12, 20, 27, 34]  # 8, 8, 7 and 7 lines each
    first, second, third, fourth, fifth = (e.entry for e in got.entries)
    assert (first.organization, first.table, first.column, first.value, first.source_value) == (
        "acme",
        "organizations",
        "established",
        "1991",
        "1",
    )
    assert first.date == dt.date(2024, 5, 2) and first.sets_value
    assert second.organization == "acme" and second.key == {"number": "2"} and second.value == "1.10"  # not the float 1.1
    assert third.value == "no" and fourth.value == "0123"  # not False, not 83
    assert not fifth.sets_value and (fifth.source_value, fifth.replace) == ("ofpartners", "of partners")
    assert got.entries[0].text == "- organization: acme"


def test_null_value_is_null(tmp_path: Path) -> None:
    got = read(
        tmp_path,
        corrections_file(
            entry(organization="a", table="organizations", column="website", value="null"),
            entry(organization="b", table="organizations", column="website", value="~"),
            entry(organization="c", table="organizations", column="website", value='"null"'),
        ),
    )
    assert [e.entry.value for e in got.entries] == [None, None, "null"]
    assert all(e.entry.sets_value for e in got.entries)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("corrections:\n  - organization: acme\n   table: organizations\n", 3, "not valid YAML"),
        ("corrections:\n  - organization: [acme\n", 3, "not valid YAML"),
        ("just a sentence\n", 1, "list of entries"),
        ("correction:\n  - organization: acme\n", 1, "unknown top-level key"),
        ("format: 2\ncorrections: []\n", 1, "format '2'"),
        ("corrections: {organization: acme}\n", 1, "list of entries"),
    ],
)
def test_a_malformed_file_is_one_error_naming_file_and_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    got = read(tmp_path, text)
    assert got.entries == []
    [finding] = got.findings
    assert (finding.rule, finding.severity, finding.source_file, finding.source_line) == (
        "corrections-file-invalid",
        "error",
        "corrections.yaml",
        line,
    )
    assert words in finding.message and "no correction is applied" in finding.message


def test_a_file_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    got = read(tmp_path, b"corrections:\n  - organization: acme\n" + "    reason: caf\u00e9\n".encode("latin-1"))
    [finding] = got.findings
    assert finding.rule == "corrections-file-invalid" and finding.source_line == 3 and "UTF-8" in finding.message


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (entry(organization="acme", table="organizations", column="website", value="https://a.example", editor='""'), "editor"),
        (entry(organization="acme", table="organizations", column="website", value="x", reason="   "), "reason is empty"),
        (entry(organization="acme", table="organizations", colum="website", value="x"), "unknown field 'colum'"),
        (entry(organization="acme", table="organizations", column="website", value="x", date="2024-13-45"), "date"),
        (entry(organization="acme", table="organizations", column="website", value="x", replace="y", source_value="z"), "either value"),
        (entry(organization="acme", table="organizations", column="website"), "either value"),
        (entry(organization="acme", table="organizations", column="website", replace="y"), "needs a source_value"),
        (entry(organization="acme", table="organizations", column="[website, name]", value="x"), "single value"),
        (entry(table="organizations", column="website", value="x"), "organization is missing"),
        ("  - just text", "mapping of fields"),
    ],
)
def test_an_invalid_entry_is_skipped_with_a_warning_and_the_others_kept(tmp_path: Path, bad: str, words: str) -> None:
    good = entry(organization="acme", table="organizations", column="acronym", value="ACME")
    got = read(tmp_path, corrections_file(good, bad, good.replace("acme", "beta")))
    assert [e.entry.organization for e in got.entries] == ["acme", "beta"]
    [finding] = got.findings
    assert (finding.rule, finding.severity, finding.source_file) == ("correction-invalid", "warning", "corrections.yaml")
    assert finding.source_line == 2 + good.count("\n") + 1, "the line where the bad entry starts"
    assert words in finding.message, finding.message


def test_a_field_given_twice_is_invalid(tmp_path: Path) -> None:
    got = read(
        tmp_path, corrections_file(entry(organization="acme", table="organizations", column="acronym", value="A") + "\n    value: B")
    )
    assert got.entries == [] and "given twice" in got.findings[0].message


@pytest.mark.parametrize("text", ["", "# nothing yet\n", "corrections:\n", "corrections: []\n", "format: 1\ncorrections: []\n"])
def test_an_empty_file_has_no_entry_and_no_finding(tmp_path: Path, text: str) -> None:
    got = read(tmp_path, text)
    assert got.entries == [] and got.findings == []


def test_a_missing_file_is_no_correction(tmp_path: Path) -> None:
    got = read_corrections(tmp_path / "nowhere.yaml", "nowhere.yaml")
    assert got.entries == [] and got.findings == []


def test_a_folder_in_its_place_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "corrections.yaml").mkdir()
    [finding] = read_corrections(tmp_path / "corrections.yaml", "corrections.yaml").findings
    assert finding.rule == "corrections-file-invalid" and "cannot be read" in finding.message


def test_the_documented_examples_read_as_documented(tmp_path: Path) -> None:
    """The README's example file reads without a finding; the shipped file has no active entry."""
    block = re.search(r"```yaml\n(format: 1\n.*?)```", (REPO / "README.md").read_text(encoding="utf-8"), re.S)
    assert block is not None
    got = read(tmp_path, block.group(1))
    assert got.findings == [] and [e.entry.table for e in got.entries] == ["organizations", "sections"]
    assert got.entries[0].entry.reason.startswith("The profile says `Established: 1`")
    shipped = read_corrections(REPO / "sources" / "corrections.yaml", "corrections.yaml")
    assert shipped.entries == [] and shipped.findings == []


def test_a_colon_in_an_unquoted_value_says_how_to_fix_it(tmp_path: Path) -> None:
    [finding] = read(tmp_path, "corrections:\n  - organization: a\n    reason: says: 1991\n").findings
    assert finding.source_line == 3 and "must be in double quotes" in finding.message
