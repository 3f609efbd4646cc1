"""An incremental re-run stages the same candidate as a full run (issue 15).

The staging path of ``atlas run`` with its caches (the row-local checks and the Frictionless
check of the written rows, both by partition) against the same path without any cache: after one
source file changed, the candidate's CSV and Parquet files are byte for byte the same and so are
the report's findings; a defect in a file that did not change (found from the cache) and one in
the file that changed (found again) are both reported; a wiped cache gives the same again; and the
Dagster job itself checks only the changed partition on its second run.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import sys
from pathlib import Path

import dagster as dg
import pytest

from pipeline.defs.build import build_defs
from pipeline.extract import extract_paths
from pipeline.publish.candidate import stage
from pipeline.validate.checks import check_tables
from pipeline.validate.incremental import check_partitioned

REPO = Path(__file__).resolve().parents[2]
CREATED = "2025-01-01T00:00:00Z"
VERSION = "incremental-test"


def _make_corpus():
    if "make_corpus" not in sys.modules:
        spec = importlib.util.spec_from_file_location("make_corpus", REPO / "benchmarks" / "make_corpus.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["make_corpus"] = module
        spec.loader.exec_module(module)
    return sys.modules["make_corpus"]


def add_defect(path: Path, defect: str) -> None:
    """Append ``defect`` to the first paragraph of the file's first section text (replacing the file)."""
    text = path.read_text(encoding="utf-8")
    at = text.index("\n\n", text.index("Digital activities")) if "Digital activities" in text else text.index("\n\n")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text[:at] + " " + defect + text[at:], encoding="utf-8")
    tmp.replace(path)


def staged(sources: Path, outputs: Path, cache: Path | None):
    """Extract, check and stage as ``atlas run`` does, with the caches under ``cache`` (None: none)."""
    extraction = extract_paths([sources])
    url = str(cache) if cache else None
    if cache:
        checks = check_partitioned(extraction.tables, cache_url=url, code_version=VERSION).findings
    else:
        checks = check_tables(extraction.tables)
    result = stage(extraction.tables, outputs, sources=extraction.sources, findings=extraction.findings, check_findings=checks,
                   created=CREATED, cache_url=url, code_version=VERSION)
    return result


def data_files(outputs: Path) -> dict[str, str]:
    data = outputs / "staging" / "data"
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(data.iterdir()) if p.suffix in (".csv", ".parquet")}


def findings(outputs: Path) -> list[dict]:
    return json.loads((outputs / "staging" / "validation" / "report.json").read_text(encoding="utf-8"))["findings"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("incremental")
    _make_corpus().make_corpus(5, root / "sources", seed=9, files=4)
    return root


def test_an_incremental_re_run_stages_what_a_full_run_stages(corpus: Path) -> None:
    sources, cache = corpus / "sources", corpus / "cache"
    files = sorted(sources.glob("*.txt"))
    unchanged, changed = files[0], files[-1]
    add_defect(unchanged, "TODO: ofpartners")  # found in the first run, then read from the cache
    staged(sources, corpus / "incremental", cache)
    add_defect(changed, "[insert text] withthe")  # only this file changes
    incremental = staged(sources, corpus / "incremental", cache)
    full = staged(sources, corpus / "full", None)
    assert incremental.publishable and full.publishable
    assert data_files(corpus / "incremental") == data_files(corpus / "full")
    assert findings(corpus / "incremental") == findings(corpus / "full")
    reported = {(f["source_file"], f["rule"]) for f in findings(corpus / "full")}
    assert {(unchanged.name, "placeholder-text"), (unchanged.name, "run-together-words")} <= reported
    assert {(changed.name, "placeholder-text"), (changed.name, "run-together-words")} <= reported
    shutil.rmtree(cache)  # wiped: everything is checked again, the same candidate
    staged(sources, corpus / "wiped", cache)
    assert data_files(corpus / "wiped") == data_files(corpus / "full") and findings(corpus / "wiped") == findings(corpus / "full")


def test_the_job_checks_only_the_changed_partition(tmp_path: Path) -> None:
    _make_corpus().make_corpus(2, tmp_path / "sources", seed=4, files=3)
    defs = build_defs(tmp_path / "sources", tmp_path / "outputs")
    job = defs.resolve_job_def("atlas_pipeline")
    instance = dg.DagsterInstance.ephemeral()

    def checked() -> dict:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
        assert result.success
        events = result.get_asset_materialization_events()
        return next({k: v.value for k, v in e.event_specific_data.materialization.metadata.items()}
                    for e in events if e.asset_key.to_user_string() == "validation_report")

    first = checked()
    assert first["partitions_checked"] == first["partitions"] == 3 and first["partitions_cached"] == 0
    add_defect(sorted((tmp_path / "sources").glob("*.txt"))[1], "TODO")
    second = checked()
    assert second["partitions_checked"] == 1 and second["partitions_cached"] == 2
    assert not list((tmp_path / "outputs" / ".io").rglob("*.pickle"))
    assert any(p.read_bytes()[:6] == b"ARROW1" for p in (tmp_path / "outputs" / ".io").rglob("*") if p.is_file())
