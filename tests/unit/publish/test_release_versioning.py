"""Semantic versions computed from the data, changes.json and CHANGELOG.md wording."""

from __future__ import annotations

import copy

import pytest
from publish_support import GAMMA, base_rows

from pipeline.publish.changelog import changelog, earlier_entries, entry, value_text
from pipeline.publish.versioning import Snapshot, TableSnapshot, changes_document, diff_snapshots, next_version
from pipeline.schemas import load_schemas, schema


def snapshot(rows=None, *, schemas=None, meta=None) -> Snapshot:
    """Published tables of ``rows`` as a snapshot, built without pandas (fast), sorted by key."""
    rows = rows or base_rows()
    out = {}
    for t in load_schemas().values():
        if t.published:
            descriptor = copy.deepcopy(dict((schemas or {}).get(t.name, t.descriptor)))
            cols = [f["name"] for f in descriptor["fields"]]
            table_rows = sorted(rows[t.name], key=lambda r: tuple(r[k] for k in t.primary_key))
            out[t.name] = TableSnapshot(t.name, descriptor, {c: [r.get(c) for r in table_rows] for c in cols})
    return Snapshot(out, meta or {"title": "T"})


@pytest.mark.parametrize(
    ("previous", "bump", "expected"),
    [
        (None, "initial", "1.0.0"),
        ("1.0.0", "patch", "1.0.1"),
        ("1.2.3", "minor", "1.3.0"),
        ("1.2.3", "major", "2.0.0"),
        ("1.2.3", "none", "1.2.3"),
    ],
)
def test_next_version(previous, bump, expected) -> None:
    assert next_version(previous, bump) == expected


def test_no_change_is_none() -> None:
    diff = diff_snapshots(snapshot(), snapshot(), "1.0.0")
    assert diff.bump == "none" and diff.version == "1.0.0"
    assert all(t.status == "unchanged" for t in diff.tables.values())


def test_changed_value_is_patch_with_old_and_new() -> None:
    rows = base_rows()
    rows["organizations"][0]["website"] = "https://acme.example/v2"
    rows["organizations"][1]["established"] = None
    diff = diff_snapshots(snapshot(), snapshot(rows), "1.0.0")
    assert diff.bump == "patch" and diff.version == "1.0.1"
    orgs = diff.tables["organizations"]
    assert orgs.changed == [
        {"key": {"organization_id": "acme"}, "fields": {"website": {"old": "https://acme.example/", "new": "https://acme.example/v2"}}},
        {"key": {"organization_id": "beta"}, "fields": {"established": {"old": 2001, "new": None}}},
    ]
    assert orgs.added == [] and orgs.removed == []
    assert diff.tables["sections"].status == "unchanged"


def test_added_row_is_minor_and_removed_row_minor_too() -> None:
    rows = base_rows()
    rows["organizations"].append(GAMMA)
    diff = diff_snapshots(snapshot(), snapshot(rows), "1.0.0")
    assert diff.bump == "minor" and diff.version == "1.1.0"
    assert diff.tables["organizations"].added == [{"organization_id": "gamma"}]
    fewer = base_rows()
    fewer["country_mentions"] = []
    diff = diff_snapshots(snapshot(), snapshot(fewer), "1.1.0")
    assert diff.bump == "minor"
    assert diff.tables["country_mentions"].removed == [{"organization_id": "acme", "source_line": 22, "country_code": "CH"}]


def test_composite_keys_and_changed_text() -> None:
    rows = base_rows()
    rows["sections"][0]["text"] = "New text."
    diff = diff_snapshots(snapshot(), snapshot(rows), "1.0.0")
    (change,) = diff.tables["sections"].changed
    assert change["key"] == {"organization_id": "acme", "section_id": "digital-activities"}
    assert change["fields"]["text"]["new"] == "New text."


