"""The CSV dialect and the spreadsheet-formula guard (``pipeline.csvio``), cell by cell.

Every prefix a spreadsheet runs (``=``, ``+``, ``-``, ``@``, tab, carriage return) is guarded with one
apostrophe when written and only that apostrophe is removed when read; every other value, including
ones that merely contain those characters or already start with an apostrophe, round-trips as is.
"""

from __future__ import annotations

import csv
import io
import math

import pandas as pd
import pytest

from pipeline.csvio import FORMULA_PREFIXES, GUARD, guard_cell, read_csv, to_csv_bytes, unguard_cell, write_csv
from pipeline.schemas import schema

RISKY = ["=1+1", "+41 22", "-5", "@SUM(A1)", "\tx", "\rx", "=", "'=x", "''=x", "'\tx"]
SAFE = ["", "x", "'quoted'", "a=b", "1-2", "mail@example.org", " =x", "x\t", "'", "''", "'x", "a\rb", "NA", "null", "N/A", "nan", "None"]


def test_the_prefixes_are_exactly_those_spreadsheets_run() -> None:
    assert set(FORMULA_PREFIXES) == {"=", "+", "-", "@", "\t", "\r"} and GUARD == "'"


@pytest.mark.parametrize("value", RISKY)
def test_a_risky_value_gets_one_apostrophe_and_reads_back_exactly(value: str) -> None:
    assert guard_cell(value) == "'" + value
    assert unguard_cell(guard_cell(value)) == value


@pytest.mark.parametrize("value", SAFE)
def test_a_safe_value_is_written_and_read_unchanged(value: str) -> None:
    assert guard_cell(value) == value
    assert unguard_cell(value) == value


def test_unguard_removes_only_the_guard_it_wrote() -> None:
    assert unguard_cell("'=x") == "=x" and unguard_cell("'\rx") == "\rx"
    assert unguard_cell("''=x") == "'=x"  # one apostrophe, not all
    assert unguard_cell("'x") == "'x" and unguard_cell("'") == "'"


def _taxonomy(rows: list[dict]) -> pd.DataFrame:
    return schema("issue_taxonomy").frame(rows)


def test_cells_of_every_kind_are_written_in_the_dialect() -> None:
    frame = _taxonomy(
        [
            {"issue": "=cmd", "basket": "B", "provenance": "p", "basket_assigned": True, "vocabulary_version": "2026.1"},
            {"issue": "\tTab", "basket": None, "provenance": "p", "basket_assigned": False, "vocabulary_version": "-1"},
            {"issue": 'x,y "q"', "basket": "B", "provenance": "line1\nline2", "basket_assigned": None, "vocabulary_version": "v"},
        ]
    )
    data = to_csv_bytes(frame, schema("issue_taxonomy"))
    assert data == (
        b"issue,basket,provenance,basket_assigned,vocabulary_version\n"
        b"'=cmd,B,p,true,2026.1\n"
        b"'\tTab,,p,false,'-1\n"
        b'"x,y ""q""",B,"line1\nline2",,v\n'
    )
    assert to_csv_bytes(frame, schema("issue_taxonomy")) == data  # deterministic


def test_integers_and_missing_values(tmp_path) -> None:
    table = schema("footnotes")
    frame = table.frame(
        [
            {"organization_id": "a", "number": 1, "text": "@home", "source_line": 10},
            {"organization_id": "a", "number": 2, "text": None, "source_line": None},
        ]
    )
    frame.loc[1, "text"] = math.nan  # NaN in a text column is a missing value too
    data = to_csv_bytes(frame, table)
    assert data == b"organization_id,number,text,source_line\na,1,'@home,10\na,2,,\n"
    path = write_csv(frame, table, tmp_path / "footnotes.csv")
    back = read_csv(path, table)
    assert list(back["text"].astype(object).where(back["text"].notna(), None)) == ["@home", None]
    assert list(back["number"]) == [1, 2] and str(back["number"].dtype) == "Int64"
    assert back["source_line"].isna().tolist() == [False, True]


