"""A release whose only change is an editors' correction: a patch, with the change in
``changes.json`` and the changelog, and the ``corrections`` table in every published form (CSV,
Parquet, DuckDB, ``datapackage.json`` valid against the v1 and v2 profiles, the data dictionary)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from corrections_support import ESTABLISHED_LINE, LAKE, YEAR, corrections_file, entry, extract_corrected, write_sources
from publish_support import frictionless_cli, profile_errors, publish_as_editor, stage_extraction

from pipeline.publish.release import PublishRefused
from pipeline.publish.versioning import TableChange


@pytest.fixture(scope="module")
def two_releases(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("corrections-release")
    src, outputs = write_sources(root / "sources", None), root / "outputs"
    stage_extraction(extract_corrected(src), outputs, context={"sources_dir": str(src)}, created="2025-01-01T00:00:00Z")
    first = publish_as_editor(outputs, accept_warnings=True)
    write_sources(src, corrections_file(YEAR))
    staged = stage_extraction(extract_corrected(src), outputs, context={"sources_dir": str(src)}, created="2025-02-01T00:00:00Z")
    second = publish_as_editor(outputs, accept_warnings=True)
    return {"first": first, "staged": staged, "second": second, "releases": outputs / "releases"}


def test_a_release_whose_only_change_is_a_correction_is_a_patch(two_releases: dict) -> None:
    assert (two_releases["first"].version, two_releases["staged"].bump, two_releases["second"].version) == ("1.0.0", "patch", "1.0.1")
    changes = json.loads((two_releases["releases"] / "1.0.1" / "changes.json").read_text(encoding="utf-8"))
    assert changes["bump"] == "patch"
    assert changes["tables"]["organizations"]["changed"] == [
        {"key": {"organization_id": "ldi"}, "fields": {"established": {"old": None, "new": 1991}}}
    ]
    corrections = changes["tables"]["corrections"]
    assert corrections["added"] == [{"table": "organizations", "row_key": '{"organization_id": "ldi"}', "column": "established"}]
    assert corrections["status"] == "changed"
    assert changes["sources"]["added"][0]["path"] == "corrections.yaml"
    assert {name for name, t in changes["tables"].items() if t["status"] != "unchanged"} == {"organizations", "corrections"}
    changelog = (two_releases["releases"] / "1.0.1" / "CHANGELOG.md").read_text(encoding="utf-8")
    entry_text = changelog.split("## ")[1]
    assert "1.0.1" in entry_text and "Patch release" in entry_text and "`corrections`: 1 row added." in entry_text
    assert "`organizations`: 1 row with changed values." in entry_text


def test_rows_of_a_provenance_table_are_a_patch_of_other_tables_a_minor() -> None:
    data = TableChange("corrections", "changed", 0, 1, added=[{"table": "organizations"}], provenance=True)
    assert data.bump == "patch"
    assert TableChange("organizations", "changed", 0, 1, added=[{"organization_id": "x"}]).bump == "minor"
    assert TableChange("corrections", "changed", 1, 0, removed=[{"table": "organizations"}], provenance=True).bump == "patch"
    assert TableChange("corrections", "added", 0, 1, provenance=True).bump == "minor", "a new table is still a new table"


def test_the_corrections_table_is_published_in_every_form(two_releases: dict) -> None:
    release = two_releases["releases"] / "1.0.1"
    rows = list(csv.DictReader(io.StringIO((release / "data" / "corrections.csv").read_text(encoding="utf-8"))))
    assert [(r["organization_id"], r["column"], r["old_value"], r["new_value"], r["corrections_line"]) for r in rows] == [
        ("ldi", "established", "", "1991", "2")
    ]
    parquet = pq.read_table(release / "data" / "corrections.parquet")
    assert parquet.column("new_value").to_pylist() == ["1991"] and parquet.schema.field("source_line").type == "int64"
    [database] = (release / "data").glob("*.duckdb")
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute('SELECT new_value, source_line FROM "corrections"').fetchall() == [("1991", ESTABLISHED_LINE)]
        assert con.execute("SELECT established FROM \"organizations\" WHERE organization_id = 'ldi'").fetchall() == [(1991,)]
        comment = con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'corrections'").fetchone()
        assert comment is not None and "Editors' corrections" in comment[0]
    descriptor = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    names = {r["name"] for r in descriptor["resources"]}
    assert {"corrections", "corrections-parquet"} <= names
    for profile in ("1.0/datapackage.json", "2.0/datapackage.json"):
        assert profile_errors(descriptor, profile) == []
    dictionary = (release / "data-dictionary.csv").read_text(encoding="utf-8")
    assert "corrections,row_key" in dictionary and "corrections,corrections_line" in dictionary
    for version in ("1.0.0", "1.0.1"):  # also with an empty corrections table
        done = frictionless_cli(two_releases["releases"] / version / "datapackage.json")
        assert done.returncode == 0, done.stdout + done.stderr


def test_a_warning_corrected_needs_no_acceptance(tmp_path: Path) -> None:
    """The profile's only warnings (an impossible year, words run together) corrected: the
    candidate publishes without --accept-warnings; without the corrections it does not."""
    space = entry(
        organization="ldi",
        table="sections",
        key="{section_id: digital-activities}",
        column="text",
        source_value="ofpartners",
        replace='"of partners"',
    )
    src, outputs = write_sources(tmp_path / "sources", None, profiles=LAKE), tmp_path / "outputs"
    staged = stage_extraction(extract_corrected(src), outputs, context={"sources_dir": str(src)})
    assert staged.severity_counts.warning == 2
    with pytest.raises(PublishRefused, match="warning"):
        publish_as_editor(outputs)
    write_sources(src, corrections_file(YEAR, space), profiles=LAKE)
    staged = stage_extraction(extract_corrected(src), outputs, context={"sources_dir": str(src)})
    assert (staged.severity_counts.error, staged.severity_counts.warning) == (0, 0)
    report = json.loads((outputs / "staging" / "validation" / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["by_status"]["corrected"] == 2
    assert publish_as_editor(outputs).version == "1.0.0"
