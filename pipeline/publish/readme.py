"""The README.md shipped inside a release candidate and a release.

Scope: say what the dataset is, which files the folder holds (with row counts), how to cite it
(version and release date), its licence and original publisher (all from the release
configuration), how to load the CSV files so that code-like text columns stay text (pandas, polars,
DuckDB, R's readr: generated from the table schemas), how to verify the files, what is
reproducible, and the data dictionary (from ``pipeline.publish.dictionary``). It must not invent
metadata or describe tables in words of its own.
"""

from __future__ import annotations

from collections.abc import Mapping

from pipeline.config import ReleaseConfig, release_config
from pipeline.fsutil import SUMS_NAME
from pipeline.publish.citation import CITATION_NAME, citation_authors, citation_text
from pipeline.publish.dictionary import DICTIONARY_NAME, data_dictionary
from pipeline.publish.layout import REVIEW_NAME, csv_path, database_path, parquet_path
from pipeline.schemas import TableSchema, sql_name, sql_text

# Files that record who reviewed a release and when: the only ones that differ between two
# publishes of one candidate (``review.json`` and, through its checksum, ``SHA256SUMS``).
REVIEW_RECORD_FILES = (REVIEW_NAME, SUMS_NAME)
_READR = {"integer": "col_integer()", "year": "col_integer()", "number": "col_double()", "boolean": "col_logical()"}


def citation_author(config: ReleaseConfig) -> str:
    return "; ".join(citation_authors(config))


def citation(config: ReleaseConfig, version: str, created: str) -> str:
    return citation_text(config, version, created)


def licence_lines(config: ReleaseConfig) -> list[str]:
    lines = []
    for lic in config.licenses:
        label = lic.get("title") or lic.get("name")
        name = f" (`{lic['name']}`)" if lic.get("name") and lic.get("title") else ""
        link = f": {lic['path']}" if lic.get("path") else ""
        lines.append(f"- {label}{name}{link}")
    return lines


PANDAS_LOADER = """import json
import pandas as pd

PANDAS_TYPES = {"string": "string", "integer": "Int64", "year": "Int64", "number": "Float64", "boolean": "boolean"}


def read_table(name, folder="."):
    \"\"\"A table of this release with the types of its schema: text stays text.\"\"\"
    with open(f"{folder}/datapackage.json", encoding="utf-8") as f:
        resource = next(r for r in json.load(f)["resources"] if r["name"] == name)
    dtypes = {field["name"]: PANDAS_TYPES[field["type"]] for field in resource["schema"]["fields"]}
    return pd.read_csv(f"{folder}/{resource['path']}", dtype=dtypes, keep_default_na=False, na_values=[""],
                       true_values=["true"], false_values=["false"])"""

POLARS_LOADER = """import json
import polars as pl

POLARS_TYPES = {"string": pl.String, "integer": pl.Int64, "year": pl.Int64, "number": pl.Float64, "boolean": pl.Boolean}


def read_table(name, folder="."):
    \"\"\"A table of this release with the types of its schema: text stays text.\"\"\"
    with open(f"{folder}/datapackage.json", encoding="utf-8") as f:
        resource = next(r for r in json.load(f)["resources"] if r["name"] == name)
    schema = {field["name"]: POLARS_TYPES[field["type"]] for field in resource["schema"]["fields"]}
    return pl.read_csv(f"{folder}/{resource['path']}", schema=schema)"""


def duckdb_csv_query(table: TableSchema) -> str:
    """``SELECT`` of a table's CSV file in DuckDB with every column's type given (no sniffing)."""
    columns = ", ".join(f"{sql_text(f.name)}: {sql_text(f.duckdb_type)}" for f in table.fields)
    source = f"read_csv({sql_text(csv_path(table.name))}, header = true, columns = {{{columns}}})"
    return f"CREATE TABLE {sql_name(table.name)} AS SELECT * FROM {source};"


def readr_call(table: TableSchema) -> str:
    """``readr::read_csv`` of a table's CSV file: text by default, the other types listed, only
    empty cells missing (so a country code ``NA`` stays text)."""
    typed = ", ".join(f"{f.name} = {_READR[f.type]}" for f in table.fields if f.type in _READR)
    types = f"cols(.default = col_character(){', ' + typed if typed else ''})"
    return f'{table.name} <- read_csv("{csv_path(table.name)}", col_types = {types}, na = "")'


def loading_lines(tables: list[TableSchema], name: str) -> list[str]:
    return [
        "## Loading the data",
        "",
        "The Parquet files and the DuckDB database carry their column types. CSV readers that guess"
        " types turn code-like text into numbers (a postal code loses its leading zero, a vocabulary"
        " version `2026.1` becomes a float, the country code `NA` becomes missing): read the CSV files"
        " with the types of their schema, as below. Empty cells are the only missing values.",
        "",
        "pandas:",
        "",
        "```python",
        PANDAS_LOADER,
        "```",
        "",
        "polars:",
        "",
        "```python",
        POLARS_LOADER,
        "```",
        "",
        f"DuckDB: `ATTACH '{database_path(name)}' AS atlas (READ_ONLY);` opens every table with its keys; from the CSV files:",
        "",
        "```sql",
        *(duckdb_csv_query(t) for t in tables),
        "```",
        "",
        "R (readr):",
        "",
        "```r",
        "library(readr)",
        *(readr_call(t) for t in tables),
        "```",
        "",
    ]


