"""The ``atlas`` command line.

Scope: parse arguments, call the plain modules (extract, validate, publish, site) or the Dagster
job (``atlas run``), print short summaries with rich, and turn every expected failure into a clear
message and an exit code, never a traceback. It must hold no parsing, validation or release logic.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline.config import ConfigError, Settings, load_settings
from pipeline.findings import severity_counts
from pipeline.fsutil import configure_allocators, importing

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Geneva Digital Atlas: raw profiles → validated, versioned open data.")
console = Console(stderr=False, highlight=False)
err = Console(stderr=True, highlight=False)

# Folders: flags > ATLAS_* environment > [tool.atlas.settings] in pyproject.toml > defaults (`atlas config`).
SourcesOpt = Annotated[Path | None, typer.Option("--sources", help="Folder of raw profile files [ATLAS_SOURCES; default sources/].")]
OutputsOpt = Annotated[
    Path | None, typer.Option("--outputs", help="Folder for staging, blocked runs and releases [ATLAS_OUTPUTS; default outputs/].")
]
PortOpt = Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port on 127.0.0.1.")]
HomeOpt = Annotated[
    Path | None,
    typer.Option("--dagster-home", help="The corpus's Dagster instance [ATLAS_DAGSTER_HOME or DAGSTER_HOME; default <outputs>/.dagster]."),
]


@app.callback()
def _every_command() -> None:
    configure_allocators()  # before any command imports pyarrow: resident memory stays near what is live


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


def _settings(*, quiet: bool = False, **flags: object) -> Settings:
    """The configuration with these flags; prints the folders the command uses (to stderr, so
    command output stays clean)."""
    try:
        settings = load_settings(flags)
    except ConfigError as exc:
        _fail(str(exc))
    if not quiet:
        err.print(f"[dim]{escape(settings.folders())}[/]")
    return settings


def _outputs_usable(outputs: Path) -> None:
    """A clear message (exit 2) when OUTPUTS exists but is not a folder."""
    if outputs.exists() and not outputs.is_dir():
        _fail(f"the outputs folder {outputs} is not a folder (a file is in the way); give --outputs a folder")


@app.command()
def config(sources: SourcesOpt = None, outputs: OutputsOpt = None, dagster_home: HomeOpt = None) -> None:
    """Print the configuration every command and the Dagster code location use, and where each value comes from."""
    settings = _settings(quiet=True, sources=sources, outputs=outputs, dagster_home=dagster_home)
    console.print("# setting, value, \\[where it comes from; its environment variable]. Order: flags > environment > pyproject > defaults.")
    for name, value, origin, env in settings.rows():
        console.print(f"{name:<18} {escape(value) or '(empty)'}   [dim]\\[{escape(origin)}; {env}][/]", soft_wrap=True)


@app.command()
def extract(
    sources: Annotated[
        list[Path] | None, typer.Argument(help="Source files or folders [default: the configured sources].", show_default=False)
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for the table CSVs [default: <outputs>/extract].")] = None,
    corrections: Annotated[
        Path | None,
        typer.Option("--corrections", help="The editors' corrections file [ATLAS_CORRECTIONS; default <sources>/corrections.yaml]."),
    ] = None,
) -> None:
    """Extract every table from SOURCE files or folders into one CSV per table, with the editors' corrections applied."""
    from pipeline.corrections.apply import apply_corrections
    from pipeline.extract import extract_paths, write_tables

    settings = _settings(quiet=True, corrections=corrections)
    paths = list(sources or [settings.sources])
    out = out or settings.outputs / "extract"
    shown = f"sources {', '.join(map(str, paths))} · corrections {settings.corrections} · tables {out}"
    err.print(f"[dim]{escape(shown)}[/]")
    missing = [str(p) for p in paths if not os.path.lexists(p)]  # a broken link exists: extraction reports it
    if missing:
        _fail(f"no such file or folder: {', '.join(missing)}")
    if out.exists() and not out.is_dir():
        _fail(f"--out {out} is a file, not a folder")
    result = extract_paths(paths, exclude=[settings.corrections])
    if not result.sources:
        _fail(f"no source files found in {', '.join(map(str, paths))}")
    result = apply_corrections(result, settings.corrections, sources_dir=settings.sources)
    try:
        write_tables(result, out)
    except OSError as exc:
        _fail(f"the tables cannot be written to {out}: {exc.strerror or exc} ({exc.filename or out})")
    for name, frame in result.tables.items():
        console.print(f"{name:<24} {len(frame):>8} rows  → {out / (name + '.csv')}")
    counts = severity_counts(result.findings)
    console.print(f"{'findings':<24} {counts['error']} error, {counts['warning']} warning, {counts['info']} info (extraction)")
    if not len(result.tables["organizations"]):
        _fail("no profile could be extracted; see extraction_findings.json", 1)


