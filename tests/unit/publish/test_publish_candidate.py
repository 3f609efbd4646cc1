"""The release candidate in outputs/staging: layout, checksums, blocking, reproducibility, swap."""

from __future__ import annotations

import json

import pytest
from publish_support import (
    base_rows,
    error_finding,
    failing_frictionless_check,
    publish_as_editor,
    sha256sum_check,
    stage,
    standin_report_writer,
    tree_state,
    warning_finding,
)

from pipeline.config import release_config
from pipeline.fsutil import parse_sha256sums
from pipeline.publish.candidate import read_status
from pipeline.schemas import load_schemas

DATABASE = f"data/{release_config().name}.duckdb"
PUBLISHED = [t.name for t in load_schemas().values() if t.published]
RELEASE_FILES = {
    "datapackage.json",
    "README.md",
    "CHANGELOG.md",
    "changes.json",
    "SHA256SUMS",
    "CITATION.cff",
    "data-dictionary.csv",
    "validation/report.json",
    "validation/report.md",
    "validation/report.html",
}


def test_candidate_is_laid_out_like_a_release(tmp_path) -> None:
    result = stage(tmp_path / "out", findings=[warning_finding()])
    staging = tmp_path / "out" / "staging"
    assert result.path == staging and result.publishable
    files = {p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file()}
    data = {f"data/{n}.{ext}" for n in PUBLISHED for ext in ("csv", "parquet")} | {DATABASE}
    assert files == RELEASE_FILES | data | {"candidate.json", "quarantine/quarantine.csv"}
    status = read_status(tmp_path / "out")
    assert status.publishable is True and status.status == "candidate"
    assert (status.version, status.bump, status.previous_version) == ("1.0.0", "initial", None)
    assert status.severity_counts.to_dict() == {"error": 0, "warning": 1, "info": 0}
    assert status.counts["organizations"] == 2 and status.quarantined == 1
    assert status.sources[0].path == "profiles.txt" and len(status.sources[0].sha256) == 64
    readme = (staging / "README.md").read_text(encoding="utf-8")
    assert "Release candidate awaiting review" in readme and "## How to cite" in readme
    assert "### Organisations (`organizations`)" in readme  # the data dictionary
    assert "Creative Commons Attribution 4.0" in readme


def test_sha256sums_verifies_and_leaves_out_candidate_only_files(tmp_path) -> None:
    staging = stage(tmp_path / "out").path
    check = sha256sum_check(staging)
    assert check.returncode == 0, check.stdout + check.stderr
    listed = list(parse_sha256sums((staging / "SHA256SUMS").read_text(encoding="utf-8")))
    assert listed == sorted(listed)
    assert "candidate.json" not in listed and not any(p.startswith("quarantine/") for p in listed)
    assert set(listed) == {p for p in RELEASE_FILES if p != "SHA256SUMS"} | {
        f"data/{n}.{e}" for n in PUBLISHED for e in ("csv", "parquet")
    } | {DATABASE}
    (staging / "data" / "footnotes.csv").write_text("tampered\n", encoding="utf-8")
    assert sha256sum_check(staging).returncode != 0


def test_error_stages_only_report_quarantine_and_status(tmp_path) -> None:
    out = tmp_path / "out"
    stage(out)
    publish_as_editor(out)
    releases_before, staged_before = tree_state(out / "releases"), tree_state(out / "staging")
    # findings may also come as dicts (Finding.to_dict(), e.g. read back from JSON)
    result = stage(out, findings=[error_finding().to_dict(), warning_finding()])
    staging = out / "blocked"
    assert not result.publishable and result.path == staging
    assert tree_state(out / "staging") == staged_before  # the last publishable candidate is kept
    files = {p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file()}
    assert files == {
        "candidate.json",
        "quarantine/quarantine.csv",
        "validation/report.json",
        "validation/report.md",
        "validation/report.html",
    }
    status = json.loads((staging / "candidate.json").read_text(encoding="utf-8"))  # the file as written
    assert status["publishable"] is False and status["status"] == "blocked" and status["version"] is None
    assert status["severity_counts"]["error"] == 1
    assert "profiles.txt:3" in status["blocking"][0]
    assert tree_state(out / "releases") == releases_before