def _file_lines(tables: list[TableSchema], counts: Mapping[str, int], status: str, name: str) -> list[str]:
    lines = [
        "## Files",
        "",
        "- `datapackage.json`: the Frictionless Data Package descriptor (Data Package v2: metadata, sources with"
        " checksums, every file's sha256 and row count, the Table Schemas).",
    ]
    for t in tables:
        n = counts.get(t.name, 0)
        lines.append(f"- `{csv_path(t.name)}`, `{parquet_path(t.name)}`: {t.title}, {n} row{'' if n == 1 else 's'}.")
    lines += [
        f"- `{database_path(name)}`: every table above in one DuckDB database (DuckDB 1.2 or later), with column"
        " types, primary and foreign keys, and the descriptions as comments.",
        f"- `{DICTIONARY_NAME}`: the data dictionary as CSV (table, column, type, required, description, example).",
        f"- `{CITATION_NAME}`: how to cite this version (Citation File Format).",
        "- `validation/report.html` (also `.md`, `.json`): the validation report this version was reviewed with.",
    ]
    if status == "release":
        lines.append(f"- `{REVIEW_NAME}`: who accepted the release, when, with which note, and the sha256 of the report accepted.")
    return [
        *lines,
        "- `CHANGELOG.md` and `changes.json`: what changed since the previous version (rows, columns, source files).",
        f"- `{SUMS_NAME}`: the sha256 of every other file.",
        "",
    ]


def _reproducibility_lines(created: str) -> list[str]:
    listed = " and ".join(f"`{n}`" for n in REVIEW_RECORD_FILES)
    return [
        "## Reproducibility",
        "",
        f"Every timestamp in this release (the descriptor's `created`, this README, the changelog, `{CITATION_NAME}`,"
        f" the zip entries) is the release time {created}, recorded when the release candidate was built"
        " (`SOURCE_DATE_EPOCH` when it was set). Publishing the same candidate twice gives byte-identical files"
        f" except {listed}, which record who reviewed it and when. The CSV and Parquet files are"
        " byte-reproducible: the same sources and pipeline give the same bytes. The DuckDB file is not (DuckDB"
        " lays out large tables differently from one build to the next); its rows, types, keys and comments are.",
        "",
    ]


def _banner(status: str, unchanged: bool, version: str, previous_version: str | None) -> list[str]:
    if status == "candidate" and unchanged:
        return [f"> **Release candidate identical to the latest release, {version}.** Publishing it would not make a new release.", ""]
    if status == "candidate":
        return [
            f"> **Release candidate awaiting review.** Publishing it would make version {version}"
            + (f" (latest release: {previous_version})" if previous_version else " (the first release)")
            + ". Read `validation/report.html`, then run `atlas publish`.",
            "",
        ]
    return []


def render_readme(
    *,
    version: str,
    created: str,
    counts: Mapping[str, int],
    tables: list[TableSchema],
    status: str = "release",
    previous_version: str | None = None,
    unchanged: bool = False,
    config: ReleaseConfig | None = None,
) -> str:
    """README text. ``status`` is ``release`` or ``candidate`` (a candidate says it awaits review;
    ``unchanged`` says it equals the latest release, so publishing would make no new one)."""
    cfg = config or release_config()
    lines = [f"# {cfg.title}", "", *_banner(status, unchanged, version, previous_version)]
    lines += [" ".join(cfg.description.split()), ""]
    lines += [f"- Version: **{version}**", f"- Released: {created[:10]} (release time {created})"]
    if cfg.homepage:
        lines.append(f"- Homepage: {cfg.homepage}")
    lines += ["", *_file_lines(tables, counts, status, cfg.name)]
    lines += ["## How to cite", "", citation(cfg, version, created), "", f"`{CITATION_NAME}` holds the same in machine-readable form.", ""]
    lines += ["## Licence", "", "The data are published under:", "", *licence_lines(cfg), ""]
    if cfg.sources:
        lines += ["They are derived from:", ""]
        lines += [f"- {s.get('title', '')}" + (f": {s['path']}" if s.get("path") else "") for s in cfg.sources]
        lines += ["", "Credit the original publisher when you reuse the data.", ""]
    lines += loading_lines(tables, cfg.name)
    lines += [
        "## Verifying the files",
        "",
        f"In this folder, `sha256sum -c {SUMS_NAME}` checks every file, and `frictionless validate datapackage.json`"
        " checks the tables (CSV and Parquet) against their schemas and row counts, and the CSV files' sizes and checksums."
        " `atlas verify FOLDER_OR_URL` (this project's command) does all of that and compares the row counts of"
        " the CSV, Parquet and DuckDB files with the descriptor.",
        "",
        *_reproducibility_lines(created),
        data_dictionary(tables, level=2),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"