@app.command()
def validate(
    tables_dir: Annotated[Path, typer.Argument(help="Folder written by `atlas extract`.")],
    out: Annotated[Path | None, typer.Option("--out", help="Folder for report.{json,md,html} (default: TABLES_DIR).")] = None,
) -> None:
    """Validate extracted tables (pandera + Frictionless + data-quality rules) and write the report."""
    from pipeline.validate import validate_folder

    err.print(f"[dim]tables {escape(str(tables_dir))} · report {escape(str(out or tables_dir))}[/]")
    if not tables_dir.is_dir():
        _fail(f"{tables_dir} is not a folder")
    try:
        summary = validate_folder(tables_dir, out).summary
    except OSError as exc:
        _fail(f"the report cannot be written to {out or tables_dir}: {exc.strerror or exc} ({exc.filename or out or tables_dir})")
    counts = summary.by_severity
    console.print(f"report: {(out or tables_dir) / 'report.html'}")
    console.print(f"errors {counts.error}, warnings {counts.warning}, info {counts.info}")
    raise typer.Exit(0 if summary.publishable else 1)


@app.command()
def run(
    sources: SourcesOpt = None,
    outputs: OutputsOpt = None,
    dagster_home: HomeOpt = None,
    multiprocess: Annotated[bool, typer.Option("--multiprocess", help="Use Dagster's multiprocess executor.")] = False,
) -> None:
    """Run the pipeline (Dagster job) up to the release candidate: OUTPUTS/staging, or OUTPUTS/blocked when errors stand."""
    with importing():  # Dagster's imports: long-lived objects, no garbage
        from pipeline.run import run_pipeline

    settings = _settings(sources=sources, outputs=outputs, dagster_home=dagster_home)
    if not settings.sources.is_dir():
        _fail(f"sources folder {settings.sources} does not exist")
    _outputs_usable(settings.outputs)
    try:
        code = run_pipeline(multiprocess=multiprocess, console=console, settings=settings)
    except ConfigError as exc:
        _fail(str(exc))
    if code in (0, 1):  # the candidate (or the blocked run's report) is reviewed on the site
        _rebuild_site(settings.outputs)
    raise typer.Exit(code)


def _rebuild_site(outputs: Path) -> None:
    from pipeline.site.build import build_site

    try:
        console.print(f"site: {build_site(outputs) / 'index.html'}")
    except Exception as exc:  # noqa: BLE001 - the site is a view; a failure there must not fail the run
        err.print(f"[yellow]warning:[/] the release site could not be rebuilt: {escape(str(exc))}")


@app.command()
def review(outputs: OutputsOpt = None, top: int = 10) -> None:
    """Summarise the latest run and the staged release candidate; exit 1 when the latest run is blocked or failed."""
    from pipeline.publish.review import review as do_review

    settings = _settings(outputs=outputs)
    _outputs_usable(settings.outputs)
    try:
        result = do_review(settings.outputs, top=top)
    except (FileNotFoundError, ValueError) as exc:
        _fail(str(exc))
    console.print(escape(result.text))
    raise typer.Exit(1 if result.blocked else 0)


