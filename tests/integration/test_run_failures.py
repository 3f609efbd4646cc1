"""Failures inside Dagster surface with their cause (issue 16): an unusable cache folder, a full
disk, a step that raises on bad input (a link loop in the sources is a blocking finding, not a
failure). ``atlas run`` prints the file and the reason (never
"DagsterExecutionStepExecutionError … see dagster dev"), the failure report in
``outputs/blocked/`` carries them, and the good candidate already staged is kept."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from ops_support import corpus, tmpfs
from rich.console import Console

from pipeline.config import load_settings
from pipeline.run import run_pipeline

OPAQUE = ("DagsterExecutionStepExecutionError", "see `dagster dev`", "Traceback")


def _run(sources: Path, outputs: Path, home: Path) -> tuple[int, str]:
    buf = io.StringIO()
    settings = load_settings({"sources": sources, "outputs": outputs, "dagster_home": home})
    code = run_pipeline(console=Console(file=buf, width=250, highlight=False), settings=settings)
    return code, " ".join(buf.getvalue().split())


def _failure(outputs: Path) -> dict:
    report = json.loads((outputs / "blocked" / "validation" / "report.json").read_text(encoding="utf-8"))
    (finding,) = report["findings"]
    assert finding["rule"] == "run-failed" and finding["severity"] == "error"
    return finding


def test_a_symlink_loop_in_the_sources_blocks_the_run_naming_the_link(tmp_path: Path) -> None:
    """A link loop is a finding of the extraction (``file-unreadable``, an error naming the link),
    not a crash of the first step: the run is blocked with the cause in its report."""
    src = corpus(tmp_path)
    (src / "loop").symlink_to("loop")
    code, out = _run(src, tmp_path / "outputs", tmp_path / "home")
    assert code == 1 and not any(o in out for o in OPAQUE), out
    assert "loop" in out and "link that cannot be followed" in out and "step failed" not in out
    report = json.loads((tmp_path / "outputs" / "blocked" / "validation" / "report.json").read_text(encoding="utf-8"))
    (finding,) = [f for f in report["findings"] if f["rule"] == "file-unreadable"]
    assert finding["source_file"] == "loop" and finding["severity"] == "error" and "a link loop" in finding["message"]


def test_an_unusable_cache_folder_is_named_with_its_cause(tmp_path: Path) -> None:
    """A step that fails for a reason outside the input (the extraction cache's folder is a file)
    names the step, the path and the cause."""
    src = corpus(tmp_path)
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    (outputs / ".cache").write_text("not a folder\n", encoding="utf-8")
    code, out = _run(src, outputs, tmp_path / "home")
    assert code == 1 and not any(o in out for o in OPAQUE), out
    assert "step failed extracted_records" in out and "Not a directory" in out and str(outputs / ".cache") in out
    finding = _failure(outputs)
    assert "Not a directory" in finding["message"] and ".cache" in finding["message"]


def test_a_full_disk_is_named_with_its_cause_and_the_good_candidate_kept(tmp_path: Path) -> None:
    src = corpus(tmp_path)
    outputs = tmp_path / "outputs"
    with tmpfs(outputs, "4m") as mounted:
        if not mounted:
            pytest.skip("this machine does not allow mounting a tmpfs; test_a_step_that_raises_* covers the path")
        assert _run(src, outputs, tmp_path / "home")[0] == 0
        staged = (outputs / "staging" / "candidate.json").read_bytes()
        (src / "more.txt").write_text((src / next(p.name for p in src.iterdir())).read_text(encoding="utf-8"), encoding="utf-8")
        free = _free(outputs)
        (outputs / "filler").write_bytes(b"\0" * max(0, free - 96 * 1024))  # leave a little: the next run fills it
        code, out = _run(src, outputs, tmp_path / "home")
        assert code == 1 and not any(o in out for o in OPAQUE), out
        assert "No space left on device" in out and "step failed" in out
        assert (outputs / "staging" / "candidate.json").read_bytes() == staged  # never lost
        report = outputs / "blocked" / "validation" / "report.json"
        if report.is_file():  # written when the disk had room left for it
            assert "No space left on device" in _failure(outputs)["message"]
        else:
            assert "the failure report could not be written" in out


def _free(path: Path) -> int:
    import os

    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def test_a_step_that_raises_on_bad_input_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = corpus(tmp_path)
    import pipeline.defs.assets as assets

    def explode(tables: dict, **_: object) -> list:
        raise ValueError(f"cannot read {src / 'geneva-digital-atlas-2022.txt'}: line 12 is not valid")

    monkeypatch.setattr(assets, "check_partitioned", explode)
    code, out = _run(src, tmp_path / "outputs", tmp_path / "home")
    assert code == 1 and not any(o in out for o in OPAQUE), out
    assert "step failed validation_report: ValueError: cannot read" in out and "line 12 is not valid" in out
    finding = _failure(tmp_path / "outputs")
    assert finding["source_file"] == "geneva-digital-atlas-2022.txt" and "line 12" in finding["message"]
    assert str(tmp_path / "outputs" / "blocked" / "validation" / "report.html") in out
