"""The weekly schedule of the pipeline job (cron from ``ATLAS_SCHEDULE_CRON``), shipped stopped.

Scope: one ``ScheduleDefinition`` targeting ``atlas_pipeline``; it never publishes. Turn it on in
the UI (Automation → weekly_pipeline) or with ``dagster schedule start weekly_pipeline``.
"""

from __future__ import annotations

import os

import dagster as dg

from pipeline.defs.jobs import PIPELINE_JOB

DEFAULT_CRON = "0 6 * * 1"  # Mondays 06:00
DEFAULT_TIMEZONE = "Europe/Zurich"


def build_schedule(cron: str | None = None) -> dg.ScheduleDefinition:
    """The schedule with ``cron`` (else ``ATLAS_SCHEDULE_CRON``, else Mondays 06:00)."""
    return dg.ScheduleDefinition(
        name="weekly_pipeline",
        job_name=PIPELINE_JOB,
        cron_schedule=cron or os.environ.get("ATLAS_SCHEDULE_CRON") or DEFAULT_CRON,
        execution_timezone=os.environ.get("ATLAS_SCHEDULE_TIMEZONE") or DEFAULT_TIMEZONE,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="Runs the pipeline up to the release candidate (cron: ATLAS_SCHEDULE_CRON). Never publishes.",
    )
