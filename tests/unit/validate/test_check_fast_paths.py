"""The fast paths of ``check_tables`` (issue 15) against answers worked out another way.

- the prose vocabulary cut by numpy and made distinct by Arrow holds the ``str.split()`` tokens of
  the values, in pieces with no space nor newline but a last one (drawn texts with every kind of whitespace
  and nulls, every Arrow string layout, sliced and chunked, cut a few bytes at a time), and the
  tokens Arrow trims from those pieces are the values' ``str.split()`` tokens;
- ``Screens.rows_with_any`` searches a column in slices at once: the rows Python's ``in`` finds;
- ``contains_literals`` (regex alternations of escaped literals, in groups) answers what polars'
  ``contains_any`` and Python's ``in`` do, for needles full of regex metacharacters;
- ``parent_rows`` (one polars semi-join) answers what the pairs of plain values did, missing values included;
- ``Locator.findings`` gathers keys, files and lines column by column: the file is the row's own,
  else its organisation's (a missing or unknown organisation has none), the line is the text
  line's, else the row's; hits of one table with every row in it (looked up at once) or of
  several tables, rows out of range or tables unknown, are placed where the row-wise locator places them;
- ``Screens.token_lines`` (polars extracts the tokens holding a needle, or past the alternation's
  bound every token) keeps the lines holding one of a set of tokens, with those of their
  ``str.split()`` tokens in order, as Python does (and its Python path for a column polars cannot hold);
- the cyclic garbage collector is paused while the checks run, and left as it was after.
"""

from __future__ import annotations

import gc
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.schemas import load_schemas
from pipeline.validate import checks
from pipeline.validate.locate import Hit, Locator
from pipeline.validate.scan import Screens, arrow_pieces, arrow_tokens, column_arrow, contains_literals, literal_pattern
from pipeline.validate.text_rules import Sections, parent_rows

PIECE_TEXT = st.text(alphabet=st.sampled_from(list("ab É\n\t\u00a0\u3000\u2028:")), max_size=30)


def _tokens(texts) -> set[str]:
    return {t for v in texts if v is not None for t in v.split()}


def _check_pieces(pieces: list[str], values) -> None:
    assert len(pieces) == len(set(pieces))
    assert all(" " not in p[:-1] and "\n" not in p[:-1] for p in pieces)  # cut after each space and newline: a vocabulary
    assert _tokens(pieces) == _tokens(values)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.none(), PIECE_TEXT), max_size=8), st.sampled_from(["string", "large_string", "string_view"]),
       st.integers(0, 2), st.sampled_from([1, 3, 1 << 24]))
def test_arrow_pieces_hold_the_tokens_of_the_values(values, arrow_type, skip, chunk_bytes):
    """Every Arrow string layout, sliced, chunked, cut a few bytes at a time or all at once."""
    import pyarrow as pa

    scan_module = sys.modules[arrow_pieces.__module__]
    original, scan_module.PIECES_CHUNK = scan_module.PIECES_CHUNK, chunk_bytes
    try:
        arr = pa.array(values, type=getattr(pa, arrow_type)())
        _check_pieces(arrow_pieces(arr.slice(skip)), values[skip:])
        _check_pieces(arrow_pieces(pa.chunked_array([arr.slice(0, skip), arr.slice(skip)], type=arr.type)), values)
    finally:
        scan_module.PIECES_CHUNK = original


TOKEN_TEXT = st.text(alphabet=st.sampled_from(list("ab É  \n\r\t\x0b\x1c\x1f\x85\u00a0\u2000\u3000\u2028:")), max_size=30)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), TOKEN_TEXT), max_size=6), max_size=3),
       st.sampled_from(["string", "large_string", "string_view"]), st.sampled_from([1, 5, 1 << 24]))
