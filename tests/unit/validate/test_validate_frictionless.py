"""Frictionless validation of the written CSV files (and of a datapackage.json), as a downloader reads them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.csvio import write_csv
from pipeline.schemas import load_schemas, schema
from pipeline.validate.frictionless_check import folder_descriptor, validate_datapackage, validate_package_files

ORG = {
    "organization_id": "acme",
    "name": "Acme Institute",
    "acronym": "ACME",
    "established": 1990,
    "website": "https://acme.example",
    "source_file": "profiles/a.txt",
    "source_line_start": 1,
    "source_line_end": 60,
}
NOTE = {"organization_id": "acme", "number": 1, "text": "=SUM(A1:A2) is kept as text", "source_line": 58}


def write(folder: Path, **rows: list[dict]) -> Path:
    rows.setdefault("organizations", [ORG])
    for name, table in load_schemas().items():
        write_csv(table.frame(rows.get(name, [])), table, folder / f"{name}.csv")
    return folder


def test_clean_files_pass_and_the_formula_guard_is_fine(tmp_path):
    folder = write(tmp_path, footnotes=[NOTE, {**NOTE, "number": 2, "text": "-5 degrees", "source_line": 59}])
    assert "'=SUM" in (folder / "footnotes.csv").read_text(encoding="utf-8")  # the guard is there
    assert validate_package_files(folder) == []


def test_broken_foreign_key_in_written_files(tmp_path):
    folder = write(tmp_path, footnotes=[{**NOTE, "organization_id": "ghost"}])
    found = validate_package_files(folder)
    assert [(f.rule, f.table, f.severity) for f in found] == [("foreign-key", "footnotes", "error")]
    f = found[0]
    assert f.key == {"organization_id": "ghost", "number": 1} and f.source_line == 58 and f.column == "organization_id"
    assert f.value == "ghost" and "footnotes.csv row 2" in f.message


def test_bad_type_in_written_file(tmp_path):
    folder = write(tmp_path, footnotes=[NOTE])
    path = folder / "footnotes.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",58\n", ",fifty-eight\n"), encoding="utf-8")
    found = validate_package_files(folder)
    assert [(f.rule, f.column, f.value) for f in found] == [("schema-published-file", "source_line", "fifty-eight")]
    assert found[0].source_file == "profiles/a.txt" and "type-error" in found[0].message


def test_primary_key_and_constraints_in_written_files(tmp_path):
    folder = write(
        tmp_path,
        organizations=[ORG, {**ORG, "source_line_start": 70, "source_line_end": 80}, {**ORG, "organization_id": "b", "established": 20006}],
    )
    found = validate_package_files(folder, ["organizations"])
    kinds = sorted(f.message.split(": ")[1] for f in found)
    assert "primary-key" in kinds and "constraint-error" in kinds
    assert {f.source_line for f in found if "primary-key" in f.message} == {70}


def test_many_errors_are_not_cut_off(tmp_path):
    notes = [{**NOTE, "organization_id": "ghost", "number": i, "source_line": i} for i in range(1, 1201)]
    found = validate_package_files(write(tmp_path, footnotes=notes))
    assert len(found) == 1200  # Frictionless' default limit is 1000


def test_missing_file_and_header_problems(tmp_path):
    folder = write(tmp_path)
    (folder / "footnotes.csv").unlink()
    path = folder / "sections.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("heading,", "title,", 1), encoding="utf-8")
    found = validate_package_files(folder)
    assert any("footnotes.csv is missing" in f.message for f in found)
    assert any(f.table == "sections" and "label" in f.message for f in found)


def test_descriptor_uses_relative_paths_and_drops_fks_to_absent_files(tmp_path):
    folder = write(tmp_path)
    descriptor, _ = folder_descriptor(folder, ["footnotes"])
    [resource] = descriptor["resources"]
    assert resource["path"] == "footnotes.csv" and "foreignKeys" not in resource["schema"]


def test_parallel_gives_the_same_findings(tmp_path):
    folder = write(
        tmp_path, footnotes=[{**NOTE, "organization_id": "ghost"}], organizations=[ORG, {**ORG, "organization_id": "b", "established": 5}]
    )
    sequential = validate_package_files(folder, parallel=False)
    parallel = validate_package_files(folder, parallel=True)
    assert [f.to_dict() for f in parallel] == [f.to_dict() for f in sequential] and len(sequential) == 2


@pytest.fixture
def datapackage(tmp_path) -> Path:
    folder = write(tmp_path / "data", footnotes=[NOTE])
    resources = []
    for name in ("organizations", "footnotes"):
        resources.append({"name": name, "path": f"data/{name}.csv", "format": "csv", "schema": dict(schema(name).descriptor)})
    path = tmp_path / "datapackage.json"
    path.write_text(json.dumps({"name": "atlas", "resources": resources}), encoding="utf-8")
    assert folder.is_dir()
    return path


def test_validate_datapackage(datapackage):
    assert validate_datapackage(datapackage) == []
    notes = datapackage.parent / "data" / "footnotes.csv"
    notes.write_text(notes.read_text(encoding="utf-8").replace("acme,1,", "nobody,1,"), encoding="utf-8")
    found = validate_datapackage(datapackage)
    assert [(f.rule, f.table, f.source_line) for f in found] == [("foreign-key", "footnotes", 58)]


def test_validate_datapackage_reports_bad_metadata(tmp_path):
    path = tmp_path / "datapackage.json"
    path.write_text('{"resources": "not a list"}', encoding="utf-8")
    found = validate_datapackage(path)
    assert found and all(f.rule == "schema-published-file" and f.severity == "error" for f in found)
