"""Where things live under an outputs folder, and which releases exist.

Scope: the path conventions shared by staging, publishing and the site (``staging/``: the last
publishable candidate; ``blocked/``: the report of the latest run when it was blocked or failed,
kept beside the candidate, never replacing it; ``releases/<version>/``, ``data/<table>.csv`` and
``.parquet``, ``data/<name>.duckdb``, ``releases/<name>-<version>.zip``, ``releases/index.json``,
``releases/latest/``, ``releases/latest.json``, ``releases/<name>-latest.zip``, temp-folder
prefixes), version names, finding the
published versions and the row counts of a release-shaped folder (from its Parquet metadata).
A release exists once its folder is in place: folders
only appear by an atomic rename of a complete, fsynced build. It must not write anything.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow.parquet as pq

STAGING = "staging"
BLOCKED = "blocked"
RELEASES = "releases"
INDEX_NAME = "index.json"
LATEST_NAME = "latest"  # releases/latest/: a real folder holding a copy of the latest release
LATEST_JSON = "latest.json"  # releases/latest.json: the latest version, its folders and zips
CANDIDATE_STATUS = "candidate.json"
REVIEW_NAME = "review.json"
CHANGES_NAME = "changes.json"
README_NAME = "README.md"
VALIDATION_DIR = "validation"
DATA_DIR = "data"
REPORT_JSON = f"{VALIDATION_DIR}/report.json"  # the report, relative to a candidate or release folder
REPORT_HTML = f"{VALIDATION_DIR}/report.html"
QUARANTINE_DIR = "quarantine"  # unpublished tables (``quarantine/<table>.csv``), for editors only
# Files of a candidate that are never part of a release.
STAGING_MANIFEST = ".staging.json"  # what the candidate's data files were written from (pipeline.publish.reuse)
CANDIDATE_ONLY = (CANDIDATE_STATUS, STAGING_MANIFEST, f"{QUARANTINE_DIR}/")
STAGING_TMP_PREFIX = ".tmp-staging-"
RELEASE_TMP_PREFIX = ".tmp-release-"
LATEST_TMP_PREFIX = ".tmp-latest-"
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


def parse_version(text: str) -> tuple[int, int, int]:
    match = _SEMVER.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a semantic version MAJOR.MINOR.PATCH")
    return int(match[1]), int(match[2]), int(match[3])


def is_version(text: str) -> bool:
    return bool(_SEMVER.match(text))


def csv_path(table: str) -> str:
    """A table's CSV file in a candidate or release folder."""
    return f"{DATA_DIR}/{table}.csv"


def parquet_path(table: str) -> str:
    """A table's Parquet file in a candidate or release folder."""
    return f"{DATA_DIR}/{table}.parquet"


def database_path(name: str) -> str:
    """The DuckDB database of a candidate or release folder, named after the dataset."""
    return f"{DATA_DIR}/{name}.duckdb"


def row_counts(root: Path, tables: list[str]) -> dict[str, int]:
    """Rows per table of a candidate or release folder, from the Parquet files' metadata."""
    return {t: pq.ParquetFile(root / parquet_path(t)).metadata.num_rows for t in tables}


def staging_dir(outputs_dir: Path) -> Path:
    return outputs_dir / STAGING


def blocked_dir(outputs_dir: Path) -> Path:
    """The report, quarantine and status of the latest run when it was blocked or failed (absent
    once a later run stages a publishable candidate)."""
    return outputs_dir / BLOCKED


def releases_dir(outputs_dir: Path) -> Path:
    return outputs_dir / RELEASES


def release_dir(outputs_dir: Path, version: str) -> Path:
    if not is_version(version):
        raise ValueError(f"{version!r} is not a release version")
    return releases_dir(outputs_dir) / version


def zip_path(outputs_dir: Path, name: str, version: str) -> Path:
    return releases_dir(outputs_dir) / f"{name}-{version}.zip"


def latest_zip_path(outputs_dir: Path, name: str) -> Path:
    """``releases/<name>-latest.zip``: a copy of the latest release's zip, at a stable address."""
    return releases_dir(outputs_dir) / f"{name}-{LATEST_NAME}.zip"


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