@pytest.mark.parametrize("value", RISKY + SAFE[1:])
def test_every_value_round_trips_through_a_file(tmp_path, value: str) -> None:
    table = schema("issue_taxonomy")
    frame = _taxonomy([{"issue": value, "basket": "B", "provenance": "p", "basket_assigned": True, "vocabulary_version": "1"}])
    back = read_csv(write_csv(frame, table, tmp_path / "t.csv"), table)
    assert back["issue"].tolist() == [value] and back["basket_assigned"].tolist() == [True]


def test_a_file_with_other_columns_is_read_as_it_is(tmp_path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("issue,extra\n'=x,1\n", encoding="utf-8")
    back = read_csv(path, schema("issue_taxonomy"))
    assert list(back.columns) == ["issue", "extra"] and back["issue"].tolist() == ["=x"]


def test_a_carriage_return_inside_a_cell_is_quoted_so_readers_keep_the_row() -> None:
    """Regression (found by these tests): csv's minimal quoting left a bare CR unquoted, and readers
    split the row there; a cell holding one is quoted."""
    frame = _taxonomy([{"issue": "a\rb", "basket": "B", "provenance": "p", "basket_assigned": True, "vocabulary_version": "1"}])
    data = to_csv_bytes(frame, schema("issue_taxonomy"))
    assert data.endswith(b'\n"a\rb",B,p,true,1\n')
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert rows[1] == ["a\rb", "B", "p", "true", "1"] and len(rows) == 2


def test_booleans_and_integers_read_back_typed_even_when_other_columns_are_missing(tmp_path) -> None:
    """A file an editor trimmed (a column missing, one added) is read as it is, each known column
    still typed: booleans from true/false, integers as numbers (a non-number becomes empty)."""
    path = tmp_path / "t.csv"
    path.write_text("issue,basket_assigned,extra\nA,true,x\nB,false,y\nC,,z\n", encoding="utf-8")
    back = read_csv(path, schema("issue_taxonomy"))
    assert list(back.columns) == ["issue", "basket_assigned", "extra"]
    assert back["basket_assigned"].tolist()[:2] == [True, False] and pd.isna(back["basket_assigned"].tolist()[2])
    path.write_text("organization_id,number,extra\na,3,x\na,x,y\n", encoding="utf-8")
    notes = read_csv(path, schema("footnotes"))
    assert notes["number"].tolist()[0] == 3 and pd.isna(notes["number"].tolist()[1])
    assert notes["organization_id"].tolist() == ["a", "a"] and notes["extra"].tolist() == ["x", "y"]


def test_columns_of_plain_python_objects_are_written_cell_by_cell_like_typed_ones() -> None:
    """A frame whose columns hold Python objects (not Arrow-typed: an editor's frame, a test's) is
    written cell by cell: integers as integers (3.0 → 3), booleans as true/false, every kind of
    missing value empty, formula-like strings guarded, other types' values as text — the same bytes
    the typed columns give."""
    import numpy as np

    notes = pd.DataFrame(
        {
            "organization_id": ["a", "b", "c"],
            "number": [1, np.int64(2), 3.0],
            "text": ["=SUM(A1)", None, float("nan")],
            "source_line": [pd.NA, 5, 6],
        },
        dtype=object,
    )
    expected = b"organization_id,number,text,source_line\na,1,'=SUM(A1),\nb,2,,5\nc,3,,6\n"
    assert to_csv_bytes(notes, schema("footnotes")) == expected
    typed = schema("footnotes").frame(
        [{"organization_id": "a", "number": 1, "text": "=SUM(A1)", "source_line": None},
         {"organization_id": "b", "number": 2, "text": None, "source_line": 5},
         {"organization_id": "c", "number": 3, "text": None, "source_line": 6}]
    )
    assert to_csv_bytes(typed, schema("footnotes")) == expected
    taxonomy = pd.DataFrame(
        {
            "issue": ["x", "+y", "'-z"],
            "basket": ["B", "B", "B"],
            "provenance": ["p", "p", "p"],
            "basket_assigned": [True, False, None],
            "vocabulary_version": ["1", 2, None],
        },
        dtype=object,
    )
    assert to_csv_bytes(taxonomy, schema("issue_taxonomy")) == (
        b"issue,basket,provenance,basket_assigned,vocabulary_version\nx,B,p,true,1\n'+y,B,p,false,2\n''-z,B,p,,\n"
    )
