"""``atlas verify``: check a downloaded release the way a careful downloader would.

Scope: take a release folder, or the http(s) address of one (``.../releases/1.2.0/`` or
``.../releases/latest/``; every file ``SHA256SUMS`` lists is downloaded into a temp folder first,
refusing paths that leave it), then check, in this order, and report every problem in plain words
naming the file:

1. ``SHA256SUMS``: every listed file is there with that sha256 (``pipeline.publish.integrity``, the
   same check ``atlas publish`` and ``atlas site`` make);
2. ``datapackage.json``: each resource's file exists with the ``bytes`` and ``hash`` it declares;
3. ``frictionless validate``: the whole package (CSV and Parquet tables against their schemas,
   keys, row counts);
4. row counts: CSV = Parquet = DuckDB = the descriptor's ``rows``, table by table.

It must not change the folder it checks.
"""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import quote, urlsplit

import pyarrow.parquet as pq

from pipeline.fsutil import SUMS_NAME, parse_sha256sums, sha256_file
from pipeline.publish.database import database_counts
from pipeline.publish.datapackage import DATABASE_RESOURCE, DESCRIPTOR_NAME, PARQUET_SUFFIX, table_resources
from pipeline.publish.integrity import release_problems

MAX_FRICTIONLESS_ERRORS = 20
TIMEOUT = 60


@dataclass
class Verification:
    """What ``atlas verify`` found: ``passed`` (one line per check that held) and ``problems``."""

    location: str
    passed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def is_url(location: str) -> bool:
    return urlsplit(location).scheme in ("http", "https")


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=TIMEOUT) as response:  # noqa: S310 - http(s) only, checked by is_url
        return response.read()


def download(base: str, dest: Path, fetch: Callable[[str], bytes] = _fetch) -> list[str]:
    """Download ``SHA256SUMS`` and every file it lists from the folder at ``base`` into ``dest``;
    the problems (a file that cannot be fetched, a listed path outside the folder)."""
    base = base if base.endswith("/") else base + "/"
    try:
        sums = fetch(base + SUMS_NAME)
    except (urllib.error.URLError, OSError) as exc:
        return [f"{SUMS_NAME}: cannot be downloaded from {base} ({exc})"]
    (dest / SUMS_NAME).write_bytes(sums)
    problems = []
    for rel in parse_sha256sums(sums.decode("utf-8", errors="replace")):
        parts = PurePosixPath(rel).parts
        if not parts or PurePosixPath(rel).is_absolute() or ".." in parts:
            problems.append(f"{rel}: listed in {SUMS_NAME} with a path outside the folder; not downloaded")
            continue
        try:
            data = fetch(base + quote(rel))
        except urllib.error.HTTPError as exc:
            problems.append(f"{rel}: listed in {SUMS_NAME} but missing (HTTP {exc.code})")
            continue
        except (urllib.error.URLError, OSError) as exc:
            problems.append(f"{rel}: cannot be downloaded ({exc})")
            continue
        target = dest.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return problems


def _resource_problems(root: Path, descriptor: dict) -> list[str]:
    problems = []
    for resource in descriptor.get("resources", []):
        path = resource.get("path")
        if not isinstance(path, str):
            continue
        file = root / path
        if not file.is_file():
            problems.append(f"{path}: listed in {DESCRIPTOR_NAME} (resource {resource.get('name')!r}) but missing")
            continue
        if "bytes" in resource and file.stat().st_size != resource["bytes"]:
            problems.append(f"{path}: {file.stat().st_size} bytes, {DESCRIPTOR_NAME} says {resource['bytes']}")
        digest = str(resource.get("hash", ""))
        if digest.startswith("sha256:") and sha256_file(file) != digest.removeprefix("sha256:"):
            problems.append(f"{path}: sha256 differs from the hash in {DESCRIPTOR_NAME}")
    return problems


