"""The extraction cache holds data, not code (issues 16, 15): Arrow entries (the tables as columns,
source and findings as a JSON document) validated on read; an entry that is unreadable, foreign,
of an older format, truncated or of the wrong type is a miss with an info finding, the file is
extracted again and the entry replaced, and nothing read from the cache is ever executed."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from conftest import SAMPLE

from pipeline.extract import combine, extract_file
from pipeline.extract.cache import (
    ROW_TABLES,
    SourceEntry,
    _expected,
    _pack,
    _unpack,
    cache_key,
    decode,
    encode,
    entry_path,
    load,
    read_or_extract,
    store,
)

VERSION = "extract-test"


@pytest.fixture
def cached(tmp_path: Path) -> tuple[str, SourceEntry, str]:
    """A cache folder with the sample's entry stored."""
    entry = SourceEntry.of(SAMPLE, SAMPLE.name)
    key = cache_key(VERSION, entry.rel, entry.sha256)
    url = str(tmp_path / "cache")
    store(url, key, extract_file(SAMPLE, SAMPLE.name))
    return url, entry, key


def test_an_entry_is_arrow_and_reads_back_to_the_same_tables(cached) -> None:
    url, entry, key = cached
    path = entry_path(url, key)
    document, tables = _unpack(path.read_bytes(), _expected(ROW_TABLES))
    header = json.loads(document)
    assert header["format"] == "geneva-digital-atlas/extract-cache/2" and header["key"] == key
    assert set(header["extraction"]) == {"source", "findings"} and list(tables) == list(ROW_TABLES)
    assert tables["organizations"].num_rows == 6 and tables["sections"].column("text").type == pa.large_string()
    fx, problem = load(url, key, entry.rel)
    assert problem is None and fx is not None and fx.key == key
    fresh = combine([extract_file(SAMPLE, SAMPLE.name)])
    again = combine([fx])
    assert fx.source == fresh.sources[0] and [f.to_dict() for f in again.findings] == [f.to_dict() for f in fresh.findings]
    for name, frame in fresh.tables.items():
        assert again.tables[name].equals(frame), name


def test_a_missing_entry_is_a_silent_miss(tmp_path: Path) -> None:
    assert load(str(tmp_path), "0" * 64, "a.txt") == (None, None)


# A classic pickle payload (protocol 0): unpickling it would run `touch <marker>`. The cache never
# unpickles anything, so the marker must never appear.
def _pickle_payload(marker: Path) -> bytes:
    return f"cposix\nsystem\n(S'touch {marker}'\ntR.".encode()


def _rewrite(good: bytes, edit_document=None, edit_table=None) -> bytes:
    document, tables = _unpack(good, _expected(ROW_TABLES))
    header = json.loads(document)
    if edit_document:
        edit_document(header)
    if edit_table:
        tables = edit_table(tables)
    return _pack(json.dumps(header).encode(), tables)


