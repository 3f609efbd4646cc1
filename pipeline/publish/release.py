"""Publishing: an accepted release candidate becomes an immutable, versioned release.

Scope: check the editor's decision against the candidate (no errors; warnings only when accepted;
staging intact per its SHA256SUMS), compute the version against the latest release (no change → no
release), build ``releases/<version>/`` in a temp folder inside ``releases/`` (same filesystem):
the candidate's data and report copied byte for byte, ``datapackage.json``, ``README.md``,
``CHANGELOG.md`` and ``changes.json`` rendered with the final version, ``review.json`` and
``SHA256SUMS``; fsync it and rename it into place. Then, in this order, the deterministic
``<name>-<version>.zip`` beside it, ``index.json`` and the ``latest`` symlink, each replaced
atomically. A publish killed at any point leaves the earlier releases, index and ``latest`` as they
were; a folder renamed into place is complete, and the next publish finishes its zip, index and
``latest``. Published folders are never written again. The whole publish holds the outputs lock.
It must not extract, validate or change the candidate.
"""

from __future__ import annotations

import getpass
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from pipeline.findings import SEVERITIES
from pipeline.publish import changelog
from pipeline.publish.candidate import read_status, utc_now, write_release_texts
from pipeline.publish.datapackage import (
    DESCRIPTOR_NAME,
    config_from_descriptor,
    parquet_path,
    read_datapackage,
    restamp,
    table_resources,
)
from pipeline.publish.fsutil import (
    SUMS_NAME,
    atomic_write_json,
    deterministic_zip,
    fsync_dir,
    fsync_tree,
    list_files,
    make_temp_dir,
    parse_sha256sums,
    read_json,
    remove_temp_dirs,
    replace_symlink,
    sha256_file,
    verify_sha256sums,
    write_sha256sums,
)
from pipeline.publish.layout import (
    CANDIDATE_ONLY,
    CHANGES_NAME,
    INDEX_NAME,
    LATEST_NAME,
    README_NAME,
    RELEASE_TMP_PREFIX,
    REVIEW_NAME,
    latest_release,
    release_dir,
    release_versions,
    releases_dir,
    staging_dir,
    zip_path,
)
from pipeline.publish.lock import LockHeld, outputs_lock
from pipeline.publish.versioning import diff_snapshots, read_snapshot
from pipeline.schemas import TableSchema

# Rendered again with the final version; every other candidate file is copied byte for byte.
RENDERED = (DESCRIPTOR_NAME, README_NAME, changelog.CHANGELOG_NAME, CHANGES_NAME, SUMS_NAME)

StepHook = Callable[[str], None]


class PublishRefused(Exception):
    """Publishing is not allowed as things stand; the message says why and what to do."""


@dataclass(frozen=True)
class PublishResult:
    status: str  # "published" or "unchanged"
    version: str
    previous_version: str | None
    bump: str
    path: Path | None
    zip: Path | None
    message: str

    def __str__(self) -> str:
        return self.message


def _step(hook: StepHook | None, name: str) -> None:
    if hook is not None:
        hook(name)


# -- checks ----------------------------------------------------------------------------------------


def _check_candidate(outputs_dir: Path, accept_warnings: bool) -> dict:
    try:
        status = read_status(outputs_dir)
    except FileNotFoundError as exc:
        raise PublishRefused(str(exc)) from None
    staging = staging_dir(outputs_dir)
    report = staging / status.get("report", {}).get("html", "validation/report.html")
    counts = status.get("severity_counts", {})
    if not status.get("publishable"):
        first = "".join(f"\n  - {line}" for line in status.get("blocking", [])[:5])
        raise PublishRefused(
            f"the release candidate has {counts.get('error', 0)} error(s), so it cannot be published. "
            f"Fix the sources, run `atlas run` again and review {report}.{first}"
        )
    if counts.get("warning", 0) and not accept_warnings:
        raise PublishRefused(
            f"the validation report has {counts['warning']} warning(s). Review {report}; "
            "to publish anyway, run `atlas publish --accept-warnings` (your decision is recorded in review.json)."
        )
    problems = verify_sha256sums(staging)
    report_json = staging / status.get("report", {}).get("json", "validation/report.json")
    if status.get("report_sha256") and (not report_json.is_file() or sha256_file(report_json) != status["report_sha256"]):
        problems.append(f"{report_json.relative_to(staging)}: differs from the report the candidate was built with")
    if problems:
        raise PublishRefused(
            f"{staging} changed since `atlas run` built it ({'; '.join(problems[:3])}). Run `atlas run` again."
        )
    return status


