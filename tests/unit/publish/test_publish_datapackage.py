"""datapackage.json and the data dictionary, built from the config, schemas and written files."""

from __future__ import annotations

import hashlib
import json

from publish_support import frictionless_cli, stage

from pipeline.config import release_config
from pipeline.csvio import read_csv
from pipeline.publish.dictionary import data_dictionary, table_dictionary
from pipeline.schemas import load_schemas, schema

PUBLISHED = [t.name for t in load_schemas().values() if t.published]


def test_descriptor_metadata_resources_and_sources(tmp_path) -> None:
    result = stage(tmp_path / "out")
    staging = result.path
    d = json.loads((staging / "datapackage.json").read_text(encoding="utf-8"))
    cfg = release_config()
    assert (d["name"], d["title"], d["version"], d["created"]) == (cfg.name, cfg.title, "1.0.0", "2025-01-02T03:04:05Z")
    assert d["licenses"] == [dict(x) for x in cfg.licenses]
    assert d["contributors"] == [dict(x) for x in cfg.contributors]
    assert d["keywords"] == list(cfg.keywords)
    # each raw source file with its checksum, credited to the configured publisher
    (source,) = d["sources"]
    assert source["file"] == "profiles.txt"
    assert source["hash"] == "sha256:" + hashlib.sha256(b"profiles v1").hexdigest()
    assert source["publisher"] == cfg.sources[0]["title"]
    csv_resources = [r for r in d["resources"] if r["format"] == "csv"]
    assert [r["name"] for r in csv_resources] == PUBLISHED  # quarantine never listed
    for r in csv_resources:
        data = (staging / r["path"]).read_bytes()
        assert r["path"] == f"data/{r['name']}.csv"
        assert (r["mediatype"], r["encoding"]) == ("text/csv", "utf-8")
        assert r["bytes"] == len(data)
        assert r["rows"] == len(read_csv(staging / r["path"], schema(r["name"])))
        assert r["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert r["schema"]["fields"] == [f.to_frictionless() for f in schema(r["name"]).fields]
        assert r["schema"].get("primaryKey") == schema(r["name"]).descriptor.get("primaryKey")
        assert r["schema"].get("foreignKeys", []) == schema(r["name"]).foreign_keys
    parquet = {r["name"]: r for r in d["resources"] if r["format"] == "parquet"}
    assert sorted(parquet) == sorted(f"{n}-parquet" for n in PUBLISHED)
    for r in parquet.values():
        data = (staging / r["path"]).read_bytes()
        table = r["name"].removesuffix("-parquet")
        assert r["type"] == "table" and r["mediatype"] == "application/vnd.apache.parquet"
        assert "bytes" not in r  # Frictionless 5 cannot measure a Parquet file's size (datapackage module docstring)
        assert r["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert r["rows"] == next(c["rows"] for c in csv_resources if c["name"] == table)
        assert [f["name"] for f in r["schema"]["fields"]] == schema(table).columns
        for fk in r["schema"].get("foreignKeys", []):
            assert fk["reference"]["resource"].endswith("-parquet")
    (database,) = [r for r in d["resources"] if r["format"] == "duckdb"]
    data = (staging / database["path"]).read_bytes()
    assert (database["bytes"], database["hash"]) == (len(data), "sha256:" + hashlib.sha256(data).hexdigest())


def test_frictionless_cli_passes_and_catches_tampering(tmp_path) -> None:
    staging = stage(tmp_path / "out").path  # (the real pipeline.validate check runs in test_release_sample)
    ok = frictionless_cli(staging / "datapackage.json")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # the check is real: a changed Parquet byte count or CSV cell makes it fail
    with (staging / "data" / "footnotes.parquet").open("ab") as f:
        f.write(b"x")
    bad = frictionless_cli(staging / "datapackage.json")
    assert bad.returncode != 0
    assert "footnotes-parquet" in bad.stdout


def test_data_dictionary_lists_tables_keys_columns_and_guard_note() -> None:
    text = data_dictionary()
    for name in PUBLISHED:
        assert f"(`{name}`)" in text
    assert "quarantine" not in text
    orgs = table_dictionary(schema("organizations"))
    assert "- Primary key: `organization_id`" in orgs
    assert "| `organization_id` | string | yes |" in orgs
    assert "matches `[a-z0-9]+(-[a-z0-9]+)*`" in orgs
    assert "one of `header`, `summary`" in orgs
    issues = table_dictionary(schema("policy_issues"))
    assert "- Foreign key: `issue` → `issue_taxonomy` (`issue`)" in issues
    assert "leading apostrophe" in text and "Parquet files keep the raw value" in text
    # every description in the dictionary comes from the schema files
    for f in schema("sections").fields:
        assert " ".join(f["description"].split()).replace("|", "\\|") in text