def _as_strings(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    orgs = tables["organizations"]
    i = orgs.schema.get_field_index("established")
    return {**tables, "organizations": orgs.set_column(i, "established", orgs.column(i).cast(pa.large_string()))}


KINDS = ["pickle", "wrong-type", "wrong-column-type", "missing-table", "truncated", "unknown-rule", "other-key", "not-arrow", "old-format"]


@pytest.mark.parametrize("kind", KINDS)
def test_an_unusable_entry_is_a_miss_with_an_info_finding_and_the_run_goes_on(cached, tmp_path: Path, kind: str) -> None:
    url, entry, key = cached
    path = entry_path(url, key)
    good = path.read_bytes()
    marker = tmp_path / "pwned"
    if kind == "pickle":
        path.write_bytes(_pickle_payload(marker))
    elif kind == "wrong-type":
        path.write_bytes(_rewrite(good, lambda d: d["extraction"]["source"].update(bytes="many")))
    elif kind == "wrong-column-type":
        path.write_bytes(_rewrite(good, edit_table=_as_strings))
    elif kind == "missing-table":
        path.write_bytes(_rewrite(good, edit_table=lambda t: {n: v for n, v in t.items() if n != "footnotes"}))
    elif kind == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif kind == "unknown-rule":
        path.write_bytes(_rewrite(good, lambda d: d["extraction"].update(findings=[{"rule": "no-such-rule", "message": "x"}])))
    elif kind == "other-key":
        path.write_bytes(_rewrite(good, lambda d: d.update(key="f" * 64)))
    elif kind == "not-arrow":
        path.write_bytes(b"\xff\xfe" + good)
    else:  # an entry of the former JSON format at this path
        path.write_text(json.dumps({"format": "geneva-digital-atlas/extract-cache/1", "key": key, "extraction": {}}))
    fx, problem = load(url, key, entry.rel)
    assert fx is None and problem is not None
    assert (problem.rule, problem.severity, problem.source_file) == ("cache-entry-invalid", "info", SAMPLE.name)
    assert path.name in problem.message and "extracted again" in problem.message
    # the run goes on: the file is extracted again and the entry replaced by a valid one
    files, findings = read_or_extract(url, [(entry, key)])
    assert [f.rule for f in findings] == ["cache-entry-invalid"]
    assert files[0].tables["organizations"].num_rows == 6
    replaced, problem = load(url, key, entry.rel)
    assert problem is None and replaced is not None and encode(key, replaced) == encode(key, files[0]) == good
    assert not marker.exists()


def test_decode_refuses_what_encode_did_not_write() -> None:
    fx = extract_file(SAMPLE, SAMPLE.name)
    data = encode("k", fx)
    assert encode("k", decode("k", data)) == data  # stable round trip
    with pytest.raises(ValueError, match="another key"):
        decode("other", data)
    with pytest.raises(ValueError, match="not a valid cache entry"):
        decode("k", b'{"format": "geneva-digital-atlas/extract-cache/1", "key": "k", "extraction": {}}')
    with pytest.raises(ValueError, match="not a valid cache entry"):
        decode("k", _pack(b'{"format": "something else", "key": "k", "extraction": {}}', decode("k", data).tables))


def test_streamed_files_combine_to_the_same_tables_as_listed_ones(tmp_path: Path) -> None:
    from conftest import make_profile

    from pipeline.extract.cache import iter_extractions

    folder = tmp_path / "sources"
    folder.mkdir()
    texts = {"b.txt": make_profile(acronym="BBB"), "a.txt": make_profile(name="Alpha Org", acronym="AAA")}
    texts["c.txt"] = make_profile(acronym="BBB")
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    entries = [SourceEntry.of(folder / name, name) for name in texts]
    files = [(e, cache_key(VERSION, e.rel, e.sha256)) for e in entries]
    url = str(tmp_path / "cache")
    listed = combine([extract_file(folder / name, name) for name in reversed(list(texts))])  # a list: any order
    problems: list = []
    streamed = combine(iter_extractions(url, files, problems))  # nothing cached yet: each extracted and stored
    assert problems == [] and all(entry_path(url, key).is_file() for _, key in files)
    assert [s.path for s in streamed.sources] == ["a.txt", "b.txt", "c.txt"] == [s.path for s in listed.sources]
    assert [f.to_dict() for f in streamed.findings] == [f.to_dict() for f in listed.findings]
    assert any(f.rule == "duplicate-organization-same" and f.source_file == "c.txt" for f in streamed.findings)  # c repeats b
    for name, frame in listed.tables.items():
        assert streamed.tables[name].equals(frame), name


def test_an_iterator_out_of_source_path_order_is_refused() -> None:
    fx = extract_file(SAMPLE, SAMPLE.name)
    later = extract_file(SAMPLE, "zzz.txt")
    with pytest.raises(ValueError, match="source-path order"):
        combine(iter([later, fx]))