def test_removed_or_retyped_column_and_removed_table_are_major() -> None:
    orgs = dict(schema("organizations").descriptor)
    removed = {**orgs, "fields": [f for f in orgs["fields"] if f["name"] != "alternate_acronyms"]}
    diff = diff_snapshots(snapshot(), snapshot(schemas={"organizations": removed}), "1.4.2")
    assert diff.bump == "major" and diff.version == "2.0.0"
    assert diff.tables["organizations"].columns_removed == ["alternate_acronyms"]
    retyped = {**orgs, "fields": [{**f, "type": "string"} if f["name"] == "established" else f for f in orgs["fields"]]}
    current = snapshot(schemas={"organizations": retyped})
    current.tables["organizations"].data["established"] = ["1990", "2001"]
    diff = diff_snapshots(snapshot(), current, "1.0.0")
    assert diff.bump == "major"
    assert diff.tables["organizations"].columns_retyped == [{"column": "established", "old": "integer", "new": "string"}]
    fewer = snapshot()
    del fewer.tables["footnotes"]
    assert diff_snapshots(snapshot(), fewer, "1.0.0").bump == "major"


def test_a_redefined_primary_key_is_major_even_with_the_same_rows() -> None:
    """Issue 16: a primary-key change that was no longer a major bump went unnoticed."""
    notes = dict(schema("footnotes").descriptor)
    rekeyed = {**notes, "primaryKey": ["organization_id", "number", "source_line"]}
    diff = diff_snapshots(snapshot(), snapshot(schemas={"footnotes": rekeyed}), "1.4.2")
    assert diff.bump == "major" and diff.version == "2.0.0"
    change = diff.tables["footnotes"]
    assert change.primary_key_changed and change.bump == "major"
    assert not change.columns_removed and not change.columns_retyped and not change.added and not change.removed
    assert changes_document(diff)["tables"]["footnotes"]["primary_key_changed"] is True
    same = diff_snapshots(snapshot(), snapshot(schemas={"footnotes": dict(notes)}), "1.4.2")
    assert same.bump == "none" and not same.tables["footnotes"].primary_key_changed


def test_added_column_or_table_is_minor_and_descriptions_patch() -> None:
    orgs = dict(schema("organizations").descriptor)
    extra = {**orgs, "fields": [*orgs["fields"], {"name": "note", "type": "string"}]}
    current = snapshot(schemas={"organizations": extra})
    current.tables["organizations"].data["note"] = [None, None]
    diff = diff_snapshots(snapshot(), current, "1.0.0")
    assert diff.bump == "minor" and diff.tables["organizations"].columns_added == ["note"]
    previous = snapshot()
    del previous.tables["footnotes"]
    assert diff_snapshots(previous, snapshot(), "1.0.0").bump == "minor"
    described = {**orgs, "description": "Reworded."}
    diff = diff_snapshots(snapshot(), snapshot(schemas={"organizations": described}), "1.0.0")
    assert diff.bump == "patch" and diff.tables["organizations"].schema_changed
    diff = diff_snapshots(snapshot(), snapshot(meta={"title": "New title"}), "1.0.0")
    assert diff.bump == "patch" and diff.metadata_changed == ["title"]


def test_changes_document_and_changelog_words() -> None:
    rows = base_rows()
    rows["organizations"][0]["name"] = "<script>alert(1)</script> *Acme*"
    rows["organizations"].append(GAMMA)
    diff = diff_snapshots(snapshot(), snapshot(rows), "1.0.0")
    doc = changes_document(diff)
    assert (doc["version"], doc["previous_version"], doc["bump"]) == ("1.1.0", "1.0.0", "minor")
    assert doc["tables"]["organizations"]["added"] == [{"organization_id": "gamma"}]
    assert doc["tables"]["organizations"]["changed"][0]["fields"]["name"]["new"] == "<script>alert(1)</script> *Acme*"
    text = entry(diff, "1.1.0", "2025-02-01")
    assert text.startswith("## 1.1.0 (2025-02-01)")
    assert "Minor release" in text and "compared with 1.0.0" in text
    assert "`organizations`: 1 row added." in text and "gamma" in text
    assert "<script>" not in text and "&lt;script&gt;" in text and "\\*Acme\\*" in text  # inert Markdown
    full = changelog("T", text, changelog("T", "## 1.0.0 (2025-01-01)\n\nFirst release.\n", None))
    assert full.index("## 1.1.0") < full.index("## 1.0.0") and full.count("# Changelog") == 1
    assert earlier_entries(full).startswith("## 1.1.0")


