"""Crash safety of `atlas publish` (issue 8): a real publish subprocess is SIGKILLed at 20 different
points; every time the previous release, `index.json` and `latest` are intact, no partial release is
visible, and a re-run completes normally."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import SAMPLE, make_profile
from publish_support import latest_version, no_frictionless_check, publish_as_editor, stage_extraction, tree_state

from pipeline.extract import extract_paths
from pipeline.fsutil import parse_sha256sums

KILL_POINTS = 20
RUNNER = """
import os, signal, sys
from pathlib import Path
from pipeline.publish.release import publish
target = int(sys.argv[2]); seen = []
def hook(step):
    seen.append(step)
    if len(seen) == target:
        os.kill(os.getpid(), signal.SIGKILL)
publish(Path(sys.argv[1]), reviewer="editor", accept_warnings=True, decided_at="2025-03-01T00:00:00Z", hook=hook)
"""


def _stage(sources: Path, outputs: Path) -> None:
    """The staging step of the ``release_candidate`` asset, on the extraction of ``sources``."""
    stage_extraction(extract_paths([sources]), outputs, frictionless_check=no_frictionless_check, created="2025-01-01T00:00:00Z")


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """outputs/ with release 1.0.0 published and a 1.1.0 candidate (one more profile) staged."""
    root = tmp_path_factory.mktemp("kill")
    sources, outputs = root / "sources", root / "outputs"
    sources.mkdir()
    shutil.copy(SAMPLE, sources / SAMPLE.name)
    _stage(sources, outputs)
    assert publish_as_editor(outputs, accept_warnings=True).version == "1.0.0"
    (sources / "extra.txt").write_text(make_profile(name="Kill Test Forum", acronym="KTF"), encoding="utf-8")
    _stage(sources, outputs)
    return outputs


def _steps(base: Path, tmp: Path) -> list[str]:
    copy = tmp / "dry"
    shutil.copytree(base, copy, symlinks=True)
    seen: list[str] = []
    publish_as_editor(copy, accept_warnings=True, hook=seen.append)
    return seen


def _release_complete(folder: Path) -> bool:
    sums = folder / "SHA256SUMS"
    if not sums.is_file():
        return False
    import hashlib

    return all(
        hashlib.sha256((folder / rel).read_bytes()).hexdigest() == digest for rel, digest in parse_sha256sums(sums.read_text()).items()
    )


def test_publish_survives_sigkill_at_20_points(base: Path, tmp_path: Path) -> None:
    steps = _steps(base, tmp_path)
    assert len(steps) >= KILL_POINTS, steps
    points = sorted({round(i * (len(steps) - 1) / (KILL_POINTS - 1)) + 1 for i in range(KILL_POINTS)})
    assert len(points) == KILL_POINTS
    releases = base / "releases"
    before_100 = tree_state(releases / "1.0.0")
    before_index = (releases / "index.json").read_bytes()
    before_latest = latest_version(releases)

    def kill_at(point: int) -> tuple[int, str, Path]:
        out = tmp_path / f"k{point:03d}"
        shutil.copytree(base, out, symlinks=True)
        proc = subprocess.run([sys.executable, "-c", RUNNER, str(out), str(point)], capture_output=True, text=True, timeout=120)
        return proc.returncode, proc.stderr, out

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(kill_at, points))

    for point, (code, stderr, out) in zip(points, results, strict=True):
        step = steps[point - 1]
        assert code == -9, f"point {point} ({step}) was not killed: {code} {stderr[-500:]}"
        rel = out / "releases"
        # The previous release, the index and `latest` are intact, or already the complete new state.
        assert tree_state(rel / "1.0.0") == before_100, step
        index = json.loads((rel / "index.json").read_text())  # never half written
        latest = latest_version(rel, settled=False)
        if (rel / "index.json").read_bytes() != before_index:
            assert [r["version"] for r in index["releases"]] == ["1.0.0", "1.1.0"], step
        assert latest in (before_latest, "1.1.0"), step
        # No partial release is visible: a version folder exists only complete.
        visible = sorted(p.name for p in rel.iterdir() if p.is_dir() and not p.name.startswith(".") and not p.is_symlink())
        for version in visible:
            assert _release_complete(rel / version), f"partial release {version} visible after kill at {step}"
        # A re-run after the kill completes normally.
        again = publish_as_editor(out, accept_warnings=True)
        assert again.version == "1.1.0" or again.status == "unchanged", (step, again.message)
        assert latest_version(rel) == "1.1.0", step
        assert _release_complete(rel / "1.1.0"), step
        assert [r["version"] for r in json.loads((rel / "index.json").read_text())["releases"]] == ["1.0.0", "1.1.0"], step
        assert (rel / "geneva-digital-atlas-1.1.0.zip").is_file(), step
