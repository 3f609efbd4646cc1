"""``datapackage.json``: the Frictionless Data Package descriptor of a candidate or release.

Scope: build the descriptor from the release configuration (``[tool.atlas]``), the table schemas and
the files actually written (their size and sha256): dataset metadata, the raw source files with
their checksums credited to the original publisher, one tabular resource per published CSV (with
its full Table Schema) and one file resource per Parquet copy. It must not write data files, invent
metadata (licence, publisher) or list unpublished tables (the quarantine).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, is_dataclass
from pathlib import Path

from pipeline.config import ReleaseConfig, release_config
from pipeline.fsutil import atomic_write_json, read_json, sha256_file
from pipeline.publish.layout import csv_path, parquet_path
from pipeline.schemas import TableSchema, load_schemas

DESCRIPTOR_NAME = "datapackage.json"
PARQUET_MEDIATYPE = "application/vnd.apache.parquet"
PARQUET_SUFFIX = "-parquet"


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


def csv_resource(table: TableSchema, root: Path) -> dict:
    path = root / csv_path(table.name)
    return {
        "name": table.name,
        "title": table.title,
        "description": " ".join(table.description.split()),
        "path": csv_path(table.name),
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": path.stat().st_size,
        "hash": f"sha256:{sha256_file(path)}",
        "dialect": {"delimiter": ",", "lineTerminator": "\n", "quoteChar": '"', "doubleQuote": True, "header": True},
        "schema": _plain(table.descriptor),
    }


def parquet_resource(table: TableSchema, root: Path) -> dict:
    path = root / parquet_path(table.name)
    return {
        "name": f"{table.name}{PARQUET_SUFFIX}",
        "title": f"{table.title} (Parquet)",
        "description": (
            f"The rows of `{table.name}` in the same order, as Apache Parquet (zstd). The Arrow schema"
            f" carries the column types, titles and descriptions of the `{table.name}` Table Schema;"
            " text keeps its raw value (no spreadsheet-formula apostrophe)."
        ),
        "type": "file",
        "path": parquet_path(table.name),
        "format": "parquet",
        "mediatype": PARQUET_MEDIATYPE,
        "bytes": path.stat().st_size,
        "hash": f"sha256:{sha256_file(path)}",
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
    """The descriptor for the files under ``root/data/`` (they must already be written)."""
    cfg = config or release_config()
    chosen = published_schemas(tables)
    descriptor: dict = {
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
    descriptor["resources"] = [csv_resource(t, root) for t in chosen] + [parquet_resource(t, root) for t in chosen]
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