def test_changelog_lists_at_most_max_keys() -> None:
    rows = base_rows()
    rows["country_mentions"] = [
        {"organization_id": "acme", "country_code": "CH", "country_name": "Switzerland", "mention": "Switzerland", "source_line": n}
        for n in range(1, 40)
    ]
    diff = diff_snapshots(snapshot(), snapshot(rows), "1.0.0")
    text = entry(diff, "1.1.0", "2025-02-01", max_keys=5)
    assert "… and 33 more (see `changes.json`)" in text
    assert value_text("x" * 200).endswith("…")


def test_source_files_added_removed_and_changed_are_in_changes_json_and_the_changelog(tmp_path) -> None:
    import hashlib
    import json

    from publish_support import publish_as_editor, stage

    from pipeline.extract.model import SourceFile

    out = tmp_path / "out"
    stage(out, source_text="profiles v1")
    publish_as_editor(out)

    def source(path: str, text: str) -> SourceFile:
        data = text.encode()
        return SourceFile(path=path, sha256=hashlib.sha256(data).hexdigest(), bytes=len(data), encoding="utf-8", line_count=1)

    from publish_support import extraction, no_frictionless_check

    from pipeline.publish.candidate import stage as stage_step

    ex = extraction()  # the same rows: only the source files differ
    files = [source("profiles.txt", "profiles v2"), source("more.txt", "more")]
    result = stage_step(ex.tables, out, sources=files, created="2025-05-05T00:00:00Z", frictionless_check=no_frictionless_check)
    assert (result.version, result.bump) == ("1.0.1", "patch")  # provenance alone is a patch release
    changes = json.loads((result.path / "changes.json").read_text(encoding="utf-8"))
    old = hashlib.sha256(b"profiles v1").hexdigest()
    assert changes["sources"]["added"] == [{"path": "more.txt", "sha256": files[1].sha256, "bytes": 4}]
    assert changes["sources"]["changed"] == [
        {"path": "profiles.txt", "old_sha256": old, "new_sha256": files[0].sha256, "old_bytes": 11, "new_bytes": 11}
    ]
    assert changes["sources"]["removed"] == []
    assert "Source file added: `more.txt`." in changes["summary"]
    log = (result.path / "CHANGELOG.md").read_text(encoding="utf-8")
    section = log.split("### Source files", 1)[1].split("## 1.0.0", 1)[0]
    assert f"- Added `more.txt` (sha256 `{files[1].sha256}`)" in section
    assert f"- Changed `profiles.txt`: sha256 `{old}` → `{files[0].sha256}`" in section
    publish_as_editor(out)
    ex_removed = stage_step(ex.tables, out, sources=files[:1], created="2025-06-06T00:00:00Z", frictionless_check=no_frictionless_check)
    removed = json.loads((ex_removed.path / "changes.json").read_text(encoding="utf-8"))["sources"]["removed"]
    assert removed == [{"path": "more.txt", "sha256": files[1].sha256, "bytes": 4}]


