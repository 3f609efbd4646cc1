"""``datapackage.json``: the Frictionless Data Package descriptor of a candidate or release.

Scope: build the descriptor from the release configuration (``[tool.atlas]``), the table schemas and
the files actually written (their size, sha256 and rows): dataset metadata, the raw source files
with their checksums credited to the original publisher, one tabular resource per published CSV
(with its full Table Schema), one tabular resource per Parquet copy and one file resource for the
DuckDB database. It must not write data files, invent metadata (licence, publisher) or list
unpublished tables (the quarantine).

Profiles: the descriptor declares Data Package v2 (``$schema``) and is valid against both the v1
and the v2 official JSON Schema profiles (``tests/fixtures/datapackage-profiles``); it claims no v1
``profile``, so v1 readers apply the plain ``data-package`` profile. Every resource carries
``rows``, which ``frictionless validate`` checks.

Parquet resources are tabular (``type: table``, ``format: parquet``, the table's schema with its
foreign keys pointing at the other Parquet resources), so ``frictionless validate`` reads them
through its parquet plugin and checks types, constraints, keys and rows. Two limits of that
plugin (Frictionless 5) shape them: it never measures a Parquet file's size, so a declared
``bytes`` always fails (``byte-count``) and Parquet resources carry ``hash`` but no ``bytes``
(``SHA256SUMS`` and ``atlas verify`` check them); and it reads a null of an integer or number
column as NaN, so those columns declare ``missingValues: ["", "nan"]`` (a number column of
Parquet cannot hold the text "nan", so nothing real is read as missing).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, is_dataclass
from pathlib import Path

from pipeline.config import ReleaseConfig, release_config
from pipeline.fsutil import atomic_write_json, read_json, sha256_file
from pipeline.publish.database import DUCKDB_MEDIATYPE
from pipeline.publish.layout import csv_path, database_path, parquet_path, row_counts
from pipeline.schemas import TableSchema, load_schemas

DESCRIPTOR_NAME = "datapackage.json"
PROFILE_V2 = "https://datapackage.org/profiles/2.0/datapackage.json"
PARQUET_MEDIATYPE = "application/vnd.apache.parquet"
PARQUET_SUFFIX = "-parquet"
DATABASE_RESOURCE = "duckdb"
# How Frictionless' parquet plugin hands over a null of a numeric column (see the module docstring).
PARQUET_MISSING_VALUES = ["", "nan"]


def published_schemas(tables: Iterable[TableSchema] | None = None) -> list[TableSchema]:
    return [t for t in (load_schemas().values() if tables is None else tables) if t.published]


def _plain(value: object) -> object:
    """A YAML-loaded structure as plain JSON types (deep copy)."""
    return json.loads(json.dumps(value))


def source_record(source: object) -> dict:
    """A raw source file (``SourceFile`` or a mapping with path, sha256, bytes) as a plain dict."""
    data = asdict(source) if is_dataclass(source) and not isinstance(source, type) else dict(source)  # type: ignore[call-overload]
    return {k: data[k] for k in ("path", "sha256", "bytes", "encoding", "line_count") if k in data}


def sources_entries(sources: Iterable[object], config: ReleaseConfig) -> list[dict]:
    """``sources`` of the descriptor: one entry per raw file, credited to the configured publisher(s)."""
    publishers = [dict(s) for s in config.sources]
    publisher_title = "; ".join(p["title"] for p in publishers if p.get("title"))
    publisher_path = next((p["path"] for p in publishers if p.get("path")), None)
    entries: list[dict] = []
    for record in sorted((source_record(s) for s in sources), key=lambda r: r["path"]):
        entry: dict = {"title": f"{publisher_title}: {record['path']}" if publisher_title else record["path"]}
        if publisher_path:
            entry["path"] = publisher_path
        entry["file"] = record["path"]
        if publisher_title:
            entry["publisher"] = publisher_title
        entry["hash"] = f"sha256:{record['sha256']}"
        entry["bytes"] = record["bytes"]
        entries.append(entry)
    return entries or _plain(publishers)  # type: ignore[return-value]


def csv_resource(table: TableSchema, root: Path, rows: int) -> dict:
    path = root / csv_path(table.name)
    return {
        "name": table.name,
        "type": "table",
        "title": table.title,
        "description": " ".join(table.description.split()),
        "path": csv_path(table.name),
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": path.stat().st_size,
        "hash": f"sha256:{sha256_file(path, reuse=True)}",
        "rows": rows,
        "dialect": {"delimiter": ",", "lineTerminator": "\n", "quoteChar": '"', "doubleQuote": True, "header": True},
        "schema": _plain(table.descriptor),
    }


def parquet_schema(table: TableSchema) -> dict:
    """The table's schema as its Parquet resource declares it: foreign keys point at the other
    Parquet resources; numeric columns that may be empty list the plugin's NaN as missing."""
    descriptor = _plain(table.descriptor)
    assert isinstance(descriptor, dict)
    for field in descriptor["fields"]:
        if field.get("type") in ("integer", "number", "year") and not field.get("constraints", {}).get("required"):
            field["missingValues"] = list(PARQUET_MISSING_VALUES)
    for fk in descriptor.get("foreignKeys", []):
        ref = fk["reference"]
        ref["resource"] = f"{ref.get('resource') or table.name}{PARQUET_SUFFIX}"
    return descriptor


