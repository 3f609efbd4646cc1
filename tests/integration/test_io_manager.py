"""The IO manager stores step outputs as data: tables as Arrow files, everything else as JSON.

Tables come back with the same dtypes and values (zero-copy from a memory-mapped file); the other
outputs (findings, source entries, tuples) come back equal; a stored JSON document that names a
type outside the allow-list, or findings that are not flat records, is refused; nothing is pickled.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import dagster as dg
import pytest
from conftest import SAMPLE
from upath import UPath

from pipeline.defs.io import AtlasIOManager, from_json, to_json
from pipeline.defs.metadata import frame_version
from pipeline.extract import extract_paths
from pipeline.extract.cache import SourceEntry
from pipeline.findings import Finding


@pytest.fixture(scope="module")
def sample():
    return extract_paths([SAMPLE])


def _round_trip(base: Path, value, name: str):
    manager = AtlasIOManager(base_path=UPath(base))
    out = dg.build_output_context(asset_key=dg.AssetKey(name))
    manager.handle_output(out, value)
    return manager.load_input(dg.build_input_context(upstream_output=out, asset_key=dg.AssetKey(name))), base / name


def test_tables_come_back_the_same_from_arrow_files(sample, tmp_path: Path) -> None:
    for name, frame in sample.tables.items():
        back, path = _round_trip(tmp_path, frame, name)
        assert path.read_bytes()[:6] == b"ARROW1"
        assert dict(back.dtypes) == dict(frame.dtypes) and back.equals(frame) and frame_version(back) == frame_version(frame), name


def test_other_outputs_come_back_equal_as_json(sample, tmp_path: Path) -> None:
    entry = SourceEntry.of(SAMPLE, SAMPLE.name)
    value = {"findings": sample.findings, "sources": sample.sources, "files": [(entry, "k" * 64)],
             "odd": [Finding("schema", "nested key", key={"k": (1, 2)})], "empty": [],
             "corrected": [Finding("website-scheme", "m", status="corrected", resolution={"line": 3, "editor": "E", "old": None})]}
    back, path = _round_trip(tmp_path, value, "extraction_findings")
    assert back == value
    document = json.loads(path.read_text(encoding="utf-8"))  # JSON, not a pickle
    assert set(document) == set(value)


def test_findings_are_stored_column_by_column_without_the_rules_own_hints(tmp_path: Path) -> None:
    """A list of findings is stored as one list per field (a third fewer bytes at 1000×, written and
    read about twice as fast); a hint the rule gives anyway is stored as null and comes back."""
    findings = [
        Finding("website-scheme", "plain http", table="organizations", key={"organization_id": "a"}, source_file="f.txt", source_line=3),
        Finding("website-scheme", "plain http", severity="error", hint="a hint of its own", key={"organization_id": "b", "n": 2}),
        Finding("schema", "no key"),
    ]
    back, path = _round_trip(tmp_path, findings, "validation_report")
    assert back == findings
    columns = json.loads(path.read_text(encoding="utf-8"))["__atlas_finding_columns__"]
    assert list(columns) == [f.name for f in dataclasses.fields(Finding)]
    assert columns["hint"] == [None, "a hint of its own", None] and columns["severity"] == ["warning", "error", "error"]
    assert columns["key"] == [{"organization_id": "a"}, {"organization_id": "b", "n": 2}, None]


def test_findings_stored_one_record_each_are_still_read() -> None:
    """The form written before the columns (an output stored by an earlier version, read by a re-executed run)."""
    stored = {"__atlas_findings__": [{"rule": "schema", "message": "m", "source_file": "f.txt", "source_line": 2}]}
    assert from_json(stored) == [Finding("schema", "m", source_file="f.txt", source_line=2)]


@pytest.mark.parametrize("document", [
    {"__atlas_type__": "Popen", "args": ["touch", "x"]},
    {"__atlas_findings__": [{"rule": "schema", "message": "m", "key": {"a": {"nested": 1}}}]},
    {"__atlas_findings__": [{"rule": "no-such-rule", "message": "m"}]},
    {"__atlas_finding_columns__": {"rule": ["schema"], "message": ["m"], "key": [{"a": {"nested": 1}}]}},
    {"__atlas_finding_columns__": {"rule": ["schema"], "message": ["m"], "value": [{"a": 1}]}},
    {"__atlas_finding_columns__": {"rule": ["schema"], "message": ["m"], "excerpt": [["a list"]]}},
    {"__atlas_finding_columns__": {"rule": ["schema"], "message": ["m"], "__class__": ["x"]}},
    {"__atlas_finding_columns__": {"rule": ["schema", "schema"], "message": ["m"]}},
    {"__atlas_finding_columns__": {"rule": ["no-such-rule"], "message": ["m"]}},
    {"__atlas_finding_columns__": {"message": ["m"]}},
    {"__atlas_finding_columns__": [["schema"], ["m"]]},
])
def test_stored_json_cannot_name_other_types(document) -> None:
    with pytest.raises((ValueError, KeyError)):
        from_json(document)


def test_values_that_are_not_data_are_refused() -> None:
    with pytest.raises(TypeError):
        to_json({"x": object()})
    with pytest.raises(TypeError):
        to_json({1: "int keys"})


def test_a_large_table_is_stored_as_one_batch_and_written_out_without_a_copy(tmp_path: Path) -> None:
    """A table past Arrow's default batch of 65,536 rows is stored as one batch, so the strings of
    a loaded frame are one chunk of the mapped file, and ``arrow_table`` hands that very buffer to
    the writers (a column of several chunks is copied into one: measured at 1000×, 118 MB)."""
    import pandas as pd

    from pipeline.publish.arrow import arrow_table
    from pipeline.schemas import schema

    table = schema("footnotes")
    n = 70_000
    frame = table.frame(pd.DataFrame({"organization_id": [f"org-{i % 7}" for i in range(n)], "number": range(1, n + 1),
                                      "text": [f"note {i}" for i in range(n)], "source_line": range(1, n + 1)}))
    back, _ = _round_trip(tmp_path, frame, "footnotes")
    stored = back["text"].array._pa_array
    assert stored.num_chunks == 1
    written = arrow_table(back, table).column("text")
    assert written.type == table.to_arrow().field("text").type
    assert written.chunk(0).buffers()[2].address == stored.chunk(0).buffers()[2].address  # the same bytes, not a copy
    assert back.equals(frame)
