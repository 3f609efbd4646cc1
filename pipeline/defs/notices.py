"""The run-status sensor that sends a JSON notice of every blocked or failed run to the webhook.

Scope: ``run_notices`` (a ``run_failure_sensor``) turns a failed run into a
:class:`pipeline.notify.RunNotice` — ``blocked`` when the run's own report in ``outputs/blocked/``
says its checks failed, else ``failed`` with the steps' causes — and POSTs it to the setting
``webhook_url``. It ships running when a webhook is configured (stopped otherwise). A webhook that is
down is logged, never raised: the notice can never fail a run. Runs of ``atlas run`` are skipped
(that command sends its own notice as soon as the run ends). It holds no delivery code.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipeline.defs.failures import step_failure_reasons
from pipeline.notify import RunNotice, send_notice
from pipeline.publish.candidate import read_blocked, read_status
from pipeline.publish.layout import REPORT_HTML, blocked_dir

ATLAS_RUN_TRIGGER = "atlas run"


def run_notice(run: dg.DagsterRun, outputs: Path, steps: list[tuple[str, str]]) -> RunNotice:
    """The notice of a failed run: blocked (its report is in ``outputs/blocked``) or failed."""
    try:
        blocked = read_blocked(outputs)
    except ValueError:
        blocked = None
    own = blocked is not None and blocked.run_id == run.run_id
    try:
        staged = read_status(outputs)
        kept = staged.version if staged.publishable else None
    except (FileNotFoundError, ValueError):
        kept = None
    if own and blocked is not None and blocked.status == "blocked":
        status, reasons = "blocked", list(blocked.blocking)
    else:
        status = "failed"
        reasons = [f"{step}: {why}" for step, why in steps if not (step == "release_candidate" and "blocked" in why)] or [
            f"{step}: {why}" for step, why in steps
        ]
    return RunNotice(
        status=status,
        run_id=run.run_id,
        job=run.job_name,
        trigger=run.tags.get("atlas/trigger", run.tags.get("dagster/sensor_name", "")),
        outputs=str(outputs),
        reasons=reasons,
        report=str(blocked_dir(outputs) / REPORT_HTML) if own else None,
        candidate_kept=kept,
    )


def build_notice_sensor(webhook_url: str, outputs: Path, interval: int = 30) -> dg.SensorDefinition:
    """``run_notices`` for ``webhook_url`` (running by default only when a URL is configured)."""

    @dg.run_failure_sensor(
        name="run_notices",
        minimum_interval_seconds=interval,
        default_status=dg.DefaultSensorStatus.RUNNING if webhook_url else dg.DefaultSensorStatus.STOPPED,
        description="POSTs a JSON notice of each blocked or failed run to the webhook (setting webhook_url). Never fails a run.",
    )
    def run_notices(context: dg.RunFailureSensorContext) -> dg.SkipReason | None:
        run = context.dagster_run
        if not webhook_url:
            return dg.SkipReason("no webhook_url configured")
        if run.tags.get("atlas/trigger") == ATLAS_RUN_TRIGGER:
            return dg.SkipReason(f"run {run.run_id[:8]} came from `atlas run`, which sends its own notice")
        notice = run_notice(run, outputs, step_failure_reasons(context.get_step_failure_events()))
        delivered, detail = send_notice(webhook_url, notice)
        (context.log.info if delivered else context.log.warning)(f"notice of {notice.status} run {run.run_id[:8]}: {detail}")
        return None if delivered else dg.SkipReason(f"notice not delivered: {detail}")

    return run_notices
