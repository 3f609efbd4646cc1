"""Integrity: `atlas publish` checks every release file it reads against SHA256SUMS (and SHA256SUMS
against index.json); a changed or missing file refuses the publish, naming the file."""

from __future__ import annotations

import os

import pytest
from publish_support import base_rows, publish_as_editor, stage

from pipeline.fsutil import SUMS_NAME, parse_sha256sums, sha256_file, sums_text
from pipeline.publish.integrity import IntegrityError, check_release
from pipeline.publish.release import PublishRefused


@pytest.fixture
def published(tmp_path):
    out = tmp_path / "out"
    stage(out)
    publish_as_editor(out)
    rows = base_rows()
    rows["organizations"][0]["name"] = "Acme Digital Institute (renamed)"
    stage(out, rows)  # a new candidate (1.0.1) whose publish reads release 1.0.0
    return out, out / "releases" / "1.0.0"


def _edit(path, data: bytes) -> None:
    os.chmod(path, 0o644)
    path.write_bytes(data)


def test_a_tampered_release_csv_refuses_the_publish_naming_the_file(published) -> None:
    out, release = published
    csv = release / "data" / "organizations.csv"
    _edit(csv, csv.read_bytes().replace(b"Acme", b"Acne"))
    with pytest.raises(PublishRefused, match=r"releases/1\.0\.0/data/organizations\.csv: checksum differs from SHA256SUMS"):
        publish_as_editor(out)
    assert not (out / "releases" / "1.0.1").exists()


def test_a_missing_release_file_refuses_the_publish(published) -> None:
    out, release = published
    os.chmod(release / "data", 0o755)
    (release / "data" / "footnotes.parquet").unlink()
    with pytest.raises(PublishRefused, match=r"releases/1\.0\.0/data/footnotes\.parquet: listed in SHA256SUMS but missing"):
        publish_as_editor(out)


def test_a_file_edited_together_with_its_sha256sums_line_is_caught_by_the_index(published) -> None:
    out, release = published
    csv = release / "data" / "footnotes.csv"
    _edit(csv, csv.read_bytes() + b"acme,9,forged,1\n")
    sums = parse_sha256sums((release / SUMS_NAME).read_text(encoding="utf-8"))
    sums["data/footnotes.csv"] = sha256_file(csv)
    _edit(release / SUMS_NAME, sums_text(sums).encode())
    with pytest.raises(PublishRefused, match=r"releases/1\.0\.0/SHA256SUMS: differs from the checksum recorded in index\.json"):
        publish_as_editor(out)


def test_an_intact_release_publishes_and_the_check_names_every_problem(published, tmp_path) -> None:
    out, release = published
    assert publish_as_editor(out).version == "1.0.1"
    check_release(release, label="releases/1.0.0")  # intact: no exception
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("README.md", "CHANGELOG.md", SUMS_NAME):
        (copy / name).write_bytes((release / name).read_bytes())
    with pytest.raises(IntegrityError) as caught:
        check_release(copy, label="x")
    assert "x/datapackage.json: listed in SHA256SUMS but missing" in caught.value.problems
    assert not any(p.startswith("x/README.md") for p in caught.value.problems)
