"""The asset graph materialised in process on temporary folders (issue 4's acceptance).

- ``--select '*'`` on the sample stages a release candidate and skips ``release`` without failing;
- the separate publish job with an editor's decision publishes, and without one publishes nothing;
- a blocking error (a profile with neither a name nor an acronym) fails its check: no candidate, the failing report in
  ``staging/validation/``, nothing publishable in staging, earlier releases untouched;
- changing one of two source files re-extracts that file alone (cache keyed by sha256).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from conftest import SAMPLE

from pipeline.defs.build import build_defs
from pipeline.extract.cache import decode
from pipeline.publish.datapackage import published_schemas

DECISION = {"ops": {"release": {"config": {"reviewer": "Ada Editor", "note": "checked", "accept_warnings": True}}}}


def _run(defs: dg.Definitions, job: str | None = None, run_config: dict | None = None):
    job_def = defs.resolve_job_def(job) if job else defs.resolve_implicit_global_asset_job_def()
    return job_def.execute_in_process(instance=dg.DagsterInstance.ephemeral(), run_config=run_config, raise_on_error=False)


def _materialized(result) -> dict[str, dict]:
    out = {}
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        out[mat.asset_key.to_user_string()] = {k: v.value for k, v in mat.metadata.items()}
    return out


def _data_versions(result) -> dict[str, str]:
    return {
        e.asset_key.to_user_string(): e.event_specific_data.materialization.tags.get("dagster/data_version")
        for e in result.get_asset_materialization_events()
    }


def _checks(result) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


def _tree_sums(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The sample run with ``--select '*'``, then published through the publish job."""
    root = tmp_path_factory.mktemp("dagster-sample")
    (root / "sources").mkdir()
    (root / "sources" / SAMPLE.name).write_bytes(SAMPLE.read_bytes())
    defs = build_defs(root / "sources", root / "outputs")
    everything = _run(defs)
    staged = _tree_sums(root / "outputs" / "staging")
    undecided = _run(defs, "publish_release")
    releases_after_undecided = (
        sorted(p.name for p in (root / "outputs" / "releases").glob("*")) if (root / "outputs" / "releases").exists() else []
    )
    decided = _run(defs, "publish_release", DECISION)
    return {
        "root": root,
        "defs": defs,
        "everything": everything,
        "staged": staged,
        "undecided": undecided,
        "releases_after_undecided": releases_after_undecided,
        "decided": decided,
    }


def test_select_all_stages_the_candidate_and_skips_release(published: dict) -> None:
    result = published["everything"]
    assert result.success
    done = _materialized(result)
    assert {"source_files", "extracted_records", "organizations", "validation_report", "release_candidate"} <= set(done)
    assert "release" not in done  # no editor's decision: skipped, not failed
    assert _checks(result) == {"extraction_clean": True, "pandera_contract": True, "frictionless_package": True}
    staged = published["staged"]
    assert "datapackage.json" in staged and "data/organizations.csv" in staged and "validation/report.html" in staged
    assert done["organizations"]["dagster/row_count"] == 6
    assert done["release_candidate"]["version"] == "1.0.0"


def test_check_metadata_reads_well_in_the_ui(published: dict) -> None:
    evaluation = next(e for e in published["everything"].get_asset_check_evaluations() if e.check_name == "pandera_contract")
    meta = {k: v.value for k, v in evaluation.metadata.items()}
    assert meta["errors"] == 0 and meta["warnings"] > 0  # the sample has warnings, no errors
    assert "### pandera + data rules" in meta["summary"] and "| warning |" in meta["summary"]
    assert evaluation.metadata["first_findings"].value.records  # a table of the first findings


def test_publish_job_needs_a_decision(published: dict) -> None:
    assert published["undecided"].success
    assert "release" not in _materialized(published["undecided"])
    assert published["releases_after_undecided"] == []
    decided = published["decided"]
    assert decided.success, [e.message for e in decided.all_events if e.is_failure]
    assert _materialized(decided)["release"]["version"] == "1.0.0"
    review = published["root"] / "outputs" / "releases" / "1.0.0" / "review.json"
    assert "Ada Editor" in review.read_text(encoding="utf-8")