def test_structure_and_summary_sentences_say_every_change_in_words() -> None:
    """The changelog's wording, exactly: every kind of change in one table, and the plural rule."""
    from pipeline.publish.versioning import Diff, SourceChanges, TableChange, structure_sentences, summary_lines

    change = TableChange(
        "organizations",
        "changed",
        2,
        3,
        columns_added=["note"],
        columns_removed=["alias"],
        columns_retyped=[{"column": "established", "old": "integer", "new": "string"}],
        primary_key_changed=True,
        schema_changed=True,
        added=[{"organization_id": "a"}],
        removed=[{"organization_id": "b"}, {"organization_id": "c"}],
        changed=[{"key": {"organization_id": "d"}, "fields": {}}],
    )
    assert structure_sentences(change) == [
        "Column `note` added.",
        "Column `alias` removed.",
        "Column `established` changed type from integer to string.",
        "Primary key redefined.",
        "Schema description or constraints changed.",
    ]
    assert structure_sentences(TableChange("footnotes", "unchanged", 1, 1)) == []
    diff = Diff("1.0.0", {"organizations": change}, [], SourceChanges())
    assert summary_lines(diff) == [
        "Column `organizations.alias` removed.",
        "Column `organizations.established` changed type from integer to string.",
        "Primary key of `organizations` redefined.",
        "Column `organizations.note` added.",
        "`organizations`: 1 row added.",
        "`organizations`: 2 rows removed.",
        "`organizations`: 1 row with changed values.",
        "`organizations`: schema description or constraints changed.",
    ]


def test_release_metadata_sources_and_frames_are_read_as_they_are() -> None:
    import pandas as pd

    from pipeline.config import ReleaseConfig
    from pipeline.publish.versioning import config_meta, descriptor_sources

    cfg = ReleaseConfig(
        "atlas",
        "Atlas",
        "About it.",
        homepage=None,
        keywords=("a", "b"),
        licenses=({"name": "CC-BY-4.0"},),
        contributors=({"title": "Ed", "role": "author"},),
    )
    assert config_meta(cfg) == {
        "name": "atlas",
        "title": "Atlas",
        "description": "About it.",
        "keywords": ["a", "b"],
        "licenses": [{"name": "CC-BY-4.0"}],
        "contributors": [{"title": "Ed", "role": "author"}],
    }  # no homepage key: None is left out
    assert config_meta(ReleaseConfig("x", "X", "d", homepage="https://x.example"))["homepage"] == "https://x.example"
    descriptor = {
        "sources": [
            {"file": "a.txt", "hash": "sha256:ab12", "bytes": 10},
            {"file": "b.txt", "hash": "md5:ff"},  # not a sha256: not a recorded file
            {"title": "the publisher", "hash": "sha256:cd"},  # no file
            {"file": "c.txt", "hash": "sha256:ef"},
        ]
    }
    assert descriptor_sources(descriptor) == {"a.txt": {"sha256": "ab12", "bytes": 10}, "c.txt": {"sha256": "ef", "bytes": None}}
    assert descriptor_sources({}) == {}
    frame = pd.DataFrame({"k": ["a", "b"], "n": pd.array([1, None], dtype="Int64")})
    snap = TableSnapshot.from_frame("t", {"fields": [], "primaryKey": "k"}, frame)
    assert snap.data == {"k": ["a", "b"], "n": [1, None]} and snap.primary_key == ["k"] and snap.rows == 2
    assert snap.name == "t"


def test_plain_gives_json_values() -> None:
    import numpy as np
    import pandas as pd

    from pipeline.publish.versioning import plain

    assert plain(1.5) == 1.5 and plain("x") == "x" and plain(None) is None and plain(pd.NA) is None
    assert plain(float("nan")) is None and plain(np.float64("nan")) is None
    for value, kind in ((np.int64(3), int), (np.float64(2.5), float), (np.bool_(True), bool)):
        assert type(plain(value)) is kind and plain(value) == value.item()


def test_tables_added_and_removed_and_the_changes_document() -> None:
    from pipeline.publish.versioning import Diff, SourceChanges, TableChange, summary_lines

    added = TableChange("new_table", "added", 0, 4, added=[{"k": 1}])
    removed = TableChange("old_table", "removed", 3, 0, removed=[{"k": 2}])
    diff = Diff("1.2.0", {"new_table": added, "old_table": removed}, ["title"], SourceChanges())
    assert summary_lines(diff) == [
        "Table `old_table` removed.",
        "Table `new_table` added (4 rows).",
        "Dataset metadata changed: title.",
    ]
    doc = changes_document(diff, "2.0.0")
    assert (doc["version"], doc["previous_version"], doc["bump"], doc["metadata_changed"]) == ("2.0.0", "1.2.0", "major", ["title"])
    assert doc["tables"]["old_table"] == {
        "status": "removed",
        "rows": {"before": 3, "after": 0},
        "columns_added": [],
        "columns_removed": [],
        "columns_retyped": [],
        "primary_key_changed": False,
        "schema_changed": False,
        "added": [],
        "removed": [{"k": 2}],
        "changed": [],
    }


