"""Publishing: an accepted release candidate becomes an immutable, versioned release.

Scope: check the editor's decision against the candidate (no errors; warnings only when accepted;
staging intact per its SHA256SUMS), compute the version against the latest release (no change → no
release), build ``releases/<version>/`` in a temp folder inside ``releases/`` (same filesystem):
the candidate's data and report copied byte for byte, ``datapackage.json``, ``README.md``,
``CHANGELOG.md`` and ``changes.json`` rendered with the final version, ``review.json`` and
``SHA256SUMS``; fsync it and rename it into place. Then, in this order, the deterministic
``<name>-<version>.zip`` beside it, ``index.json``, the ``latest/`` folder (a real copy of the
latest release: hard links, never a symlink, so it survives a copy to static hosting), the
``<name>-latest.zip`` copy of its zip and ``latest.json``, each replaced atomically. A publish
killed at any point leaves the earlier releases, index and ``latest`` as they were; a folder
renamed into place is complete, and the next publish finishes its zip, index and ``latest``.
Published folders are never written again. The whole publish holds the outputs lock.

Release time: every timestamp inside a release (``created`` of the descriptor, the README, the
changelog entry, ``CITATION.cff``, the zip entries) is the candidate's recorded ``created``
(``SOURCE_DATE_EPOCH`` when the candidate was staged with it set), so publishing one candidate twice
gives the same files except ``review.json`` (who decided, when, the note) and its line in
``SHA256SUMS``. Integrity: every release file a publish reads (the latest release, any release it
zips, each descriptor it indexes) is checked against the release's ``SHA256SUMS`` first
(``pipeline.publish.integrity``); a changed file refuses the publish, naming the file.
It must not extract, validate or change the candidate.
"""

from __future__ import annotations

import getpass
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.artifacts import CandidateStatus, IndexEntry, LatestRelease, ReleaseIndex, Review, SeverityCounts, ZipRecord
from pipeline.fsutil import (
    SUMS_NAME,
    atomic_file,
    deterministic_zip,
    fsync_dir,
    fsync_tree,
    link_or_copy,
    list_files,
    make_temp_dir,
    parse_sha256sums,
    read_json,
    remove_temp_dirs,
    sha256_file,
    swap_in_dir,
    verify_sha256sums,
    write_sha256sums,
)
from pipeline.publish import changelog
from pipeline.publish.candidate import PUBLISHABLE_FILES, read_status, utc_now, write_release_texts, zip_time
from pipeline.publish.datapackage import DESCRIPTOR_NAME, config_from_descriptor, read_datapackage, restamp, table_resources
from pipeline.publish.integrity import IntegrityError, check_release
from pipeline.publish.layout import (
    CANDIDATE_ONLY,
    CHANGES_NAME,
    INDEX_NAME,
    LATEST_JSON,
    LATEST_NAME,
    LATEST_TMP_PREFIX,
    RELEASE_TMP_PREFIX,
    RELEASES,
    REVIEW_NAME,
    latest_release,
    latest_zip_path,
    release_dir,
    release_versions,
    releases_dir,
    row_counts,
    staging_dir,
    zip_path,
)
from pipeline.publish.lock import LockHeld, outputs_lock
from pipeline.publish.versioning import Diff, diff_snapshots, read_snapshot
from pipeline.schemas import schemas_of
from pipeline.validate.report import load_report, summarize

# Rendered again with the final version; every other candidate file is copied byte for byte.
RENDERED = PUBLISHABLE_FILES

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


def _check_candidate(outputs_dir: Path, accept_warnings: bool) -> CandidateStatus:
    try:
        status = read_status(outputs_dir)
    except (FileNotFoundError, ValueError) as exc:
        raise PublishRefused(str(exc)) from None
    staging = staging_dir(outputs_dir)
    report = staging / status.report_file("html")
    counts = status.severity_counts
    if not status.publishable:
        first = "".join(f"\n  - {line}" for line in status.blocking[:5])
        raise PublishRefused(
            f"the release candidate has {counts.error} error(s), so it cannot be published. "
            f"Fix the sources, run `atlas run` again and review {report}.{first}"
        )
    if counts.warning and not accept_warnings:
        raise PublishRefused(
            f"the validation report has {counts.warning} warning(s). Review {report}; "
            "to publish anyway, run `atlas publish --accept-warnings` (your decision is recorded in review.json)."
        )
    problems = verify_sha256sums(staging)
    report_json = staging / status.report_file("json")
    if status.report_sha256 and (not report_json.is_file() or sha256_file(report_json) != status.report_sha256):
        problems.append(f"{report_json.relative_to(staging)}: differs from the report the candidate was built with")
    if problems:
        raise PublishRefused(f"{staging} changed since `atlas run` built it ({'; '.join(problems[:3])}). Run `atlas run` again.")
    return status


