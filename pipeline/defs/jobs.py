"""Jobs: the pipeline up to the release candidate, and the separate, editor-driven publish job.

Scope: ``atlas_pipeline`` selects every asset but ``release`` (schedule, sensor and ``atlas run``
target it, so they stop at the candidate); ``publish_release`` selects only ``release`` and needs
the editor's decision in its config. ``reconstruct_pipeline_job`` rebuilds the job for given
folders in another process (the multiprocess executor imports it by name). No asset logic here.
"""

from __future__ import annotations

import dagster as dg

PIPELINE_JOB = "atlas_pipeline"
PUBLISH_JOB = "publish_release"


def build_jobs() -> list:
    pipeline = dg.define_asset_job(
        PIPELINE_JOB,
        selection=dg.AssetSelection.all() - dg.AssetSelection.assets("release"),
        description="Sources → extraction → tables → validation (blocking checks) → release candidate in outputs/staging. Never publishes.",
    )
    publish = dg.define_asset_job(
        PUBLISH_JOB,
        selection=dg.AssetSelection.assets("release"),
        description="Publish the staged candidate. Give the editor's decision as config: ops.release.config {reviewer, note, accept_warnings}.",
    )
    return [pipeline, publish]


def reconstruct_pipeline_job(sources: str, outputs: str, executor: str = "multiprocess"):
    """The ``atlas_pipeline`` job for these folders (called by name in executor subprocesses)."""
    from pathlib import Path

    from pipeline.defs.build import build_defs

    return build_defs(sources=Path(sources), outputs=Path(outputs), executor=executor).resolve_job_def(PIPELINE_JOB)
