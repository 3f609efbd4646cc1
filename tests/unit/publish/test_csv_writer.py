"""The columnar CSV writer (polars) writes the bytes the row-by-row writer (Python's csv) wrote.

The only intended difference: a field holding a carriage return is quoted (Python's writer left it
bare with a line-feed terminator, so a reader split the record there); such a field now reads back
exactly. Also: the formula guard, nulls and empty strings, one-column tables, empty tables, and
frames of plain Python objects (written through the Python path).
"""

from __future__ import annotations

import csv
import io

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.csvio import _cell, read_csv, to_csv_bytes, write_csv
from pipeline.schemas import TableSchema, load_schemas


def row_by_row(df: pd.DataFrame, table: TableSchema) -> bytes:
    """The writer before issue 15: Python's csv module, one cell at a time."""
    kinds = [f.type for f in table.fields]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(table.columns)
    for row in zip(*[df[c].tolist() for c in table.columns], strict=True):
        writer.writerow([_cell(v, k) for v, k in zip(row, kinds, strict=True)])
    return buf.getvalue().encode("utf-8")


TEXT = st.one_of(st.none(), st.text(alphabet=st.characters(blacklist_characters="\r", blacklist_categories=("Cs",)), max_size=12),
                 st.sampled_from(["=1+1", "'=x", "''@y", "-", "\t", " lead", "a,b", 'q"q', "l\nn", ""]))
FOOTNOTES = load_schemas()["footnotes"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(TEXT, st.one_of(st.none(), st.integers(-5, 10**12)), TEXT), max_size=8))
def test_the_same_bytes_as_the_row_by_row_writer(rows) -> None:
    frame = FOOTNOTES.frame([{"organization_id": a, "number": n, "text": t, "source_line": n} for a, n, t in rows])
    assert to_csv_bytes(frame, FOOTNOTES) == row_by_row(frame, FOOTNOTES)


def test_booleans_guarded_cells_and_empty_tables() -> None:
    taxonomy = load_schemas()["issue_taxonomy"]
    frame = taxonomy.frame([{"issue": "=cmd", "basket": "Economic", "provenance": None, "basket_assigned": True, "vocabulary_version": ""},
                            {"issue": "x", "basket": "Economic", "provenance": "p", "basket_assigned": None, "vocabulary_version": "1"}])
    assert to_csv_bytes(frame, taxonomy) == row_by_row(frame, taxonomy)
    assert to_csv_bytes(taxonomy.frame([]), taxonomy) == row_by_row(taxonomy.frame([]), taxonomy)
    objects = frame.astype(object)  # plain Python objects: the Python path
    assert to_csv_bytes(objects, taxonomy) == row_by_row(objects, taxonomy)


def test_a_carriage_return_is_quoted_and_reads_back(tmp_path) -> None:
    frame = FOOTNOTES.frame([{"organization_id": "o", "number": 1, "text": "before\rafter", "source_line": 3},
                             {"organization_id": "o", "number": 2, "text": "\rleading", "source_line": 4}])
    data = to_csv_bytes(frame, FOOTNOTES)
    assert b'"before\rafter"' in data
    assert [r[2] for r in csv.reader(io.StringIO(data.decode("utf-8"), newline=""))][1:] == ["before\rafter", "'\rleading"]
    write_csv(frame, FOOTNOTES, tmp_path / "f.csv")
    assert read_csv(tmp_path / "f.csv", FOOTNOTES)["text"].tolist() == ["before\rafter", "\rleading"]


def test_a_one_column_table_writes_empty_cells_as_quotes() -> None:
    one = TableSchema.from_descriptor("one", {"fields": [{"name": "x", "type": "string"}]}, path=FOOTNOTES.path)
    frame = pd.DataFrame({"x": pd.array(["a", None, ""], dtype="string")})
    assert to_csv_bytes(frame, one) == row_by_row(frame, one) == b'x\na\n""\n""\n'


def test_an_arrow_table_written_in_chunks_gives_the_frame_s_bytes(tmp_path) -> None:
    """A table handed over as Arrow (as the staging step does), written a few rows at a time, gives
    the bytes of the whole frame written at once; the file is the same through ``write_csv``."""
    import pyarrow as pa

    from pipeline.csvio import write_csv_to

    frame = FOOTNOTES.frame(
        [{"organization_id": f"o{i}", "number": i, "text": ["=x", None, "plain", "", "a,b"][i % 5], "source_line": i * 10}
         for i in range(7)]
    )
    whole = to_csv_bytes(frame, FOOTNOTES)
    assert whole.count(b"\n") == 8
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for chunk in (1, 2, 3, 7, 50):
        out = io.BytesIO()
        write_csv_to(table, FOOTNOTES, out, chunk_rows=chunk)
        assert out.getvalue() == whole, chunk
        out = io.BytesIO()
        write_csv_to(frame, FOOTNOTES, out, chunk_rows=chunk)
        assert out.getvalue() == whole, chunk
    assert to_csv_bytes(table, FOOTNOTES) == whole
    assert write_csv(table, FOOTNOTES, tmp_path / "f.csv").read_bytes() == whole
