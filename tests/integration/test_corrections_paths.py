"""The editors' corrections through both code paths: ``atlas extract`` + ``atlas validate`` (the CLI)
and the Dagster job (``combine_tables`` → … → ``release_candidate``) give the same corrected
tables, the same ``corrections`` table and the same findings, with the same statuses."""

from __future__ import annotations

import json
import os
import subprocess

import dagster as dg
import pytest
from conftest import ATLAS, REPO
from corrections_support import corrections_file, entry, write_sources

from pipeline.defs.build import build_defs

ENTRIES = [
    entry(organization="ldi", table="organizations", column="established", source_value='"1"', value="1991", reason="Charter."),
    entry(
        organization="ldi",
        table="sections",
        key="{section_id: digital-activities}",
        column="text",
        source_value="ofpartners",
        replace='"of partners"',
        reason="Missing space.",
    ),
    entry(organization="gone", table="organizations", column="website", value="https://gone.example.org"),  # stale
    entry(organization="hpo", table="organizations", column="established", value="2099"),  # rejected
]
COMPARED = ("corrections", "organizations", "sections")


def _signature(report: dict) -> list[tuple]:
    return sorted(
        (
            f["rule"],
            f["severity"],
            f["status"],
            json.dumps(f["key"], sort_keys=True),
            f["column"],
            f["source_file"],
            f["source_line"],
            json.dumps(f["resolution"], sort_keys=True),
        )
        for f in report["findings"]
    )


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("corrections-paths")
    src = write_sources(root / "sources", corrections_file(*ENTRIES))
    env = {**os.environ, "ATLAS_SOURCES": str(src), "ATLAS_OUTPUTS": str(root / "cli")}
    for args in (["extract", "--out", str(root / "cli" / "tables")], ["validate", str(root / "cli" / "tables")]):
        done = subprocess.run([str(ATLAS), *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Traceback" not in done.stderr
    result = (
        build_defs(src, root / "dagster")
        .resolve_job_def("atlas_pipeline")
        .execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    )
    assert result.success
    materialized = {}
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        materialized[mat.asset_key.to_user_string()] = {k: v.value for k, v in mat.metadata.items()}
    return {"cli": root / "cli" / "tables", "dagster": root / "dagster" / "staging", "materialized": materialized}


@pytest.mark.parametrize("table", COMPARED)
def test_the_same_corrected_tables(both: dict, table: str) -> None:
    cli = (both["cli"] / f"{table}.csv").read_bytes()
    assert cli == (both["dagster"] / "data" / f"{table}.csv").read_bytes()
    if table == "corrections":
        assert cli.count(b"\n") == 3  # header + the two applied corrections


def test_the_same_findings_and_statuses(both: dict) -> None:
    cli = json.loads((both["cli"] / "report.json").read_text(encoding="utf-8"))
    dagster = json.loads((both["dagster"] / "validation" / "report.json").read_text(encoding="utf-8"))
    assert _signature(cli) == _signature(dagster)
    assert cli["summary"]["by_status"] == dagster["summary"]["by_status"] == {"open": cli["summary"]["total"] - 2, "corrected": 2}
    corrected = sorted(f["rule"] for f in dagster["findings"] if f["status"] == "corrected")
    assert corrected == ["established-impossible", "run-together-words"]
    assert [f["status"] for f in dagster["findings"] if f["rule"] == "website-scheme"] == ["open"], "no entry for it"
    rules = {f["rule"]: f for f in dagster["findings"] if f["source_file"] == "corrections.yaml"}
    assert set(rules) == {"correction-stale", "correction-rejected"}


def test_the_corrections_asset_is_the_corrections_table(both: dict) -> None:
    meta = both["materialized"]["corrections"]
    assert meta["dagster/row_count"] == 2
