"""The pandera converter: every Table Schema constraint is enforced, and the three views of a table
(pandera schema, Frictionless schema, CSV header) come from one place."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pandera.pandas as pa
import pytest
from frictionless import Schema

from pipeline.csvio import to_csv_bytes
from pipeline.findings import Finding
from pipeline.schemas import TableSchema, load_schemas, schema
from pipeline.validate.schema_check import pandera_findings

ORG = {
    "organization_id": "acme",
    "name": "Acme Institute",
    "acronym": "ACME",
    "established": 1990,
    "established_source": "header",
    "postal_code": "1211",
    "country_code": "CH",
    "website": "https://acme.example",
    "summary": "Acme works.",
    "summary_source_line": 5,
    "source_file": "a.txt",
    "source_line_start": 1,
    "source_line_end": 9,
}


def failures(table: str, rows: list[dict]) -> list[Finding]:
    return pandera_findings({table: schema(table).frame(rows)})


def test_valid_rows_pass():
    assert failures("organizations", [ORG]) == []


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [
        ("organization_id", "Acme Corp", "pattern"),  # pattern is a full match: a space inside fails
        ("organization_id", "acme!", "pattern"),
        ("organization_id", None, "required"),
        ("source_file", None, "required"),
        ("established_source", "guess", "one of"),
        ("established", 999, "minimum"),
        ("established", 20006, "maximum"),
        ("website", "javascript:alert(1)", "pattern"),
        ("website", "https://x.org trailing", "pattern"),
        ("source_line_start", 0, "minimum"),
    ],
)
def test_each_constraint_is_caught(column, value, words):
    found = failures("organizations", [{**ORG, column: value}])
    assert [f.column for f in found] == [column]
    f = found[0]
    assert f.rule == "schema" and f.severity == "error" and words in f.message
    assert f.table == "organizations" and f.key == {"organization_id": ORG["organization_id"] if column != "organization_id" else value}
    if column not in ("source_file", "source_line_start"):
        assert (f.source_file, f.source_line) == ("a.txt", 1)


def test_unique_and_primary_key_are_caught_with_row_keys():
    found = failures("organizations", [ORG, {**ORG, "source_line_start": 30, "source_line_end": 40}])
    kinds = sorted(f.message.split(": ")[-1] if "unique" in f.message else "pk" for f in found)
    assert "pk" in kinds  # primary key repeated
    assert any("must be unique" in f.message for f in found)  # organization_id unique
    pk = [f for f in found if "primary key" in f.message]
    assert {f.source_line for f in pk} == {1, 30}
    assert all(f.key == {"organization_id": "acme"} for f in pk)


def test_composite_primary_key_is_caught_once_per_row():
    row = {"organization_id": "acme", "number": 1, "text": "A note.", "source_line": 50}
    found = pandera_findings(
        {"footnotes": schema("footnotes").frame([row, {**row, "source_line": 52}]), "organizations": schema("organizations").frame([ORG])}
    )
    assert len(found) == 2
    assert {f.key["number"] for f in found} == {1}
    assert {f.source_file for f in found} == {"a.txt"}  # traced through organization_id
    assert {f.source_line for f in found} == {50, 52}


def test_type_is_caught():
    df = schema("footnotes").frame([{"organization_id": "acme", "number": 1, "text": "x", "source_line": 3}])
    df["number"] = df["number"].astype("string")
    found = pandera_findings({"footnotes": df})
    assert any(f.column == "number" and "type" in f.message for f in found)


def test_missing_and_extra_columns_are_caught():
    df = schema("footnotes").frame([{"organization_id": "acme", "number": 1, "text": "x", "source_line": 3}])
    found = pandera_findings({"footnotes": df.drop(columns=["text"]).assign(extra="y")})
    messages = " ".join(f.message for f in found)
    assert "'text' is missing" in messages and "unexpected column 'extra'" in messages


def test_required_means_not_nullable_and_optional_is_nullable():
    table = schema("organizations")
    ps = table.to_pandera()
    for f in table.fields:
        required = bool(f.get("constraints", {}).get("required")) or f["name"] in table.primary_key
        assert ps.columns[f["name"]].nullable is (not required), f["name"]


@pytest.mark.parametrize("table", list(load_schemas().values()), ids=lambda t: t.name)
def test_pandera_frictionless_and_csv_header_cannot_drift(table: TableSchema):
    pandera_columns = list(table.to_pandera().columns)
    frictionless_fields = Schema.from_descriptor(dict(table.descriptor)).field_names
    header = next(csv.reader(io.StringIO(to_csv_bytes(table.frame([]), table).decode("utf-8"))))
    assert pandera_columns == frictionless_fields == header == table.columns
    # and the dtypes pandera expects are those the tables are built with
    table.to_pandera().validate(table.frame([]))


def test_converter_is_a_pandas_dataframe_schema():
    assert isinstance(schema("sections").to_pandera(), pa.DataFrameSchema)
    assert schema("sections").to_pandera().unique == ["organization_id", "section_id"]


def test_pandera_lazy_collects_every_failure():
    rows = [{**ORG, "organization_id": f"BAD {i}", "established": 5} for i in range(3)]
    found = failures("organizations", rows)
    assert len([f for f in found if f.column == "organization_id"]) == 3
    assert len([f for f in found if f.column == "established"]) == 3
    assert isinstance(pd.DataFrame([f.to_dict() for f in found]), pd.DataFrame)
