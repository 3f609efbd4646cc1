"""`atlas verify PATH_OR_URL`: passes on a good release, fails naming the file on a tampered CSV, a
missing file and a wrong row count; works on a local folder and on an http address (served by the
site server on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from conftest import ATLAS
from publish_support import publish_as_editor, stage

from pipeline.fsutil import sha256_file, write_sha256sums
from pipeline.publish.verify import verify
from pipeline.site.build import build_site
from pipeline.site.serve import make_server


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("verify") / "out"
    stage(out)
    publish_as_editor(out)
    return out


@pytest.fixture
def release(outputs: Path, tmp_path: Path) -> Path:
    """A writable copy of release 1.0.0 (as a downloader has it)."""
    copy = tmp_path / "download"
    shutil.copytree(outputs / "releases" / "1.0.0", copy)
    for path in [copy, *copy.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    return copy


def atlas_verify(location: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ATLAS), "verify", location], capture_output=True, text=True, timeout=300)


def test_a_good_release_passes(release: Path) -> None:
    done = atlas_verify(str(release))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok: SHA256SUMS: " in done.stdout and "ok: frictionless validate: valid" in done.stdout
    assert "ok: row counts: CSV = Parquet = DuckDB = datapackage.json (organizations 2," in done.stdout
    assert "the release is intact and valid" in done.stdout


def test_a_tampered_csv_fails_naming_the_file(release: Path) -> None:
    csv = release / "data" / "organizations.csv"
    csv.write_bytes(csv.read_bytes().replace(b"Acme Digital Institute", b"Acme Digital Institvte"))
    done = atlas_verify(str(release))
    assert done.returncode == 1
    assert "data/organizations.csv: checksum differs from SHA256SUMS" in done.stderr
    assert "data/organizations.csv: sha256 differs from the hash in datapackage.json" in done.stderr
    assert "do not trust this copy" in done.stderr


def test_a_missing_file_fails_naming_it(release: Path) -> None:
    (release / "data" / "footnotes.parquet").unlink()
    result = verify(str(release))
    assert not result.ok
    assert "data/footnotes.parquet: listed in SHA256SUMS but missing" in result.problems
    assert any(p.startswith("data/footnotes.parquet: listed in datapackage.json") for p in result.problems)


def test_a_wrong_row_count_fails_even_with_consistent_checksums(release: Path) -> None:
    """A row dropped from a CSV, its size, hash and SHA256SUMS line updated to match: only the row
    counts (and Frictionless, which checks the declared rows) can tell."""
    csv = release / "data" / "footnotes.csv"
    lines = csv.read_bytes().splitlines(keepends=True)
    csv.write_bytes(b"".join(lines[:-1]))
    descriptor = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    resource = next(r for r in descriptor["resources"] if r["name"] == "footnotes")
    resource["bytes"], resource["hash"] = csv.stat().st_size, f"sha256:{sha256_file(csv)}"
    (release / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    write_sha256sums(release)
    result = verify(str(release))
    assert not result.ok
    assert any(
        p.startswith("footnotes: row counts differ: CSV 1, Parquet 2, DuckDB 2, datapackage.json (CSV) 2") for p in result.problems
    ), result.problems
    assert any("data/footnotes.csv" in p and "row-count" in p for p in result.problems), result.problems
    assert not any("SHA256SUMS" in p for p in result.problems)


def test_over_http_against_the_site_server(outputs: Path) -> None:
    site = build_site(outputs)
    server = make_server(site, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/releases"
        done = atlas_verify(f"{base}/latest/")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "ok: row counts" in done.stdout
        (site / "releases" / "1.0.0" / "data" / "sections.csv").unlink()  # the site's copy only
        result = verify(f"{base}/1.0.0")
        assert result.problems[0] == "data/sections.csv: listed in SHA256SUMS but missing (HTTP 404)"
        assert sum("data/sections.csv" in p and "missing" in p for p in result.problems) == 1  # said once
        assert not verify(f"{base}/9.9.9/").ok
    finally:
        server.shutdown()
        server.server_close()


def test_not_a_folder_is_a_plain_error(tmp_path: Path) -> None:
    done = atlas_verify(str(tmp_path / "nowhere"))
    assert done.returncode == 1 and "no such folder" in done.stderr and "Traceback" not in done.stderr
