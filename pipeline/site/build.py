"""Build the static site in ``outputs/site/``: pages, assets and the downloadable files.

Scope: render the index, one page per release, ``latest.html`` (the latest release at its stable
addresses), the version comparison (``diff.html`` and one page per pair, from
``pipeline.site.diffs``) and the candidate's review page with jinja2 (autoescape on: every value
from the data is escaped), copy the static assets, and place every release file under
``site/releases/`` exactly as under ``outputs/releases/`` (hard links where the filesystem allows,
copies otherwise; never symlinks), including the stable ``releases/latest/`` folder,
``releases/latest.json`` and ``releases/<name>-latest.zip``, so the site folder alone can be served
or copied anywhere (``cp -r``, object storage) and every link in it is relative. Release files are
checked against their checksums before they are read (``collect``): a mismatch fails the build,
naming the file. The site is built in a temporary folder beside it and swapped in,
so a reader never sees half a site. It must not modify releases or the candidate (files are linked
or copied, never opened for writing), and holds no column list of its own: the dictionary comes
from the schemas.
"""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from pipeline import markdown
from pipeline.artifacts import Artifact, Review, SeverityCounts
from pipeline.findings import RULES, SEVERITIES
from pipeline.fsutil import collector_paused, link_or_copy, make_temp_dir, swap_in_dir
from pipeline.publish import layout
from pipeline.publish.dictionary import constraint_text, foreign_key_text
from pipeline.site import charts, collect, diffs
from pipeline.site.collect import FileEntry, Release, RunReport
from pipeline.validate.report import FILTER_SCRIPT, FILTER_STYLE, STREAM_BUFFER, write_stream
from pipeline.validate.report import TEMPLATES as REPORT_TEMPLATES

SITE = "site"
SITE_TMP_PREFIX = ".tmp-site-"
STALE_SECONDS = 3600  # a temp site folder this old is a leftover of an interrupted build
HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
# The Content-Security-Policy of every page: nothing but the site's own files, no inline scripts
# or styles, no plugins, no forms, no <base>.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; object-src 'none'"
)
# The organisations table shows these columns (titles and types from the schema) when the release
# has them, then the per-organisation counts; the summary is searchable under the name.
ORG_COLUMNS = ("name", "acronym", "established", "city", "country_code", "stakeholder_group")


def site_dir(outputs_dir: Path) -> Path:
    return outputs_dir / SITE


# -- helpers used by templates ---------------------------------------------------------------------


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} B" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"  # pragma: no cover


def when(stamp: object) -> str:
    """An ISO timestamp as ``YYYY-MM-DD HH:MM UTC`` (as given when it is not one)."""
    text = str(stamp or "")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M") + (" UTC" if moment.tzinfo is not None else "")


