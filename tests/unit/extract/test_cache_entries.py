"""The extraction cache holds data, not code (issue 16): JSON entries validated on read; an entry
that is unreadable, foreign, truncated or of the wrong type is a miss with an info finding, the file
is extracted again and the entry replaced, and nothing read from the cache is ever executed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SAMPLE

from pipeline.extract import combine, extract_file
from pipeline.extract.cache import SourceEntry, cache_key, decode, encode, entry_path, load, read_or_extract, store

VERSION = "extract-test"


@pytest.fixture
def cached(tmp_path: Path) -> tuple[str, SourceEntry, str]:
    """A cache folder with the sample's entry stored."""
    entry = SourceEntry.of(SAMPLE, SAMPLE.name)
    key = cache_key(VERSION, entry.rel, entry.sha256)
    url = str(tmp_path / "cache")
    store(url, key, extract_file(SAMPLE, SAMPLE.name))
    return url, entry, key


def test_an_entry_is_json_and_reads_back_to_the_same_tables(cached) -> None:
    url, entry, key = cached
    path = entry_path(url, key)
    document = json.loads(path.read_bytes())
    assert document["format"] == "geneva-digital-atlas/extract-cache/1" and document["key"] == key
    assert set(document["extraction"]) == {"source", "rows", "findings"}  # the dataclass fields
    fx, problem = load(url, key, entry.rel)
    assert problem is None and fx is not None
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


@pytest.mark.parametrize("kind", ["pickle", "wrong-type", "truncated", "unknown-rule", "other-key", "not-utf8"])
def test_an_unusable_entry_is_a_miss_with_an_info_finding_and_the_run_goes_on(cached, tmp_path: Path, kind: str) -> None:
    url, entry, key = cached
    path = entry_path(url, key)
    good = path.read_bytes()
    marker = tmp_path / "pwned"
    document = json.loads(good)
    if kind == "pickle":
        path.write_bytes(_pickle_payload(marker))
    elif kind == "wrong-type":
        document["extraction"]["source"]["bytes"] = "many"
        path.write_text(json.dumps(document))
    elif kind == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif kind == "unknown-rule":
        document["extraction"]["findings"] = [{"rule": "no-such-rule", "message": "x"}]
        path.write_text(json.dumps(document))
    elif kind == "other-key":
        document["key"] = "f" * 64
        path.write_text(json.dumps(document))
    else:
        path.write_bytes(b"\xff\xfe" + good)
    fx, problem = load(url, key, entry.rel)
    assert fx is None and problem is not None
    assert (problem.rule, problem.severity, problem.source_file) == ("cache-entry-invalid", "info", SAMPLE.name)
    assert path.name in problem.message and "extracted again" in problem.message
    # the run goes on: the file is extracted again and the entry replaced by a valid one
    files, findings = read_or_extract(url, [(entry, key)])
    assert [f.rule for f in findings] == ["cache-entry-invalid"]
    assert len(files[0].rows["organizations"]) == 6
    replaced, problem = load(url, key, entry.rel)
    assert problem is None and replaced is not None and encode(key, replaced) == encode(key, files[0])
    assert not marker.exists()


def test_decode_refuses_what_encode_did_not_write() -> None:
    fx = extract_file(SAMPLE, SAMPLE.name)
    data = encode("k", fx)
    assert decode("k", data) == decode("k", encode("k", decode("k", data)))  # stable round trip
    with pytest.raises(ValueError, match="another key"):
        decode("other", data)
    with pytest.raises(ValueError, match="not a valid cache entry"):
        decode("k", b'{"format": "something else", "key": "k", "extraction": {}}')


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


def test_rows_read_back_share_their_column_names(cached) -> None:
    """A large corpus holds every row while it is combined: the column names must be one string
    each, not one per row (~0.6 kB a row, 160 MB at 1000×)."""
    url, entry, key = cached
    fx, _ = load(url, key, entry.rel)
    assert fx is not None
    for table, rows in fx.rows.items():
        if len(rows) > 1:
            assert all(a is b for a, b in zip(rows[0], rows[1], strict=True)), table