# -- edge cases of the diff, read and wording (each pins one behaviour a reader relies on) ----------


def _table(name: str, data: dict, *, pk=("k",), types: dict | None = None, **schema) -> TableSnapshot:
    """A small table: ``data`` column → values; every column a string unless ``types`` says otherwise."""
    fields = [{"name": c, "type": (types or {}).get(c, "string")} for c in data]
    return TableSnapshot(name, {"fields": fields, "primaryKey": list(pk), **schema}, data)


def test_keys_without_a_primary_key_are_one_empty_key_per_row_and_ragged_columns_are_refused() -> None:
    table = TableSnapshot("t", {"fields": [{"name": "a"}]}, {"a": [1, 2, 3]})
    assert table.primary_key == [] and table.keys([]) == [(), (), ()]
    assert TableSnapshot("t", {}, {}).keys([]) == []
    assert table.keys(["a"]) == [(1,), (2,), (3,)]
    ragged = TableSnapshot("t", {}, {"a": [1, 2], "b": ["x"]})
    with pytest.raises(ValueError, match="zip"):  # columns of unequal length are a broken snapshot
        ragged.keys(["a", "b"])


def test_a_table_added_or_removed_is_described_whole() -> None:
    from pipeline.publish.versioning import TableChange, diff_table

    table = _table("t", {"k": ["a", "b", "c"], "v": ["1", "2", "3"]})
    assert diff_table(None, table) == TableChange("t", "added", 0, 3, added=[{"k": "a"}, {"k": "b"}, {"k": "c"}])
    assert diff_table(table, None) == TableChange("t", "removed", 3, 0, removed=[{"k": "a"}, {"k": "b"}, {"k": "c"}])
    assert diff_table(None, table).bump == "minor" and diff_table(table, None).bump == "major"
    with pytest.raises(ValueError, match=r"^nothing to compare$"):
        diff_table(None, None)


def test_a_changed_table_counts_rows_and_reports_every_changed_row_in_key_order() -> None:
    from pipeline.publish.versioning import diff_table

    old = _table("t", {"k": ["b", "c"], "v": ["1", "2"]})
    new = _table("t", {"k": ["a", "b", "c"], "v": ["0", "1", "9"]})  # "a" added before the changed "c"
    change = diff_table(old, new)
    assert (change.status, change.rows_before, change.rows_after) == ("changed", 2, 3)
    assert change.added == [{"k": "a"}] and change.removed == []
    assert change.changed == [{"key": {"k": "c"}, "fields": {"v": {"old": "2", "new": "9"}}}]
    same = diff_table(old, _table("t", {"k": ["b", "c"], "v": ["1", "2"]}))
    assert (same.status, same.rows_before, same.rows_after, same.bump) == ("unchanged", 2, 2, "none")


def test_structural_changes_are_not_also_reported_as_descriptive_ones() -> None:
    from pipeline.publish.versioning import diff_table

    old = _table("t", {"k": ["a"], "v": ["1"], "w": ["2"]})
    added = diff_table(old, _table("t", {"k": ["a"], "v": ["1"], "w": ["2"], "x": ["3"]}))
    assert added.columns_added == ["x"] and not added.schema_changed and added.bump == "minor"
    removed = diff_table(old, _table("t", {"k": ["a"], "v": ["1"]}))
    assert removed.columns_removed == ["w"] and not removed.schema_changed and removed.bump == "major"
    retyped = diff_table(old, _table("t", {"k": ["a"], "v": [1], "w": ["2"]}, types={"v": "integer"}))
    assert retyped.columns_retyped == [{"column": "v", "old": "string", "new": "integer"}] and not retyped.schema_changed
    rekeyed = diff_table(old, _table("t", {"k": ["a"], "v": ["1"], "w": ["2"]}, pk=("k", "v")))
    assert rekeyed.primary_key_changed and not rekeyed.schema_changed and rekeyed.bump == "major"
    described = diff_table(old, _table("t", {"k": ["a"], "v": ["1"], "w": ["2"]}, description="Reworded."))
    assert described.schema_changed and described.status == "changed" and described.bump == "patch"