def test_frictionless_error_blocks_the_candidate(tmp_path) -> None:
    result = stage(tmp_path / "out", frictionless_check=failing_frictionless_check)
    assert not result.publishable
    assert not (result.path / "data").exists() and not (result.path / "datapackage.json").exists()
    report = json.loads((result.path / "validation" / "report.json").read_text(encoding="utf-8"))
    assert "injected failure" in json.dumps(report)


def test_writers_are_injectable(tmp_path) -> None:
    checked = []

    def check(folder, tables):
        checked.extend(t for t in tables if (folder / f"{t}.csv").is_file())
        return []

    result = stage(tmp_path / "out", report_writer=standin_report_writer, frictionless_check=check)
    assert result.publishable and checked == PUBLISHED  # checked the written files
    assert json.loads(result.report["json"].read_text(encoding="utf-8"))["findings"] == []


def test_blocked_stage_keeps_the_quarantine_and_leaves_no_build(tmp_path) -> None:
    out = tmp_path / "out"
    assert stage(out).publishable
    blocked = stage(out, findings=[error_finding()])
    assert not blocked.publishable and not (out / "blocked" / "data").exists()
    assert blocked.status.quarantined == 1 and blocked.status.blocking
    assert sorted(p.name for p in out.iterdir()) == [".lock", "blocked", "staging"]  # no build folder left behind
    assert stage(out).publishable  # a publishable run clears the blocked report: the latest run is the candidate
    assert sorted(p.name for p in out.iterdir()) == [".lock", "staging"]


def test_data_files_are_reproducible(tmp_path) -> None:
    a = stage(tmp_path / "a", created="2025-01-01T00:00:00Z").path
    b = stage(tmp_path / "b", created="2030-06-30T12:00:00Z").path
    for name in PUBLISHED:
        for ext in ("csv", "parquet"):
            rel = f"data/{name}.{ext}"
            assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    sums_a = parse_sha256sums((a / "SHA256SUMS").read_text(encoding="utf-8"))
    sums_b = parse_sha256sums((b / "SHA256SUMS").read_text(encoding="utf-8"))
    assert {k: v for k, v in sums_a.items() if k.startswith("data/")} == {k: v for k, v in sums_b.items() if k.startswith("data/")}
    assert sums_a["datapackage.json"] != sums_b["datapackage.json"]  # only `created` differs there


def test_failed_build_leaves_previous_staging_intact(tmp_path) -> None:
    out = tmp_path / "out"
    stage(out)
    before = tree_state(out / "staging")
    rows = base_rows()
    rows["footnotes"][0]["organization_id"] = None  # a required column left empty: Parquet refuses it
    with pytest.raises(ValueError, match="footnotes.organization_id"):
        stage(out, rows)
    assert tree_state(out / "staging") == before
    assert sorted(p.name for p in out.iterdir()) == [".lock", "staging"]


def test_unchanged_candidate_says_so(tmp_path) -> None:
    out = tmp_path / "out"
    stage(out)
    publish_as_editor(out)
    result = stage(out)
    assert (result.version, result.bump, result.previous_version) == ("1.0.0", "none", "1.0.0")
    assert "identical to the latest release" in (result.path / "README.md").read_text(encoding="utf-8")
    assert "identical to the latest release" in result.message


def test_the_report_is_written_without_the_diff_of_every_row_key(tmp_path) -> None:
    """A first release's diff lists every row's key (283k at 1000×): once the release texts are
    written only the version, the previous version and the bump go on to the report and status."""
    import gc

    from pipeline.publish.versioning import Diff, TableChange

    alive: dict[str, int] = {}

    def count(step: str) -> None:
        if step in ("texts", "report"):
            gc.collect()
            alive[step] = sum(isinstance(o, Diff | TableChange) for o in gc.get_objects())

    result = stage(tmp_path / "out", findings=[warning_finding()], hook=count)
    assert result.publishable and read_status(tmp_path / "out").version == "1.0.0"
    assert alive == {"texts": 0, "report": 0}
    changes = json.loads((tmp_path / "out" / "staging" / "changes.json").read_text(encoding="utf-8"))
    assert changes["tables"]["organizations"]["added"]  # the texts did get every key
