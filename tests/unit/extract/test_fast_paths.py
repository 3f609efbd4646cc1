"""Fast paths of extraction (issue 11, speed) give exactly what the plain definitions give."""

from __future__ import annotations

import ahocorasick_rs
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.extract.columnar import _arrow, _pandas, arrow_table, typed_frame
from pipeline.extract.mentions import _whole_word, matcher, mentions, names
from pipeline.extract.model import ColumnRows
from pipeline.extract.profile import LONG_LINE, _has_long_line
from pipeline.extract.reader import decode, normalise, read_source
from pipeline.extract.sections import SECTION_COLUMNS
from pipeline.schemas import load_schemas

LENGTHS = st.lists(st.sampled_from([0, 1, 7, LONG_LINE - 1, LONG_LINE, LONG_LINE + 1, 2 * LONG_LINE + 3]), max_size=6)


@settings(max_examples=150, deadline=None)
@given(LENGTHS, st.booleans())
def test_long_line_search_is_the_per_line_definition(lengths, final_break):
    text = "\n".join("a" * n for n in lengths) + ("\n" if final_break else "")
    assert _has_long_line(text) == any(len(line) > LONG_LINE for line in text.split("\n"))


def _plain(data: bytes, tmp_path) -> str:
    (tmp_path / "a.txt").write_bytes(data)
    src, _ = read_source(tmp_path / "a.txt", "a.txt")
    assert src is not None
    return src.text


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from(["a", " ", "\u00a0", "’", "\n", "Â", "é", "\u2009"]), max_size=40))
def test_non_breaking_spaces_read_from_a_file_equal_decode_then_normalise(tmp_path_factory, text):
    tmp_path = tmp_path_factory.mktemp("nbsp")
    data = text.encode("utf-8")
    expected_text, encoding, _ = decode(data, "a.txt")
    if expected_text is None:
        return
    read = _plain(data, tmp_path)
    assert read == normalise(expected_text)
    assert "\u00a0" not in read and "\u2009" not in read  # every special space made plain


@pytest.mark.parametrize(
    "data",
    [
        "Café Â\u00a0ok – fine\n".encode("cp1252"),  # cp1252 "Â" + NBSP are the bytes C2 A0, with stray é (E9)
        "Â\u00a0– only cp1252\n".encode("cp1252"),
        "\u00a0\n\u00a0".encode("utf-8"),  # nothing but (non-breaking) spaces
        "\ufeffUTF-8 with BOM\u00a0and NBSP\n".encode("utf-8"),
        "UTF-16 with NBSP\u00a0\u00c2".encode("utf-16"),
        "UTF-16 holding the bytes C2 A0 twice: \ua0c2\ua0c2".encode("utf-16-le").join([b"\xff\xfe", b""]),
    ],
)
def test_other_encodings_and_edge_cases_read_as_before(tmp_path, data):
    expected_text, _, _ = decode(data, "a.txt")
    if expected_text is None:
        (tmp_path / "a.txt").write_bytes(data)
        assert read_source(tmp_path / "a.txt", "a.txt")[0].text == ""
    else:
        assert _plain(data, tmp_path) == normalise(expected_text)


# Key values whose orders differ by code point, by UTF-16 unit and by case, numbers whose text and
# numeric orders differ, and missing values.
_KEY_TEXT = st.sampled_from(["a", "B", "b", "é", "z", "\uff5e", "\U0001f600", "a-b", "a/b", "", None])
_KEY_NUMBER = st.sampled_from([1, 2, 10, 0, None])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_KEY_TEXT, _KEY_NUMBER, _KEY_TEXT), max_size=12), st.sampled_from(["country_mentions", "quarantine"]))
def test_typed_frame_orders_rows_as_a_stable_python_sort_with_missing_keys_first(keys, table):
    """The frame is sorted by an Arrow sort: the same order as Python's stable sort of the rows,
    missing key values first, duplicates kept in input order (each row carries its input position)."""
    schema = load_schemas()[table]
    rows = []
    for position, (text, number, other) in enumerate(keys):
        row = dict.fromkeys(schema.columns)
        row.update(zip(schema.primary_key, (text, number, other), strict=True))
        row["reason" if table == "quarantine" else "mention"] = str(position)
        del row["value" if table == "quarantine" else "country_name"]  # a column some rows lack
        rows.append(row)
    ordered = sorted(rows, key=lambda r: tuple((r.get(c) is not None, r.get(c)) for c in schema.primary_key))
    expected = schema.frame(pd.DataFrame({c: pd.array([r.get(c) for r in ordered], dtype=d) for c, d in schema.dtypes().items()}))
    pd.testing.assert_frame_equal(typed_frame(schema, rows), expected)


_CELL = st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1), st.sampled_from([True, 2.0, "7", 2**64]))


@settings(max_examples=150, deadline=None)
@given(st.lists(_CELL, max_size=8))
def test_integer_columns_through_arrow_equal_the_pandas_path(values):
    """Integers (with missing values) go through Arrow; whatever Arrow refuses goes pandas' way,
    so the column (or the error) is what ``pd.array`` gives."""
    try:
        expected = pd.array(values, dtype="Int64")
    except (TypeError, ValueError, OverflowError) as exc:
        with pytest.raises(type(exc)):
            _arrow(values, "Int64")
        return
    got = _pandas(_arrow(values, "Int64"), "Int64")
    assert got.dtype == expected.dtype
    assert got.equals(expected)


