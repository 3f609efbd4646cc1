"""The ``atlas`` command line.

Scope: parse arguments, call the plain modules (extract, validate, publish, site) or the Dagster
job (``atlas run``), print short summaries with rich, and turn every expected failure into a clear
message and an exit code, never a traceback. It must hold no parsing, validation or release logic.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from pipeline.config import DEFAULT_OUTPUTS, DEFAULT_SOURCES
from pipeline.findings import severity_counts

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Geneva Digital Atlas: raw profiles → validated, versioned open data.")
console = Console(stderr=False, highlight=False)
err = Console(stderr=True, highlight=False)

SourcesOpt = Annotated[Path, typer.Option("--sources", help="Folder of raw profile files.")]
OutputsOpt = Annotated[Path, typer.Option("--outputs", help="Folder for staging and releases.")]


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


@app.command()
def extract(
    sources: Annotated[list[Path], typer.Argument(help="Source files or folders.", show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="Folder for the table CSVs.")] = Path("outputs/extract"),
) -> None:
    """Extract every table from SOURCE files or folders into one CSV per table."""
    from pipeline.extract import extract_paths, write_tables

    missing = [str(p) for p in sources if not p.exists()]
    if missing:
        _fail(f"no such file or folder: {', '.join(missing)}")
    if out.exists() and not out.is_dir():
        _fail(f"--out {out} is a file, not a folder")
    result = extract_paths(sources)
    if not result.sources:
        _fail(f"no source files found in {', '.join(map(str, sources))}")
    write_tables(result, out)
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

    if not tables_dir.is_dir():
        _fail(f"{tables_dir} is not a folder")
    summary = validate_folder(tables_dir, out).summary
    counts = summary.by_severity
    console.print(f"report: {(out or tables_dir) / 'report.html'}")
    console.print(f"errors {counts.error}, warnings {counts.warning}, info {counts.info}")
    raise typer.Exit(0 if summary.publishable else 1)


@app.command()
def run(
    sources: SourcesOpt = DEFAULT_SOURCES,
    outputs: OutputsOpt = DEFAULT_OUTPUTS,
    multiprocess: Annotated[bool, typer.Option("--multiprocess", help="Use Dagster's multiprocess executor.")] = False,
) -> None:
    """Run the pipeline (Dagster job, in process) up to the release candidate in OUTPUTS/staging."""
    from pipeline.run import run_pipeline

    if not sources.is_dir():
        _fail(f"sources folder {sources} does not exist")
    code = run_pipeline(sources, outputs, multiprocess=multiprocess, console=console)
    if code in (0, 1):  # the candidate (or its blocking report) is reviewed on the site
        _rebuild_site(outputs)
    raise typer.Exit(code)


def _rebuild_site(outputs: Path) -> None:
    from pipeline.site.build import build_site

    try:
        console.print(f"site: {build_site(outputs) / 'index.html'}")
    except Exception as exc:  # noqa: BLE001 - the site is a view; a failure there must not fail the run
        err.print(f"[yellow]warning:[/] the release site could not be rebuilt: {exc}")


@app.command()
def review(outputs: OutputsOpt = DEFAULT_OUTPUTS, top: int = 10) -> None:
    """Summarise the staged release candidate's validation report."""
    from pipeline.publish.release import review_summary

    try:
        console.print(review_summary(outputs, top=top))
    except (FileNotFoundError, ValueError) as exc:
        _fail(str(exc))


@app.command()
def publish(
    outputs: OutputsOpt = DEFAULT_OUTPUTS,
    accept_warnings: Annotated[bool, typer.Option("--accept-warnings", help="Accept the report's warnings.")] = False,
    reviewer: Annotated[str | None, typer.Option("--reviewer", help="Who reviewed the report.")] = None,
    note: Annotated[str, typer.Option("--note", help="The reviewer's note.")] = "",
) -> None:
    """Promote the reviewed release candidate to a versioned release."""
    from pipeline.publish.release import PublishRefused, publish as do_publish  # noqa: I001 - one line per module
    from pipeline.run import record_publish

    try:
        result = do_publish(outputs, reviewer=reviewer, note=note, accept_warnings=accept_warnings)
    except PublishRefused as exc:
        _fail(str(exc), 1)
    console.print(result.message)
    record_publish(outputs, result)
    _rebuild_site(outputs)


@app.command()
def releases(outputs: OutputsOpt = DEFAULT_OUTPUTS) -> None:
    """List the published releases."""
    from pipeline.publish.release import list_releases

    rows = list_releases(outputs)
    if not rows:
        console.print("no release published yet")
        return
    table = Table("version", "created", "tables", "rows", "path")
    for r in rows:
        table.add_row(r.version, str(r.created), str(len(r.counts)), str(sum(r.counts.values())), str(r.path))
    console.print(table)


@app.command()
def site(outputs: OutputsOpt = DEFAULT_OUTPUTS) -> None:
    """(Re)build the static release site in OUTPUTS/site."""
    from pipeline.publish.integrity import IntegrityError
    from pipeline.site.build import build_site

    try:
        console.print(f"site: {build_site(outputs)}")
    except IntegrityError as exc:
        _fail(str(exc), 1)


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
def serve(outputs: OutputsOpt = DEFAULT_OUTPUTS, port: int = 8000) -> None:
    """Serve OUTPUTS/site on http://127.0.0.1:PORT."""
    from pipeline.site.serve import serve_site

    serve_site(outputs, port=port)


def main() -> None:  # pragma: no cover - entry for `python -m pipeline.cli`
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
