"""Where the corrections file is: the configuration's ``corrections`` setting (default
``<sources>/corrections.yaml``), read the same way by ``atlas extract`` and the Dagster code
location; the file there is never extracted as profiles."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from conftest import ATLAS, REPO
from corrections_support import corrections_file, entry, write_sources

from pipeline.config import load_settings
from pipeline.defs.build import build_defs


def test_the_default_follows_the_sources_and_the_environment_overrides_it(tmp_path: Path) -> None:
    s = load_settings({"sources": tmp_path / "src"}, environ={}, cwd=tmp_path)
    assert s.corrections == tmp_path / "src" / "corrections.yaml" and s.origins["corrections"] == "default (from sources)"
    s = load_settings(environ={"ATLAS_CORRECTIONS": "/srv/editors.yaml"}, cwd=tmp_path)
    assert s.corrections == Path("/srv/editors.yaml") and s.origins["corrections"] == "environment ATLAS_CORRECTIONS"
    assert s.env()["ATLAS_CORRECTIONS"] == "/srv/editors.yaml"
    (tmp_path / "pyproject.toml").write_text('[tool.atlas.settings]\ncorrections = "editorial/fixes.yaml"\n', encoding="utf-8")
    assert load_settings(environ={}, cwd=tmp_path).corrections == tmp_path / "editorial" / "fixes.yaml"


def test_the_code_location_gets_the_configured_file(tmp_path: Path) -> None:
    defs = build_defs(tmp_path / "src", tmp_path / "out")
    paths = defs.resources["paths"]
    assert Path(paths.corrections) == (tmp_path / "src" / "corrections.yaml").absolute()
    assert paths.corrections_path == Path(paths.corrections)


def test_atlas_extract_applies_a_file_named_elsewhere_and_config_shows_it(tmp_path: Path) -> None:
    src = write_sources(tmp_path / "src", None)
    fixes = tmp_path / "editorial" / "fixes.yaml"
    fixes.parent.mkdir()
    fixes.write_text(corrections_file(entry(organization="hpo", table="organizations", column="established", value="1999")), "utf-8")
    env = {**os.environ, "ATLAS_SOURCES": str(src), "ATLAS_CORRECTIONS": str(fixes)}
    done = subprocess.run([str(ATLAS), "extract", "--out", str(tmp_path / "out")], cwd=REPO, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rows = (tmp_path / "out" / "corrections.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 2 and f",{fixes.as_posix()},2" in rows[1]  # outside the sources folder: named by its path
    shown = subprocess.run([str(ATLAS), "config"], cwd=REPO, env=env, capture_output=True, text=True)
    assert f"corrections        {fixes}" in shown.stdout
