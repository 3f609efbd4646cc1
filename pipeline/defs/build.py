"""``build_defs``: the whole Dagster code location for one corpus (sources and outputs folders).

Scope: assemble assets, checks, jobs, the schedule, the sensor, resources and the executor into a
``Definitions``. Folders default to ``ATLAS_SOURCES`` / ``ATLAS_OUTPUTS`` or ``sources/`` and
``outputs/`` of the current directory; the executor to ``ATLAS_EXECUTOR`` (``in_process``,
``multiprocess``, ``k8s`` or ``celery``; the last two need dagster-k8s / dagster-celery). It must
not run anything.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from pipeline.config import DEFAULT_OUTPUTS, DEFAULT_SOURCES

EXECUTORS = ("in_process", "multiprocess", "k8s", "celery")


def executor_def(name: str | None = None) -> dg.ExecutorDefinition:
    name = name or os.environ.get("ATLAS_EXECUTOR") or "in_process"
    if name == "in_process":
        return dg.in_process_executor
    if name == "multiprocess":
        workers = int(os.environ.get("ATLAS_MAX_CONCURRENT") or os.cpu_count() or 2)
        return dg.multiprocess_executor.configured({"max_concurrent": workers}, name="multiprocess")
    if name == "k8s":
        from dagster_k8s import k8s_job_executor  # type: ignore[import-not-found]

        return k8s_job_executor
    if name == "celery":
        from dagster_celery import celery_executor  # type: ignore[import-not-found]

        return celery_executor
    raise ValueError(f"ATLAS_EXECUTOR={name!r}: expected one of {', '.join(EXECUTORS)}")


def build_defs(
    sources: Path | None = None,
    outputs: Path | None = None,
    *,
    cache: str | None = None,
    executor: str | None = None,
    schedule_cron: str | None = None,
) -> dg.Definitions:
    """The code location for ``sources`` → ``outputs`` (absolute paths are stored in the resources)."""
    from pipeline.defs.assets import build_assets
    from pipeline.defs.jobs import PIPELINE_JOB, build_jobs
    from pipeline.defs.resources import AtlasPaths, io_manager
    from pipeline.defs.schedules import build_schedule
    from pipeline.defs.sensors import build_sensor

    sources = Path(sources or os.environ.get("ATLAS_SOURCES") or DEFAULT_SOURCES).absolute()
    outputs = Path(outputs or os.environ.get("ATLAS_OUTPUTS") or DEFAULT_OUTPUTS).absolute()
    cache = cache or os.environ.get("ATLAS_CACHE") or ""
    return dg.Definitions(
        assets=build_assets(),
        jobs=build_jobs(),
        schedules=[build_schedule(PIPELINE_JOB, schedule_cron)],
        sensors=[build_sensor(PIPELINE_JOB)],
        resources={"paths": AtlasPaths(sources=str(sources), outputs=str(outputs), cache=cache), "io_manager": io_manager(outputs)},
        executor=executor_def(executor),
    )