def test_blocking_error_stops_before_the_candidate(published: dict) -> None:
    root: Path = published["root"]
    releases = root / "outputs" / "releases"
    staging = root / "outputs" / "staging"
    before, staged_before = _tree_sums(releases), _tree_sums(staging)
    assert (staging / "datapackage.json").is_file()  # the good candidate an editor may be reviewing
    bad = root / "bad-sources"
    bad.mkdir()
    text = SAMPLE.read_text(encoding="utf-8").replace("Established: 1964", "Established: 20006", 1)
    # a blocking error (an impossible year alone is a warning since issue 11): a profile with neither name nor acronym
    text += "\nEstablished: 20006\n\nWebsite: https://anonymous.example\n\nA profile with neither a name nor an acronym.\n"
    (bad / SAMPLE.name).write_text(text, encoding="utf-8")
    result = _run(build_defs(bad, root / "outputs"), "atlas_pipeline")
    assert not result.success
    checks = _checks(result)
    assert False in checks.values() and checks["extraction_clean"] is False
    done = _materialized(result)
    assert "validation_report" in done and done["release_candidate"]["publishable"] is False  # the blocked report
    assert "release" not in done
    blocked = root / "outputs" / "blocked"
    assert (blocked / "validation" / "report.html").is_file()
    assert "20006" in (blocked / "validation" / "report.json").read_text(encoding="utf-8")
    assert not (blocked / "datapackage.json").exists() and not (blocked / "data").exists()
    assert _tree_sums(staging) == staged_before  # candidates are never lost: the good one is still staged
    assert _tree_sums(releases) == before
    # the reason is on the failed step and the check, with file:line, not a stack trace
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    description = failure.step_failure_data.user_failure_data.description
    assert description.startswith("blocked: 1 error(s)") and f"{SAMPLE.name}:" in description and "profile-unidentifiable" in description
    evaluation = next(e for e in result.get_asset_check_evaluations() if e.check_name == "extraction_clean")
    assert "no error" not in (evaluation.description or "") and "[profile-unidentifiable]" in evaluation.description


def test_a_changed_file_is_re_extracted_alone(tmp_path: Path) -> None:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines) if i > 10 and lines[i + 2 : i + 3] and lines[i + 2].startswith("Acronym:"))
    src = tmp_path / "sources"
    src.mkdir()
    (src / "a.txt").write_text("".join(lines[:cut]), encoding="utf-8")
    (src / "b.txt").write_text("".join(lines[cut:]), encoding="utf-8")
    defs = build_defs(src, tmp_path / "outputs")
    first_run = _run(defs, "atlas_pipeline")
    first = _materialized(first_run)["extracted_records"]
    assert first["extracted_files"] == ["a.txt", "b.txt"] and first["cache_hits"] == 0
    (src / "b.txt").write_text("".join(lines[cut:]).replace("Established: 1964", "Established: 1965", 1), encoding="utf-8")
    second = _run(defs, "atlas_pipeline")
    records = _materialized(second)["extracted_records"]
    assert records["extracted_files"] == ["b.txt"] and records["cache_hits"] == 1
    assert second.success
    before, after = _data_versions(first_run), _data_versions(second)
    assert before["source_files"] != after["source_files"] and before["organizations"] != after["organizations"]
    assert before["issue_taxonomy"] == after["issue_taxonomy"]  # unchanged table, same data version: not stale
    orgs = second.output_for_node("combine_tables", "organizations")
    assert 1965 in set(orgs["established"].dropna().astype(int))


def test_io_and_cache_go_through_upath_to_an_object_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cluster set-up (deploy/README.md) with fsspec's in-memory filesystem standing in for S3."""
    import fsspec

    monkeypatch.setenv("ATLAS_IO_BASE", "memory://atlas-test/io")
    src = tmp_path / "sources"
    src.mkdir()
    (src / SAMPLE.name).write_bytes(SAMPLE.read_bytes())
    defs = build_defs(src, tmp_path / "outputs", cache="memory://atlas-test/cache")
    result = _run(defs, "atlas_pipeline")
    assert result.success
    fs = fsspec.filesystem("memory")
    assert fs.exists("/atlas-test/io/organizations") and fs.exists("/atlas-test/io/validation_report")
    (entry,) = fs.find("/atlas-test/cache/extract")  # one source file, one cache entry, Arrow
    assert entry.endswith(".arrow") and fs.cat(entry).startswith(b"ARROW1")
    (mentions,) = fs.find("/atlas-test/cache/mentions")  # and its mentions
    assert mentions.endswith(".arrow") and fs.cat(mentions).startswith(b"ARROW1")
    assert not (tmp_path / "outputs" / ".io").exists() and not (tmp_path / "outputs" / ".cache").exists()
    assert (tmp_path / "outputs" / "staging" / "datapackage.json").is_file()
    fs.rm("/atlas-test", recursive=True)


