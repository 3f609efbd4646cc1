"""Shared helpers for the publish/release tests (a helper module, not a test module): a small valid
set of rows across every table, staging and publishing shortcuts through the one staging step
(:func:`pipeline.publish.candidate.stage`), a minimal stand-in report writer and stand-in
Frictionless checks (to show they are injectable and that a failing check blocks the candidate;
the real ``pipeline.validate`` ones run in the integration tests)."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import yaml
from conftest import REPO

from pipeline.extract.model import Extraction, SourceFile
from pipeline.findings import Finding
from pipeline.publish.candidate import stage as stage_step
from pipeline.publish.release import publish
from pipeline.schemas import load_schemas, schema
from pipeline.validate.checks import check_tables

CREATED = "2025-01-02T03:04:05Z"

ORGS = [
    {
        "organization_id": "acme",
        "name": "Acme Digital Institute",
        "acronym": "ACME",
        "established": 1990,
        "established_source": "header",
        "address": "Rue de Test 1, 1201 Geneva, Switzerland",
        "postal_code": "1201",
        "city": "Geneva",
        "country_code": "CH",
        "website": "https://acme.example/",
        "stakeholder_group": "International and regional organisations",
        "summary": "Acme works on digital standards.\n\nIt was founded in 1990.",
        "summary_source_line": 13,
        "source_file": "profiles.txt",
        "source_line_start": 1,
        "source_line_end": 40,
    },
    {
        "organization_id": "beta",
        "name": "Beta Network",
        "acronym": "BETA",
        "established": 2001,
        "established_source": "header",
        "address": "Chemin du Test 2, 1202 Geneva, Switzerland",
        "postal_code": "1202",
        "city": "Geneva",
        "country_code": "CH",
        "website": "https://beta.example/",
        "stakeholder_group": "Civil society",
        # A formula-like cell: guarded in CSV, raw in Parquet.
        "summary": '=HYPERLINK("https://evil.example")',
        "summary_source_line": 53,
        "source_file": "profiles.txt",
        "source_line_start": 41,
        "source_line_end": 80,
    },
]
GAMMA = {
    "organization_id": "gamma",
    "name": "Gamma Forum",
    "acronym": "GAMMA",
    "established": 2010,
    "established_source": "header",
    "address": None,
    "postal_code": None,
    "city": None,
    "country_code": None,
    "website": "https://gamma.example/",
    "stakeholder_group": "Academia",
    "summary": "Gamma, a forum.",
    "summary_source_line": 93,
    "source_file": "profiles.txt",
    "source_line_start": 81,
    "source_line_end": 100,
}


def _sections(org: str, base: int) -> list[dict]:
    return [
        {
            "organization_id": org,
            "section_id": "digital-activities",
            "parent_section_id": None,
            "level": 1,
            "heading": "Digital activities",
            "canonical_heading": "Digital activities",
            "footnote_number": None,
            "text": 'Line one.\n\nLine three, with "quotes", commas\nand a | pipe.',
            "text_source_line": base + 2,
            "source_line_start": base,
            "source_line_end": base + 5,
        },
        {
            "organization_id": org,
            "section_id": "digital-policy-issues",
            "parent_section_id": None,
            "level": 1,
            "heading": "Digital policy issues",
            "canonical_heading": "Digital policy issues",
            "footnote_number": None,
            "text": None,
            "text_source_line": None,
            "source_line_start": base + 7,
            "source_line_end": base + 7,
        },
        {
            "organization_id": org,
            "section_id": "digital-policy-issues/digital-standards",
            "parent_section_id": "digital-policy-issues",
            "level": 2,
            "heading": "Digital standards (1)",
            "canonical_heading": "Digital standards",
            "footnote_number": 1,
            "text": "Standards work.",
            "text_source_line": base + 11,
            "source_line_start": base + 9,
            "source_line_end": base + 11,
        },
    ]


def base_rows() -> dict[str, list[dict]]:
    """Rows for every table of ``schemas/`` (quarantine included), consistent across tables."""
    rows: dict[str, list[dict]] = {name: [] for name in load_schemas()}
    rows["organizations"] = copy.deepcopy(ORGS)
    rows["sections"] = _sections("acme", 20) + _sections("beta", 60)
    rows["policy_issues"] = [
        {
            "organization_id": org,
            "section_id": "digital-policy-issues/digital-standards",
            "issue": "Digital standards",
            "basket": "Infrastructure",
            "heading": "Digital standards (1)",
            "match": "exact",
            "footnote_number": 1,
            "local_term": None,
            "source_line": base + 9,
        }
        for org, base in (("acme", 20), ("beta", 60))
    ]
    rows["social_media_accounts"] = [
        {"organization_id": "acme", "platform": "Twitter", "handle": "acme", "source_line": 35},
        {"organization_id": "beta", "platform": "LinkedIn", "handle": "Beta Network", "source_line": 75},
    ]
    rows["footnotes"] = [
        {"organization_id": "acme", "number": 1, "text": "Addressed as 'Standards'.", "source_line": 38},
        {"organization_id": "beta", "number": 1, "text": "-1 is a negative footnote.", "source_line": 78},
    ]
    rows["country_mentions"] = [
        {"organization_id": "acme", "country_code": "CH", "country_name": "Switzerland", "mention": "Switzerland", "source_line": 22},
    ]
    rows["organization_mentions"] = [
        {"organization_id": "beta", "mentioned_organization_id": "acme", "mention": "ACME", "source_line": 62},
    ]
    rows["issue_taxonomy"] = [
        {
            "issue": "Digital standards",
            "basket": "Infrastructure",
            "provenance": "DW, atlas",
            "basket_assigned": False,
            "vocabulary_version": "2026.1",
        },
        {
            "issue": "Network neutrality",
            "basket": "Infrastructure",
            "provenance": "DW",
            "basket_assigned": False,
            "vocabulary_version": "2026.1",
        },
    ]
    rows["quarantine"] = [
        {
            "source_file": "profiles.txt",
            "source_line_start": 101,
            "source_line_end": 104,
            "name": "Broken",
            "rule": "profile-truncated",
            "reason": "Profile ends inside its header.",
            "excerpt": "Broken\nAcronym: BRK",
        },
    ]
    rows["corrections"] = [
        {
            "organization_id": "acme",
            "table": "organizations",
            "row_key": '{"organization_id": "acme"}',
            "column": "summary",
            "source_value": "ofpartners",
            "old_value": "Works with ofpartners.",
            "new_value": "=Works with partners, \"quoted\"; and more.",
            "reason": "Missing space (the editor's note, with a comma).",
            "editor": "Jane Editor",
            "date": "2024-05-02",
            "source_file": "profiles.txt",
            "source_line": 21,
            "corrections_file": "corrections.yaml",
            "corrections_line": 2,
        },
    ]
    return rows


def frames(rows: dict[str, list[dict]]) -> dict[str, pd.DataFrame]:
    out = {}
    for name, table_rows in rows.items():
        table = schema(name)
        df = table.frame(table_rows)
        if table.primary_key and len(df):
            df = df.sort_values(table.primary_key, kind="stable").reset_index(drop=True)
        out[name] = df
    return out


def sources(text: str = "profiles v1") -> list[SourceFile]:
    data = text.encode()
    return [SourceFile("profiles.txt", hashlib.sha256(data).hexdigest(), len(data), "utf-8", 104)]


def extraction(
    rows: dict[str, list[dict]] | None = None, *, findings: list[Finding] | None = None, source_text: str = "profiles v1"
) -> Extraction:
    return Extraction(tables=frames(rows or base_rows()), findings=list(findings or []), sources=sources(source_text))


def warning_finding() -> Finding:
    return Finding(
        "website-not-https",
        "Website uses plain http",
        table="organizations",
        key={"organization_id": "beta"},
        column="website",
        value="http://beta.example/",
        source_file="profiles.txt",
        source_line=47,
    )


def error_finding() -> Finding:
    return Finding(
        "established-in-future",
        "Year 3020 lies in the future",
        table="organizations",
        key={"organization_id": "acme"},
        column="established",
        value="3020",
        source_file="profiles.txt",
        source_line=3,
    )


# -- stand-ins for pipeline.validate (report writer, Frictionless check) ---------------------------


def standin_report_writer(findings, out_dir: Path, *, context=None) -> dict[str, Path]:
    """Minimal ``write_report``: report.{json,md,html} listing the findings."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data = {"context": context or {}, "findings": [f.to_dict() for f in sorted(findings, key=Finding.sort_key)]}
    paths = {"json": out_dir / "report.json", "md": out_dir / "report.md", "html": out_dir / "report.html"}
    paths["json"].write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    paths["md"].write_text("# Validation report\n\n" + "".join(f"- {f.severity}: {f.message}\n" for f in findings), encoding="utf-8")
    paths["html"].write_text(f"<!doctype html><title>Validation report</title><p>{len(findings)} findings</p>\n", encoding="utf-8")
    return paths