# -- index and latest ------------------------------------------------------------------------------


def _release_entry(outputs_dir: Path, version: str, name: str) -> IndexEntry:
    root = release_dir(outputs_dir, version)
    descriptor = read_datapackage(root)
    files = parse_sha256sums((root / SUMS_NAME).read_text(encoding="utf-8"))
    files[SUMS_NAME] = sha256_file(root / SUMS_NAME)
    changes = read_json(root / CHANGES_NAME) if (root / CHANGES_NAME).is_file() else {}
    changes = changes if isinstance(changes, dict) else {}
    archive = zip_path(outputs_dir, name, version)
    return IndexEntry(
        version=version,
        created=descriptor.get("created"),
        previous_version=changes.get("previous_version"),
        bump=changes.get("bump"),
        path=version,
        zip=ZipRecord(path=archive.name, bytes=archive.stat().st_size, sha256=sha256_file(archive)),
        counts=row_counts(root, list(table_resources(descriptor))),
        files=dict(sorted(files.items())),
    )


def read_index(outputs_dir: Path) -> ReleaseIndex | None:
    """``releases/index.json``, or None when there is none yet; ``ValueError`` naming the file
    when it is not an index (the next publish rebuilds it)."""
    path = releases_dir(outputs_dir) / INDEX_NAME
    return ReleaseIndex.read(path) if path.is_file() else None


def _known_entries(outputs_dir: Path) -> dict[str, IndexEntry]:
    """The entries of the current index, by version; none when it is missing or unreadable (it is
    then rebuilt from the release folders, which are the truth)."""
    try:
        index = read_index(outputs_dir)
    except ValueError:
        return {}
    return {e.version: e for e in index.releases} if index else {}


def _restore_hint(outputs_dir: Path, name: str | None, version: str) -> str:
    archive = zip_path(outputs_dir, name or "<name>", version)
    return f"Restore releases/{version}/ from {archive.name} (its sha256 is in index.json) or from a backup."


def check_published(outputs_dir: Path, version: str, *, files: list[str] | None = None, name: str | None = None) -> None:
    """Check release ``version``'s files (all, or ``files``) against its ``SHA256SUMS`` and, when
    indexed, ``SHA256SUMS`` against ``index.json``; :class:`IntegrityError` names what changed."""
    entry = _known_entries(outputs_dir).get(version)
    check_release(
        release_dir(outputs_dir, version),
        label=f"{RELEASES}/{version}",
        files=files,
        sums_sha256=entry.files.get(SUMS_NAME) if entry else None,
        hint=_restore_hint(outputs_dir, name, version),
    )


def build_index(outputs_dir: Path, *, hook: StepHook | None = None) -> ReleaseIndex:
    """The index of every release folder, making any missing zip first (releases never change, so
    entries already in ``index.json`` with their zip in place are reused). Each descriptor read is
    checked against its release's ``SHA256SUMS``, and a whole release before it is zipped."""
    versions = release_versions(outputs_dir)
    old = _known_entries(outputs_dir)
    entries = []
    name = None
    for version in versions:
        check_published(outputs_dir, version, files=[DESCRIPTOR_NAME])
        descriptor = read_datapackage(release_dir(outputs_dir, version))
        name = descriptor["name"]
        archive = zip_path(outputs_dir, name, version)
        if not archive.is_file():
            check_published(outputs_dir, version, name=name)
            _step(hook, f"zip:{version}")
            deterministic_zip(release_dir(outputs_dir, version), archive, f"{name}-{version}", zip_time(descriptor.get("created")))
        cached = old.get(version)
        if cached and cached.zip.bytes == archive.stat().st_size:
            entries.append(cached)
        else:
            entries.append(_release_entry(outputs_dir, version, name))
    return ReleaseIndex(name=name, latest=versions[-1] if versions else None, releases=entries)


def refresh_index(outputs_dir: Path, *, hook: StepHook | None = None) -> ReleaseIndex:
    """Bring zips, ``index.json`` and the latest addresses in line with the release folders (idempotent)."""
    root = releases_dir(outputs_dir)
    index = build_index(outputs_dir, hook=hook)
    if not index.releases or index.latest is None:
        return index
    try:
        current = read_index(outputs_dir)
    except ValueError:
        current = None
    if current != index:
        _step(hook, "index")
        index.write(root / INDEX_NAME)
    _refresh_latest(outputs_dir, index.releases[-1], index.name or "release", hook)
    return index


