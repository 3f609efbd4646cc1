"""The cyclic collector rests while the job's steps load, store and merge findings (issue 15).

At 1000× a re-run's validation and release steps spent ~0.8 s in the collector's passes over the
findings the IO manager loads and stores and the validation step merges (tens of thousands of
objects, none in a cycle). This runs the job in process on the sample and watches
``gc.isenabled()`` from inside those calls; the collector is given back enabled after the run.
"""

from __future__ import annotations

import gc

import dagster as dg
import pytest
from conftest import SAMPLE

from pipeline.defs import assets
from pipeline.defs import io as atlas_io
from pipeline.defs.build import build_defs


def _spy(monkeypatch: pytest.MonkeyPatch, module: object, name: str, seen: dict[str, list[bool]]) -> None:
    real = getattr(module, name)

    def spy(*args, **kwargs):
        if name != "findings_metadata" or args[0].startswith("Validation"):  # not the extraction step's few
            seen.setdefault(name, []).append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)


def test_steps_store_load_and_merge_findings_with_the_collector_paused(tmp_path, monkeypatch) -> None:
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / SAMPLE.name).write_bytes(SAMPLE.read_bytes())
    seen: dict[str, list[bool]] = {}
    for module, name in [(atlas_io, "to_json"), (atlas_io, "from_json"), (assets, "merge_findings"), (assets, "findings_metadata")]:
        _spy(monkeypatch, module, name, seen)
    gc.enable()
    job = build_defs(tmp_path / "sources", tmp_path / "outputs").resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert result.success
    assert set(seen) == {"to_json", "from_json", "merge_findings", "findings_metadata"}
    assert not any(state for states in seen.values() for state in states), seen
    assert gc.isenabled()
