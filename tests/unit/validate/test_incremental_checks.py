"""The in-memory checks by partition (issue 15): the same findings as checking everything at once.

``check_partitioned`` runs the row-local rules only on partitions (the rows of one source file)
without a cache entry. Whatever is cached, changed, wiped or damaged, its findings must be byte for
byte those of ``check_tables`` on the same tables: on a generated corpus, after one file changed,
with a defect in an unchanged and in a changed partition, after a cache wipe, with a damaged entry
(plus its info finding), in batches of any size, and on hypothesis-drawn table sets whose rows may
trace to no file at all.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from test_columnar_equivalence import _load, serialised, table_sets

from pipeline.extract import extract_paths
from pipeline.validate.checks import check_tables
from pipeline.validate.incremental import check_partitioned
from pipeline.validate.partitions import NO_FILE, Partitions

REPO = Path(__file__).resolve().parents[3]
TODAY = dt.date(2025, 6, 1)
VERSION = "validate-test"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, pd.DataFrame]:
    make_corpus = _load("make_corpus", REPO / "benchmarks" / "make_corpus.py")
    folder = tmp_path_factory.mktemp("corpus")
    make_corpus.make_corpus(6, folder / "corpus", seed=5, files=4)
    return extract_paths([folder / "corpus"]).tables


def run(tables, cache: Path | None, **kwargs):
    return check_partitioned(tables, cache_url=str(cache) if cache else None, code_version=VERSION, today=TODAY, **kwargs)


def same(tables, result) -> None:
    assert serialised(result.findings) == serialised(check_tables(tables, today=TODAY))


def with_text(tables: dict[str, pd.DataFrame], file: str, text: str) -> dict[str, pd.DataFrame]:
    """A copy of ``tables`` where the first section of the first organisation of ``file`` reads ``text``."""
    orgs = tables["organizations"]
    sections = tables["sections"].copy()
    ours = set(orgs.loc[orgs["source_file"] == file, "organization_id"])
    row = sections.index[sections["organization_id"].isin(ours)][0]
    sections.loc[row, "text"] = text
    return {**tables, "sections": sections}


def files_of(tables) -> list[str]:
    return sorted(tables["organizations"]["source_file"].unique())


def test_a_cold_cache_checks_everything_and_a_warm_one_nothing(corpus, tmp_path) -> None:
    cold = run(corpus, tmp_path)
    same(corpus, cold)
    assert cold.cached == 0 and cold.checked == files_of(corpus)
    assert len(list((tmp_path / "checks").rglob("*.json"))) == len(files_of(corpus))
    warm = run(corpus, tmp_path)
    same(corpus, warm)
    assert warm.cached == len(files_of(corpus)) and warm.checked == []


def test_only_a_changed_partition_is_checked_and_defects_are_found_in_both(corpus, tmp_path) -> None:
    """A defect in a partition that stays unchanged (found from the cache, then after a wipe) and
    one in the partition that changes (found by checking it again)."""
    first, changed = files_of(corpus)[0], files_of(corpus)[-1]
    defect = "Examples include:\nTODO ofpartners nеtwork"  # list intro without list, placeholder, glued words, Cyrillic е
    base = with_text(corpus, first, defect)
    run(base, tmp_path)
    edited = with_text(base, changed, "Our tools:\n[insert text here]")
    again = run(edited, tmp_path)
    same(edited, again)
    assert again.checked == [changed]
    rules = {(f.source_file, f.rule) for f in again.findings}
    assert {(first, "placeholder-text"), (first, "run-together-words"), (first, "mixed-script-word")} <= rules
    assert {(changed, "placeholder-text"), (changed, "list-intro-without-list")} <= rules
    shutil.rmtree(tmp_path / "checks")  # a wiped cache: every partition is checked again, same findings
    wiped = run(edited, tmp_path)
    same(edited, wiped)
    assert wiped.checked == files_of(corpus)


def test_a_damaged_entry_is_a_miss_with_an_info_finding(corpus, tmp_path) -> None:
    run(corpus, tmp_path)
    damaged = sorted((tmp_path / "checks").rglob("*.json"))[0]
    damaged.write_bytes(b'{"format": "geneva-digital-atlas/check-cache/1", "key": "x", "findings": [{"rule": "nope"}]}')
    again = run(corpus, tmp_path)
    problems = [f for f in again.findings if f.rule == "cache-entry-invalid"]
    assert len(problems) == 1 and problems[0].severity == "info" and damaged.name in problems[0].message
    assert len(again.checked) == 1
    assert serialised([f for f in again.findings if f.rule != "cache-entry-invalid"]) == serialised(check_tables(corpus, today=TODAY))
    healed = run(corpus, tmp_path)  # the entry was replaced
    same(corpus, healed)
    assert healed.checked == []


@pytest.mark.parametrize("batch_rows", [1, 500, 10**9])
def test_any_batch_size_gives_the_same_findings(corpus, tmp_path, batch_rows) -> None:
    same(corpus, run(corpus, tmp_path, batch_rows=batch_rows))


def test_a_changed_row_changes_only_its_partitions_digest(corpus) -> None:
    before = Partitions.of(corpus).digests(corpus)
    first = files_of(corpus)[0]
    after = Partitions.of(with_text(corpus, first, "changed")).digests(with_text(corpus, first, "changed"))
    assert {name for name in before if before[name] != after[name]} == {first}
    # a partition's digest does not depend on the other partitions' rows
    alone = Partitions.of(corpus).subset(corpus, [first])
    assert Partitions.of(alone).digests(alone)[first] == before[first]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(table_sets())
def test_partitioned_checks_equal_the_whole_on_drawn_tables(tmp_path_factory, tables) -> None:
    """Rows with no file, organisations that do not exist, files given on some rows only."""
    cache = tmp_path_factory.mktemp("cache")
    result = run(tables, cache, batch_rows=1)
    same(tables, result)
    same(tables, run(tables, cache, batch_rows=1))
    cached = len(list(cache.rglob("*.json")))
    assert cached == len([name for name in Partitions.of(tables).names() if name != NO_FILE])  # rows of no file are never cached


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(table_sets())
def test_partition_rows_and_subsets_equal_their_plain_definition(tables) -> None:
    """``rows`` (integer codes) is the rows whose label is one of the names, for every subset of
    the names (none, some, all, and names no row has); ``subset`` is those rows in table order, and
    a table all of whose rows are wanted is handed over as it is (no copy)."""
    parts = Partitions.of(tables)
    names = parts.names()
    choices = [[], names, names[::2], names[1:], [*names[:1], "no such file"]]
    for wanted in choices:
        subset = parts.subset(tables, wanted)
        for table, df in tables.items():
            plain = [i for i, label in enumerate(parts.labels[table].tolist()) if label in wanted]
            assert parts.rows(table, wanted).tolist() == plain
            pd.testing.assert_frame_equal(subset[table], df.iloc[plain].reset_index(drop=True))
            if len(plain) == len(df):
                assert subset[table] is df
            else:
                assert subset[table] is not df