def _refresh_latest(outputs_dir: Path, entry: IndexEntry, name: str, hook: StepHook | None) -> None:
    """``latest/`` (a copy of the latest release), ``<name>-latest.zip`` and ``latest.json``, in
    that order (the pointer last), each replaced atomically and only when out of date."""
    root = releases_dir(outputs_dir)
    source = release_dir(outputs_dir, entry.version)
    folder = root / LATEST_NAME
    sums = folder / SUMS_NAME
    if folder.is_symlink() or not sums.is_file() or sha256_file(sums) != entry.files.get(SUMS_NAME):
        _step(hook, "latest")
        remove_temp_dirs(root, LATEST_TMP_PREFIX)
        build = make_temp_dir(root, LATEST_TMP_PREFIX)
        try:
            for rel in list_files(source):
                link_or_copy(source / rel, build / rel)
            os.chmod(build, 0o755)
            swap_in_dir(build, folder)
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)
            raise
    latest_zip = latest_zip_path(outputs_dir, name)
    if not latest_zip.is_file() or sha256_file(latest_zip) != entry.zip.sha256:
        _step(hook, "latest-zip")
        with (root / entry.zip.path).open("rb") as src, atomic_file(latest_zip) as dst:
            shutil.copyfileobj(src, dst)
    pointer = LatestRelease(
        name=name,
        version=entry.version,
        created=entry.created,
        path=f"{entry.path}/",
        latest_path=f"{LATEST_NAME}/",
        zip=entry.zip,
        latest_zip=ZipRecord(path=latest_zip.name, bytes=entry.zip.bytes, sha256=entry.zip.sha256),
        files=entry.files,
    )
    path = root / LATEST_JSON
    if not path.is_file() or path.read_text(encoding="utf-8") != pointer.to_json():
        _step(hook, "latest-json")
        pointer.write(path)


@dataclass(frozen=True)
class ReleaseListing:
    """A release as ``atlas releases`` lists it: its index entry when indexed, its folder always."""

    version: str
    created: str | None
    counts: dict[str, int]
    path: Path
    indexed: bool


def list_releases(outputs_dir: Path) -> list[ReleaseListing]:
    """Every release, oldest first (for ``atlas releases``). Reads, never writes."""
    entries = _known_entries(outputs_dir)
    out = []
    for version in release_versions(outputs_dir):
        root = release_dir(outputs_dir, version)
        entry = entries.get(version)
        if entry is not None:
            out.append(ReleaseListing(version, entry.created, entry.counts, root, True))
        else:
            descriptor = read_datapackage(root)
            out.append(ReleaseListing(version, descriptor.get("created"), row_counts(root, list(table_resources(descriptor))), root, False))
    return out


# -- publish ---------------------------------------------------------------------------------------