def no_frictionless_check(folder: Path, tables: list[str]) -> list[Finding]:
    assert all((folder / f"{name}.csv").is_file() for name in tables)
    return []


def failing_frictionless_check(folder: Path, tables: list[str]) -> list[Finding]:
    return [Finding("schema-published-file", f"{tables[0]}.csv: injected failure")]


# -- shortcuts ----------------------------------------------------------------------------------


VENV_BIN = REPO / ".venv" / "bin"


def stage(
    outputs: Path,
    rows: dict[str, list[dict]] | None = None,
    findings: list[Finding] | None = None,
    *,
    created: str = CREATED,
    source_text: str = "profiles v1",
    **kwargs,
):
    """Stage a candidate from ``rows`` with the real report writer. The Frictionless check of the
    written files (about a second each time) is skipped unless ``frictionless_check`` is given or
    ``real_check=True``: the tests that are about it pass it, the rest stay fast."""
    if not kwargs.pop("real_check", False):
        kwargs.setdefault("frictionless_check", no_frictionless_check)
    ex = extraction(rows, source_text=source_text)
    return stage_step(ex.tables, outputs, sources=ex.sources, findings=list(findings or []), created=created, **kwargs)


def stage_extraction(extraction: Extraction, outputs: Path, *, checked: bool = True, **kwargs):
    """Stage an extraction as the ``release_candidate`` asset does: its findings, the in-memory
    checks' findings (``checked``), the real Frictionless check unless one is given."""
    check_findings = check_tables(extraction.tables) if checked else []
    return stage_step(
        extraction.tables, outputs, sources=extraction.sources, findings=extraction.findings, check_findings=check_findings, **kwargs
    )


