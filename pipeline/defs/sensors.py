"""The sensor that requests a pipeline run when files in the sources folder are added, changed or
removed; shipped stopped.

Scope: fingerprint the sources folder (names, sizes, modification times: cheap, no reading) and
request one run per new fingerprint (the run key), keeping the last one as the cursor; how often it
is evaluated is the setting ``sensor_interval``. The run
itself hashes the files, so a touched-but-unchanged file costs a cached run. It must not extract.
(No ``from __future__ import annotations``: Dagster reads the resource annotation.)
"""

import hashlib
from pathlib import Path

import dagster as dg

from pipeline.defs.jobs import PIPELINE_JOB
from pipeline.defs.resources import AtlasPaths


def sources_fingerprint(sources: Path) -> tuple[str, int]:
    """(sha256 of sorted (name, size, mtime) of every visible file, number of files)."""
    digest = hashlib.sha256()
    count = 0
    if sources.is_dir():
        for path in sorted(sources.rglob("*")):
            rel = path.relative_to(sources)
            if any(part.startswith(".") for part in rel.parts) or not path.is_file():
                continue
            st = path.stat()
            digest.update(f"{rel.as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
            count += 1
    return digest.hexdigest()[:20], count


def build_sources_sensor(interval: int) -> dg.SensorDefinition:
    """``sources_changed``, evaluated at most every ``interval`` seconds."""

    @dg.sensor(
        name="sources_changed",
        job_name=PIPELINE_JOB,
        minimum_interval_seconds=interval,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="Requests a pipeline run (up to release_candidate) when a file in the sources folder is added, changed or removed."
        " Never publishes.",
    )
    def sources_changed(context: dg.SensorEvaluationContext, paths: AtlasPaths) -> dg.SkipReason | dg.RunRequest:
        return evaluate_sources(context, paths)

    return sources_changed


def evaluate_sources(context: dg.SensorEvaluationContext, paths: AtlasPaths) -> dg.SkipReason | dg.RunRequest:
    fingerprint, count = sources_fingerprint(paths.sources_dir)
    if count == 0:
        return dg.SkipReason(f"no source files in {paths.sources_dir}")
    if fingerprint == context.cursor:
        return dg.SkipReason(f"{count} source file(s), unchanged since the last run request")
    context.update_cursor(fingerprint)
    return dg.RunRequest(run_key=fingerprint, tags={"atlas/trigger": "sources_changed", "atlas/files": str(count)})
