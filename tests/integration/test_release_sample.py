"""End to end on the sample sources: extract → validate → stage → publish, as the acceptance reads."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pytest
from publish_support import REPO, frictionless_cli, no_frictionless_check, publish_as_editor, sha256sum_check, stage_extraction

from pipeline.csvio import read_csv
from pipeline.extract import extract_paths
from pipeline.fsutil import parse_sha256sums
from pipeline.schemas import load_schemas, schema

PUBLISHED = [t.name for t in load_schemas().values() if t.published]
SAMPLE = REPO / "sources" / "geneva-digital-atlas-2022.txt"


@pytest.fixture(scope="module")
def release(tmp_path_factory, sample):
    """The sample staged with the real validation report and Frictionless check, then published."""
    out = tmp_path_factory.mktemp("sample") / "outputs"
    result = stage_extraction(sample, out, created="2025-03-01T00:00:00Z")  # the real Frictionless check
    assert result.publishable, result.status.blocking
    assert result.severity_counts.warning > 0  # the sample has known warnings
    published = publish_as_editor(out, accept_warnings=True, note="sample reviewed")
    assert published.version == "1.0.0"
    return out / "releases" / "1.0.0"


def test_release_validates_with_frictionless_and_sha256sum(release) -> None:
    done = frictionless_cli(release / "datapackage.json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "INVALID" not in done.stdout
    check = sha256sum_check(release)
    assert check.returncode == 0, check.stdout + check.stderr
    descriptor = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["sources"][0]["file"] == SAMPLE.name
    assert not (release / "quarantine").exists()


def _norm(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _rows(rows) -> list[tuple]:
    return [tuple(_norm(v) for v in row) for row in rows]


@pytest.mark.parametrize("name", PUBLISHED)
def test_duckdb_pandas_polars_get_the_csv_rows(release, name: str) -> None:
    csv_frame = read_csv(release / "data" / f"{name}.csv", schema(name))
    expected = _rows(csv_frame.astype(object).itertuples(index=False, name=None))
    path = str(release / "data" / f"{name}.parquet")
    assert _rows(pd.read_parquet(path).astype(object).itertuples(index=False, name=None)) == expected
    assert _rows(pl.read_parquet(path).rows()) == expected
    assert _rows(duckdb.sql(f"select * from read_parquet('{path}')").fetchall()) == expected
    described = pl.read_parquet_schema(path)
    assert list(described) == schema(name).columns


def test_two_runs_in_different_folders_give_identical_data_checksums(tmp_path, sample) -> None:
    copy = tmp_path / "elsewhere" / "my sources"
    copy.mkdir(parents=True)
    shutil.copy(SAMPLE, copy / SAMPLE.name)
    other = extract_paths([copy])
    a = stage_extraction(sample, tmp_path / "a", checked=False, created="2025-01-01T00:00:00Z", frictionless_check=no_frictionless_check)
    b = stage_extraction(other, tmp_path / "b", checked=False, created="2026-01-01T00:00:00Z", frictionless_check=no_frictionless_check)
    sums_a = parse_sha256sums((a.path / "SHA256SUMS").read_text(encoding="utf-8"))
    sums_b = parse_sha256sums((b.path / "SHA256SUMS").read_text(encoding="utf-8"))
    # CSV and Parquet are byte-reproducible; the DuckDB file is not promised to be (README, Releases)
    data_a = {k: v for k, v in sums_a.items() if k.startswith("data/") and not k.endswith(".duckdb")}
    assert len(data_a) == 2 * len(PUBLISHED)
    assert data_a == {k: v for k, v in sums_b.items() if k.startswith("data/") and not k.endswith(".duckdb")}


def _stage_and_publish(sources: Path, out: Path, created: str):
    extraction = extract_paths([sources])
    staged = stage_extraction(extraction, out, checked=False, created=created, frictionless_check=no_frictionless_check)
    assert staged.publishable, staged.status["blocking"]
    return publish_as_editor(out, accept_warnings=True, decided_at=created)


def test_edit_one_value_then_add_a_profile(tmp_path) -> None:
    from conftest import make_profile

    sources = tmp_path / "sources"
    sources.mkdir()
    shutil.copy(SAMPLE, sources / SAMPLE.name)
    out = tmp_path / "outputs"
    assert _stage_and_publish(sources, out, "2025-01-01T00:00:00Z").version == "1.0.0"
    assert _stage_and_publish(sources, out, "2025-01-02T00:00:00Z").status == "unchanged"
    text = (sources / SAMPLE.name).read_text(encoding="utf-8")
    assert text.count("Established: 1980\n") == 1
    (sources / SAMPLE.name).write_text(text.replace("Established: 1980\n", "Established: 1981\n"), encoding="utf-8")
    patch = _stage_and_publish(sources, out, "2025-01-03T00:00:00Z")
    assert patch.version == "1.0.1"
    changes = json.loads((out / "releases" / "1.0.1" / "changes.json").read_text(encoding="utf-8"))
    changed = changes["tables"]["organizations"]["changed"]
    assert [c["fields"] for c in changed] == [{"established": {"old": 1980, "new": 1981}}]
    assert all(not t["added"] and not t["removed"] for t in changes["tables"].values())
    (sources / "new-profile.txt").write_text(make_profile(name="Example Digital Forum", acronym="EDF"), encoding="utf-8")
    minor = _stage_and_publish(sources, out, "2025-01-04T00:00:00Z")
    assert minor.version == "1.1.0"
    changes = json.loads((out / "releases" / "1.1.0" / "changes.json").read_text(encoding="utf-8"))
    assert changes["tables"]["organizations"]["added"] == [{"organization_id": "edf"}]
