"""The README.md shipped inside a release candidate and a release.

Scope: say what the dataset is, which files the folder holds (with row counts), how to cite it,
its licence and original publisher (all from the release configuration), how to verify the files,
and the data dictionary (from ``pipeline.publish.dictionary``). It must not invent metadata or
describe tables in words of its own.
"""

from __future__ import annotations

from collections.abc import Mapping

from pipeline.config import ReleaseConfig, release_config
from pipeline.fsutil import SUMS_NAME
from pipeline.publish.dictionary import data_dictionary
from pipeline.publish.layout import csv_path, parquet_path
from pipeline.schemas import TableSchema


def citation_author(config: ReleaseConfig) -> str:
    people = [dict(c) for c in config.contributors]
    for role in ("author", "publisher"):
        names = [c["title"] for c in people if c.get("role") == role and c.get("title")]
        if names:
            return "; ".join(names)
    return config.title


def citation(config: ReleaseConfig, version: str, created: str) -> str:
    year = created[:4]
    where = f" {config.homepage}" if config.homepage else ""
    return f"{citation_author(config)} ({year}). *{config.title}* (version {version}) [Data set].{where}"


def licence_lines(config: ReleaseConfig) -> list[str]:
    lines = []
    for lic in config.licenses:
        label = lic.get("title") or lic.get("name")
        name = f" (`{lic['name']}`)" if lic.get("name") and lic.get("title") else ""
        link = f": {lic['path']}" if lic.get("path") else ""
        lines.append(f"- {label}{name}{link}")
    return lines


def render_readme(
    *,
    version: str,
    created: str,
    counts: Mapping[str, int],
    tables: list[TableSchema],
    status: str = "release",
    previous_version: str | None = None,
    unchanged: bool = False,
    config: ReleaseConfig | None = None,
) -> str:
    """README text. ``status`` is ``release`` or ``candidate`` (a candidate says it awaits review;
    ``unchanged`` says it equals the latest release, so publishing would make no new one)."""
    cfg = config or release_config()
    lines = [f"# {cfg.title}", ""]
    if status == "candidate" and unchanged:
        lines += [
            f"> **Release candidate identical to the latest release, {version}.** Publishing it would not make a new release.",
            "",
        ]
    elif status == "candidate":
        lines += [
            f"> **Release candidate awaiting review.** Publishing it would make version {version}"
            + (f" (latest release: {previous_version})" if previous_version else " (the first release)")
            + ". Read `validation/report.html`, then run `atlas publish`.",
            "",
        ]
    lines += [" ".join(cfg.description.split()), ""]
    lines += [f"- Version: **{version}**", f"- Created: {created}"]
    if cfg.homepage:
        lines.append(f"- Homepage: {cfg.homepage}")
    lines += ["", "## Files", ""]
    lines.append(
        "- `datapackage.json`: the Frictionless Data Package descriptor (metadata, sources with checksums,"
        " every file's size and sha256, the Table Schemas)."
    )
    for t in tables:
        n = counts.get(t.name, 0)
        lines.append(f"- `{csv_path(t.name)}`, `{parquet_path(t.name)}`: {t.title}, {n} row{'' if n == 1 else 's'}.")
    lines += [
        "- `validation/report.html` (also `.md`, `.json`): the validation report this version was reviewed with.",
    ]
    if status == "release":
        lines.append("- `review.json`: who accepted the release, when, with which note, and the sha256 of the report accepted.")
    lines += [
        "- `CHANGELOG.md` and `changes.json`: what changed since the previous version, in words and key by key.",
        f"- `{SUMS_NAME}`: the sha256 of every other file.",
        "",
        "## How to cite",
        "",
        citation(cfg, version, created),
        "",
        "## Licence",
        "",
        "The data are published under:",
        "",
        *licence_lines(cfg),
        "",
    ]
    if cfg.sources:
        lines += ["They are derived from:", ""]
        lines += [f"- {s.get('title', '')}" + (f": {s['path']}" if s.get("path") else "") for s in cfg.sources]
        lines += ["", "Credit the original publisher when you reuse the data.", ""]
    lines += [
        "## Verifying the files",
        "",
        f"In this folder, `sha256sum -c {SUMS_NAME}` checks every file, and `frictionless validate datapackage.json`"
        " checks the tables against their schemas and the sizes and checksums listed in the descriptor."
        " The data files are reproducible: the same sources and pipeline give byte-identical `data/` files.",
        "",
        data_dictionary(tables, level=2),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"