# -- index and latest ------------------------------------------------------------------------------


def _release_entry(outputs_dir: Path, version: str, name: str) -> dict:
    root = release_dir(outputs_dir, version)
    descriptor = read_datapackage(root)
    files = parse_sha256sums((root / SUMS_NAME).read_text(encoding="utf-8"))
    files[SUMS_NAME] = sha256_file(root / SUMS_NAME)
    changes = read_json(root / CHANGES_NAME) if (root / CHANGES_NAME).is_file() else {}
    archive = zip_path(outputs_dir, name, version)
    return {
        "version": version,
        "created": descriptor.get("created"),
        "previous_version": changes.get("previous_version"),  # type: ignore[union-attr]
        "bump": changes.get("bump"),  # type: ignore[union-attr]
        "path": version,
        "zip": {"path": archive.name, "bytes": archive.stat().st_size, "sha256": sha256_file(archive)},
        "counts": {t: pq.ParquetFile(root / parquet_path(t)).metadata.num_rows for t in table_resources(descriptor)},
        "files": dict(sorted(files.items())),
    }


def _read_index(outputs_dir: Path) -> dict:
    path = releases_dir(outputs_dir) / INDEX_NAME
    try:
        data = read_json(path)
    except (FileNotFoundError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def build_index(outputs_dir: Path, *, hook: StepHook | None = None) -> dict:
    """The index of every release folder, making any missing zip first (releases never change, so
    entries already in ``index.json`` with their zip in place are reused)."""
    versions = release_versions(outputs_dir)
    old = {e.get("version"): e for e in _read_index(outputs_dir).get("releases", [])}
    entries = []
    name = None
    for version in versions:
        descriptor = read_datapackage(release_dir(outputs_dir, version))
        name = descriptor["name"]
        archive = zip_path(outputs_dir, name, version)
        if not archive.is_file():
            _step(hook, f"zip:{version}")
            deterministic_zip(release_dir(outputs_dir, version), archive, f"{name}-{version}")
        cached = old.get(version)
        if cached and cached.get("zip", {}).get("bytes") == archive.stat().st_size:
            entries.append(cached)
        else:
            entries.append(_release_entry(outputs_dir, version, name))
    return {"name": name, "latest": versions[-1] if versions else None, "releases": entries}


def refresh_index(outputs_dir: Path, *, hook: StepHook | None = None) -> dict:
    """Bring zips, ``index.json`` and ``latest`` in line with the release folders (idempotent)."""
    root = releases_dir(outputs_dir)
    index = build_index(outputs_dir, hook=hook)
    if not index["releases"]:
        return index
    if _read_index(outputs_dir) != index:
        _step(hook, "index")
        atomic_write_json(root / INDEX_NAME, index)
    link = root / LATEST_NAME
    if not (link.is_symlink() and os.readlink(link) == index["latest"]):
        _step(hook, "latest")
        replace_symlink(link, index["latest"])
    return index


def list_releases(outputs_dir: Path) -> list[dict]:
    """Every release, oldest first (for ``atlas releases``): the index entries with ``path`` the
    release folder. Reads, never writes."""
    index = _read_index(outputs_dir)
    entries = {e["version"]: e for e in index.get("releases", []) if "version" in e}
    out = []
    for version in release_versions(outputs_dir):
        entry = dict(entries.get(version) or _partial_entry(outputs_dir, version))
        entry["path"] = str(release_dir(outputs_dir, version))
        out.append(entry)
    return out


def _partial_entry(outputs_dir: Path, version: str) -> dict:
    root = release_dir(outputs_dir, version)
    descriptor = read_datapackage(root)
    counts = {t: pq.ParquetFile(root / parquet_path(t)).metadata.num_rows for t in table_resources(descriptor)}
    return {"version": version, "created": descriptor.get("created"), "counts": counts, "indexed": False}


# -- publish ---------------------------------------------------------------------------------------


def _copy_file(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def _review(status: dict, *, reviewer: str, note: str, created: str, accept_warnings: bool, version: str, previous: str | None, bump: str) -> dict:
    counts = status.get("severity_counts", {})
    return {
        "decision": "accepted-with-warnings" if counts.get("warning", 0) else "accepted",
        "reviewer": reviewer,
        "decided_at": created,
        "note": note,
        "accepted_warnings": bool(accept_warnings and counts.get("warning", 0)),
        "report": status.get("report", {}).get("json", "validation/report.json"),
        "report_sha256": status.get("report_sha256"),
        "severity_counts": {s: counts.get(s, 0) for s in SEVERITIES},
        "version": version,
        "previous_version": previous,
        "bump": bump,
        "candidate_created": status.get("created"),
        "sources": status.get("sources", []),
    }


def _build_release(
    outputs_dir: Path, build: Path, *, status: dict, diff, version: str, created: str, review: dict,
    previous_changelog: str | None, hook: StepHook | None,
) -> None:
    staging = staging_dir(outputs_dir)
    # exactly the files the candidate's SHA256SUMS vouches for (verified before), never anything
    # dropped into staging since
    listed = parse_sha256sums((staging / SUMS_NAME).read_text(encoding="utf-8"))
    for rel in sorted(r for r in listed if r not in RENDERED and not r.startswith(CANDIDATE_ONLY)):
        _step(hook, f"copy:{rel}")
        _copy_file(staging / rel, build / rel)
    _step(hook, "texts")
    descriptor = restamp(read_datapackage(staging), version=version, created=created)
    config = config_from_descriptor(descriptor)
    tables = schemas_of(descriptor)
    write_release_texts(
        build, descriptor=descriptor, diff=diff, created=created, status="release",
        previous_changelog=previous_changelog, config=config, tables=tables,
    )
    atomic_write_json(build / REVIEW_NAME, review, durable=False)
    write_sha256sums(build, durable=False)
    for rel in list_files(build):
        os.chmod(build / rel, 0o444)


def schemas_of(descriptor: dict) -> list[TableSchema]:
    """The table schemas as the descriptor records them (what was reviewed, even if ``schemas/``
    changed since the run)."""
    return [
        TableSchema(name, i, True, r["schema"], Path(f"{name}.schema.yaml"))
        for i, (name, r) in enumerate(table_resources(descriptor).items())
    ]


def publish(
    outputs_dir: Path,
    *,
    reviewer: str | None = None,
    note: str = "",
    accept_warnings: bool = False,
    created: str | None = None,
    lock: bool = True,
    hook: StepHook | None = None,
) -> PublishResult:
    """Promote ``outputs_dir/staging`` to ``outputs_dir/releases/<version>/``.

    Raises :class:`PublishRefused` (with the reason and what to do) when there is no candidate, an
    error stands, warnings are not accepted, staging changed since the run, or another run/publish
    holds the lock. Returns status ``unchanged`` (and makes nothing) when the candidate's data and
    metadata equal the latest release's. ``hook`` is called with the name of each step before it
    runs (tests use it to interrupt a publish at any point). ``lock=False`` when the caller already
    holds the outputs lock.
    """
    if not lock:
        return _publish(outputs_dir, reviewer=reviewer, note=note, accept_warnings=accept_warnings, created=created, hook=hook)
    try:
        with outputs_lock(outputs_dir, "atlas publish"):
            return _publish(outputs_dir, reviewer=reviewer, note=note, accept_warnings=accept_warnings, created=created, hook=hook)
    except LockHeld as exc:
        raise PublishRefused(str(exc)) from None


def _publish(outputs_dir: Path, *, reviewer: str | None, note: str, accept_warnings: bool, created: str | None, hook: StepHook | None) -> PublishResult:
    created = created or utc_now()
    status = _check_candidate(outputs_dir, accept_warnings)
    root = releases_dir(outputs_dir)
    root.mkdir(parents=True, exist_ok=True)
    remove_temp_dirs(root, RELEASE_TMP_PREFIX)
    refresh_index(outputs_dir, hook=hook)  # finish a publish that was killed after its rename
    latest = latest_release(outputs_dir)
    staging = staging_dir(outputs_dir)
    previous = read_snapshot(latest[1]) if latest else None
    diff = diff_snapshots(previous, read_snapshot(staging), latest[0] if latest else None)
    if diff.bump == "none":
        assert latest is not None
        return PublishResult(
            "unchanged", latest[0], latest[0], "none", latest[1], None,
            f"No change since release {latest[0]}: the candidate's data and metadata are the same, so no new release was made.",
        )
    version = diff.version
    target = release_dir(outputs_dir, version)
    if target.exists():
        raise PublishRefused(f"{target} already exists; releases are never overwritten")
    review = _review(
        status, reviewer=reviewer or _user(), note=note, created=created, accept_warnings=accept_warnings,
        version=version, previous=diff.previous_version, bump=diff.bump,
    )
    previous_log = (latest[1] / changelog.CHANGELOG_NAME).read_text(encoding="utf-8") if latest else None
    build = make_temp_dir(root, RELEASE_TMP_PREFIX)
    try:
        _build_release(
            outputs_dir, build, status=status, diff=diff, version=version, created=created, review=review,
            previous_changelog=previous_log, hook=hook,
        )
        _step(hook, "fsync")
        fsync_tree(build)
        os.chmod(build, 0o755)
        _step(hook, "rename")
        os.rename(build, target)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    fsync_dir(root)
    index = refresh_index(outputs_dir, hook=hook)
    name = index["name"]
    archive = zip_path(outputs_dir, name, version)
    _step(hook, "done")
    return PublishResult(
        "published", version, diff.previous_version, diff.bump, target, archive,
        f"Published {name} {version} ({diff.bump}"
        + (f" after {diff.previous_version}" if diff.previous_version else "")
        + f") in {target}; archive {archive}.",
    )


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


# -- review ------------------------------------------------------------------------------------------


def review_summary(outputs_dir: Path, *, top: int = 10) -> str:
    """``atlas review``: the candidate's state, counts by severity, top findings, the report's path.
    Uses the report module's ``summarize`` when it offers one."""
    status = read_status(outputs_dir)
    staging = staging_dir(outputs_dir)
    report_html = staging / status.get("report", {}).get("html", "validation/report.html")
    report_json = staging / status.get("report", {}).get("json", "validation/report.json")
    head = _status_lines(status, report_html)
    try:
        from pipeline.validate.report import summarize
    except ImportError:
        summarize = None
    if summarize is not None and report_json.is_file():
        try:
            return "\n".join([*head, "", str(summarize(read_json(report_json), top=top)), f"Report: {report_html}"])
        except (KeyError, TypeError, ValueError, AttributeError):
            pass  # a report in another format: fall back to the candidate's own counts
    counts = status.get("severity_counts", {})
    lines = head + ["", "Findings: " + ", ".join(f"{counts.get(s, 0)} {s}" for s in SEVERITIES)]
    findings = []
    if report_json.is_file():
        data = read_json(report_json)
        findings = data.get("findings", []) if isinstance(data, dict) else []
    order = {s: i for i, s in enumerate(SEVERITIES)}
    for f in sorted(findings, key=lambda f: (order.get(f.get("severity"), 9), f.get("source_file") or "", f.get("source_line") or 0))[:top]:
        where = f"{f.get('source_file')}:{f.get('source_line')}" if f.get("source_file") else ""
        lines.append(f"  {f.get('severity', '?'):<7} {f.get('rule', '')}: {f.get('message', '')} {where}".rstrip())
    lines.append(f"Report: {report_html}")
    return "\n".join(lines)


def _status_lines(status: dict, report_html: Path) -> list[str]:
    if not status.get("publishable"):
        return [f"Release candidate BLOCKED: {status.get('severity_counts', {}).get('error', 0)} error(s) must be fixed in the sources.",
                f"Report: {report_html}"]
    if status.get("bump") == "none":
        return [f"Release candidate identical to the latest release {status.get('version')}: publishing would make no new release."]
    return [f"Release candidate {status.get('version')} ({status.get('bump')}"
            + (f" after {status['previous_version']}" if status.get("previous_version") else "") + "), publishable."]