def test_a_field_without_a_type_is_a_string_as_table_schema_says() -> None:
    from pipeline.publish.versioning import diff_table

    untyped = TableSnapshot("t", {"fields": [{"name": "k"}, {"name": "v"}], "primaryKey": ["k"]}, {"k": ["a"], "v": ["1"]})
    typed = _table("t", {"k": ["a"], "v": ["1"]})  # the same, with "type": "string" spelt out
    change = diff_table(untyped, typed)
    assert change.columns_retyped == [] and change.schema_changed and change.bump == "patch"
    change = diff_table(untyped, _table("t", {"k": ["a"], "v": [1]}, types={"v": "integer"}))
    assert change.columns_retyped == [{"column": "v", "old": "string", "new": "integer"}]


def test_repeated_primary_keys_are_refused_naming_the_table_side_and_count() -> None:
    from pipeline.publish.versioning import diff_table

    good = _table("t", {"k": ["a", "b"], "v": ["1", "2"]})
    repeated = _table("t", {"k": ["a", "a", "a", "b"], "v": ["1", "2", "3", "4"]})
    with pytest.raises(ValueError) as caught:
        diff_table(good, repeated)
    assert str(caught.value) == "t (candidate): 2 row(s) repeat a primary key ['k']; cannot compare"
    with pytest.raises(ValueError) as caught:
        diff_table(repeated, good)
    assert str(caught.value) == "t (previous release): 2 row(s) repeat a primary key ['k']; cannot compare"


@pytest.mark.parametrize(
    ("before", "after", "changed"),
    [
        (1.5, 2.5, True),
        (1.5, float("nan"), True),
        (float("nan"), 1.5, True),
        (float("nan"), float("nan"), False),  # NaN is not equal to itself, but it has not changed
        (1.5, 1.5, False),
        ("x", "x", False),
        (None, None, False),
        (None, 1.5, True),
    ],
)
def test_a_value_changed_unless_equal_or_both_nan(before, after, changed) -> None:
    from pipeline.publish.versioning import diff_table

    old = _table("t", {"k": ["a"], "n": [before]}, types={"n": "number"})
    new = _table("t", {"k": ["a"], "n": [after]}, types={"n": "number"})
    fields = [c["fields"] for c in diff_table(old, new).changed]
    assert fields == ([{"n": {"old": before, "new": after}}] if changed else [])


def test_source_changes_are_true_when_any_kind_has_a_file() -> None:
    from pipeline.publish.versioning import SourceChanges

    entry = {"path": "a.txt", "sha256": "ab", "bytes": 1}
    assert not SourceChanges()
    assert SourceChanges(added=[entry]) and SourceChanges(removed=[entry]) and SourceChanges(changed=[entry])


def test_a_source_file_with_the_same_sha256_is_not_changed() -> None:
    from pipeline.publish.versioning import diff_sources

    same = diff_sources({"a.txt": {"sha256": "ab", "bytes": 1}}, {"a.txt": {"sha256": "ab", "bytes": 1}})
    assert same.to_dict() == {"added": [], "removed": [], "changed": []} and not same
    moved = diff_sources({"a.txt": {"sha256": "ab", "bytes": 1}}, {"a.txt": {"sha256": "cd", "bytes": 2}})
    assert moved.changed == [{"path": "a.txt", "old_sha256": "ab", "new_sha256": "cd", "old_bytes": 1, "new_bytes": 2}]