def test_arrow_tokens_are_the_split_tokens_of_the_values(columns, arrow_type, chunk_bytes):
    """Every kind of whitespace ``str.split()`` knows, several columns, nulls, chunks: the answer
    of Python's ``str.split()`` over every value."""
    import pyarrow as pa

    scan_module = sys.modules[arrow_tokens.__module__]
    original, scan_module.PIECES_CHUNK = scan_module.PIECES_CHUNK, chunk_bytes
    try:
        arrays = [pa.array(values, type=getattr(pa, arrow_type)()) for values in columns]
        assert arrow_tokens(arrays) == _tokens(v for values in columns for v in values)
        assert arrow_tokens([pa.chunked_array([a.slice(0, 1), a.slice(1)], type=a.type) for a in arrays]) == arrow_tokens(arrays)
    finally:
        scan_module.PIECES_CHUNK = original


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="abc É\n", max_size=8)), max_size=12),
       st.lists(st.text(alphabet="abcÉ", min_size=1, max_size=2), max_size=3), st.integers(1, 5))
def test_rows_with_any_searches_slices_of_a_column(values, needles, slice_rows):
    """Slices of any size (down to one row), nulls, no needle: the rows whose value holds a needle."""
    scan_module = sys.modules[Screens.__module__]
    original, scan_module.ANY_SLICE_ROWS = scan_module.ANY_SLICE_ROWS, slice_rows
    try:
        found = Screens({"t": pd.DataFrame({"c": pd.Series(values, dtype="string[pyarrow]")})}).rows_with_any("t", "c", needles)
    finally:
        scan_module.ANY_SLICE_ROWS = original
    assert found == [r for r, v in enumerate(values) if v is not None and any(n in v for n in needles)]


def test_arrow_pieces_skip_the_bytes_of_a_null_slot():
    """Arrow lets a null slot span bytes: they are no value's."""
    import pyarrow as pa

    offsets = pa.py_buffer(np.array([0, 3, 9, 12], dtype=np.int32))
    validity = pa.py_buffer(np.packbits([1, 0, 1], bitorder="little"))
    arr = pa.StringArray.from_buffers(3, offsets, pa.py_buffer(b"ab hidden cd"), validity)
    assert arr.to_pylist() == ["ab ", None, " cd"]
    _check_pieces(arrow_pieces(arr), ["ab ", " cd"])


def test_a_column_arrow_cannot_hold_is_not_read_by_arrow():
    assert column_arrow(pd.Series(["a b", 3], dtype=object)) is None
    assert column_arrow(pd.Series(["a b", None], dtype="string[pyarrow]")) is not None


def _tables() -> dict[str, pd.DataFrame]:
    schemas = load_schemas()
    orgs = [{"organization_id": "acme", "name": "Acme", "source_file": "a.txt", "source_line_start": 1},
            {"organization_id": "beta", "name": "Beta", "source_file": None, "source_line_start": 40}]
    sections = [
        {"organization_id": "acme", "section_id": "s0", "heading": "H", "text": "x\ny", "text_source_line": 10, "source_line_start": 9},
        {"organization_id": "beta", "section_id": "s1", "heading": "H", "text": "x", "text_source_line": None, "source_line_start": 44},
        {"organization_id": "nobody", "section_id": "s2", "heading": "H", "text": "x", "text_source_line": 70, "source_line_start": 69},
        {"organization_id": None, "section_id": "s3", "heading": "H", "text": "x", "text_source_line": 80, "source_line_start": 79},
    ]
    rows = {"organizations": orgs, "sections": sections}
    return {name: schema.frame(rows.get(name, [])) for name, schema in schemas.items()}


def test_locator_findings_gather_key_file_and_line():
    tables = _tables()
    hits = [
        Hit("empty-section", "m", "sections", 0, "text", 1, "v", "e"),  # second line of the text
        Hit("empty-section", "m", "sections", 0, "text", None),  # the row's own line
        Hit("empty-section", "m", "sections", 1, "text", 0),  # no text line known: the row's line
        Hit("empty-section", "m", "sections", 2, "text", 0),  # an organisation no table knows: no file
        Hit("empty-section", "m", "sections", 3, "heading", None),  # no organisation: no file
        Hit("empty-section", "m", "organizations", 1, None, None),  # a row without its own file
        Hit("empty-section", "m", "sections", 9, "text", 0),  # no such row: nowhere
    ]
    got = [(f.key, f.source_file, f.source_line, f.column, f.value, f.excerpt) for f in Locator(tables).findings(hits)]
    assert got == [
        ({"organization_id": "acme", "section_id": "s0"}, "a.txt", 11, "text", "v", "e"),
        ({"organization_id": "acme", "section_id": "s0"}, "a.txt", 9, "text", None, None),
        ({"organization_id": "beta", "section_id": "s1"}, None, 44, "text", None, None),
        ({"organization_id": "nobody", "section_id": "s2"}, None, 70, "text", None, None),
        ({"organization_id": None, "section_id": "s3"}, None, 79, "heading", None, None),
        ({"organization_id": "beta"}, None, 40, None, None, None),
        (None, None, None, "text", None, None),
    ]


