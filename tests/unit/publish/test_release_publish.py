"""atlas publish: review gate, versions, immutable releases, index/latest, zips, interrupted publishes."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import textwrap
import zipfile

import pytest
from publish_support import (
    CREATED,
    GAMMA,
    REPO,
    base_rows,
    error_finding,
    latest_version,
    publish_as_editor,
    schemas_from,
    schemas_without,
    sha256sum_check,
    stage,
    tree_state,
    warning_finding,
)

from pipeline.fsutil import list_files
from pipeline.publish.lock import read_holder
from pipeline.publish.release import PublishRefused, list_releases, publish, review_summary


def _changed_rows() -> dict:
    rows = base_rows()
    rows["organizations"][0]["website"] = "https://acme.example/v2"
    return rows


@pytest.fixture(scope="module")
def _template(tmp_path_factory):
    """Release 1.0.0 published and a candidate with one changed value staged (built once)."""
    out = tmp_path_factory.mktemp("template") / "out"
    stage(out)
    publish_as_editor(out)
    stage(out, _changed_rows())
    return out


@pytest.fixture
def ready(_template, tmp_path):
    """A private copy of the template outputs folder."""
    out = tmp_path / "out"
    shutil.copytree(_template, out, symlinks=True)
    return out


def test_refuses_without_candidate_with_errors_and_unaccepted_warnings(tmp_path) -> None:
    out = tmp_path / "out"
    with pytest.raises(PublishRefused, match="no release candidate"):
        publish(out, reviewer="ed")
    stage(out, findings=[error_finding()])  # blocked: its report goes to blocked/, nothing is staged
    with pytest.raises(PublishRefused, match="no release candidate"):
        publish(out, reviewer="ed", accept_warnings=True)
    stage(out, findings=[warning_finding()])
    with pytest.raises(PublishRefused, match=r"1 warning\(s\).*--accept-warnings"):
        publish(out, reviewer="ed")
    assert not (out / "releases" / "1.0.0").exists()
    result = publish_as_editor(out, accept_warnings=True, note="http site is known")
    assert result.status == "published" and result.version == "1.0.0"
    review = json.loads((out / "releases" / "1.0.0" / "review.json").read_text(encoding="utf-8"))
    assert review["reviewer"] == "editor" and review["note"] == "http site is known"
    assert review["decision"] == "accepted-with-warnings" and review["accepted_warnings"] is True
    assert review["decided_at"] == "2025-02-01T00:00:00Z"
    report = out / "releases" / "1.0.0" / "validation" / "report.json"
    import hashlib

    assert review["report_sha256"] == hashlib.sha256(report.read_bytes()).hexdigest()


def test_release_layout_checksums_index_latest_and_zip(tmp_path) -> None:
    out = tmp_path / "out"
    stage(out)
    result = publish_as_editor(out)
    rel = out / "releases" / "1.0.0"
    assert result.path == rel
    files = set(list_files(rel))
    assert {
        "datapackage.json",
        "README.md",
        "CHANGELOG.md",
        "changes.json",
        "review.json",
        "SHA256SUMS",
        "validation/report.html",
        "data/organizations.csv",
        "data/organizations.parquet",
    } <= files
    assert not any(f.startswith("quarantine/") or f == "candidate.json" for f in files)
    check = sha256sum_check(rel)
    assert check.returncode == 0, check.stdout + check.stderr
    descriptor = json.loads((rel / "datapackage.json").read_text(encoding="utf-8"))
    # the release time is the candidate's (staged at CREATED); the decision time is in review.json only
    assert (descriptor["version"], descriptor["created"]) == ("1.0.0", CREATED)
    readme = (rel / "README.md").read_text(encoding="utf-8")
    assert "awaiting review" not in readme and f"(version 1.0.0, released {CREATED[:10]})" in readme
    assert latest_version(out / "releases") == "1.0.0"
    index = json.loads((out / "releases" / "index.json").read_text(encoding="utf-8"))
    (entry,) = index["releases"]
    assert (entry["version"], entry["created"], index["latest"]) == ("1.0.0", CREATED, "1.0.0")
    assert entry["counts"]["organizations"] == 2
    assert set(entry["files"]) == files
    archive = out / "releases" / "geneva-digital-atlas-1.0.0.zip"
    assert result.zip == archive and entry["zip"]["path"] == archive.name
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        assert names == sorted(names) and {n.split("/", 1)[1] for n in names} == files
        # every entry stamped with the release time (CREATED = 2025-01-02T03:04:05Z; zip keeps even seconds)
        assert {i.date_time for i in zf.infolist()} == {(2025, 1, 2, 3, 4, 4)}
        assert zf.read("geneva-digital-atlas-1.0.0/data/footnotes.csv") == (rel / "data" / "footnotes.csv").read_bytes()
    assert list_releases(out)[0].path == rel


def test_versions_unchanged_patch_minor_major(tmp_path) -> None:
    out = tmp_path / "out"
    stage(out)
    publish_as_editor(out)
    first = tree_state(out / "releases" / "1.0.0")
    # unchanged → no new release, and it says so
    stage(out)
    again = publish_as_editor(out)
    assert again.status == "unchanged" and "no new release" in again.message
    assert [r.version for r in list_releases(out)] == ["1.0.0"]
    # one changed value → 1.0.1 with it in changes.json
    stage(out, _changed_rows())
    assert publish_as_editor(out).version == "1.0.1"
    changes = json.loads((out / "releases" / "1.0.1" / "changes.json").read_text(encoding="utf-8"))
    assert changes["bump"] == "patch" and changes["previous_version"] == "1.0.0"
    assert changes["tables"]["organizations"]["changed"] == [
        {"key": {"organization_id": "acme"}, "fields": {"website": {"old": "https://acme.example/", "new": "https://acme.example/v2"}}}
    ]
    # an added organisation → 1.1.0
    rows = _changed_rows()
    rows["organizations"].append(GAMMA)
    stage(out, rows)
    assert publish_as_editor(out).version == "1.1.0"
    log = (out / "releases" / "1.1.0" / "CHANGELOG.md").read_text(encoding="utf-8")
    assert log.index("## 1.1.0") < log.index("## 1.0.1") < log.index("## 1.0.0")
    # a removed column → 2.0.0
    with schemas_from(schemas_without(tmp_path, "organizations", "alternate_acronyms")):
        stage(out, rows)
        result = publish_as_editor(out)
    assert result.version == "2.0.0"
    changes = json.loads((out / "releases" / "2.0.0" / "changes.json").read_text(encoding="utf-8"))
    assert changes["tables"]["organizations"]["columns_removed"] == ["alternate_acronyms"]
    assert [r.version for r in list_releases(out)] == ["1.0.0", "1.0.1", "1.1.0", "2.0.0"]
    assert latest_version(out / "releases") == "2.0.0"
    # published releases are never modified
    assert tree_state(out / "releases" / "1.0.0") == first
    # read-only for everyone: the mode bits themselves (os.access is always True for root, as CI runs)
    modes = {f: oct((out / "releases" / "1.0.0" / f).stat().st_mode & 0o777) for f in list_files(out / "releases" / "1.0.0")}
    assert len(modes) > 10 and set(modes.values()) == {"0o444"}, modes


def test_staging_changed_after_the_run_is_refused(ready) -> None:
    out = ready
    (out / "staging" / "data" / "footnotes.csv").write_text("organization_id,number,text,source_line\n", encoding="utf-8")
    with pytest.raises(PublishRefused, match="changed since `atlas run`"):
        publish_as_editor(out)


def test_files_dropped_into_staging_are_not_published(ready) -> None:
    (ready / "staging" / "data" / "extra.csv").write_text("a,b\n", encoding="utf-8")
    result = publish_as_editor(ready)
    assert result.version == "1.0.1"
    assert not (result.path / "data" / "extra.csv").exists()
    assert sha256sum_check(result.path).returncode == 0


def _visible(out) -> dict:
    """What a reader sees: release folders, zips, index and latest (temp folders excluded)."""
    root = out / "releases"
    return {k: v for k, v in tree_state(root).items() if not k.startswith(".")}


@pytest.mark.parametrize("point", ["half-copied", "texts", "rename"])
def test_publish_interrupted_before_rename_leaves_nothing(ready, point: str) -> None:
    out = ready
    before = _visible(out)
    copies = [f for f in list_files(out / "staging") if f.startswith(("data/", "validation/"))]
    seen = []

    def hook(step: str) -> None:
        seen.append(step)
        copied = sum(s.startswith("copy:") for s in seen)
        if (point == "half-copied" and copied > len(copies) // 2) or step == point:
            raise RuntimeError(f"injected at {step}")

    with pytest.raises(RuntimeError, match="injected"):
        publish_as_editor(out, hook=hook)
    assert _visible(out) == before
    assert sorted(p.name for p in (out / "releases").iterdir()) == [
        "1.0.0",
        "geneva-digital-atlas-1.0.0.zip",
        "geneva-digital-atlas-latest.zip",
        "index.json",
        "latest",
        "latest.json",
    ]
    assert read_holder(out) is None  # the lock was released
    # a re-run completes normally
    assert publish_as_editor(out).version == "1.0.1"
    assert latest_version(out / "releases") == "1.0.1"


@pytest.mark.parametrize("point", ["zip:1.0.1", "index", "latest"])
def test_publish_interrupted_after_rename_is_completed_by_the_next(ready, point: str) -> None:
    out = ready
    index_before = (out / "releases" / "index.json").read_bytes()

    def hook(step: str) -> None:
        if step == point:
            raise RuntimeError(f"injected at {step}")

    with pytest.raises(RuntimeError, match="injected"):
        publish_as_editor(out, hook=hook)
    # the earlier release, the index and latest are as they were; the new folder is complete
    assert (out / "releases" / "index.json").read_bytes() == index_before or point == "latest"
    assert latest_version(out / "releases") == "1.0.0"
    assert sha256sum_check(out / "releases" / "1.0.1").returncode == 0
    result = publish_as_editor(out)
    assert result.status == "unchanged" and result.version == "1.0.1"
    index = json.loads((out / "releases" / "index.json").read_text(encoding="utf-8"))
    assert [e["version"] for e in index["releases"]] == ["1.0.0", "1.0.1"] and index["latest"] == "1.0.1"
    assert latest_version(out / "releases") == "1.0.1"
    assert (out / "releases" / "geneva-digital-atlas-1.0.1.zip").is_file()


def test_zip_is_deterministic(tmp_path) -> None:
    for name in ("a", "b"):
        stage(tmp_path / name)
        publish_as_editor(tmp_path / name)
    za = (tmp_path / "a" / "releases" / "geneva-digital-atlas-1.0.0.zip").read_bytes()
    zb = (tmp_path / "b" / "releases" / "geneva-digital-atlas-1.0.0.zip").read_bytes()
    assert za == zb


_KILL_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from pipeline.publish.release import publish
    point = sys.argv[2]
    seen = []
    def hook(step):
        seen.append(step)
        if step == point or (point == "half" and sum(s.startswith("copy:") for s in seen) > 3):
            os.kill(os.getpid(), signal.SIGKILL)
    publish(Path(sys.argv[1]), reviewer="editor", hook=hook)
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("point", ["half", "index"])
def test_sigkilled_publish_keeps_releases_index_and_latest(ready, point: str) -> None:
    out = ready
    index_before = (out / "releases" / "index.json").read_bytes()
    proc = subprocess.run([sys.executable, "-c", _KILL_SCRIPT, str(out), point], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert (out / "releases" / "index.json").read_bytes() == index_before
    assert latest_version(out / "releases") == "1.0.0"
    assert read_holder(out)["command"] == "atlas publish"  # the killed holder's record; its kernel lock died with it
    visible = sorted(p.name for p in (out / "releases").iterdir() if not p.name.startswith("."))
    expected = ["1.0.0", "geneva-digital-atlas-1.0.0.zip", "geneva-digital-atlas-latest.zip", "index.json", "latest", "latest.json"]
    if point == "index":  # killed after the rename and the zip: a complete, not yet indexed folder
        expected = [
            "1.0.0",
            "1.0.1",
            "geneva-digital-atlas-1.0.0.zip",
            "geneva-digital-atlas-1.0.1.zip",
            "geneva-digital-atlas-latest.zip",
            "index.json",
            "latest",
            "latest.json",
        ]
    assert visible == expected
    result = publish_as_editor(out)
    assert result.version == "1.0.1"
    assert latest_version(out / "releases") == "1.0.1"
    assert not any(p.name.startswith(".") for p in (out / "releases").iterdir())
    assert sha256sum_check(out / "releases" / "1.0.1").returncode == 0


def test_review_summary(tmp_path) -> None:
    out = tmp_path / "out"
    with pytest.raises(FileNotFoundError, match="atlas run"):
        review_summary(out)
    stage(out, findings=[warning_finding()])
    text = review_summary(out)
    assert "Release candidate 1.0.0" in text and "website-not-https" in text and "report.html" in text
    stage(out, findings=[error_finding()])
    assert "Release candidate 1.0.0" in review_summary(out)  # the earlier candidate stays staged (see test_publish_review)
