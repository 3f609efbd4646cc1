"""``atlas run``: the Dagster pipeline job, executed without a server against the corpus's instance.

Scope: prepare the corpus's Dagster instance (:mod:`pipeline.instance`: ``<outputs>/.dagster`` by
default), hold the outputs lock for the whole run, execute ``atlas_pipeline`` in process (or on the
multiprocess executor), and print a short summary: rows per table, findings by severity, the checks
that failed with their first errors, the cause of a failed step (file and reason, read from the
run's events), the report and where the candidate is. A run that fails before its candidate gets a
failure report in ``outputs/blocked/`` (when the step could not write one itself); a blocked or
failed run is announced to the configured webhook. Returns 0 when a publishable release candidate
was staged, 1 otherwise (2 when another run or publish holds the outputs, or they cannot be used).
It must not extract, validate or publish itself.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import dagster as dg
from rich.console import Console
from rich.markup import escape

from pipeline.config import Settings, load_settings
from pipeline.defs.failures import step_failure_reasons
from pipeline.defs.notices import ATLAS_RUN_TRIGGER, run_notice
from pipeline.fsutil import importing
from pipeline.instance import instance_env, sqlite_kept_open
from pipeline.notify import send_notice
from pipeline.publish.candidate import read_blocked, stage_failure
from pipeline.publish.layout import REPORT_HTML, blocked_dir, staging_dir
from pipeline.publish.lock import LockHeld, LockUnavailable, outputs_lock
from pipeline.publish.release import PublishResult
from pipeline.schemas import load_schemas

JOB_MODULE = "pipeline.defs.build"


def _execute(settings: Settings, multiprocess: bool) -> dg.ExecuteJobResult:
    """The pipeline job, rebuilt by name in every process of the run (public
    ``dg.build_reconstructable_job``), told that this process holds the outputs lock. The job's
    code is imported with the collector paused, then frozen out of its passes
    (:func:`pipeline.fsutil.importing`)."""
    with importing():
        importlib.import_module(JOB_MODULE)
    job = dg.build_reconstructable_job(
        JOB_MODULE,
        "pipeline_job",
        reconstructable_kwargs={
            "sources": str(settings.sources.absolute()),
            "outputs": str(settings.outputs.absolute()),
            "executor": "multiprocess" if multiprocess else "in_process",
            "lock_held": True,
        },
    )
    quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}  # the summary says what matters
    tags = {"atlas/trigger": ATLAS_RUN_TRIGGER, "atlas/outputs": str(settings.outputs.absolute())}
    with sqlite_kept_open():  # the run's ~140 events: synced at checkpoints only
        return dg.execute_job(job, instance=dg.DagsterInstance.get(), run_config=quiet, tags=tags, raise_on_error=False)


def _materialized(result: dg.ExecuteJobResult) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        out[mat.asset_key.to_user_string()] = {k: v.value for k, v in mat.metadata.items()}
    return out


def _summary(result: dg.ExecuteJobResult, settings: Settings, console: Console) -> int:
    materialized = _materialized(result)
    for name in load_schemas():
        if name in materialized:
            console.print(f"{name:<24} {materialized[name].get('dagster/row_count'):>8} rows")
    candidate = materialized.get("release_candidate")
    if candidate is not None:
        console.print(
            f"{'findings':<24} {candidate.get('errors', 0)} error, {candidate.get('warnings', 0)} warning, {candidate.get('infos', 0)} info"
        )
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    for check in failed:
        console.print(f"[bold red]failed check[/] {check.asset_key.to_user_string()}:{check.check_name}: {escape(check.description or '')}")
    steps = step_failure_reasons(result.all_events)
    for step, reason in steps:
        if not (failed and step == "release_candidate"):  # a blocked candidate: the checks above say why
            console.print(f"[bold red]step failed[/] {step}: {escape(reason)}")
    outputs = settings.outputs
    if candidate is not None and candidate.get("publishable"):
        console.print(f"{'report':<24} {staging_dir(outputs) / REPORT_HTML}")
        console.print(
            f"[bold green]release candidate[/] {candidate.get('version')} ({candidate.get('bump')}) in {staging_dir(outputs)};"
            " review it, then `atlas publish`"
        )
        return 0
    if candidate is None:
        _failure_report(result.run_id, steps, settings, console)
    console.print(f"{'report':<24} {blocked_dir(outputs) / REPORT_HTML}")
    staged = staging_dir(outputs)
    kept = f"the earlier candidate in {staged} is kept, unchanged" if (staged / "candidate.json").is_file() else "no candidate is staged"
    stopped = f"failed:[/] the run (run {result.run_id[:8]}) stopped before its candidate"
    verdict = "blocked:[/] errors stand" if candidate is not None else stopped
    fix = "Fix the sources (see the report above)" if candidate is not None else "Fix the cause above"
    console.print(f"[bold red]{verdict}; {kept}. {fix} and run again.")
    return 1


def _failure_report(run_id: str, steps: list[tuple[str, str]], settings: Settings, console: Console) -> None:
    """``outputs/blocked`` for a failed run whose failing step could not write it itself (e.g. the
    failure came from Dagster's storage of a step output)."""
    try:
        blocked = read_blocked(settings.outputs)
    except ValueError:
        blocked = None
    if blocked is not None and blocked.run_id == run_id:
        return
    step, reason = steps[0] if steps else ("(run)", "the run failed before any step reported a cause")
    try:
        stage_failure(settings.outputs, step=step, reason=reason, context={"run_id": run_id, "sources_dir": str(settings.sources)})
    except OSError as exc:
        console.print(f"[yellow]warning:[/] the failure report could not be written: {escape(str(exc))}")


def _notify(result: dg.ExecuteJobResult, settings: Settings, code: int, console: Console) -> None:
    if code == 0 or not settings.webhook_url:
        return
    run = dg.DagsterInstance.get().get_run_by_id(result.run_id)
    if run is None:
        return
    notice = run_notice(run, settings.outputs, step_failure_reasons(result.all_events))
    delivered, detail = send_notice(settings.webhook_url, notice)
    if delivered:
        console.print(f"notice of the {notice.status} run sent to {settings.webhook_url} ({detail})")
    else:
        console.print(f"[yellow]warning:[/] the notice of the {notice.status} run was not delivered: {escape(detail)}")


def run_pipeline(
    sources: Path | None = None,
    outputs: Path | None = None,
    *,
    multiprocess: bool = False,
    console: Console | None = None,
    settings: Settings | None = None,
) -> int:
    """Run ``atlas_pipeline`` for the configured corpus; 0 = candidate staged, 1 = not, 2 = busy or
    unusable outputs."""
    console = console or Console(highlight=False)
    settings = settings or load_settings({"sources": sources, "outputs": outputs})
    try:
        with outputs_lock(settings.outputs, "atlas run"), instance_env(settings):
            result = _execute(settings, multiprocess)
            code = _summary(result, settings, console)
            _notify(result, settings, code, console)
    except (LockHeld, LockUnavailable) as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}")
        return 2
    return code


def record_publish(outputs: Path, result: PublishResult, settings: Settings | None = None) -> None:
    """Tell the corpus's Dagster instance that ``atlas publish`` materialised the ``release`` asset
    (so the UI's lineage shows releases made outside a Dagster run); nothing is recorded when the
    publish made no new release."""
    if result.status != "published":
        return
    with instance_env(settings or load_settings({"outputs": outputs})), dg.DagsterInstance.get() as instance:
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
