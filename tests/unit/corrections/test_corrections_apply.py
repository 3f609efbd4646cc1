"""Applying corrections: a value changes and keeps its provenance in the ``corrections`` table, the
findings it resolves are ``corrected``, and stale, rejected, unneeded or invalid entries are
findings naming the corrections file and line while the rest of the run goes on."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import SAMPLE
from corrections_support import (
    ESTABLISHED_LINE,
    HARBOUR,
    LAKE,
    PROFILES,
    SPACE,
    YEAR,
    by_rule,
    cell,
    corrections_file,
    entry,
    extract_corrected,
    write_sources,
)

from pipeline.corrections.apply import apply_corrections
from pipeline.extract import extract_paths
from pipeline.findings import Finding
from pipeline.validate import merge_findings
from pipeline.validate.checks import check_tables


def test_a_correction_of_a_nulled_field_publishes_the_value_with_its_provenance(tmp_path: Path) -> None:
    """`Established: 1` is published empty by extraction; the editors' 1991 is published instead."""
    ex = extract_corrected(write_sources(tmp_path / "src", corrections_file(YEAR)))
    assert cell(ex, "organizations", "established", organization_id="ldi") == 1991
    [row] = ex.tables["corrections"].to_dict("records")
    assert pd.isna(row.pop("old_value")), "published empty without the correction"
    assert row == {
        "organization_id": "ldi",
        "table": "organizations",
        "row_key": '{"organization_id": "ldi"}',
        "column": "established",
        "source_value": "1",
        "new_value": "1991",
        "reason": "The institute's founding charter says 1991.",
        "editor": "Jane Editor",
        "date": "2024-05-02",
        "source_file": "profiles.txt",
        "source_line": ESTABLISHED_LINE,  # the field's own line (the quarantine keeps it)
        "corrections_file": "corrections.yaml",
        "corrections_line": 2,
    }
    [finding] = by_rule(ex.findings, "established-impossible")
    assert (finding.status, finding.severity) == ("corrected", "info")
    assert finding.resolution == {
        "correction": "corrections.yaml:2",
        "severity": "warning",
        "old_value": None,
        "new_value": "1991",
        "reason": "The institute's founding charter says 1991.",
        "editor": "Jane Editor",
        "date": "2024-05-02",
    }
    assert (finding.source_file, finding.source_line) == ("profiles.txt", ESTABLISHED_LINE)  # still points at the source
    quarantined = ex.tables["quarantine"]
    assert quarantined["value"].tolist() == ["1", "javascript:alert(1)"]  # the source's text is kept as it is
    assert "corrections.yaml" in {s.path for s in ex.sources}  # the file is recorded with the run's sources


def test_a_replace_in_prose_resolves_the_validation_finding(tmp_path: Path) -> None:
    plain = extract_paths([write_sources(tmp_path / "plain", None)])
    [before] = [f for f in check_tables(plain.tables) if f.rule == "run-together-words"]
    ex = extract_corrected(write_sources(tmp_path / "src", corrections_file(SPACE)))
    text = cell(ex, "sections", "text", organization_id="ldi", section_id="digital-activities")
    assert text == "LDI trains civil servants and works closely with of partners across the region."
    assert not [f for f in check_tables(ex.tables) if f.rule == "run-together-words"], "validation no longer finds it"
    [corrected] = by_rule(ex.findings, "run-together-words")
    assert (corrected.status, corrected.severity, corrected.value) == ("corrected", "info", "ofpartners")
    assert (corrected.source_file, corrected.source_line, corrected.key) == (before.source_file, before.source_line, before.key)
    assert corrected.resolution is not None and corrected.resolution["severity"] == before.severity == "warning"
    [row] = ex.tables["corrections"].to_dict("records")
    assert row["source_value"] == row["old_value"] and "ofpartners" in row["old_value"] and row["new_value"] == text
    assert json.loads(row["row_key"]) == {"organization_id": "ldi", "section_id": "digital-activities"}