@pytest.mark.parametrize("enabled", [True, False])
def test_collector_paused_while_the_checks_run(monkeypatch, enabled):
    seen: list[bool] = []
    real = checks.global_findings

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(checks, "global_findings", spy)
    (gc.enable if enabled else gc.disable)()
    try:
        checks.check_tables(_tables())
        assert seen == [False]
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


NEEDLE = st.text(alphabet=st.sampled_from(list("ab.*+?()[]{}|^$\\-#&~ <>É\u2028ſ")), min_size=1, max_size=3)


@settings(max_examples=150, deadline=None)
@example(["a", "b.", "x(", None, "É"], ["a", "b.", "(", "É"], 1, 4)  # one literal per group: each group must count
@given(st.lists(st.one_of(st.none(), st.text(alphabet=st.sampled_from(list("ab.*+?()[]{}|^$\\-#&~ <>É\u2028ſS\n")), max_size=12)),
                max_size=10),
       st.lists(NEEDLE, max_size=12, unique=True), st.integers(1, 4), st.integers(1, 3))
def test_contains_literals_is_contains_any(values, needles, per_pattern, max_patterns):
    """Regex metacharacters, non-ASCII letters, case-folding pairs, several groups or the
    automaton past the last group: the rows Python's ``in`` finds."""
    import polars as pl

    scan_module = sys.modules[contains_literals.__module__]
    original = scan_module.LITERALS_PER_PATTERN, scan_module.MAX_LITERAL_PATTERNS
    scan_module.LITERALS_PER_PATTERN, scan_module.MAX_LITERAL_PATTERNS = per_pattern, max_patterns
    try:
        if not needles:
            return
        got = pl.DataFrame({"t": pl.Series(values, dtype=pl.String)}).select(contains_literals(pl.col("t"), needles))["t"].to_list()
    finally:
        scan_module.LITERALS_PER_PATTERN, scan_module.MAX_LITERAL_PATTERNS = original
    assert got == [None if v is None else any(n in v for n in needles) for v in values]


def test_literal_pattern_spells_every_character_but_ascii_word_ones():
    assert literal_pattern(["a.b", "ſ|"]) == "a\\x{2e}b|\\x{17f}\\x{7c}"


IDS = st.sampled_from([None, "o1", "o2", "s1", "s2"])


def _has_children_by_python(rows: list[dict]) -> list[bool]:
    children = {(r["organization_id"], r["parent_section_id"]) for r in rows if r["parent_section_id"] is not None}
    return [(r["organization_id"], r["section_id"]) in children for r in rows]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.fixed_dictionaries({"organization_id": IDS, "section_id": IDS, "parent_section_id": IDS}), max_size=10))
def test_parent_rows_is_the_python_pairs(rows):
    """Missing organisations and ids, a section that is its own parent, repeated pairs: the
    semi-join answers what the pairs of plain values do (a missing organisation matches a missing one)."""
    df = load_schemas()["sections"].frame(rows)
    got = parent_rows(df)
    assert got is not None and got.tolist() == _has_children_by_python(rows)
    sections = Sections({"sections": df}, Screens({}))
    assert sections.has_children(list(range(len(rows)))) == _has_children_by_python(rows)
    as_objects = df.astype({c: object for c in ("organization_id", "section_id", "parent_section_id")})
    assert parent_rows(as_objects) is None  # other dtypes: the pairs of plain values, in Python
    assert Sections({"sections": as_objects}, Screens({})).has_children(list(range(len(rows)))) == _has_children_by_python(rows)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["string[pyarrow]", "Int64", "boolean"]), st.data())
