"""The installed package finds its own contract: the wheel (``uv build``) carries ``schemas/`` and
``vocabularies/`` (and the release metadata), and once installed into a fresh virtual environment
``atlas extract`` runs on the sample from an empty folder, without the source checkout.

Dependencies come from the uv cache where it has them (``--offline``), else from the package
registry, pinned to the versions of the project's own environment."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, SAMPLE

pytestmark = pytest.mark.slow


def _uv(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    uv = shutil.which("uv")
    assert uv, "uv is part of the project's set-up (README, .ci/run)"
    return subprocess.run([uv, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def _offline_then_online(*args: str) -> subprocess.CompletedProcess:
    proc = _uv(*args, "--offline")
    return proc if proc.returncode == 0 else _uv(*args)


def test_the_wheel_ships_its_contract_and_extracts_from_an_empty_folder(tmp_path: Path) -> None:
    dist, venv, empty = tmp_path / "dist", tmp_path / "venv", tmp_path / "empty"
    built = _offline_then_online("build", "--wheel", "--quiet", "-o", str(dist))
    assert built.returncode == 0, built.stderr
    (wheel,) = dist.glob("*.whl")
    assert _uv("venv", "--quiet", "--python", f"{sys.version_info.major}.{sys.version_info.minor}", str(venv)).returncode == 0
    constraints = tmp_path / "constraints.txt"
    frozen = _uv("pip", "freeze", "--python", sys.executable)
    constraints.write_text(
        "".join(line + "\n" for line in frozen.stdout.splitlines() if "geneva-digital-atlas" not in line and not line.startswith("-e"))
    )
    installed = _offline_then_online(
        "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), "-c", str(constraints), str(wheel)
    )
    assert installed.returncode == 0, installed.stderr
    site_packages = next(venv.glob("lib/python*/site-packages"))
    contract = site_packages / "pipeline" / "contract"
    assert sorted(p.name for p in (contract / "schemas").glob("*.yaml")) == sorted(p.name for p in (REPO / "schemas").glob("*.yaml"))
    assert (contract / "vocabularies" / "vocabulary.toml").is_file() and (contract / "pyproject.toml").is_file()

    empty.mkdir()
    proc = subprocess.run(
        [str(venv / "bin" / "atlas"), "extract", str(SAMPLE), "--out", "out"], cwd=empty, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "organizations" in proc.stdout and " 6 rows" in proc.stdout
    assert sorted(p.name for p in (empty / "out").glob("*.csv")) == sorted(
        f"{p.name.removesuffix('.schema.yaml')}.csv" for p in (REPO / "schemas").glob("*.yaml")
    )
    config = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "from pipeline.config import CONTRACT_DIR, release_config; print(CONTRACT_DIR); print(release_config().name)",
        ],
        cwd=empty,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert config.returncode == 0 and config.stdout.splitlines() == [str(contract), "geneva-digital-atlas"], config.stdout + config.stderr