def environment() -> Environment:
    env = Environment(  # the report's templates too: the findings list is one macro for both pages
        loader=ChoiceLoader([FileSystemLoader(TEMPLATES), FileSystemLoader(REPORT_TEMPLATES)]),
        autoescape=select_autoescape(enabled_extensions=("html",), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["size"] = human_size
    env.filters["when"] = when
    env.filters["md"] = lambda text: markdown.inline(str(text or ""))
    env.globals.update(csp=CSP, severities=SEVERITIES, rules=RULES)
    return env


def _status(counts: SeverityCounts | None, review: Review | None) -> tuple[str, str]:
    """(css class, words) for a validation status."""
    if counts is None:
        return "unknown", "no validation report"
    words = ", ".join(f"{counts.get(s)} {s}{'s' * (counts.get(s) != 1)}" for s in SEVERITIES)
    if counts.error:
        return "error", words
    if counts.warning:
        accepted = review is not None and review.accepted_warnings
        return "warning", words + ("; warnings accepted on review" if accepted else "")
    return "ok", words


def _scalar_items(doc: Artifact | None) -> list[tuple[str, str]]:
    """The plain (non-nested) fields of review.json / candidate.json."""
    if doc is None:
        return []
    words = {True: "yes", False: "no", None: ""}
    return [
        (k, words[v] if v is None or isinstance(v, bool) else str(v)) for k, v in doc.to_dict().items() if not isinstance(v, dict | list)
    ]


# -- release page content --------------------------------------------------------------------------


def dictionary(release: Release) -> list[dict]:
    out = []
    for table in collect.release_schemas(release.descriptor):
        out.append(
            {
                "name": table.name,
                "title": table.title,
                "description": " ".join(table.description.split()),
                "primary_key": table.primary_key,
                "foreign_keys": [foreign_key_text(fk) for fk in table.foreign_keys],
                "rows": release.counts.get(table.name),
                "fields": [
                    {
                        "name": f.name,
                        "type": f.type,
                        "title": f.title or "",
                        "required": f.constraints.required,
                        "constraints": constraint_text(f),
                        "description": f.description or "",
                    }
                    for f in table.fields
                ],
            }
        )
    return out


def _cell(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[call-overload]
        return ""
    return str(value)


def organisations(release: Release, tables: dict[str, pd.DataFrame | None]) -> dict:
    """Columns and rows of the organisations table (plain strings; the template escapes them)."""
    orgs = tables.get("organizations")
    schema = collect.table_schema("organizations", release.descriptor)
    if orgs is None or schema is None:
        return {"columns": [], "rows": []}
    shown = [c for c in ORG_COLUMNS if c in orgs.columns and c in schema.columns]
    columns = [
        {"name": c, "title": schema.field(c).title or c, "numeric": schema.field(c).type in ("integer", "number", "year")} for c in shown
    ]
    counts = {}
    for table, title in (("policy_issues", "Policy issues"), ("country_mentions", "Countries mentioned")):
        frame = tables.get(table)
        if frame is not None and "organization_id" in frame:
            key = "country_code" if table == "country_mentions" and "country_code" in frame else None
            grouped = frame.groupby("organization_id")
            counts[table] = (grouped[key].nunique() if key else grouped.size()).to_dict()
            columns.append({"name": table, "title": title, "numeric": True})
    rows = []
    for record in orgs.to_dict("records"):
        oid = _cell(record.get("organization_id"))
        cells = [_cell(record.get(c)) for c in shown] + [str(int(counts[t].get(oid, 0))) for t in counts]
        rows.append({"id": oid, "cells": cells, "summary": _cell(record.get("summary")), "website": _cell(record.get("website"))})
    return {"columns": columns, "rows": rows}


def release_context(release: Release) -> dict:
    names = ("organizations", "policy_issues", "issue_taxonomy", "country_mentions")
    tables = {n: collect.read_table(release.path, n, release.descriptor) for n in names}
    chart_list = [
        (
            "matrix",
            "Organisations × policy issues",
            charts.issue_matrix(tables["organizations"], tables["policy_issues"], tables["issue_taxonomy"]),
        ),
        ("baskets", "Policy issues per basket", charts.issues_per_basket(tables["policy_issues"], tables["issue_taxonomy"])),
        ("countries", "Countries mentioned", charts.countries_mentioned(tables["country_mentions"])),
    ]
    order = charts.baskets(tables["policy_issues"], tables["issue_taxonomy"])
    return {
        "release": release,
        "status": _status(release.severity_counts, release.review),
        "review_items": _scalar_items(release.review),
        "dictionary": dictionary(release),
        "charts": [(key, title, svg) for key, title, svg in chart_list],
        "legend": [(b, charts.basket_class(b, order), charts.basket_number(b, order)) for b in order],
        "orgs": organisations(release, tables),
        "changelog": markdown.render(release.changelog, shift=2) if release.changelog else Markup(""),
    }


# -- placing files ---------------------------------------------------------------------------------


def place_file(source: Path, dest: Path) -> None:
    """Hard-link ``source`` at ``dest`` (same bytes, no copy, never written through), else copy."""
    link_or_copy(source, dest)


def place_files(root: Path, entries: list[FileEntry]) -> None:
    for entry in entries:
        place_file(entry.source, root / entry.rel)


# -- build -----------------------------------------------------------------------------------------


def _write(root: Path, name: str, text: str) -> None:
    (root / name).write_text(text, encoding="utf-8")


def place_releases(outputs_dir: Path, root: Path, releases: list[Release]) -> Release | None:
    """Every release's files and zip, ``index.json``, and the stable latest addresses (the
    ``latest/`` folder, ``latest.json``, ``<name>-latest.zip``); the latest release as served there."""
    for release in releases:
        place_files(root, release.files + ([release.zip] if release.zip else []))
    releases_out = layout.releases_dir(outputs_dir)
    for name in (layout.INDEX_NAME, layout.LATEST_JSON):
        if (releases_out / name).is_file():
            place_file(releases_out / name, root / layout.RELEASES / name)
    if not releases:
        return None
    alias = collect.latest_alias(outputs_dir, releases[0])
    place_files(root, alias.files)
    if alias.zip is not None and releases[0].zip is not None:
        place_file(releases[0].zip.source, root / alias.zip.rel)
    return alias


def render_diffs(env: Environment, root: Path, releases: list[Release], common: dict) -> None:
    pairs = diffs.all_pairs(releases)
    versions = diffs.diff_versions(releases)
    default = (versions[-2], versions[-1]) if len(versions) > 1 else ("", "")
    page = env.get_template("diff-pair.html")
    for pair in pairs:
        _write(root, pair.page, page.render(**common, pair=pair))
    _write(
        root,
        "diff.html",
        env.get_template("diff.html").render(
            **common,
            pairs=pairs,
            versions=list(reversed(versions)),
            default=default,
            default_page=diffs.pair_page(*default) if pairs else "",
            limited=len(releases) > len(versions),
        ),
    )


def render_site(
    outputs_dir: Path, root: Path, releases: list[Release], candidate: RunReport | None, blocked: RunReport | None = None
) -> None:
    env = environment()
    built = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    shutil.copytree(STATIC, root / "static")
    for shared in (FILTER_SCRIPT, FILTER_STYLE):  # the findings list's script and style, shared with report.html
        shutil.copyfile(shared, root / "static" / shared.name)
    latest = place_releases(outputs_dir, root, releases)
    for staged in (candidate, blocked):
        if staged is not None:
            place_files(root, staged.files)
    common = {"built": built, "candidate": candidate, "blocked": blocked, "releases": releases}
    statuses = {r.version: _status(r.severity_counts, r.review) for r in releases}
    _write(root, "index.html", env.get_template("index.html").render(statuses=statuses, **common))
    page = env.get_template("release.html")
    for release in [*releases, *([latest] if latest else [])]:
        _write(root, release.page, page.render(**common, **release_context(release)))
    render_diffs(env, root, releases, common)
    shown = blocked or candidate  # the review page lists the latest run's findings
    review = env.get_template("review.html").stream(
        **common,
        shown=shown,
        status=_status(candidate.severity_counts, None) if candidate else ("unknown", ""),
        status_items=_scalar_items(candidate.status if candidate else None),
        blocked_status=_status(blocked.severity_counts, None) if blocked else ("unknown", ""),
        blocked_items=_scalar_items(blocked.status if blocked else None),
    )
    review.enable_buffering(STREAM_BUFFER)
    write_stream(root / "review.html", review)  # lists every finding of the run: never one string in memory


def remove_stale_builds(outputs_dir: Path, now: float | None = None) -> list[Path]:
    """Delete temp site folders of interrupted builds (old ones only: a build may be running)."""
    now = time.time() if now is None else now
    removed = []
    for entry in outputs_dir.glob(f"{SITE_TMP_PREFIX}*"):
        if entry.is_dir() and not entry.is_symlink() and now - entry.stat().st_mtime > STALE_SECONDS:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def build_site(outputs_dir: Path) -> Path:
    """Build ``outputs_dir/site`` from the releases and the candidate; returns the site folder."""
    outputs_dir = Path(outputs_dir)
    outputs_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_builds(outputs_dir)
    releases = collect.read_releases(outputs_dir)
    candidate = collect.read_candidate(outputs_dir, releases)
    blocked = collect.read_blocked(outputs_dir)
    tmp = make_temp_dir(outputs_dir, SITE_TMP_PREFIX)
    try:
        tmp.chmod(0o755)  # readable by a web server running as another user
        with collector_paused():  # the pages' pieces are acyclic: reference counting frees them
            render_site(outputs_dir, tmp, releases, candidate, blocked)
        swap_in_dir(tmp, site_dir(outputs_dir))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return site_dir(outputs_dir)
