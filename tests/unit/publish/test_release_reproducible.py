"""Reproducible releases: one recorded release time, so two publishes of the same candidate in two
folders give identical zips except the files that record who reviewed and when."""

from __future__ import annotations

import os
import shutil
import zipfile

import pytest
from publish_support import CREATED, base_rows, publish_as_editor, stage

from pipeline.publish.candidate import release_time

# The files that may differ between two publishes of one candidate (listed in the release README).
REVIEW_FILES = {"review.json", "SHA256SUMS"}


def _members(archive) -> dict[str, tuple[bytes, tuple]]:
    with zipfile.ZipFile(archive) as zf:
        return {i.filename.split("/", 1)[1]: (zf.read(i), i.date_time) for i in zf.infolist()}


def test_two_publishes_of_one_candidate_differ_only_in_the_review_files(tmp_path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    stage(a)
    shutil.copytree(a / "staging", b / "staging")
    publish_as_editor(a, reviewer="Ann Editor", note="first look", decided_at="2025-03-01T10:00:00Z")
    publish_as_editor(b, reviewer="Bob Editor", note="second look", decided_at="2026-07-04T18:30:00Z")
    zip_a = _members(a / "releases" / "geneva-digital-atlas-1.0.0.zip")
    zip_b = _members(b / "releases" / "geneva-digital-atlas-1.0.0.zip")
    assert zip_a.keys() == zip_b.keys()
    differ = {name for name in zip_a if zip_a[name] != zip_b[name]}
    assert differ == REVIEW_FILES  # review.json and its SHA256SUMS line, nothing else
    assert {"datapackage.json", "README.md", "CHANGELOG.md", "CITATION.cff", "data/geneva-digital-atlas.duckdb"} <= zip_a.keys()
    assert len({stamp for _, stamp in zip_a.values()}) == 1  # every entry carries the release time
    readme = zip_a["README.md"][0].decode()
    assert all(f"`{name}`" in readme.split("## Reproducibility", 1)[1].split("\n## ", 1)[0] for name in REVIEW_FILES)
    # the folders are the same too, and the latest copies follow
    assert (a / "releases" / "latest" / "datapackage.json").read_bytes() == (b / "releases" / "1.0.0" / "datapackage.json").read_bytes()


def test_the_release_time_is_the_candidates_not_the_publish_time(tmp_path) -> None:
    stage(tmp_path)
    publish_as_editor(tmp_path, decided_at="2031-12-31T23:59:59Z")
    release = tmp_path / "releases" / "1.0.0"
    assert f'"created": "{CREATED}"' in (release / "datapackage.json").read_text(encoding="utf-8")
    assert "2031" not in (release / "README.md").read_text(encoding="utf-8")
    assert "2031" not in (release / "CHANGELOG.md").read_text(encoding="utf-8")
    assert '"decided_at": "2031-12-31T23:59:59Z"' in (release / "review.json").read_text(encoding="utf-8")


def test_source_date_epoch_sets_the_release_time(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert release_time() == "2023-11-14T22:13:20Z"
    result = stage(tmp_path, base_rows(), created=None)
    assert result.status.created == "2023-11-14T22:13:20Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH='soon'"):
        release_time()
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert release_time().endswith("Z") and os.environ.get("SOURCE_DATE_EPOCH") is None