def test_a_first_release_lists_its_source_files_and_counts_every_row() -> None:
    from pipeline.publish.versioning import summary_lines

    current = Snapshot(
        {"one": _table("one", {"k": ["a", "b"]}), "two": _table("two", {"k": ["c", "d", "e"]})},
        {"title": "T"},
        {"p.txt": {"sha256": "ab", "bytes": 3}},
    )
    diff = diff_snapshots(None, current, None)
    assert diff.bump == "initial" and diff.version == "1.0.0"
    assert diff.sources.added == [{"path": "p.txt", "sha256": "ab", "bytes": 3}]
    assert summary_lines(diff) == ["First release: 2 tables, 5 rows."]


def test_rows_added_to_a_provenance_table_are_a_patch_and_to_other_tables_minor() -> None:
    corrections = schema("corrections")
    assert corrections.provenance
    columns = [f["name"] for f in corrections.descriptor["fields"]]

    def rows(n: int) -> dict[str, list]:
        return {c: [f"{c}-{i}" for i in range(n)] for c in columns}

    def snap(n: int) -> Snapshot:
        return Snapshot(
            {"corrections": TableSnapshot("corrections", dict(corrections.descriptor), rows(n)), "extra": _table("extra", {"k": ["a"]})},
            {},
        )

    diff = diff_snapshots(snap(1), snap(2), "1.0.0")
    assert diff.tables["corrections"].provenance and diff.tables["corrections"].added and diff.bump == "patch"
    assert not diff.tables["extra"].provenance  # a table the contract does not know is not provenance
    more = Snapshot({**snap(1).tables, "extra": _table("extra", {"k": ["a", "b"]})}, {})
    assert diff_snapshots(snap(1), more, "1.0.0").bump == "minor"


def test_summary_of_values_only_metadata_and_no_change() -> None:
    from pipeline.publish.versioning import Diff, SourceChanges, TableChange, summary_lines

    values = TableChange("t", "changed", 2, 2, changed=[{"key": {"k": "a"}, "fields": {}}])
    quiet = TableChange("u", "unchanged", 1, 1)
    diff = Diff("1.0.0", {"t": values, "u": quiet}, ["description", "title"], SourceChanges())
    assert summary_lines(diff) == ["`t`: 1 row with changed values.", "Dataset metadata changed: description, title."]
    assert summary_lines(Diff("1.0.0", {"u": quiet}, [], SourceChanges())) == ["No change."]
    assert changes_document(Diff("1.0.0", {"u": quiet}))["summary"] == ["No change."]


def test_source_lines_name_ten_files_then_count_the_rest() -> None:
    from pipeline.publish.versioning import SourceChanges, source_lines

    def files(n: int, prefix: str) -> list[dict]:
        return [{"path": f"{prefix}{i:02}.txt", "sha256": "ab", "bytes": 1} for i in range(n)]

    def named(n: int, prefix: str) -> str:
        return ", ".join(f"`{prefix}{i:02}.txt`" for i in range(n))

    lines = source_lines(SourceChanges(added=files(11, "a"), removed=files(10, "r"), changed=files(12, "c")))
    assert lines == [
        f"Source files added: {named(10, 'a')} and 1 more.",
        f"Source files removed: {named(10, 'r')}.",
        f"Source files changed: {named(10, 'c')} and 2 more.",
    ]
    lines = source_lines(SourceChanges(added=files(1, "a"), removed=files(2, "r"), changed=files(1, "c")))
    assert lines == ["Source file added: `a00.txt`.", "Source files removed: `r00.txt`, `r01.txt`.", "Source file changed: `c00.txt`."]
    assert source_lines(SourceChanges()) == []


def _release_folder(root, descriptor: dict, tables: dict[str, dict]) -> None:
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    (root / "data").mkdir(parents=True)
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    for name, columns in tables.items():
        pq.write_table(pa.table(columns), root / "data" / f"{name}.parquet")