def test_stale_when_the_target_is_gone(tmp_path: Path) -> None:
    gone_org = entry(organization="gone", table="organizations", column="website", value="https://gone.example.org")
    gone_row = entry(organization="ldi", table="sections", key="{section_id: digital-tools}", column="text", value="Tools.")
    ex = extract_corrected(write_sources(tmp_path / "src", corrections_file(YEAR, gone_org, gone_row)))
    stale = by_rule(ex.findings, "correction-stale")
    assert [(f.severity, f.source_file, f.source_line) for f in stale] == [
        ("warning", "corrections.yaml", 10),
        ("warning", "corrections.yaml", 17),
    ]
    assert "organisation 'gone' is not in the data" in stale[0].message
    assert "is not in sections" in stale[1].message and stale[1].key == {"organization_id": "ldi", "section_id": "digital-tools"}
    assert stale[1].excerpt == "- organization: ldi"
    assert ex.tables["corrections"]["column"].tolist() == ["established"], "only the entry that fits is applied"


def test_stale_when_the_publishers_text_changes(tmp_path: Path) -> None:
    src = write_sources(tmp_path / "src", corrections_file(YEAR))
    assert cell(extract_corrected(src), "organizations", "established", organization_id="ldi") == 1991
    write_sources(src, corrections_file(YEAR), profiles=PROFILES.replace("Established: 1\n", "Established: 2\n"))
    ex = extract_corrected(src)
    [stale] = by_rule(ex.findings, "correction-stale")
    assert (stale.source_file, stale.source_line, stale.severity) == ("corrections.yaml", 2, "warning")
    assert "no longer says '1' here (it says '2')" in stale.message
    assert cell(ex, "organizations", "established", organization_id="ldi") is None
    assert ex.tables["corrections"].empty
    [finding] = by_rule(ex.findings, "established-impossible")
    assert (finding.status, finding.severity) == ("open", "warning"), "the finding stands again"


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [
        ("established", "1", "below the minimum 1000"),
        ("established", "soon", "not a whole number"),
        ("established", "2099", "the rules find an error"),  # established-in-future, as for an extracted year
        ("website", "ftp://ldi.example.org", "does not match the pattern"),
        ("website", '"javascript:alert(1)"', "does not match the pattern"),
        ("organization_id", "other", "a key column"),
        ("source_line_start", "3", "not a column that can be corrected"),
    ],
)
def test_impossible_values_are_rejected(tmp_path: Path, column: str, value: str, words: str) -> None:
    bad = entry(organization="ldi", table="organizations", column=column, value=value)
    ex = extract_corrected(write_sources(tmp_path / "src", corrections_file(bad)))
    [finding] = [f for f in ex.findings if f.rule in ("correction-rejected", "correction-invalid")]
    assert (finding.source_file, finding.source_line, finding.severity) == ("corrections.yaml", 2, "warning")
    assert words in finding.message, finding.message
    if words != "the rules find an error":  # refused by the column's own type and constraints, before the rules run
        assert "the rules find" not in finding.message
    assert ex.tables["corrections"].empty
    assert cell(ex, "organizations", "website", organization_id="ldi") == "https://ldi.example.org"
    assert cell(ex, "organizations", "established", organization_id="ldi") is None


def test_entries_that_name_no_cell_are_invalid(tmp_path: Path) -> None:
    entries = [
        entry(organization="ldi", table="nowhere", column="text", value="x"),
        entry(organization="ldi", table="quarantine", column="value", value="x"),
        entry(organization="ldi", table="sections", column="text", value="x"),  # no key
        entry(organization="ldi", table="footnotes", key="{number: two}", column="text", value="x"),
        YEAR,
        YEAR.replace("1991", "1992"),  # the same cell again
    ]
    ex = extract_corrected(write_sources(tmp_path / "src", corrections_file(*entries)))
    messages = [f.message for f in by_rule(ex.findings, "correction-invalid")]
    assert len(messages) == 5
    assert "table 'nowhere' cannot be corrected" in messages[0] and "table 'quarantine' cannot be corrected" in messages[1]
    assert "key must give exactly the row's other key columns (section_id)" in messages[2]
    assert "'two' is not a whole number" in messages[3]
    assert "corrected already at line" in messages[4]
    assert cell(ex, "organizations", "established", organization_id="ldi") == 1991


def test_an_unneeded_correction_is_info_and_a_confirmed_empty_field_is_applied(tmp_path: Path) -> None:
    same = entry(organization="hpo", table="organizations", column="established", value="1998")
    empty = entry(organization="ldi", table="organizations", column="established", value="null", reason="The year is unknown.")
    ex = extract_corrected(write_sources(tmp_path / "src", corrections_file(same, empty)))
    [unneeded] = by_rule(ex.findings, "correction-unneeded")
    assert (unneeded.severity, unneeded.source_line) == ("info", 2)
    assert ex.tables["corrections"]["organization_id"].tolist() == ["ldi"]
    [finding] = by_rule(ex.findings, "established-impossible")
    assert finding.status == "corrected" and finding.resolution and finding.resolution["new_value"] is None