def test_a_corrupt_cache_entry_is_re_extracted_and_reported(tmp_path: Path) -> None:
    """A crafted (pickle) or damaged extraction cache entry never breaks a run: it is a miss with an
    info finding in the report, and the entry is replaced."""
    src = tmp_path / "sources"
    src.mkdir()
    (src / SAMPLE.name).write_bytes(SAMPLE.read_bytes())
    defs = build_defs(src, tmp_path / "outputs")
    assert _run(defs, "atlas_pipeline").success
    (entry,) = (tmp_path / "outputs" / ".cache" / "extract").rglob("*.arrow")
    marker = tmp_path / "pwned"
    entry.write_bytes(f"cposix\nsystem\n(S'touch {marker}'\ntR.".encode())
    second = _run(defs, "atlas_pipeline")
    assert second.success and not marker.exists()
    report = (tmp_path / "outputs" / "staging" / "validation" / "report.json").read_text(encoding="utf-8")
    assert '"rule": "cache-entry-invalid"' in report and '"severity": "info"' in report
    assert entry.read_bytes().startswith(b"ARROW1")
    assert decode(entry.stem, entry.read_bytes()).tables["organizations"].num_rows == 6  # replaced by a valid entry


def test_validation_writes_nothing_and_the_candidate_is_re_materialised_alone(tmp_path: Path) -> None:
    """``validation_report`` has no filesystem side effect (nothing under outputs but Dagster's own
    stores); ``release_candidate`` materialised alone, from the stored tables and findings, stages
    the same data files as the whole job."""
    src = tmp_path / "sources"
    src.mkdir()
    (src / SAMPLE.name).write_bytes(SAMPLE.read_bytes())
    outputs = tmp_path / "outputs"
    defs = build_defs(src, outputs)
    job = defs.resolve_implicit_global_asset_job_def()
    instance = dg.DagsterInstance.ephemeral()
    upstream = [k for k in defs.resolve_asset_graph().get_all_asset_keys() if k.to_user_string() not in ("release_candidate", "release")]
    first = job.execute_in_process(instance=instance, asset_selection=upstream)
    assert first.success and "validation_report" in _materialized(first)
    assert sorted(p.name for p in outputs.iterdir()) == [".cache", ".io"]  # no staging, no lock, no temp folder
    alone = job.execute_in_process(instance=instance, asset_selection=[dg.AssetKey("release_candidate")])
    assert alone.success and _materialized(alone)["release_candidate"]["publishable"] is True
    staged = _tree_sums(outputs / "staging")
    whole = _run(build_defs(src, tmp_path / "whole"), "atlas_pipeline")
    assert whole.success
    again = _tree_sums(tmp_path / "whole" / "staging")
    # CSV and Parquet are byte-reproducible; a DuckDB file is not (README, Releases), so its tables are compared
    def tables(sums: dict[str, str]) -> dict[str, str]:
        return {k: v for k, v in sums.items() if k.startswith("data/") and not k.endswith(".duckdb")}

    assert tables(staged) == tables(again) and len(tables(staged)) == 2 * len(published_schemas())  # CSV + Parquet
    assert _duckdb_rows(outputs / "staging") == _duckdb_rows(tmp_path / "whole" / "staging")


def _duckdb_rows(root: Path) -> dict[str, list[tuple]]:
    """Every table of the candidate's DuckDB file, all rows in key order."""
    (path,) = (root / "data").glob("*.duckdb")
    with duckdb.connect(str(path), read_only=True) as con:
        names = [r[0] for r in con.execute("select table_name from information_schema.tables order by 1").fetchall()]
        return {n: con.execute(f'select * from "{n}" order by all').fetchall() for n in names}
