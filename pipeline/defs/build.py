"""``build_defs``: the whole Dagster code location for one corpus (sources and outputs folders).

Scope: assemble the assets, jobs, schedule, sensors, resources and executor into a ``Definitions``
from the run configuration (:func:`pipeline.config.load_settings`: the same flags > ``ATLAS_*``
environment > ``[tool.atlas.settings]`` > defaults that the ``atlas`` command reads; arguments given
here count as flags). Executors: ``in_process``, ``multiprocess``, ``k8s`` or ``celery`` (the last two
need dagster-k8s / dagster-celery). ``pipeline_job`` is the job ``atlas run`` executes, rebuilt by
name in every process of the run. It must not run anything.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipeline.config import Settings, load_settings
from pipeline.defs.assets import ASSETS
from pipeline.defs.jobs import PIPELINE_JOB, atlas_pipeline, publish_release
from pipeline.defs.notices import build_notice_sensor
from pipeline.defs.resources import AtlasPaths, OutputsLock, io_manager
from pipeline.defs.schedules import build_schedule
from pipeline.defs.sensors import build_sources_sensor

EXECUTORS = ("in_process", "multiprocess", "k8s", "celery")


def executor_def(name: str, workers: int = 2) -> dg.ExecutorDefinition:
    if name == "in_process":
        return dg.in_process_executor
    if name == "multiprocess":
        return dg.multiprocess_executor.configured({"max_concurrent": workers}, name="multiprocess")
    if name == "k8s":  # optional deployment extras: imported only when chosen
        from dagster_k8s import k8s_job_executor

        return k8s_job_executor
    if name == "celery":
        from dagster_celery import celery_executor

        return celery_executor
    raise ValueError(f"executor {name!r}: expected one of {', '.join(EXECUTORS)}")


def build_defs(
    sources: Path | None = None,
    outputs: Path | None = None,
    *,
    cache: str | None = None,
    executor: str | None = None,
    schedule_cron: str | None = None,
    lock_held: bool = False,
    settings: Settings | None = None,
) -> dg.Definitions:
    """The code location for ``sources`` → ``outputs`` (absolute paths are stored in the resources).
    ``lock_held``: the launching process holds the outputs lock for the whole run."""
    flags = {"sources": sources, "outputs": outputs, "cache": cache, "executor": executor, "schedule_cron": schedule_cron}
    s = settings or load_settings(flags)
    outputs_dir = s.outputs.absolute()
    return dg.Definitions(
        assets=ASSETS,
        jobs=[atlas_pipeline, publish_release],
        schedules=[build_schedule(s.schedule_cron, s.schedule_timezone)],
        sensors=[build_sources_sensor(s.sensor_interval), build_notice_sensor(s.webhook_url, outputs_dir, s.sensor_interval)],
        resources={
            "paths": AtlasPaths(
                sources=str(s.sources.absolute()), outputs=str(outputs_dir), cache=s.cache, corrections=str(s.corrections.absolute())
            ),
            "outputs_lock": OutputsLock(outputs=str(outputs_dir), held_by_launcher=lock_held),
            "io_manager": io_manager(s.io_base),
        },
        executor=executor_def(s.executor, s.max_concurrent),
    )


def pipeline_job(sources: str, outputs: str, executor: str = "in_process", lock_held: bool = False) -> dg.JobDefinition:
    """The ``atlas_pipeline`` job for these folders (``dg.build_reconstructable_job`` calls it by name
    in each process of a run)."""
    return build_defs(Path(sources), Path(outputs), executor=executor, lock_held=lock_held).resolve_job_def(PIPELINE_JOB)
