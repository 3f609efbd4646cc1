"""The Dagster code location loads: assets, checks, jobs, schedule and sensor as the UI lists them.

Covers ``pipeline.definitions`` / ``pipeline.defs.build_defs`` (issue 4): the definitions resolve,
the asset names are the contract's table names, the checks are blocking, the pipeline job stops
at the candidate, schedule and sensor ship stopped, and ``dagster definitions validate`` accepts
the module. Nothing is materialised here (see test_dagster_pipeline.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from conftest import REPO

from pipeline.defs.build import build_defs
from pipeline.schemas import load_schemas


@pytest.fixture
def defs(tmp_path: Path) -> dg.Definitions:
    (tmp_path / "sources").mkdir()
    return build_defs(tmp_path / "sources", tmp_path / "outputs")


def test_definitions_resolve_with_every_stage_and_table(defs: dg.Definitions) -> None:
    dg.Definitions.validate_loadable(defs)
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    stages = {"source_files", "extracted_records", "extraction_findings", "validation_report", "release_candidate", "release"}
    assert keys == stages | set(load_schemas())


def test_tables_carry_their_schema_as_column_metadata(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    for name, table in load_schemas().items():
        node = graph.get(dg.AssetKey(name))
        cols = node.metadata["dagster/column_schema"].columns
        assert [c.name for c in cols] == table.columns
        assert node.code_version and node.code_version.startswith("extract-")


def test_validation_checks_are_blocking(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    specs = {k.name: graph.get_check_spec(k) for k in graph.asset_check_keys if k.asset_key == dg.AssetKey("release_candidate")}
    assert set(specs) == {"extraction_clean", "pandera_contract", "frictionless_package"}
    assert all(s.blocking for s in specs.values())


def test_pipeline_job_stops_at_the_candidate_and_publish_job_is_separate(defs: dg.Definitions) -> None:
    pipeline = {k.to_user_string() for k in defs.resolve_job_def("atlas_pipeline").asset_layer.executable_asset_keys}
    assert "release_candidate" in pipeline and "release" not in pipeline
    publish = {k.to_user_string() for k in defs.resolve_job_def("publish_release").asset_layer.executable_asset_keys}
    assert publish == {"release"}


def test_schedule_and_sensor_ship_stopped(defs: dg.Definitions, monkeypatch: pytest.MonkeyPatch) -> None:
    schedule = defs.resolve_schedule_def("weekly_pipeline")
    sensor = defs.resolve_sensor_def("sources_changed")
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
    assert schedule.job_name == sensor.job_name == "atlas_pipeline"
    assert schedule.cron_schedule == "0 6 * * 1"
    monkeypatch.setenv("ATLAS_SCHEDULE_CRON", "30 2 * * *")
    assert build_defs(Path("s"), Path("o")).resolve_schedule_def("weekly_pipeline").cron_schedule == "30 2 * * *"


def test_sensor_requests_a_run_only_when_sources_change(tmp_path: Path) -> None:
    from pipeline.defs.resources import AtlasPaths

    src = tmp_path / "sources"
    src.mkdir()
    sensor = build_defs(src, tmp_path / "out").resolve_sensor_def("sources_changed")
    paths = AtlasPaths(sources=str(src), outputs=str(tmp_path / "out"))

    def evaluate(cursor: str | None):
        ctx = dg.build_sensor_context(cursor=cursor, resources={"paths": paths})
        return sensor.evaluate_tick(ctx)

    empty = evaluate(None)
    assert not empty.run_requests and "no source files" in empty.skip_message
    (src / "a.txt").write_text("x\n", encoding="utf-8")
    first = evaluate(None)
    assert len(first.run_requests) == 1
    again = evaluate(first.cursor)
    assert not again.run_requests and "unchanged" in again.skip_message
    time.sleep(0.01)
    (src / "b.txt").write_text("y\n", encoding="utf-8")  # a new file
    added = evaluate(first.cursor)
    assert len(added.run_requests) == 1 and added.run_requests[0].run_key != first.run_requests[0].run_key


def test_dagster_cli_validates_the_code_location(tmp_path: Path) -> None:
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "ATLAS_SOURCES": str(tmp_path / "s"), "ATLAS_OUTPUTS": str(tmp_path / "o")}
    dagster = Path(sys.executable).parent / "dagster"
    proc = subprocess.run(
        [str(dagster), "definitions", "validate", "-m", "pipeline.definitions"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "geneva_digital_atlas" in proc.stdout + proc.stderr or "pipeline.definitions" in proc.stdout + proc.stderr