_ORGS = [
    {"organization_id": "bk", "name": "Banque de Côte d'Ivoire", "acronym": "BCI", "alternate_acronyms": None},
    {"organization_id": "ke", "name": "Permanent Mission of Kenya", "acronym": "PMK", "alternate_acronyms": "PM-K;ÉPK"},
    {"organization_id": "w", "name": "Writer Institute", "acronym": "WRI", "alternate_acronyms": None},
    {"organization_id": "z", "name": "Zürich Data Forum", "acronym": "ZDF", "alternate_acronyms": None},
]
_WORDS = st.sampled_from(
    ["Kenya", "Côte d'Ivoire", "Türkiye", "Chad", "BCI", "PMK", "ÉPK", "PM-K", "WRI", "ZDF", "Zürich Data Forum", "Writer Institute",
     "Permanent Mission of Kenya", "Banque de Côte d'Ivoire", "and", "é", "😀", "_", "x", "(", ")", ".", " ", "\n", "Ω"]
)


def _plain_mentions(organizations: list[dict], blocks: list[tuple[str, str, int]]) -> tuple[list[dict], list[dict]]:
    """The plain definition of the mentions: each profile's blocks joined as one str, scanned by a
    str automaton of the same patterns, character offsets and lines counted from the start."""
    corpus = matcher(names(organizations))
    automaton = ahocorasick_rs.AhoCorasick(corpus.patterns, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest)
    by_org: dict[str, list[tuple[str, int]]] = {}
    for oid, text, line in blocks:
        if text:
            by_org.setdefault(oid, []).append((text, line))
    countries: dict = {}
    named: dict = {}
    for oid, parts in by_org.items():
        big = "\n".join(text for text, _ in parts)
        starts = [sum(len(t) + 1 for t, _ in parts[:i]) for i in range(len(parts))]
        for index, start, end in automaton.find_matches_as_indexes(big):
            key = corpus.keys[index]
            found = [(key, start, end)] if key != oid and _whole_word(big, start, end, len(big)) else []
            for a, b, code in corpus.inner.get(index, ()):
                if _whole_word(big, start + a, start + b, len(big)):
                    found.append(("\x00" + code, start + a, start + b))
            for k, s, e in found:
                i = max(j for j, at in enumerate(starts) if at <= s)
                line = parts[i][1] + big.count("\n", starts[i], s)
                if k[0] == "\x00":
                    name = corpus.country_names.get(k[1:], k[1:])
                    row = {"organization_id": oid, "country_code": k[1:], "country_name": name, "mention": big[s:e], "source_line": line}
                    countries.setdefault((oid, line, k[1:]), row)
                else:
                    row = {"organization_id": oid, "mentioned_organization_id": k, "mention": big[s:e], "source_line": line}
                    named.setdefault((oid, line, k), row)
    return list(countries.values()), list(named.values())


_BLOCK_TEXT = st.lists(_WORDS, max_size=12).map("".join)
_BLOCKS = st.lists(st.tuples(st.sampled_from(["bk", "ke", "w", "z"]), _BLOCK_TEXT, st.integers(1, 50)), max_size=8)


@settings(max_examples=150, deadline=None)
@given(_BLOCKS)
def test_mentions_scanned_as_utf8_bytes_equal_the_plain_text_scan(blocks):
    """Mentions are found in the blocks' UTF-8 bytes and mapped back to characters and lines; the
    same rows, in the same order, as a scan of the joined text (accents, astral characters, names
    inside names, words run together)."""
    assert mentions(_ORGS, blocks) == _plain_mentions(_ORGS, blocks)


_SECTION_VALUES = {
    "organization_id": st.sampled_from(["a", "b", "é"]),
    "section_id": st.text(alphabet="ab/é-", max_size=4),
    "parent_section_id": st.none() | st.text(alphabet="ab/", max_size=3),
    "level": st.integers(1, 3),
    "heading": st.text(max_size=5),
    "canonical_heading": st.none() | st.sampled_from(["Digital activities", "Digital tools"]),
    "footnote_number": st.none() | st.integers(1, 12),
    "text": st.none() | st.text(max_size=8),
    "text_source_line": st.none() | st.integers(1, 99),
    "source_line_start": st.integers(1, 99),
    "source_line_end": st.integers(1, 99),
}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.fixed_dictionaries(_SECTION_VALUES), max_size=4), max_size=4))
def test_sections_as_column_rows_are_the_rows_as_dicts(profiles):
    """A file's sections appended column by column, a profile at a time, read as rows and turned
    into Arrow, are exactly the dicts they stand for."""
    schema = load_schemas()["sections"]
    rows = ColumnRows(SECTION_COLUMNS)
    for profile in profiles:
        rows.extend_columns({c: [r[c] for r in profile] for c in SECTION_COLUMNS})
    dicts = [r for profile in profiles for r in profile]
    assert len(rows) == len(dicts) and list(rows) == dicts and rows == dicts
    assert [rows[i] for i in range(len(rows))] == dicts and rows[1:] == dicts[1:]
    assert arrow_table(schema, rows).equals(arrow_table(schema, dicts))


def test_column_rows_refuse_ragged_or_unknown_columns():
    rows = ColumnRows(("a", "b"))
    with pytest.raises(ValueError, match="lengths"):
        rows.extend_columns({"a": [1, 2], "b": [1]})
    with pytest.raises(ValueError):
        rows.extend_columns({"a": [1]})
    assert len(rows) == 0 and rows == []