def _frictionless_problems(descriptor_path: Path) -> list[str]:
    from frictionless import FrictionlessException, Package

    try:
        report = Package(str(descriptor_path)).validate(limit_errors=MAX_FRICTIONLESS_ERRORS)
    except FrictionlessException as exc:
        return [f"{DESCRIPTOR_NAME}: frictionless cannot open it: {exc}"]
    problems = [f"{DESCRIPTOR_NAME}: {e.message}" for e in report.errors]
    for task in report.tasks:
        for error in task.errors[:MAX_FRICTIONLESS_ERRORS]:
            where = f" row {error.row_number}" if getattr(error, "row_number", None) else ""
            problems.append(f"{task.place}{where}: frictionless {error.type}: {error.note or error.message}")
    return problems


def _csv_rows(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as f:
        return max(sum(1 for _ in csv.reader(f)) - 1, 0)


def row_count_problems(root: Path, descriptor: dict) -> tuple[list[str], dict[str, int]]:
    """Rows per table in the CSV, the Parquet, the DuckDB file and the descriptor; a problem for
    every table whose counts differ."""
    resources = {r.get("name"): r for r in descriptor.get("resources", [])}
    database = resources.get(DATABASE_RESOURCE)
    in_db: dict[str, int] = {}
    problems = []
    if database and (root / database["path"]).is_file():
        try:
            in_db = database_counts(root / database["path"])
        except Exception as exc:  # noqa: BLE001 - any DuckDB failure is a finding about the file
            problems.append(f"{database['path']}: cannot be opened by DuckDB ({exc})")
    counts = {}
    for name, resource in table_resources(descriptor).items():
        parquet = resources.get(f"{name}{PARQUET_SUFFIX}", {})
        found = {
            "CSV": _csv_rows(root / resource["path"]) if (root / resource["path"]).is_file() else None,
            "Parquet": pq.ParquetFile(root / parquet["path"]).metadata.num_rows if parquet and (root / parquet["path"]).is_file() else None,
            "DuckDB": in_db.get(name) if database else None,
            f"{DESCRIPTOR_NAME} (CSV)": resource.get("rows"),
            f"{DESCRIPTOR_NAME} (Parquet)": parquet.get("rows") if parquet else None,
        }
        known = {k: v for k, v in found.items() if v is not None}
        if len(set(known.values())) > 1:
            problems.append(f"{name}: row counts differ: " + ", ".join(f"{k} {v}" for k, v in known.items()))
        elif known:
            counts[name] = next(iter(known.values()))
    return problems, counts


def verify_folder(root: Path, result: Verification) -> Verification:
    sums = release_problems(root)
    result.problems += sums
    if not (root / SUMS_NAME).is_file():
        return result
    if not sums:
        result.passed.append(f"{SUMS_NAME}: {len(parse_sha256sums((root / SUMS_NAME).read_text(encoding='utf-8')))} files match")
    try:
        descriptor = json.loads((root / DESCRIPTOR_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        result.problems.append(f"{DESCRIPTOR_NAME}: cannot be read ({exc})")
        return result
    own = _resource_problems(root, descriptor)
    result.problems += own
    if not own:
        result.passed.append(f"{DESCRIPTOR_NAME}: every resource's file has its declared size and sha256")
    frictionless = _frictionless_problems(root / DESCRIPTOR_NAME)
    result.problems += frictionless
    if not frictionless:
        result.passed.append("frictionless validate: valid (CSV and Parquet tables, keys, row counts)")
    rows, counts = row_count_problems(root, descriptor)
    result.problems += rows
    if not rows:
        result.passed.append(
            "row counts: CSV = Parquet = DuckDB = datapackage.json (" + ", ".join(f"{k} {v}" for k, v in counts.items()) + ")"
        )
    return result


def verify(location: str) -> Verification:
    """Verify the release folder or http(s) folder address ``location``."""
    result = Verification(location)
    if not is_url(location):
        root = Path(location)
        if not root.is_dir():
            result.problems.append(f"{location}: no such folder")
            return result
        return verify_folder(root, result)
    tmp = Path(tempfile.mkdtemp(prefix="atlas-verify-"))
    try:
        fetched = download(location, tmp)
        if (tmp / SUMS_NAME).is_file():
            verify_folder(tmp, result)
        # a file that could not be downloaded is reported once, with its HTTP status
        unfetched = {p.split(": ", 1)[0] for p in fetched}
        result.problems = fetched + [p for p in result.problems if not (p.split(": ", 1)[0] in unfetched and "missing" in p)]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return result
