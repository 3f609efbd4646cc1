"""Jobs: the pipeline up to the release candidate, and the separate, editor-driven publish job.

Scope: ``atlas_pipeline`` selects every asset but ``release`` (schedule, sensor and ``atlas run``
target it, so they stop at the candidate); ``publish_release`` selects only ``release`` and needs
the editor's decision in its config. No asset logic here.
"""

from __future__ import annotations

import dagster as dg

PIPELINE_JOB = "atlas_pipeline"
PUBLISH_JOB = "publish_release"

atlas_pipeline = dg.define_asset_job(
    PIPELINE_JOB,
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets("release"),
    description="Sources → extraction → tables → validation → release candidate in outputs/staging (blocking checks). Never publishes.",
)
publish_release = dg.define_asset_job(
    PUBLISH_JOB,
    selection=dg.AssetSelection.assets("release"),
    description="Publish the staged candidate. Give the editor's decision as config: ops.release.config {reviewer, note, accept_warnings}.",
)
