"""Every datapackage.json the pipeline writes (candidate, release, the latest copy) is valid against
the official Data Package v1 and v2 JSON Schema profiles, and `frictionless validate` passes on it."""

from __future__ import annotations

import copy
import json

import pytest
from publish_support import frictionless_cli, profile_errors, publish_as_editor, stage

from pipeline.publish.datapackage import PROFILE_V2


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("profiles") / "out"
    stage(out)
    candidate = json.loads((out / "staging" / "datapackage.json").read_text(encoding="utf-8"))
    publish_as_editor(out)
    release = out / "releases" / "1.0.0"
    return {
        "candidate": candidate,
        "release": json.loads((release / "datapackage.json").read_text(encoding="utf-8")),
        "latest": json.loads((out / "releases" / "latest" / "datapackage.json").read_text(encoding="utf-8")),
        "release_dir": release,
    }


@pytest.mark.parametrize("which", ["candidate", "release", "latest"])
@pytest.mark.parametrize("profile", ["1.0/datapackage.json", "2.0/datapackage.json"])
def test_descriptor_is_valid_against_the_official_profiles(written, which: str, profile: str) -> None:
    descriptor = written[which]
    assert descriptor["$schema"] == PROFILE_V2
    assert "profile" not in descriptor  # claims no v1 tabular profile: v1 readers apply data-package
    assert profile_errors(descriptor, profile) == []


@pytest.mark.parametrize("which", ["candidate", "release"])
def test_every_resource_is_a_valid_v1_data_resource_with_rows_and_hash(written, which: str) -> None:
    for resource in written[which]["resources"]:
        assert profile_errors(resource, "1.0/dataresource.json") == [], resource["name"]
        assert resource["hash"].startswith("sha256:")
        if resource.get("type") == "table":
            assert isinstance(resource["rows"], int)
            assert resource["schema"]["fields"]
        if resource["format"] != "parquet":  # Frictionless cannot measure a Parquet file's size
            assert resource["bytes"] > 0


def test_the_profiles_catch_the_shapes_they_must_refuse(written) -> None:
    bad = copy.deepcopy(written["release"])
    parquet = next(r for r in bad["resources"] if r["format"] == "parquet")
    parquet["type"] = "file"  # the old shape: not a v2 resource type
    assert any("'file' is not one of ['table']" in e for e in profile_errors(bad, "2.0/datapackage.json"))
    bad = copy.deepcopy(written["release"])
    bad["resources"][0]["hash"] = "sha256:not-hex"
    bad["resources"][1]["path"] = "../outside.csv"
    for profile in ("1.0/datapackage.json", "2.0/datapackage.json"):
        errors = profile_errors(bad, profile)
        assert any(e.startswith("resources/0") for e in errors) and any(e.startswith("resources/1") for e in errors), errors


def test_frictionless_validate_passes_on_the_release_parquet_included(written) -> None:
    done = frictionless_cli(written["release_dir"] / "datapackage.json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(frictionless_cli(written["release_dir"] / "datapackage.json", "--json").stdout)
    tasks = {t["name"]: t for t in report["tasks"]}
    assert report["valid"] and set(tasks) == {r["name"] for r in written["release"]["resources"]}
    for resource in written["release"]["resources"]:
        task = tasks[resource["name"]]
        assert task["type"] == ("file" if resource["format"] == "duckdb" else "table")
        if resource.get("rows") is not None:  # checked by Frictionless, so the count is the real one
            assert task["stats"]["rows"] == resource["rows"]
