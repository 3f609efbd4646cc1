"""Shared helpers for the site tests (a helper module, not a test module): an outputs folder with
two releases made by the real pipeline path (the second adding a profile full of markup), shared
once per test process by the site-build tests and the browser tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import SAMPLE, make_profile
from publish_support import stage_extraction

from pipeline.extract import extract_paths
from pipeline.publish.release import publish
from pipeline.site.build import build_site

EVIL_NAME = "Evil <script>window.__pwned = 1</script> Org"
EVIL_SUMMARY = 'Summary <img src=x onerror="window.__pwned = 2"> and <b>bold</b> & done.'


def run_and_publish(sources: Path, outputs: Path, **publish_options) -> str:
    """The pipeline's real path up to a published release; returns the version."""
    stage_extraction(extract_paths([sources]), outputs, context={"sources_dir": str(sources)})
    result = publish(outputs, reviewer="site-test", note="fixture", accept_warnings=True, **publish_options)
    return result.version


def published_outputs(root: Path) -> Path:
    """An outputs folder with releases 1.0.0 (sample) and 1.1.0 (+ a profile full of markup), the
    1.1.0 candidate still staged, and the site built."""
    sources, outputs = root / "sources", root / "outputs"
    sources.mkdir(parents=True)
    shutil.copy(SAMPLE, sources / SAMPLE.name)
    assert run_and_publish(sources, outputs) == "1.0.0"
    (sources / "evil.txt").write_text(make_profile(name=EVIL_NAME, acronym="EVL", summary=EVIL_SUMMARY), encoding="utf-8")
    assert run_and_publish(sources, outputs) == "1.1.0"
    build_site(outputs)
    return outputs


_SHARED: dict[str, Path] = {}


def shared_outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``published_outputs`` once per test session (this module and the browser tests share it)."""
    if "outputs" not in _SHARED:
        _SHARED["outputs"] = published_outputs(tmp_path_factory.mktemp("site"))
    return _SHARED["outputs"]


