"""Where things live under an outputs folder, and which releases exist.

Scope: the path conventions shared by staging and publishing (``staging/``, ``releases/<version>/``,
``releases/<name>-<version>.zip``, ``releases/index.json``, ``releases/latest``, temp-folder
prefixes) and finding the published versions. A release exists once its folder is in place: folders
only appear by an atomic rename of a complete, fsynced build. It must not write anything.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.publish.versioning import is_version, parse_version

STAGING = "staging"
RELEASES = "releases"
INDEX_NAME = "index.json"
LATEST_NAME = "latest"
CANDIDATE_STATUS = "candidate.json"
REVIEW_NAME = "review.json"
CHANGES_NAME = "changes.json"
README_NAME = "README.md"
VALIDATION_DIR = "validation"
QUARANTINE_DIR = "quarantine"  # unpublished tables (``quarantine/<table>.csv``), for editors only
# Files of a candidate that are never part of a release.
CANDIDATE_ONLY = (CANDIDATE_STATUS, f"{QUARANTINE_DIR}/")
STAGING_TMP_PREFIX = ".tmp-staging-"
RELEASE_TMP_PREFIX = ".tmp-release-"


def staging_dir(outputs_dir: Path) -> Path:
    return outputs_dir / STAGING


def releases_dir(outputs_dir: Path) -> Path:
    return outputs_dir / RELEASES


def release_dir(outputs_dir: Path, version: str) -> Path:
    if not is_version(version):
        raise ValueError(f"{version!r} is not a release version")
    return releases_dir(outputs_dir) / version


def zip_path(outputs_dir: Path, name: str, version: str) -> Path:
    return releases_dir(outputs_dir) / f"{name}-{version}.zip"


def release_versions(outputs_dir: Path) -> list[str]:
    """Published versions, oldest first (folders named MAJOR.MINOR.PATCH; temp folders ignored)."""
    root = releases_dir(outputs_dir)
    if not root.is_dir():
        return []
    found = [p.name for p in root.iterdir() if p.is_dir() and not p.is_symlink() and is_version(p.name)]
    return sorted(found, key=parse_version)


def latest_release(outputs_dir: Path) -> tuple[str, Path] | None:
    versions = release_versions(outputs_dir)
    if not versions:
        return None
    return versions[-1], release_dir(outputs_dir, versions[-1])