def test_a_one_column_foreign_key_is_the_python_membership(dtype, data):
    """Arrow's hash look-up of a one-column key: the child rows whose value (not missing) no parent
    row holds, missing values on either side included."""
    from pipeline.validate.crosstable import _missing_rows

    values = {"string[pyarrow]": st.sampled_from(["o1", "o2", "O1", "", "o1 "]), "Int64": st.integers(-2, 2),
              "boolean": st.booleans()}[dtype]
    child = data.draw(st.lists(st.one_of(st.none(), values), max_size=8))
    parent = data.draw(st.lists(st.one_of(st.none(), values), max_size=5))
    df, ref = pd.DataFrame({"k": pd.Series(child, dtype=dtype)}), pd.DataFrame({"r": pd.Series(parent, dtype=dtype)})
    known = {v for v in parent if v is not None}
    assert _missing_rows(df, ["k"], ref, ["r"]) == [row for row, v in enumerate(child) if v is not None and v not in known]


TOKEN_TEXT = st.text(alphabet=st.sampled_from(list("ab:É.( \n\t\u00a0\u3000\u2028\x1c\x85")), max_size=24)


@settings(max_examples=150, deadline=None)
@example(["ab a:b\x1cab", "b\u3000ab(", None], ["ab", "a:b"], 64, 3)
@given(st.lists(st.one_of(st.none(), TOKEN_TEXT), max_size=8),
       st.lists(st.text(alphabet="ab:É.(", min_size=1, max_size=3), max_size=5, unique=True),
       st.integers(1, 3), st.integers(1, 2))
def test_token_lines_are_the_lines_split_tokens_among_the_tokens(values, tokens, per_pattern, max_patterns):
    """Each line holding one of ``tokens`` as a whole ``str.split()`` token, with those tokens in
    order (repeats kept, tokens merely holding one left out), whether polars extracts the tokens
    holding a needle or, past the alternation's bound, every token; the same from the Python path
    of a column polars cannot hold."""
    expected = [(r, i, line, [t for t in line.split() if t in tokens])
                for r, v in enumerate(values) if v is not None for i, line in enumerate(v.split("\n"))]
    expected = [x for x in expected if x[3]]
    scan_module = sys.modules[Screens.__module__]
    original = scan_module.LITERALS_PER_PATTERN, scan_module.MAX_LITERAL_PATTERNS
    scan_module.LITERALS_PER_PATTERN, scan_module.MAX_LITERAL_PATTERNS = per_pattern, max_patterns
    try:
        got = Screens({"t": pd.DataFrame({"c": pd.Series(values, dtype="string[pyarrow]")})}).token_lines("t", "c", set(tokens))
    finally:
        scan_module.LITERALS_PER_PATTERN, scan_module.MAX_LITERAL_PATTERNS = original
    assert got == expected
    unheld = pd.Series([*values, 3], dtype=object)  # an int: polars cannot hold the column
    assert Screens({"t": pd.DataFrame({"c": unheld})}).token_lines("t", "c", set(tokens)) == expected


HIT_TABLE = st.sampled_from(["sections", "organizations", "no_such_table"])


def _hits(table):
    return st.builds(lambda t, row, column, line: Hit("empty-section", "m", t, row, column, line, "v", "e"),
                     table, st.integers(-1, 4), st.sampled_from(["text", "heading", None]), st.one_of(st.none(), st.integers(0, 3)))


@settings(max_examples=150, deadline=None)
@given(st.one_of(HIT_TABLE.flatmap(lambda t: st.lists(_hits(st.just(t)), max_size=8)), st.lists(_hits(HIT_TABLE), max_size=8)))
def test_locator_findings_are_the_row_wise_places(hits):
    """Hits of one table, every row in it (looked up at once), or of several tables, rows out of
    range and tables unknown: each finding's key, file and line are the row-wise locator's place."""
    from tests.unit.validate.rowwise_reference import Locator as RowWise

    tables = _tables()
    reference = RowWise(tables)
    got = [(f.key, f.source_file, f.source_line) for f in Locator(tables).findings(hits)]
    places = [reference.place(h.table, h.row, h.column, h.text_line) for h in hits]
    assert got == [(p.key, p.source_file, p.source_line) for p in places]
