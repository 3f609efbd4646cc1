"""Crash safety of the one staging step (``pipeline.publish.candidate.stage``, what the
``release_candidate`` asset runs): a real staging subprocess is SIGKILLed before each of its steps;
every time ``outputs/staging`` is the previous candidate, whole, or the new one, whole (its
SHA256SUMS verifies), and the next staging cleans up the killed build and succeeds."""

from __future__ import annotations

import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import SAMPLE, make_profile
from publish_support import no_frictionless_check, sha256sum_check, stage_extraction, tree_state

from pipeline.extract import extract_paths

RUNNER = """
import os, signal, sys
from pathlib import Path
sys.path[:0] = [sys.argv[3]]
from publish_support import no_frictionless_check, stage_extraction
from pipeline.extract import extract_paths
target = sys.argv[2]
def hook(step):
    if step == target:
        os.kill(os.getpid(), signal.SIGKILL)
outputs = Path(sys.argv[1])
stage_extraction(extract_paths([outputs.parent / "sources"]), outputs, frictionless_check=no_frictionless_check,
                 created="2025-02-01T00:00:00Z", hook=hook)
"""
STEPS = ["data", "quarantine", "frictionless", "texts", "report", "sums", "status", "swap", "clear-blocked", "done"]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a staged candidate for the sample, and sources with one more profile."""
    root = tmp_path_factory.mktemp("stage-kill")
    sources, outputs = root / "sources", root / "outputs"
    sources.mkdir()
    shutil.copy(SAMPLE, sources / SAMPLE.name)
    stage_extraction(extract_paths([sources]), outputs, frictionless_check=no_frictionless_check, created="2025-01-01T00:00:00Z")
    (sources / "extra.txt").write_text(make_profile(name="Stage Kill Forum", acronym="SKF"), encoding="utf-8")
    return root


def test_staging_steps_are_the_ones_killed_below(base: Path, tmp_path: Path) -> None:
    copy = tmp_path / "dry"
    shutil.copytree(base, copy, symlinks=True)
    seen: list[str] = []
    stage_extraction(extract_paths([copy / "sources"]), copy / "outputs", frictionless_check=no_frictionless_check, hook=seen.append)
    assert seen == STEPS


def test_staging_survives_sigkill_before_every_step(base: Path, tmp_path: Path) -> None:
    before = tree_state(base / "outputs" / "staging")
    tests_dir = str(Path(__file__).resolve().parents[1])

    def kill_at(step: str) -> tuple[str, int, str, Path]:
        root = tmp_path / step
        shutil.copytree(base, root, symlinks=True)
        proc = subprocess.run(
            [sys.executable, "-c", RUNNER, str(root / "outputs"), step, tests_dir], capture_output=True, text=True, timeout=300
        )
        return step, proc.returncode, proc.stderr, root / "outputs"

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(kill_at, STEPS))
    for step, code, stderr, outputs in results:
        assert code == -9, f"{step}: not killed ({code}) {stderr[-400:]}"
        staging = outputs / "staging"
        if step in ("clear-blocked", "done"):  # the new folder was swapped in whole
            assert (staging / "candidate.json").read_text(encoding="utf-8") != (base / "outputs" / "staging" / "candidate.json").read_text(
                encoding="utf-8"
            )
            assert "SKF" in (staging / "data" / "organizations.csv").read_text(encoding="utf-8")
        else:  # killed before the swap: the previous candidate, untouched
            assert tree_state(staging) == before, step
        assert sha256sum_check(staging).returncode == 0, step
        again = stage_extraction(extract_paths([outputs.parent / "sources"]), outputs, frictionless_check=no_frictionless_check)
        assert again.publishable and again.counts["organizations"] == 7, step
        assert not [p.name for p in outputs.iterdir() if p.name.startswith(".tmp-staging-")], step
