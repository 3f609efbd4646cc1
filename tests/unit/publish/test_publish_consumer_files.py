"""What a downloader gets besides the tables: CITATION.cff, data-dictionary.csv, and README loaders
that keep code-like text as text (run here exactly as the README prints them)."""

from __future__ import annotations

import csv
import re

import duckdb
import pytest
import yaml
from publish_support import CREATED, base_rows, stage

from pipeline.config import release_config
from pipeline.schemas import load_schemas

PUBLISHED = [t for t in load_schemas().values() if t.published]


@pytest.fixture(scope="module")
def staging(tmp_path_factory):
    rows = base_rows()
    acme = rows["organizations"][0]
    acme["postal_code"], acme["country_code"] = "01234", "NA"  # a leading zero; Namibia, not "missing"
    acme["summary"] = "=1+1 is how a spreadsheet formula starts."
    rows["country_mentions"][0].update(country_code="NA", country_name="Namibia", mention="Namibia")
    return stage(tmp_path_factory.mktemp("consumer") / "out", rows).path


def _blocks(readme: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", readme, flags=re.DOTALL)


def test_citation_cff_names_the_version_date_licence_and_authors(staging) -> None:
    cff = yaml.safe_load((staging / "CITATION.cff").read_text(encoding="utf-8"))
    cfg = release_config()
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "dataset"
    assert (cff["title"], cff["version"], cff["date-released"]) == (cfg.title, "1.0.0", CREATED[:10])
    assert cff["license"] == "CC-BY-4.0" and cff["url"] == cfg.homepage
    assert cff["authors"] == [{"name": c["title"]} for c in cfg.contributors if c.get("role") == "publisher"]
    assert cff["references"][0]["title"] == cfg.sources[0]["title"]
    readme = (staging / "README.md").read_text(encoding="utf-8")
    assert f"(version 1.0.0, released {CREATED[:10]})" in readme


def test_data_dictionary_csv_has_every_column_with_an_example(staging) -> None:
    with (staging / "data-dictionary.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["table", "column", "type", "required", "description", "example"]
    assert [(r["table"], r["column"]) for r in rows] == [(t.name, c) for t in PUBLISHED for c in t.columns]
    by = {(r["table"], r["column"]): r for r in rows}
    assert by[("organizations", "postal_code")]["example"] == "01234"
    assert by[("organizations", "organization_id")]["required"] == "true"
    assert by[("organizations", "postal_code")]["description"].startswith("Postal code. Postal code parsed")
    assert by[("issue_taxonomy", "vocabulary_version")]["example"] == "2026.1"
    assert by[("organizations", "summary")]["example"] == "'=1+1 is how a spreadsheet formula starts."  # guarded like the data
    assert by[("sections", "text")]["example"].endswith("…") or len(by[("sections", "text")]["example"]) <= 80


def test_pandas_and_polars_loaders_from_the_readme_keep_codes_as_text(staging) -> None:
    readme = (staging / "README.md").read_text(encoding="utf-8")
    pandas_code, polars_code = _blocks(readme, "python")
    for code, kind in ((pandas_code, "pandas"), (polars_code, "polars")):
        namespace: dict = {}
        exec(code, namespace)  # noqa: S102 - the README's own code, run as a reader would
        orgs = namespace["read_table"]("organizations", str(staging))
        taxonomy = namespace["read_table"]("issue_taxonomy", str(staging))
        mentions = namespace["read_table"]("country_mentions", str(staging))
        if kind == "pandas":
            assert str(orgs["postal_code"].dtype) == "string" and orgs["established"].dtype == "Int64"
            assert taxonomy["basket_assigned"].dtype == "boolean"
            postal, country, version = orgs["postal_code"].tolist(), orgs["country_code"].tolist(), taxonomy["vocabulary_version"].tolist()
            mention = mentions["country_code"].tolist()
        else:
            assert str(orgs.schema["postal_code"]) == "String" and str(orgs.schema["established"]) == "Int64"
            postal, country, version = (
                orgs["postal_code"].to_list(),
                orgs["country_code"].to_list(),
                taxonomy["vocabulary_version"].to_list(),
            )
            mention = mentions["country_code"].to_list()
        assert postal == ["01234", "1202"], kind
        assert country == ["NA", "CH"], kind
        assert version == ["2026.1", "2026.1"], kind
        assert mention == ["NA"], kind
        for table in PUBLISHED:  # every table loads with its schema's columns
            assert list(namespace["read_table"](table.name, str(staging)).columns) == table.columns


def test_duckdb_statements_from_the_readme_keep_codes_as_text(staging, monkeypatch) -> None:
    readme = (staging / "README.md").read_text(encoding="utf-8")
    (sql,) = _blocks(readme, "sql")
    monkeypatch.chdir(staging)
    con = duckdb.connect()
    con.execute(sql)
    assert con.execute("SELECT postal_code, country_code FROM organizations ORDER BY organization_id").fetchall() == [
        ("01234", "NA"),
        ("1202", "CH"),
    ]
    assert con.execute("SELECT DISTINCT vocabulary_version FROM issue_taxonomy").fetchall() == [("2026.1",)]
    assert con.execute("SELECT data_type FROM duckdb_columns() WHERE column_name = 'postal_code'").fetchone() == ("VARCHAR",)
    attach = re.search(r"`(ATTACH '[^`]*;)`", readme).group(1)
    con.execute(attach)
    assert con.execute("SELECT postal_code FROM atlas.organizations WHERE organization_id = 'acme'").fetchone() == ("01234",)


def test_readr_calls_read_text_by_default_and_only_empty_cells_as_missing(staging) -> None:
    readme = (staging / "README.md").read_text(encoding="utf-8")
    (r_code,) = _blocks(readme, "r")
    line = next(x for x in r_code.splitlines() if x.startswith("organizations <- "))
    assert 'read_csv("data/organizations.csv", col_types = cols(.default = col_character(), established = col_integer()' in line
    assert line.endswith(', na = "")')
    assert "postal_code" not in line  # text, by default
