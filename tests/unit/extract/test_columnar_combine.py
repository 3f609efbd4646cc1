"""The columnar combine (issue 15) gives exactly what the row path gave: generated corpora with
repeated, conflicting and renamed organisations, mentions of each other's names and of countries,
combined from rows, from a cold cache and from a warm one (columns and cached mentions), against
the former row implementation kept as the oracle (``row_combine.py``)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from conftest import make_profile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from row_combine import combine as row_combine

from pipeline.extract import extract_file
from pipeline.extract.cache import MentionsCache, SourceEntry, cache_key, iter_extractions
from pipeline.extract.combine import combine
from pipeline.extract.model import Extraction

# Two organisations share an acronym (a renamed id), one name comes back with another acronym.
POOL = [
    ("Alpha Digital Forum", "ADF"),
    ("Beta Data Council", "BDC"),
    ("Gamma Data Council", "BDC"),
    ("Delta Net", "DNT"),
    ("Alpha Digital Forum", "ADX"),
]
COUNTRIES = ["Kenya", "Brazil", "Côte d'Ivoire", "Chad"]
FOOTNOTED = """Digital activities

{acronym} runs programmes with {other} in {country}.

Digital policy issues

Cybersecurity

{acronym} works on cybersecurity (1).

Social media channels

Twitter @{handle}

1 – A report with {other} on
{country} and more.
"""

WHO = st.integers(0, len(POOL) - 1)
PROFILE = st.tuples(WHO, st.sampled_from(["1990", "1991", "nineteen"]), WHO, st.sampled_from(COUNTRIES))
CORPUS = st.lists(st.lists(PROFILE, min_size=1, max_size=3), min_size=1, max_size=4)


def _text(profiles: list[tuple[int, str, int, str]]) -> str:
    parts = []
    for who, year, other, country in profiles:
        name, acronym = POOL[who]
        body = FOOTNOTED.format(acronym=acronym, other=POOL[other][0], country=country, handle=acronym.lower())
        parts.append(make_profile(name=name, acronym=acronym, established=year, summary=f"It works with {POOL[other][1]}.", body=body))
    return "\n\n".join(parts)


def _write(folder: Path, corpus: list[list[tuple[int, str, int, str]]]) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    names = [f"f{i}.txt" for i in range(len(corpus))]
    for name, profiles in zip(names, corpus, strict=True):
        (folder / name).write_text(_text(profiles), encoding="utf-8")
    return names


def _through_cache(folder: Path, names: list[str], url: str, problems: list) -> Extraction:
    entries = [SourceEntry.of(folder / n, n) for n in names]
    files = [(e, cache_key("test", e.rel, e.sha256)) for e in entries]
    return combine(iter_extractions(url, files, problems), mentions_cache=MentionsCache(url, problems))


def assert_same(expected: Extraction, got: Extraction) -> None:
    assert [f.to_dict() for f in got.findings] == [f.to_dict() for f in expected.findings]
    assert got.sources == expected.sources
    assert list(got.tables) == list(expected.tables)
    for name, frame in expected.tables.items():
        assert list(got.tables[name].dtypes) == list(frame.dtypes), name
        assert got.tables[name].equals(frame), name


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(CORPUS)
def test_columns_and_cached_mentions_equal_the_row_path(tmp_path_factory, corpus) -> None:
    tmp = tmp_path_factory.mktemp("corpus")
    names = _write(tmp / "src", corpus)
    rows = [extract_file(tmp / "src" / n, n) for n in names]
    expected = row_combine(list(rows))
    assert_same(expected, combine(list(rows)))
    url = str(tmp / "cache")
    for _ in ("cold", "warm"):
        problems: list = []
        assert_same(expected, _through_cache(tmp / "src", names, url, problems))
        assert problems == []


class _Counting(MentionsCache):
    def __init__(self, url: str, problems: list) -> None:
        super().__init__(url, problems)
        self.found: list[str] = []

    def put(self, key: str, tables: dict[str, pa.Table]) -> None:
        self.found.append(key)
        super().put(key, tables)


def test_cached_mentions_are_reused_only_while_the_corpus_names_stay_the_same(tmp_path: Path) -> None:
    """An unchanged file's mentions come from the cache; renaming an organisation another file
    names (a changed name set) finds them again, so the unchanged file loses that mention."""
    src = tmp_path / "src"
    corpus = [[(0, "1990", 1, "Kenya")], [(1, "1990", 3, "Chad")], [(3, "1990", 0, "Brazil")]]
    names = _write(src, corpus)
    url = str(tmp_path / "cache")

    def run() -> tuple[Extraction, list[str]]:
        files = [(e, cache_key("test", e.rel, e.sha256)) for e in (SourceEntry.of(src / n, n) for n in names)]
        store = _Counting(url, [])
        return combine(iter_extractions(url, files, []), mentions_cache=store), store.found

    first, found = run()
    assert len(found) == 3
    again, found = run()
    assert found == []  # every file's mentions from the cache
    assert_same(first, again)
    # a year edit in file 1 leaves the names alone: only that file's mentions are found again
    (src / names[1]).write_text(_text([(1, "1991", 3, "Chad")]), encoding="utf-8")
    edited, found = run()
    assert len(found) == 1
    assert_same(row_combine([extract_file(src / n, n) for n in names]), edited)
    # file 1's organisation gets a new name: file 0 still says "Beta Data Council" but no longer names it
    (src / names[1]).write_text(_text([(2, "1991", 3, "Chad")]).replace("Gamma Data Council", "Beta Data Board"), encoding="utf-8")
    renamed, found = run()
    assert len(found) == 3  # the name set changed: every file's mentions found again
    assert_same(row_combine([extract_file(src / n, n) for n in names]), renamed)
    before = first.tables["organization_mentions"]
    after = renamed.tables["organization_mentions"]
    assert ((before["organization_id"] == "adf") & (before["mention"] == "Beta Data Council")).any()
    assert not ((after["organization_id"] == "adf") & (after["mention"] == "Beta Data Council")).any()


@pytest.mark.parametrize("kind", ["truncated", "json", "other-key"])
def test_an_unusable_mentions_entry_is_found_again_with_an_info_finding(tmp_path: Path, kind: str) -> None:
    src = tmp_path / "src"
    names = _write(src, [[(0, "1990", 1, "Kenya")], [(1, "1990", 0, "Chad")]])
    url = str(tmp_path / "cache")
    expected = _through_cache(src, names, url, [])
    entries = sorted((tmp_path / "cache" / "mentions").rglob("*.arrow"))
    assert len(entries) == 2
    good = entries[0].read_bytes()
    if kind == "truncated":
        entries[0].write_bytes(good[: len(good) // 2])
    elif kind == "json":
        entries[0].write_text('{"format": "geneva-digital-atlas/mentions-cache/1", "key": "x", "tables": []}')
    else:
        entries[0].write_bytes(entries[1].read_bytes())
    problems: list = []
    assert_same(expected, _through_cache(src, names, url, problems))
    assert [(p.rule, p.severity) for p in problems] == [("cache-entry-invalid", "info")]
    assert entries[0].name in problems[0].message and "found again" in problems[0].message
    assert entries[0].read_bytes() == good  # replaced by a valid entry
