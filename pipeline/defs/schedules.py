"""The weekly schedule of the pipeline job (cron and time zone from the configuration), shipped stopped.

Scope: one ``ScheduleDefinition`` targeting ``atlas_pipeline``; it never publishes. Turn it on in
the UI (Automation → weekly_pipeline) or with ``dagster schedule start weekly_pipeline``.
"""

from __future__ import annotations

import dagster as dg

from pipeline.defs.jobs import PIPELINE_JOB


def build_schedule(cron: str, timezone: str) -> dg.ScheduleDefinition:
    """The schedule (settings ``schedule_cron``, default Mondays 06:00, and ``schedule_timezone``)."""
    return dg.ScheduleDefinition(
        name="weekly_pipeline",
        job_name=PIPELINE_JOB,
        cron_schedule=cron,
        execution_timezone=timezone,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="Runs the pipeline up to the release candidate (cron: ATLAS_SCHEDULE_CRON). Never publishes.",
    )
