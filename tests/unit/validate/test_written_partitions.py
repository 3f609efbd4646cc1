"""Frictionless by partition plus column-wide key checks find what Frictionless finds on whole files.

``validate_written`` validates only the rows of partitions (source files) without a cache entry and
checks unique, primary and foreign keys over the whole files in polars. Its findings must be byte
for byte those of Frictionless validating the same files whole (``validate_package_files``, the
check used before issue 15): with defects in a partition that stays unchanged and in one that
changes, rows that trace to no file, after a cache wipe and with a damaged entry. The lemma behind
it is tested too: the CSV writer writes each row's record the same whether the row is written with
its whole table or alone.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
from test_columnar_equivalence import _load, serialised

from pipeline.csvio import to_csv_bytes, write_csv
from pipeline.extract import extract_paths
from pipeline.schemas import load_schemas
from pipeline.validate.frictionless_check import validate_package_files
from pipeline.validate.keys import key_errors
from pipeline.validate.written import validate_written

REPO = Path(__file__).resolve().parents[3]
VERSION = "files-test"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, pd.DataFrame]:
    make_corpus = _load("make_corpus", REPO / "benchmarks" / "make_corpus.py")
    folder = tmp_path_factory.mktemp("corpus")
    make_corpus.make_corpus(4, folder / "corpus", seed=3, files=3)
    return extract_paths([folder / "corpus"]).tables


def files_of(tables) -> list[str]:
    return sorted(tables["organizations"]["source_file"].unique())


def orgs_of(tables, file: str) -> list[str]:
    orgs = tables["organizations"]
    return sorted(orgs.loc[orgs["source_file"] == file, "organization_id"])


def defective(tables: dict[str, pd.DataFrame], file: str, *, extra: bool = False) -> dict[str, pd.DataFrame]:
    """Defects Frictionless finds in the rows of ``file``'s partition: a year above the maximum, a
    country code breaking its pattern, a footnote number below the minimum, a repeated primary key;
    with ``extra``, a section of an organisation that does not exist (a row of no file)."""
    has = set.intersection(*(set(tables[t]["organization_id"]) for t in ("sections", "footnotes", "country_mentions")))
    org = [o for o in orgs_of(tables, file) if o in has][-1]  # not the file's first: its rows sit after other files' rows
    out = {name: df.copy() for name, df in tables.items()}
    orgs = out["organizations"]
    orgs.loc[orgs["organization_id"] == org, "established"] = 2500
    countries = out["country_mentions"]
    countries.loc[countries.index[countries["organization_id"] == org][:1], "country_code"] = "xx"
    notes = out["footnotes"]
    notes.loc[notes.index[notes["organization_id"] == org][:1], "number"] = 0
    sections = out["sections"]
    first = sections.index[sections["organization_id"] == org][0]
    rows = [sections, sections.loc[[first]]]
    if extra:
        rows.append(sections.loc[[first]].assign(organization_id="nobody-here"))
    out["sections"] = pd.concat(rows).sort_values(["organization_id", "section_id"], kind="stable").reset_index(drop=True)
    return out


def write(tables: dict[str, pd.DataFrame], folder: Path) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    names = [t.name for t in load_schemas().values() if t.published]
    for name in names:
        write_csv(tables[name], load_schemas()[name], folder / f"{name}.csv")
    return names


def whole(folder: Path, names: list[str]) -> bytes:
    return serialised(validate_package_files(folder, names, parallel=False))


def partitioned(tables, folder: Path, names: list[str], cache: Path | None, **kwargs):
    return validate_written(folder, {n: tables[n] for n in names}, None, names, cache_url=str(cache) if cache else None,
                            code_version=VERSION, **kwargs)


def test_clean_files_and_files_with_defects_give_the_same_findings(corpus, tmp_path) -> None:
    names = write(corpus, tmp_path / "clean")
    assert serialised(partitioned(corpus, tmp_path / "clean", names, None).findings) == whole(tmp_path / "clean", names) == b"[]"
    bad = defective(corpus, files_of(corpus)[0], extra=True)
    names = write(bad, tmp_path / "bad")
    found = partitioned(bad, tmp_path / "bad", names, None).findings
    assert serialised(found) == whole(tmp_path / "bad", names)
    messages = " ".join(f.message for f in found)
    for kind in ("constraint-error", "primary-key", "foreign-key"):
        assert kind in messages


def test_defects_in_an_unchanged_and_a_changed_partition_are_found_from_the_cache_and_again(corpus, tmp_path) -> None:
    first, last = files_of(corpus)[0], files_of(corpus)[-1]
    base = defective(corpus, first)
    names = write(base, tmp_path / "v1")
    cache = tmp_path / "cache"
    cold = partitioned(base, tmp_path / "v1", names, cache, parallel=True)
    assert serialised(cold.findings) == whole(tmp_path / "v1", names)
    assert cold.checked == files_of(corpus) and cold.cached == 0
    edited = defective(base, last, extra=True)  # the last file changes: rows move in every file after it
    names = write(edited, tmp_path / "v2")
    again = partitioned(edited, tmp_path / "v2", names, cache)
    assert serialised(again.findings) == whole(tmp_path / "v2", names)
    assert again.checked == [last] and again.cached == len(files_of(corpus)) - 1
    assert {f.source_file for f in again.findings if f.rule == "schema-published-file"} >= {first, last}
    shutil.rmtree(cache)  # wiped: everything is validated again, the same findings
    wiped = partitioned(edited, tmp_path / "v2", names, cache)
    assert serialised(wiped.findings) == whole(tmp_path / "v2", names) and wiped.checked == files_of(corpus)


def test_a_damaged_entry_is_a_miss_with_an_info_finding(corpus, tmp_path) -> None:
    bad = defective(corpus, files_of(corpus)[1])
    names = write(bad, tmp_path / "files")
    cache = tmp_path / "cache"
    partitioned(bad, tmp_path / "files", names, cache)
    damaged = sorted((cache / "files").rglob("*.json"))[0]
    damaged.write_text("{not json", encoding="utf-8")
    again = partitioned(bad, tmp_path / "files", names, cache)
    problems = [f for f in again.findings if f.rule == "cache-entry-invalid"]
    assert len(problems) == 1 and damaged.name in problems[0].message and len(again.checked) == 1
    assert serialised([f for f in again.findings if f.rule != "cache-entry-invalid"]) == whole(tmp_path / "files", names)


def test_a_file_whose_header_differs_is_validated_whole(corpus, tmp_path) -> None:
    names = write(corpus, tmp_path / "files")
    path = tmp_path / "files" / "footnotes.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("number", "numero", 1), encoding="utf-8")
    found = partitioned(corpus, tmp_path / "files", names, None).findings
    assert found and serialised(found) == whole(tmp_path / "files", names)


def records(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def test_a_row_is_written_the_same_alone_as_with_its_table(corpus) -> None:
    """Each row's record in the whole file equals its record in a file of a subset of rows."""
    tricky = corpus["sections"].copy()
    tricky.loc[:4, "text"] = ["a,b", 'say "x"', "line\nbreak", "=1+2", "cr\rhere"]
    for name, df in {**corpus, "sections": tricky}.items():
        table = load_schemas()[name]
        full = records(to_csv_bytes(df, table))
        rows = list(range(0, len(df), 3))
        alone = records(to_csv_bytes(df.iloc[rows], table))
        assert alone[0] == full[0] and alone[1:] == [full[1 + r] for r in rows], name
        assert len(full) == len(df) + 1


