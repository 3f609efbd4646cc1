"""Notices of blocked and failed runs, POSTed as JSON to the configured webhook (issue 14), tested
against a local HTTP server on 127.0.0.1: from ``atlas run`` itself and from the run-status
sensor; a webhook that is down never fails or changes the run."""

from __future__ import annotations

import io
from pathlib import Path

import dagster as dg
from ops_support import Receiver, corpus, free_port
from rich.console import Console

from pipeline.config import load_settings
from pipeline.defs.build import build_defs
from pipeline.run import run_pipeline


def _run(tmp_path: Path, webhook: str) -> tuple[int, str]:
    src = corpus(tmp_path, bad=True)
    settings = load_settings({"sources": src, "outputs": tmp_path / "outputs", "dagster_home": tmp_path / "home", "webhook_url": webhook})
    buf = io.StringIO()
    code = run_pipeline(console=Console(file=buf, width=250, highlight=False), settings=settings)
    return code, " ".join(buf.getvalue().split())


def test_atlas_run_sends_a_notice_of_a_blocked_run(tmp_path: Path) -> None:
    with Receiver() as hook:
        code, out = _run(tmp_path, hook.url)
    assert code == 1 and f"notice of the blocked run sent to {hook.url}" in out
    (notice,) = hook.received
    assert notice["kind"] == "atlas.run" and notice["status"] == "blocked" and notice["trigger"] == "atlas run"
    assert notice["job"] == "atlas_pipeline" and notice["outputs"] == str(tmp_path / "outputs")
    assert any("late-addition.txt:13" in r and "section-repeated" in r for r in notice["reasons"])
    assert notice["report"] == str(tmp_path / "outputs" / "blocked" / "validation" / "report.html")


def test_a_webhook_that_is_down_never_fails_the_run(tmp_path: Path) -> None:
    code, out = _run(tmp_path, f"http://127.0.0.1:{free_port()}/nobody-listens")
    assert code == 1  # blocked, exactly as without a webhook
    assert "the notice of the blocked run was not delivered" in out and "unreachable" in out and "Traceback" not in out
    assert (tmp_path / "outputs" / "blocked" / "validation" / "report.html").is_file()


def test_the_run_status_sensor_notifies_runs_launched_elsewhere(tmp_path: Path) -> None:
    src = corpus(tmp_path, bad=True)
    with Receiver() as hook, dg.instance_for_test() as instance:
        settings = load_settings({"sources": src, "outputs": tmp_path / "outputs", "webhook_url": hook.url})
        defs = build_defs(settings=settings)
        sensor = defs.resolve_sensor_def("run_notices")
        assert sensor.default_status == dg.DefaultSensorStatus.RUNNING  # on whenever a webhook is configured
        result = defs.resolve_job_def("atlas_pipeline").execute_in_process(
            instance=instance, raise_on_error=False, tags={"atlas/trigger": "sources_changed"}
        )
        assert not result.success
        run = instance.get_run_by_id(result.run_id)
        failure = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[0].dagster_event
        context = dg.build_run_status_sensor_context(
            sensor_name="run_notices", dagster_event=failure, dagster_instance=instance, dagster_run=run
        ).for_run_failure()
        sensor(context)
        (notice,) = hook.received
        assert notice["status"] == "blocked" and notice["run_id"] == result.run_id and notice["trigger"] == "sources_changed"
        assert any("late-addition.txt:13" in r for r in notice["reasons"])
        # a run of `atlas run` is left to that command (no second notice)
        atlas_run = instance.get_run_by_id(result.run_id).with_tags({"atlas/trigger": "atlas run"})
        skipped = sensor(
            dg.build_run_status_sensor_context(
                sensor_name="run_notices", dagster_event=failure, dagster_instance=instance, dagster_run=atlas_run
            ).for_run_failure()
        )
        assert isinstance(skipped, dg.SkipReason) and len(hook.received) == 1
    assert build_defs(src, tmp_path / "o2").resolve_sensor_def("run_notices").default_status == dg.DefaultSensorStatus.STOPPED