@app.command()
def publish(
    outputs: OutputsOpt = None,
    accept_warnings: Annotated[bool, typer.Option("--accept-warnings", help="Accept the report's warnings.")] = False,
    reviewer: Annotated[str | None, typer.Option("--reviewer", help="Who reviewed the report.")] = None,
    note: Annotated[str, typer.Option("--note", help="The reviewer's note.")] = "",
    earlier_candidate: Annotated[
        bool,
        typer.Option("--earlier-candidate", help="Publish the staged candidate although the latest run was blocked or failed."),
    ] = False,
) -> None:
    """Promote the reviewed release candidate to a versioned release."""
    from pipeline.publish.candidate import latest_run_notice
    from pipeline.publish.lock import LockUnavailable
    from pipeline.publish.release import PublishRefused  # noqa: I001 - one line per module
    from pipeline.publish.release import publish as do_publish
    from pipeline.run import record_publish

    settings = _settings(outputs=outputs)
    _outputs_usable(settings.outputs)
    notice = latest_run_notice(settings.outputs)
    if notice and not earlier_candidate:
        _fail(f"not published: {notice}\nFix the sources and run again, or publish the earlier candidate with --earlier-candidate.", 1)
    if notice:
        err.print(f"[yellow]note:[/] {escape(notice)}")
    try:
        result = do_publish(settings.outputs, reviewer=reviewer, note=note, accept_warnings=accept_warnings)
    except PublishRefused as exc:
        _fail(str(exc), 1)
    except LockUnavailable as exc:
        _fail(str(exc))
    console.print(result.message)
    record_publish(settings.outputs, result, settings)
    _rebuild_site(settings.outputs)


@app.command()
def releases(outputs: OutputsOpt = None) -> None:
    """List the published releases."""
    from pipeline.publish.release import list_releases

    settings = _settings(outputs=outputs)
    _outputs_usable(settings.outputs)
    rows = list_releases(settings.outputs)
    if not rows:
        console.print("no release published yet")
        return
    table = Table("version", "created", "tables", "rows", "path")
    for r in rows:
        table.add_row(r.version, str(r.created), str(len(r.counts)), str(sum(r.counts.values())), str(r.path))
    console.print(table)


@app.command()
def site(outputs: OutputsOpt = None) -> None:
    """(Re)build the static release site in OUTPUTS/site."""
    from pipeline.publish.integrity import IntegrityError
    from pipeline.site.build import build_site

    settings = _settings(outputs=outputs)
    _outputs_usable(settings.outputs)
    try:
        console.print(f"site: {build_site(settings.outputs)}")
    except IntegrityError as exc:
        _fail(str(exc), 1)
    except OSError as exc:
        _fail(f"the site cannot be built in {settings.outputs}: {exc.strerror or exc} ({exc.filename or settings.outputs})")


@app.command()
def verify(
    location: Annotated[str, typer.Argument(help="A release folder, or the http(s) address of one.", metavar="PATH_OR_URL")],
) -> None:
    """Check a release: SHA256SUMS, the descriptor's sizes and hashes, `frictionless validate`, row counts."""
    from pipeline.publish.verify import verify as run_verify

    result = run_verify(location)
    for line in result.passed:
        console.print(f"ok: {line}", soft_wrap=True)
    for line in result.problems:
        err.print(f"[bold red]problem:[/] {line}", soft_wrap=True)
    if result.ok:
        console.print(f"{location}: the release is intact and valid.", soft_wrap=True)
        raise typer.Exit(0)
    err.print(f"{location}: {len(result.problems)} problem(s); do not trust this copy.", soft_wrap=True)
    raise typer.Exit(1)


@app.command()
def serve(outputs: OutputsOpt = None, port: PortOpt = 8000) -> None:
    """Serve OUTPUTS/site on http://127.0.0.1:PORT."""
    from pipeline.publish.integrity import IntegrityError
    from pipeline.site.serve import serve_site

    settings = _settings(outputs=outputs)
    _outputs_usable(settings.outputs)
    try:
        serve_site(settings.outputs, port=port)
    except IntegrityError as exc:
        _fail(str(exc), 1)
    except OSError as exc:  # the port is taken, or the site cannot be built
        _fail(f"cannot serve {settings.outputs / 'site'} on port {port}: {exc.strerror or exc}")


@app.command()
def ui(
    sources: SourcesOpt = None,
    outputs: OutputsOpt = None,
    dagster_home: HomeOpt = None,
    host: Annotated[str, typer.Option("--host", help="Address of the webserver.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port of the webserver.")] = 3000,
) -> None:
    """Start the Dagster webserver and daemon for this corpus (its instance migrated first, so they never race)."""
    from pipeline.ui import serve_ui

    settings = _settings(sources=sources, outputs=outputs, dagster_home=dagster_home)
    _outputs_usable(settings.outputs)
    try:
        code = serve_ui(settings, host=host, port=port, say=console.print)
    except ConfigError as exc:
        _fail(str(exc))
    raise typer.Exit(code)


def main() -> None:  # pragma: no cover - entry for `python -m pipeline.cli`
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
