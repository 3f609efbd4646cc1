"""The cyclic collector rests while staging, the partitioned checks and the site run (issue 15).

Those stages make hundreds of thousands of acyclic objects; with the collector on, every full pass
walks all live data again (at 1000×, 6–9 passes in staging alone). Each test watches
``gc.isenabled()`` from inside the stage and checks the collector's state is given back after,
whatever it was before.
"""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest
from publish_support import stage, warning_finding

from pipeline.site import build as site_build
from pipeline.validate import incremental


def spy_on(monkeypatch, module, name: str) -> list[bool]:
    """Replace ``module.name`` by a wrapper that records ``gc.isenabled()`` at each call."""
    seen: list[bool] = []
    real = getattr(module, name)

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return seen


@pytest.fixture(params=[True, False], ids=["collector-on", "collector-off"])
def collector(request):
    (gc.enable if request.param else gc.disable)()
    yield request.param
    gc.enable()


def test_staging_runs_with_the_collector_paused(tmp_path, collector) -> None:
    seen: list[bool] = []
    result = stage(tmp_path / "out", findings=[warning_finding()], hook=lambda step: seen.append(gc.isenabled()))
    assert result.publishable
    assert seen and not any(seen)  # every step, from "data" to "done"
    assert gc.isenabled() is collector


def test_the_site_renders_with_the_collector_paused(tmp_path, monkeypatch, collector) -> None:
    stage(tmp_path / "out", findings=[warning_finding()])
    seen = spy_on(monkeypatch, site_build, "render_site")
    assert (site_build.build_site(tmp_path / "out") / "index.html").is_file()
    assert seen == [False]
    assert gc.isenabled() is collector


def test_the_partitioned_checks_run_with_the_collector_paused(sample, tmp_path, monkeypatch, collector) -> None:
    seen = spy_on(monkeypatch, incremental, "global_findings")
    run = incremental.check_partitioned(sample.tables, cache_url=str(tmp_path / "cache"), code_version="test")
    assert run.findings and seen == [False]
    assert gc.isenabled() is collector


_IMPORTS = (
    "import gc, sys\n"
    "from pipeline import cli, run\n"
    "seen = []\n"
    "class Finder:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name == run.JOB_MODULE:\n"
    "            seen.append(gc.isenabled())\n"
    "sys.meta_path.insert(0, Finder())\n"
    "run.dg.build_reconstructable_job = lambda *a, **k: (_ for _ in ()).throw(SystemExit(0))  # stop before the run\n"
    "try:\n"
    "    from pathlib import Path\n"
    "    from types import SimpleNamespace\n"
    "    run._execute(SimpleNamespace(sources=Path('s'), outputs=Path('o')), False)\n"
    "except SystemExit:\n"
    "    pass\n"
    "print(seen, gc.isenabled(), gc.get_freeze_count() > 100_000)"
)


def test_atlas_run_imports_the_job_with_the_collector_paused_then_freezes_it() -> None:
    """Run in a fresh interpreter (the job module is imported once per process)."""
    out = subprocess.run([sys.executable, "-c", _IMPORTS], capture_output=True, text=True, check=True).stdout.strip().split(maxsplit=1)
    assert out == ["[False]", "True True"]


_IMPORTING = (
    "import gc, sys\n"
    "from pipeline.fsutil import importing\n"
    "out = []\n"
    "for enabled, module in [(True, 'json'), (True, 'colorsys'), (False, 'colorsys'), (False, 'wave')]:\n"
    "    (gc.enable if enabled else gc.disable)()\n"
    "    made = [object()]\n"
    "    with importing():\n"
    "        out.append(gc.isenabled())\n"
    "        __import__(module)\n"
    "    frozen = id(made) not in {id(o) for o in gc.get_objects()}\n"
    "    out += [frozen, gc.isenabled() is enabled]\n"
    "print(*out)"
)


def test_importing_pauses_the_collector_and_freezes_only_after_new_imports() -> None:
    """Run in a fresh interpreter: ``json`` is already loaded (nothing frozen), ``colorsys`` and
    ``wave`` are not (everything alive is frozen); the collector's state is given back either way."""
    out = subprocess.run([sys.executable, "-c", _IMPORTING], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False", "True", "False", "True", "True", "False", "False", "True", "False", "True", "True"]