def test_a_malformed_file_costs_nothing_but_the_corrections(tmp_path: Path) -> None:
    src = write_sources(tmp_path / "src", corrections_file(YEAR) + "  - organization: [broken\n")
    ex = extract_corrected(src)
    plain = apply_corrections(extract_paths([write_sources(tmp_path / "plain", None)]), None)
    [error] = by_rule(ex.findings, "corrections-file-invalid")
    assert (error.severity, error.source_file, error.source_line) == ("error", "corrections.yaml", 11)
    for name, frame in plain.tables.items():
        assert ex.tables[name].equals(frame), name
    assert sorted((f.rule, f.source_line, f.status) for f in ex.findings if f.source_file == "profiles.txt") == sorted(
        (f.rule, f.source_line, f.status) for f in plain.findings
    )


def test_extraction_findings_get_the_whole_key_of_their_row() -> None:
    """A heading finding names its organisation only; the row's key (the section) is found from its line."""
    raw = extract_paths([SAMPLE.parent])
    [misspelt] = by_rule(raw.findings, "misspelt-heading")
    assert misspelt.key == {"organization_id": "wto"}, "extraction knows the organisation only"
    ex = apply_corrections(raw, None)
    [misspelt] = by_rule(ex.findings, "misspelt-heading")
    [unmapped] = by_rule(ex.findings, "unmapped-issue-heading")
    assert misspelt.key == {"organization_id": "wto", "section_id": "social-media-channels"}
    assert unmapped.key == {"organization_id": "igf", "section_id": "digital-policy-issues/the-leadership-panel"}
    sections = ex.tables["sections"]
    row = sections[(sections["organization_id"] == "wto") & (sections["section_id"] == "social-media-channels")]
    assert row["heading"].tolist() == [misspelt.value] and row["source_line_start"].tolist() == [misspelt.source_line]


def test_a_corrected_word_leaves_another_on_the_same_line_open(tmp_path: Path) -> None:
    """Two words run together on one line, one corrected: the other is still reported (a corrected
    finding hides no open one at the same rule, file and line)."""
    profiles = PROFILES.replace("with ofpartners across", "with ofpartners andthe region across")
    ex = extract_corrected(write_sources(tmp_path / "src", corrections_file(SPACE), profiles=profiles))
    merged = merge_findings(ex.findings, check_tables(ex.tables))
    words = sorted((f.value, f.status) for f in merged if isinstance(f, Finding) and f.rule == "run-together-words")
    assert words == [("andthe", "open"), ("ofpartners", "corrected")]


def test_the_corrections_file_is_never_a_profile_source(tmp_path: Path) -> None:
    src = write_sources(tmp_path / "src", corrections_file(YEAR))
    (src / "editors.yaml").write_text(corrections_file(YEAR), encoding="utf-8")
    ex = extract_paths([src], exclude=[src / "editors.yaml"])
    assert [s.path for s in ex.sources] == ["profiles.txt"]
    assert not [f for f in ex.findings if f.source_file in ("corrections.yaml", "editors.yaml")]
    named = apply_corrections(ex, src / "editors.yaml", sources_dir=src)
    assert named.tables["corrections"]["corrections_file"].tolist() == ["editors.yaml"]


def test_only_the_profiles_named_change(tmp_path: Path) -> None:
    ex = extract_corrected(write_sources(tmp_path / "src", corrections_file(YEAR, SPACE)))
    plain = extract_paths([write_sources(tmp_path / "plain", None, profiles=LAKE + "\n" + HARBOUR)])
    for name in ("organizations", "sections"):
        changed = ex.tables[name].compare(plain.tables[name])
        assert len(changed) == 1, name


def test_an_identifier_in_capitals_is_stale_with_a_hint(tmp_path: Path) -> None:
    upper = entry(organization="LDI", table="organizations", column="established", value="1991")
    [stale] = by_rule(extract_corrected(write_sources(tmp_path / "src", corrections_file(upper))).findings, "correction-stale")
    assert "identifiers are lowercase: 'ldi'" in stale.message