def test_key_errors_are_frictionless_descriptors(tmp_path) -> None:
    """Typed comparison ("01" is 1), notes naming the latest earlier row, all-missing keys,
    partly missing foreign keys, a cell that is not of its type."""
    (tmp_path / "p.csv").write_text("id,name,n\na,x,1\nb,y,2\na,z,01\n,w,3\nc,y,\nd,y,4\n", encoding="utf-8")
    (tmp_path / "c.csv").write_text("pid,ref,k\n1,a,1\n2,q,2\n3,,3\n4,b,x\n1,c,\n", encoding="utf-8")
    resources = [
        {"name": "p", "path": "p.csv", "schema": {"fields": [{"name": "id", "type": "string"},
                                                             {"name": "name", "type": "string", "constraints": {"unique": True}},
                                                             {"name": "n", "type": "integer"}], "primaryKey": ["id"]}},
        {"name": "c", "path": "c.csv", "schema": {"fields": [{"name": "pid", "type": "integer"},
                                                             {"name": "ref", "type": "string"},
                                                             {"name": "k", "type": "integer"}], "primaryKey": ["pid"],
                                                  "foreignKeys": [{"fields": ["ref", "k"],
                                                                   "reference": {"resource": "p", "fields": ["id", "n"]}}]}},
    ]
    from frictionless import Package

    package = Package({"name": "t", "resources": [{**r, "scheme": "file", "format": "csv"} for r in resources]}, basepath=str(tmp_path))
    mine = key_errors(tmp_path, resources)
    for r in resources:
        report = package.get_resource(r["name"]).validate(limit_errors=10**9).to_descriptor()
        theirs = [{k: v for k, v in e.items() if k not in ("title", "description", "message", "tags")}
                  for task in report["tasks"] for e in task["errors"] if e["type"] in ("unique-error", "primary-key", "foreign-key")]
        assert [e.descriptor for e in mine[r["name"]]] == theirs and theirs


def test_some_files_checked_against_the_whole_package_find_what_checking_all_finds_about_them(corpus, tmp_path) -> None:
    """What staging does with the files of unchanged tables (``references``): the files checked
    alone, their foreign keys still read from every file, give the full check's findings about them."""
    bad = defective(corpus, files_of(corpus)[0], extra=True)  # among them: a section of no organisation
    names = write(bad, tmp_path / "bad")
    full = partitioned(bad, tmp_path / "bad", names, None)
    for chosen in (["sections"], ["sections", "country_mentions"]):
        some = validate_written(tmp_path / "bad", {n: bad[n] for n in chosen}, None, chosen, references=names)
        assert {n: serialised(f) for n, f in some.by_table.items()} == {n: serialised(full.by_table[n]) for n in chosen}
        assert some.general == [] and full.general == []
    assert "foreign-key" in " ".join(f.message for f in full.by_table["sections"])
    alone = validate_written(tmp_path / "bad", {"sections": bad["sections"]}, None, ["sections"])  # without references
    assert "foreign-key" not in " ".join(f.message for f in alone.by_table["sections"])