def publish_as_editor(outputs: Path, **kwargs):
    kwargs.setdefault("reviewer", "editor")
    kwargs.setdefault("decided_at", "2025-02-01T00:00:00Z")
    return publish(outputs, **kwargs)


def latest_version(releases: Path, *, settled: bool = True) -> str:
    """The version the stable latest addresses point at: ``latest/`` (a real folder, never a
    symlink) and, once a publish has finished (``settled``), ``latest.json`` agreeing with it."""
    folder = releases / "latest"
    assert folder.is_dir() and not folder.is_symlink()
    version = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))["version"]
    if not settled:
        return version
    pointer = json.loads((releases / "latest.json").read_text(encoding="utf-8"))
    assert pointer["version"] == version and pointer["path"] == f"{version}/"
    assert (folder / "SHA256SUMS").read_bytes() == (releases / version / "SHA256SUMS").read_bytes()
    return version


def tree_state(root: Path) -> dict[str, object]:
    """Every entry under ``root`` with its content hash (files), link target (symlinks) or 'dir'."""
    state: dict[str, object] = {}
    if not root.exists():
        return state
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            state[rel] = "-> " + os.readlink(path)
        elif path.is_dir():
            state[rel] = "dir"
        else:
            state[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def sha256sum_check(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["sha256sum", "--strict", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True)


def frictionless_cli(descriptor: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VENV_BIN / "frictionless"), "validate", *options, descriptor.name], cwd=descriptor.parent, capture_output=True, text=True
    )


@contextlib.contextmanager
def schemas_from(folder: Path):
    """Make ``load_schemas()`` read ``folder`` instead of ``schemas/`` (e.g. a column removed)."""
    func = load_schemas.__wrapped__
    old = func.__defaults__
    load_schemas.cache_clear()
    func.__defaults__ = (folder,)
    try:
        yield
    finally:
        func.__defaults__ = old
        load_schemas.cache_clear()


def schemas_without(tmp: Path, table: str, column: str) -> Path:
    """A copy of ``schemas/`` in ``tmp`` with ``column`` removed from ``table``."""
    folder = tmp / "schemas"
    shutil.copytree(REPO / "schemas", folder)
    path = folder / f"{table}.schema.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["fields"] = [f for f in data["fields"] if f["name"] != column]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return folder


# -- Data Package profiles (official JSON Schemas, committed as fixtures) ---------------------------

PROFILES = REPO / "tests" / "fixtures" / "datapackage-profiles"


def profile_errors(descriptor: dict, profile: str) -> list[str]:
    """Errors of ``descriptor`` against an official profile (``1.0/datapackage.json``, ...), with the
    format checks (date-time, uri, email) jsonschema can make here."""
    import jsonschema

    schema = json.loads((PROFILES / profile).read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(descriptor), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message[:300]}" for e in errors]
