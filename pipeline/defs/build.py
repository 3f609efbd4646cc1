"""``build_defs``: the whole Dagster code location for one corpus (sources and outputs folders).

Scope: assemble the assets, jobs, schedule, sensor, resources and executor into a ``Definitions``.
Folders default to ``ATLAS_SOURCES`` / ``ATLAS_OUTPUTS`` or ``sources/`` and ``outputs/`` of the
current directory; the executor to ``ATLAS_EXECUTOR`` (``in_process``, ``multiprocess``, ``k8s`` or
``celery``; the last two need dagster-k8s / dagster-celery). ``pipeline_job`` is the job
``atlas run`` executes, rebuilt by name in every process of the run. It must not run anything.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from pipeline.config import DEFAULT_OUTPUTS, DEFAULT_SOURCES
from pipeline.defs.assets import ASSETS
from pipeline.defs.jobs import PIPELINE_JOB, atlas_pipeline, publish_release
from pipeline.defs.resources import AtlasPaths, OutputsLock, io_manager
from pipeline.defs.schedules import build_schedule
from pipeline.defs.sensors import sources_changed

EXECUTORS = ("in_process", "multiprocess", "k8s", "celery")


def executor_def(name: str | None = None) -> dg.ExecutorDefinition:
    name = name or os.environ.get("ATLAS_EXECUTOR") or "in_process"
    if name == "in_process":
        return dg.in_process_executor
    if name == "multiprocess":
        workers = int(os.environ.get("ATLAS_MAX_CONCURRENT") or os.cpu_count() or 2)
        return dg.multiprocess_executor.configured({"max_concurrent": workers}, name="multiprocess")
    if name == "k8s":  # optional deployment extras: imported only when chosen
        from dagster_k8s import k8s_job_executor

        return k8s_job_executor
    if name == "celery":
        from dagster_celery import celery_executor

        return celery_executor
    raise ValueError(f"ATLAS_EXECUTOR={name!r}: expected one of {', '.join(EXECUTORS)}")


def build_defs(
    sources: Path | None = None,
    outputs: Path | None = None,
    *,
    cache: str | None = None,
    executor: str | None = None,
    schedule_cron: str | None = None,
    lock_held: bool = False,
) -> dg.Definitions:
    """The code location for ``sources`` → ``outputs`` (absolute paths are stored in the resources).
    ``lock_held``: the launching process holds the outputs lock for the whole run."""
    sources = Path(sources or os.environ.get("ATLAS_SOURCES") or DEFAULT_SOURCES).absolute()
    outputs = Path(outputs or os.environ.get("ATLAS_OUTPUTS") or DEFAULT_OUTPUTS).absolute()
    return dg.Definitions(
        assets=ASSETS,
        jobs=[atlas_pipeline, publish_release],
        schedules=[build_schedule(schedule_cron)],
        sensors=[sources_changed],
        resources={
            "paths": AtlasPaths(sources=str(sources), outputs=str(outputs), cache=cache or os.environ.get("ATLAS_CACHE") or ""),
            "outputs_lock": OutputsLock(outputs=str(outputs), held_by_launcher=lock_held),
            "io_manager": io_manager(outputs),
        },
        executor=executor_def(executor),
    )


def pipeline_job(sources: str, outputs: str, executor: str = "in_process", lock_held: bool = False) -> dg.JobDefinition:
    """The ``atlas_pipeline`` job for these folders (``dg.build_reconstructable_job`` calls it by name
    in each process of a run)."""
    return build_defs(Path(sources), Path(outputs), executor=executor, lock_held=lock_held).resolve_job_def(PIPELINE_JOB)