def _copy_file(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def _review(status: CandidateStatus, *, reviewer: str, note: str, decided_at: str, accept_warnings: bool, diff: Diff) -> Review:
    warnings = status.severity_counts.warning
    return Review(
        decision="accepted-with-warnings" if warnings else "accepted",
        reviewer=reviewer,
        decided_at=decided_at,
        note=note,
        accepted_warnings=bool(accept_warnings and warnings),
        report=status.report_file("json"),
        report_sha256=status.report_sha256,
        severity_counts=SeverityCounts.of(status.severity_counts.to_dict()),
        version=diff.version,
        previous_version=diff.previous_version,
        bump=diff.bump,
        candidate_created=status.created,
        sources=status.sources,
    )


def _build_release(
    outputs_dir: Path,
    build: Path,
    *,
    diff: Diff,
    version: str,
    created: str,
    review: Review,
    previous_changelog: str | None,
    hook: StepHook | None,
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
    tables = schemas_of(table_resources(descriptor))
    write_release_texts(
        build,
        descriptor=descriptor,
        diff=diff,
        created=created,
        status="release",
        previous_changelog=previous_changelog,
        config=config,
        tables=tables,
    )
    review.write(build / REVIEW_NAME, durable=False)
    write_sha256sums(build, durable=False)
    for rel in list_files(build):
        os.chmod(build / rel, 0o444)


def publish(
    outputs_dir: Path,
    *,
    reviewer: str | None = None,
    note: str = "",
    accept_warnings: bool = False,
    decided_at: str | None = None,
    lock: bool = True,
    hook: StepHook | None = None,
) -> PublishResult:
    """Promote ``outputs_dir/staging`` to ``outputs_dir/releases/<version>/``.

    ``decided_at`` is the editor's decision time recorded in ``review.json`` (default: now); the
    release time inside the release is the candidate's ``created``.

    Raises :class:`PublishRefused` (with the reason and what to do) when there is no candidate, an
    error stands, warnings are not accepted, staging changed since the run, or another run/publish
    holds the lock. Returns status ``unchanged`` (and makes nothing) when the candidate's data and
    metadata equal the latest release's. ``hook`` is called with the name of each step before it
    runs (tests use it to interrupt a publish at any point). ``lock=False`` when the caller already
    holds the outputs lock.
    """
    options = {"reviewer": reviewer, "note": note, "accept_warnings": accept_warnings, "decided_at": decided_at, "hook": hook}
    try:
        if not lock:
            return _publish(outputs_dir, **options)  # type: ignore[arg-type]
        with outputs_lock(outputs_dir, "atlas publish"):
            return _publish(outputs_dir, **options)  # type: ignore[arg-type]
    except LockHeld as exc:
        raise PublishRefused(str(exc)) from None
    except IntegrityError as exc:
        raise PublishRefused(str(exc)) from None


def _publish(
    outputs_dir: Path, *, reviewer: str | None, note: str, accept_warnings: bool, decided_at: str | None, hook: StepHook | None
) -> PublishResult:
    decided_at = decided_at or utc_now()
    status = _check_candidate(outputs_dir, accept_warnings)
    created = status.created  # the one recorded release time
    root = releases_dir(outputs_dir)
    root.mkdir(parents=True, exist_ok=True)
    remove_temp_dirs(root, RELEASE_TMP_PREFIX)
    refresh_index(outputs_dir, hook=hook)  # finish a publish that was killed after its rename
    latest = latest_release(outputs_dir)
    if latest:
        check_published(outputs_dir, latest[0])  # its data, descriptor and changelog are read below
    staging = staging_dir(outputs_dir)
    previous = read_snapshot(latest[1]) if latest else None
    diff = diff_snapshots(previous, read_snapshot(staging), latest[0] if latest else None)
    if diff.bump == "none":
        assert latest is not None
        return PublishResult(
            "unchanged",
            latest[0],
            latest[0],
            "none",
            latest[1],
            None,
            f"No change since release {latest[0]}: the candidate's data and metadata are the same, so no new release was made.",
        )
    version = diff.version
    target = release_dir(outputs_dir, version)
    if target.exists():
        raise PublishRefused(f"{target} already exists; releases are never overwritten")
    review = _review(status, reviewer=reviewer or _user(), note=note, decided_at=decided_at, accept_warnings=accept_warnings, diff=diff)
    previous_log = (latest[1] / changelog.CHANGELOG_NAME).read_text(encoding="utf-8") if latest else None
    build = make_temp_dir(root, RELEASE_TMP_PREFIX)
    try:
        _build_release(
            outputs_dir,
            build,
            diff=diff,
            version=version,
            created=created,
            review=review,
            previous_changelog=previous_log,
            hook=hook,
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
    name = index.name or "release"
    archive = zip_path(outputs_dir, name, version)
    _step(hook, "done")
    return PublishResult(
        "published",
        version,
        diff.previous_version,
        diff.bump,
        target,
        archive,
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
    """``atlas review``: the candidate's state, the report's summary and top findings, its path.
    ``FileNotFoundError`` without a candidate; ``ValueError`` naming a file that cannot be read."""
    status = read_status(outputs_dir)
    staging = staging_dir(outputs_dir)
    report_html = staging / status.report_file("html")
    report = load_report(staging / status.report_file("json"))
    return "\n".join([*_status_lines(status, report_html), "", summarize(report, top=top), f"Report: {report_html}"])


def _status_lines(status: CandidateStatus, report_html: Path) -> list[str]:
    if not status.publishable:
        return [
            f"Release candidate BLOCKED: {status.severity_counts.error} error(s) must be fixed in the sources.",
            f"Report: {report_html}",
        ]
    if status.bump == "none":
        return [f"Release candidate identical to the latest release {status.version}: publishing would make no new release."]
    return [
        f"Release candidate {status.version} ({status.bump}"
        + (f" after {status.previous_version}" if status.previous_version else "")
        + "), publishable."
    ]
