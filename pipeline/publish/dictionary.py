"""The data dictionary: every published table and column described, generated from ``schemas/``.

Scope: render the table schemas as Markdown (title, description, primary and foreign keys, and per
column its type, whether it is required, its constraints and description), plus the note on how
spreadsheet-formula-like cells are written, used in the release README and by the site; and as
``data-dictionary.csv`` (table, column, type, required, description, example), the example being
the column's first non-empty value in the release's Parquet file. It must not hold descriptions of
its own: every word about a table comes from its schema file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.csvio import FORMULA_PREFIXES, GUARD, guard_cell
from pipeline.markdown import md_cell
from pipeline.publish.arrow import read_parquet_table
from pipeline.publish.layout import csv_path, parquet_path
from pipeline.schemas import Field, TableSchema, load_schemas

_PREFIX_WORDS = [f"`{p}`" if p.strip() else ("a tab" if p == "\t" else "a carriage return") for p in FORMULA_PREFIXES]
FORMULA_GUARD_NOTE = (
    "**Spreadsheet formulas.** A text cell that starts with "
    + ", ".join(_PREFIX_WORDS[:-1])
    + f" or {_PREFIX_WORDS[-1]}"
    + f" is written to the CSV files with a leading apostrophe (`{GUARD}`) so that a spreadsheet shows"
    " it as text instead of running it. The Parquet files keep the raw value. To get the raw value"
    " from the CSV, remove one leading apostrophe where it is followed by one of those characters."
)


def constraint_text(field: Field) -> str:
    """The column's constraints in words, ``required`` excepted (it has its own column)."""
    parts = []
    for key, value in field.constraints.to_frictionless().items():
        if key == "required":
            continue
        if key == "unique" and value:
            parts.append("unique")
        elif key == "enum":
            parts.append("one of " + ", ".join(f"`{v}`" for v in value))
        elif key == "pattern":
            parts.append(f"matches `{value}`")
        elif key in ("minimum", "minLength"):
            parts.append(f"{'≥' if key == 'minimum' else 'length ≥'} {value}")
        elif key in ("maximum", "maxLength"):
            parts.append(f"{'≤' if key == 'maximum' else 'length ≤'} {value}")
        else:
            parts.append(f"{key}: {value}")
    return "; ".join(parts)


def _keys(columns: list[str]) -> str:
    return ", ".join(f"`{c}`" for c in columns)


def foreign_key_text(fk: dict) -> str:
    fields = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
    ref = fk["reference"]
    ref_fields = ref["fields"] if isinstance(ref["fields"], list) else [ref["fields"]]
    return f"{_keys(fields)} → `{ref['resource'] or 'itself'}` ({_keys(ref_fields)})"


def table_dictionary(table: TableSchema, *, level: int = 3) -> str:
    """One table's entry in Markdown, headed at ``level``."""
    lines = [f"{'#' * level} {table.title} (`{table.name}`)", ""]
    if table.description:
        lines += [" ".join(table.description.split()), ""]
    lines.append(f"- Files: `{csv_path(table.name)}`, `{parquet_path(table.name)}`, table `{table.name}` of the DuckDB database")
    if table.primary_key:
        lines.append(f"- Primary key: {_keys(table.primary_key)}")
    for fk in table.foreign_keys:
        lines.append(f"- Foreign key: {foreign_key_text(fk)}")
    lines += ["", "| Column | Type | Required | Constraints | Description |", "|---|---|---|---|---|"]
    for f in table.fields:
        required = "yes" if f.constraints.required else "no"
        description = f.description or ""
        if f.title:
            description = f"**{f.title}.** {description}"
        lines.append(f"| `{f.name}` | {f.type} | {required} | {md_cell(constraint_text(f))} | {md_cell(description)} |")
    return "\n".join(lines) + "\n"


def data_dictionary(tables: Iterable[TableSchema] | None = None, *, level: int = 2) -> str:
    """The data dictionary of the published tables (all of ``schemas/`` marked ``published`` by
    default) in Markdown, with the formula-guard note; the top heading is at ``level``."""
    chosen = [t for t in (load_schemas().values() if tables is None else tables) if t.published]
    parts = [
        f"{'#' * level} Data dictionary",
        "",
        "Every table is published twice with the same rows in the same order: as CSV (UTF-8, comma,"
        " header row, empty cell = missing value) and as Parquet (zstd, with the column titles and"
        " descriptions as field metadata). Types are Table Schema types: `string`, `integer`,"
        " `number`, `boolean` (`true`/`false` in CSV).",
        "",
        FORMULA_GUARD_NOTE,
        "",
    ]
    parts += [table_dictionary(t, level=level + 1) for t in chosen]
    return "\n".join(parts)


DICTIONARY_NAME = "data-dictionary.csv"
DICTIONARY_COLUMNS = ("table", "column", "type", "required", "description", "example")
MAX_EXAMPLE = 80


def _example(root: Path, table: TableSchema, column: str, data: Mapping[str, pa.Table] | None = None) -> str:
    """The first value of ``column`` that is not missing, shortened (from ``data`` when it holds
    the table: the rows the Parquet file was written from; else read from the file)."""
    if data is not None and table.name in data and column in data[table.name].column_names:
        values = data[table.name].column(column)
    else:
        path = root / parquet_path(table.name)
        if not path.is_file():
            return ""
        values = read_parquet_table(path, columns=[column]).column(column)
    first = pc.index(pc.is_valid(values), True).as_py() if len(values) else -1
    if first < 0:
        return ""
    value = values[first].as_py()
    text = ("true" if value else "false") if isinstance(value, bool) else " ".join(str(value).split())
    return text if len(text) <= MAX_EXAMPLE else text[: MAX_EXAMPLE - 1] + "…"


def dictionary_csv(root: Path, tables: Iterable[TableSchema], data: Mapping[str, pa.Table] | None = None) -> bytes:
    """``data-dictionary.csv`` for the release folder ``root`` (its Parquet files give the
    examples, or ``data``, the Arrow tables they were written from): one row per column of every
    published table, in the project's CSV dialect, text cells guarded against spreadsheet formulas
    like the data files."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(DICTIONARY_COLUMNS)
    for table in tables:
        if not table.published:
            continue
        for f in table.fields:
            description = " ".join((f.description or "").split())
            if f.title:
                description = f"{f.title}. {description}".strip()
            example = _example(root, table, f.name, data)
            row = [table.name, f.name, f.type, "true" if f.constraints.required else "false", description, example]
            writer.writerow([guard_cell(cell) for cell in row])
    return buf.getvalue().encode("utf-8")