def parquet_resource(table: TableSchema, root: Path, rows: int) -> dict:
    path = root / parquet_path(table.name)
    return {
        "name": f"{table.name}{PARQUET_SUFFIX}",
        "type": "table",
        "title": f"{table.title} (Parquet)",
        "description": (
            f"The rows of `{table.name}` in the same order, as Apache Parquet (zstd). The Arrow schema"
            f" carries the column types, titles and descriptions of the `{table.name}` Table Schema;"
            " text keeps its raw value (no spreadsheet-formula apostrophe)."
        ),
        "path": parquet_path(table.name),
        "format": "parquet",
        "mediatype": PARQUET_MEDIATYPE,
        "hash": f"sha256:{sha256_file(path, reuse=True)}",
        "rows": rows,
        "schema": parquet_schema(table),
    }


def database_resource(root: Path, name: str, tables: list[TableSchema]) -> dict:
    path = root / database_path(name)
    listed = ", ".join(f"`{t.name}`" for t in tables)
    return {
        "name": DATABASE_RESOURCE,
        "title": "All tables in one DuckDB database",
        "description": (
            f"A DuckDB database file with the tables {listed}: the same rows as the CSV and Parquet files,"
            " with column types, primary and foreign keys, and the titles and descriptions as table and"
            " column comments. Open it with DuckDB 1.2 or later."
        ),
        "path": database_path(name),
        "format": "duckdb",
        "mediatype": DUCKDB_MEDIATYPE,
        "bytes": path.stat().st_size,
        "hash": f"sha256:{sha256_file(path, reuse=True)}",
    }


def build_datapackage(
    root: Path,
    *,
    version: str,
    created: str,
    sources: Iterable[object],
    tables: Iterable[TableSchema] | None = None,
    config: ReleaseConfig | None = None,
) -> dict:
    """The descriptor for the files under ``root/data/`` (they must already be written; the row
    counts are read from the Parquet files' metadata)."""
    cfg = config or release_config()
    chosen = published_schemas(tables)
    counts = row_counts(root, [t.name for t in chosen])
    descriptor: dict = {
        "$schema": PROFILE_V2,
        "name": cfg.name,
        "title": cfg.title,
        "description": cfg.description,
        "version": version,
        "created": created,
    }
    if cfg.homepage:
        descriptor["homepage"] = cfg.homepage
    descriptor["keywords"] = list(cfg.keywords)
    descriptor["licenses"] = _plain(list(cfg.licenses))
    descriptor["contributors"] = _plain(list(cfg.contributors))
    descriptor["sources"] = sources_entries(sources, cfg)
    descriptor["resources"] = [
        *(csv_resource(t, root, counts[t.name]) for t in chosen),
        *(parquet_resource(t, root, counts[t.name]) for t in chosen),
    ]
    if (root / database_path(cfg.name)).is_file():
        descriptor["resources"].append(database_resource(root, cfg.name, chosen))
    return descriptor


def write_datapackage(root: Path, descriptor: Mapping, *, durable: bool = True) -> Path:
    return atomic_write_json(root / DESCRIPTOR_NAME, descriptor, durable=durable)


def read_datapackage(root: Path) -> dict:
    return read_json(root / DESCRIPTOR_NAME)  # type: ignore[return-value]


def restamp(descriptor: Mapping, *, version: str, created: str) -> dict:
    """A copy of ``descriptor`` with another version and creation time (nothing else changes)."""
    out = copy.deepcopy(dict(descriptor))
    out["version"] = version
    out["created"] = created
    return out


def table_resources(descriptor: Mapping) -> dict[str, dict]:
    """The tabular (CSV) resources of a descriptor by table name."""
    return {r["name"]: r for r in descriptor.get("resources", []) if r.get("format") == "csv" and "schema" in r}


def config_from_descriptor(descriptor: Mapping) -> ReleaseConfig:
    """The release metadata a descriptor was built with (so a publish re-renders the README from
    what was reviewed, not from a configuration edited since)."""
    publishers: list[dict] = []
    for entry in descriptor.get("sources", []):
        title = entry.get("publisher", entry.get("title"))
        item = {"title": title, **({"path": entry["path"]} if entry.get("path") else {})}
        if title and item not in publishers:
            publishers.append(item)
    return ReleaseConfig(
        name=descriptor["name"],
        title=descriptor.get("title", descriptor["name"]),
        description=descriptor.get("description", ""),
        homepage=descriptor.get("homepage"),
        keywords=tuple(descriptor.get("keywords", ())),
        licenses=tuple(descriptor.get("licenses", ())),
        sources=tuple(publishers),
        contributors=tuple(descriptor.get("contributors", ())),
    )