def test_read_snapshot_of_a_release_folder_reads_its_metadata_sources_and_values(tmp_path) -> None:
    from pipeline.publish.versioning import read_snapshot

    schema_ = {"fields": [{"name": "k", "type": "string"}, {"name": "v", "type": "integer"}], "primaryKey": ["k"]}
    descriptor = {
        "name": "atlas",
        "title": "Atlas",
        "version": "1.0.0",  # not a metadata key a patch is made of
        "sources": [{"file": "p.txt", "hash": "sha256:ab", "bytes": 3}],
        "resources": [{"name": "t", "format": "csv", "schema": schema_}, {"name": "t-parquet", "format": "parquet"}],
    }
    _release_folder(tmp_path, descriptor, {"t": {"k": ["a", "b"], "v": [1, 2]}})
    snap = read_snapshot(tmp_path)
    assert snap.meta == {"name": "atlas", "title": "Atlas"}
    assert snap.sources == {"p.txt": {"sha256": "ab", "bytes": 3}}
    assert list(snap.tables) == ["t"]
    table = snap.tables["t"]
    assert (table.name, table.schema, table.data) == ("t", schema_, {"k": ["a", "b"], "v": [1, 2]})
    assert read_snapshot(tmp_path, keys_only=True).tables["t"].data == {"k": ["a", "b"]}


@pytest.mark.parametrize(
    ("primary_key", "expected"),
    [
        (["k", "code"], {"k": ["a", "b"], "code": [1, 2]}),
        ("code", {"code": [1, 2]}),  # a string primaryKey is one column name, not a list of letters
        (None, {"k": ["a", "b"]}),  # no primaryKey: the first column, to count the rows
    ],
)
def test_keys_only_reads_the_primary_key_columns_only(tmp_path, primary_key, expected) -> None:
    from pipeline.publish.versioning import read_snapshot

    names = {"k": "string", "code": "integer", "w": "string"}
    schema_: dict = {"fields": [{"name": n, "type": t} for n, t in names.items()]}
    if primary_key is not None:
        schema_["primaryKey"] = primary_key
    descriptor = {"name": "atlas", "resources": [{"name": "t", "format": "csv", "schema": schema_}]}
    _release_folder(tmp_path, descriptor, {"t": {"k": ["a", "b"], "code": [1, 2], "w": ["x", "y"]}})
    table = read_snapshot(tmp_path, keys_only=True).tables["t"]
    assert table.data == expected and table.rows == 2


def test_read_snapshot_of_a_build_takes_schemas_metadata_and_sources_as_given(tmp_path) -> None:
    from pathlib import Path

    from pipeline.config import ReleaseConfig
    from pipeline.publish.versioning import read_snapshot
    from pipeline.schemas import TableSchema

    descriptor = {"fields": [{"name": "k", "type": "string"}, {"name": "v", "type": "string"}], "primaryKey": "k"}
    tables = [
        TableSchema.from_descriptor("t", descriptor, path=Path("t.schema.yaml")),
        TableSchema.from_descriptor("hidden", descriptor, path=Path("hidden.schema.yaml"), published=False),
    ]
    _release_folder(tmp_path, {}, {"t": {"k": ["a"], "v": ["x"]}})  # no parquet for the unpublished table
    cfg = ReleaseConfig("mine", "Mine", "Built here.")
    files = [{"path": "p.txt", "sha256": "ab", "bytes": 3}, {"path": "q.txt", "sha256": "cd"}]
    snap = read_snapshot(tmp_path, tables, config=cfg, sources=files)
    assert snap.meta == {"name": "mine", "title": "Mine", "description": "Built here.", "keywords": [], "licenses": [], "contributors": []}
    assert snap.sources == {"p.txt": {"sha256": "ab", "bytes": 3}, "q.txt": {"sha256": "cd", "bytes": None}}
    assert list(snap.tables) == ["t"] and snap.tables["t"].data == {"k": ["a"], "v": ["x"]}
    assert snap.tables["t"].name == "t" and snap.tables["t"].primary_key == ["k"]
