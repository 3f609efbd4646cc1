"""``atlas run``: the Dagster pipeline job, executed without a server against the project's instance.

Scope: make sure the persistent Dagster instance exists (``DAGSTER_HOME``, default ``.dagster/``
at the project root, SQLite storage, one run at a time for ``dagster dev``), hold the outputs lock
for the whole run, execute ``atlas_pipeline`` in process (or on the multiprocess executor), and print
a short summary: rows per table, findings by severity, the checks that failed, the report and the
staging folder. Returns 0 when a publishable release candidate was staged, 1 otherwise (2 when
another run or publish holds the outputs). It must not extract, validate or publish itself.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
from rich.console import Console

from pipeline.publish.layout import REPORT_HTML, staging_dir
from pipeline.publish.lock import LockHeld, outputs_lock
from pipeline.publish.release import PublishResult
from pipeline.schemas import load_schemas

INSTANCE_DIR = Path(".dagster")  # beside sources/ and outputs/ of the working directory
INSTANCE_YAML = """\
# The project's local Dagster instance (created by `atlas run` when missing).
# `atlas run` records its runs here; `DAGSTER_HOME=$PWD/.dagster dagster dev` shows them in the UI.
storage:
  sqlite:
    base_dir:
      env: DAGSTER_HOME
concurrency:
  runs:
    max_concurrent_runs: 1   # runs never interleave on the same outputs
nux:
  enabled: false
telemetry:
  enabled: false
"""


def ensure_instance_home() -> Path:
    """``DAGSTER_HOME`` (set to ``.dagster/`` of the project when unset) with a ``dagster.yaml``."""
    home = Path(os.environ.get("DAGSTER_HOME") or INSTANCE_DIR).absolute()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(INSTANCE_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def _execute(sources: Path, outputs: Path, multiprocess: bool) -> dg.ExecuteJobResult:
    """The pipeline job, rebuilt by name in every process of the run (public
    ``dg.build_reconstructable_job``), told that this process holds the outputs lock."""
    job = dg.build_reconstructable_job(
        "pipeline.defs.build",
        "pipeline_job",
        reconstructable_kwargs={
            "sources": str(sources.absolute()),
            "outputs": str(outputs.absolute()),
            "executor": "multiprocess" if multiprocess else "in_process",
            "lock_held": True,
        },
    )
    quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}  # the summary says what matters
    return dg.execute_job(
        job, instance=dg.DagsterInstance.get(), run_config=quiet, tags={"atlas/trigger": "atlas run"}, raise_on_error=False
    )


def _summary(result: dg.ExecuteJobResult, outputs: Path, console: Console) -> int:
    materialized: dict[str, dict] = {}
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        materialized[mat.asset_key.to_user_string()] = {k: v.value for k, v in mat.metadata.items()}
    rows = [(name, materialized[name].get("dagster/row_count")) for name in load_schemas() if name in materialized]
    for name, count in rows:
        console.print(f"{name:<24} {count:>8} rows")
    candidate = materialized.get("release_candidate")
    if candidate is not None:
        console.print(
            f"{'findings':<24} {candidate.get('errors', 0)} error, {candidate.get('warnings', 0)} warning, {candidate.get('infos', 0)} info"
        )
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    for check in failed:
        console.print(f"[bold red]failed check[/] {check.asset_key.to_user_string()}:{check.check_name}: {check.description or ''}")
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE" and event.step_key and not (failed and "release_candidate" in event.step_key):
            error = event.event_specific_data.error
            console.print(f"[bold red]step failed[/] {event.step_key}: {error.message.strip() if error else ''}")
    staging = staging_dir(outputs)
    html = staging / REPORT_HTML
    if candidate is not None and html.exists():
        console.print(f"{'report':<24} {html}")
    if candidate is not None and candidate.get("publishable"):
        console.print(
            f"[bold green]release candidate[/] {candidate.get('version')} ({candidate.get('bump')}) in {staging};"
            " review it, then `atlas publish`"
        )
        return 0
    if candidate is not None:
        console.print(
            f"[bold red]blocked:[/] errors stand, no release candidate (nothing publishable in {staging}); fix the sources and run again"
        )
    else:
        console.print(
            f"[bold red]failed:[/] the run ended before the release candidate (run {result.run_id}); see `dagster dev` for its log"
        )
    return 1


def run_pipeline(sources: Path, outputs: Path, *, multiprocess: bool = False, console: Console | None = None) -> int:
    """Run ``atlas_pipeline`` for ``sources`` → ``outputs``; 0 = candidate staged, 1 = not, 2 = busy."""
    console = console or Console(highlight=False)
    ensure_instance_home()
    outputs = Path(outputs)
    try:
        with outputs_lock(outputs, "atlas run"):
            result = _execute(Path(sources), outputs, multiprocess)
    except LockHeld as exc:
        console.print(f"[bold red]error:[/] {exc}")
        return 2
    return _summary(result, outputs, console)


def record_publish(outputs: Path, result: PublishResult) -> None:
    """Tell the project's Dagster instance that ``atlas publish`` materialised the ``release`` asset
    (so the UI's lineage shows releases made outside a Dagster run); nothing is recorded when the
    publish made no new release."""
    if result.status != "published":
        return
    ensure_instance_home()
    with dg.DagsterInstance.get() as instance:
        instance.report_runless_asset_event(
            dg.AssetMaterialization(
                "release",
                description=str(result),
                metadata={
                    "version": result.version,
                    "bump": result.bump,
                    "path": dg.MetadataValue.path(str(result.path)),
                    "outputs": dg.MetadataValue.path(str(Path(outputs).absolute())),
                    "via": "atlas publish",
                },
            )
        )
