"""``atlas run`` (``pipeline.run.run_pipeline``): the same Dagster job, no server, persistent instance.

The run is recorded in the instance under ``DAGSTER_HOME`` (created with a SQLite ``dagster.yaml``
when missing), prints the summary and returns 0 with a candidate, 1 when blocked; the outputs lock
keeps a second run out (2); the multiprocess executor runs the same job.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import dagster as dg
import pytest
from conftest import SAMPLE
from rich.console import Console

from pipeline.publish.lock import outputs_lock
from pipeline.run import run_pipeline


def _one_profile(folder: Path, established: str | None = None) -> Path:
    """The sample's first profile alone (a small corpus for the slower executors)."""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    cut = next(i for i in range(10, len(lines)) if lines[i + 2 : i + 3] and lines[i + 2].startswith("Acronym:"))
    text = "".join(lines[:cut])
    if established:
        text = text.replace("Established: 1980", f"Established: {established}", 1)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "profiles.txt").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster-home"))
    return tmp_path / "dagster-home"


def _console() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=200, highlight=False), buf


def test_atlas_run_stages_the_candidate_and_records_the_run(tmp_path: Path, home: Path) -> None:
    src = tmp_path / "sources"
    src.mkdir()
    (src / SAMPLE.name).write_bytes(SAMPLE.read_bytes())
    console, buf = _console()
    assert run_pipeline(src, tmp_path / "outputs", console=console) == 0
    out = buf.getvalue()
    assert "organizations" in out and " 6 rows" in out and "0 error" in out
    assert "report.html" in out and "release candidate 1.0.0" in out
    assert "Traceback" not in out
    assert (tmp_path / "outputs" / "staging" / "datapackage.json").is_file()
    assert "sqlite" in (home / "dagster.yaml").read_text(encoding="utf-8")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        assert [r.job_name for r in runs] == ["atlas_pipeline"] and runs[0].tags["atlas/trigger"] == "atlas run"
        steps = {s.step_key: s.status.value for s in instance.get_run_step_stats(runs[0].run_id)}
        assert steps.get("release_candidate") == "SUCCESS" and len(steps) >= 5
        # DEBUG lines are not stored (each stored event costs a SQLite write: the IO manager's
        # per-input lines were 40 of the sample's 178 events); the pipeline's own INFO lines are
        logs = [e for e in instance.all_logs(runs[0].run_id) if e.dagster_event is None]
        assert logs and all(e.level >= logging.INFO for e in logs)
        assert any("release candidate 1.0.0" in e.user_message for e in logs)
    # the run's SQLite storage synced at checkpoints only, and its logs were checkpointed when it ended
    assert not list(home.rglob("*.db-wal"))


def test_atlas_run_blocked_returns_1_with_the_failed_check(tmp_path: Path, home: Path) -> None:
    src = _one_profile(tmp_path / "sources", established="20006")
    with (src / "profiles.txt").open("a", encoding="utf-8") as f:  # a blocking error (an impossible year alone is a warning since issue 11)
        f.write("\nEstablished: 1990\n\nWebsite: https://anonymous.example\n\nA profile with neither a name nor an acronym.\n")
    console, buf = _console()
    assert run_pipeline(src, tmp_path / "outputs", console=console) == 1
    out = buf.getvalue()
    assert "failed check release_candidate:extraction_clean" in out and "blocked" in out
    assert "profiles.txt:" in out and "profile-unidentifiable" in out  # the first error with file:line
    assert "Traceback" not in out and "dagster dev" not in out
    assert (tmp_path / "outputs" / "blocked" / "validation" / "report.html").is_file()
    assert not (tmp_path / "outputs" / "staging").exists() and not (tmp_path / "outputs" / "blocked" / "data").exists()


def test_atlas_run_refuses_while_the_outputs_are_in_use(tmp_path: Path, home: Path) -> None:
    src = _one_profile(tmp_path / "sources")
    console, buf = _console()
    with outputs_lock(tmp_path / "outputs", "atlas publish"):
        assert run_pipeline(src, tmp_path / "outputs", console=console) == 2
    assert "in use by `atlas publish`" in buf.getvalue()
    assert not (tmp_path / "outputs" / "staging").exists()


@pytest.mark.slow
def test_multiprocess_executor_runs_the_same_job(tmp_path: Path, home: Path) -> None:
    src = _one_profile(tmp_path / "sources")
    console, buf = _console()
    assert run_pipeline(src, tmp_path / "outputs", multiprocess=True, console=console) == 0, buf.getvalue()
    assert (tmp_path / "outputs" / "staging" / "data" / "organizations.csv").is_file()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        run = instance.get_runs()[0]
        starts = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_WORKER_STARTED)
        assert len({e.dagster_event.step_key for e in starts}) >= 4  # each step in its own process


def test_atlas_publish_is_recorded_as_a_release_materialisation(tmp_path: Path, home: Path) -> None:
    from types import SimpleNamespace

    from pipeline.run import record_publish

    record_publish(tmp_path, SimpleNamespace(status="unchanged", version="1.0.0"))  # nothing new: nothing recorded
    record_publish(tmp_path, SimpleNamespace(status="published", version="1.1.0", bump="minor", path=tmp_path / "releases" / "1.1.0"))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = instance.fetch_materializations(dg.AssetKey("release"), limit=5).records
        assert [r.asset_materialization.metadata["version"].value for r in records] == ["1.1.0"]


def test_extraction_pool_gives_the_same_records_as_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.extract import cache

    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    entries = []
    for i, (a, b) in enumerate([(0, 300), (300, len(lines))]):
        path = tmp_path / f"part{i}.txt"
        path.write_text("".join(lines[a:b]), encoding="utf-8")
        entries.append(cache.SourceEntry.of(path, path.name))
    alone = cache.extract_missing(entries, workers=1)
    monkeypatch.setattr(cache, "PARALLEL_MIN_BYTES", 0)
    pooled = cache.extract_missing(entries, workers=2)
    assert [fx.rows for fx in pooled] == [fx.rows for fx in alone]
    assert [fx.source.path for fx in pooled] == ["part0.txt", "part1.txt"]
