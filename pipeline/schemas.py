"""The table schemas in ``schemas/``: the single source of truth for every table.

Scope: read each Frictionless Table Schema once and expose it (fields, keys, which tables are
published), and turn it into the column order and pandas dtypes of the in-memory tables. Other
outputs derive from the same objects: the pandera schema (``pipeline.validate.pandera_schema``),
the Arrow schema and the ``datapackage.json`` resource (``pipeline.publish``), the data dictionary
(``pipeline.publish.dictionary``). This module must not hold a column list of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd
import yaml

from pipeline.config import SCHEMAS_DIR

# Keys of our schema files that are project bookkeeping, not Table Schema.
_PROJECT_KEYS = ("name", "order", "published")

_PANDAS_DTYPES = {
    "string": "string",
    "integer": "Int64",
    "number": "Float64",
    "boolean": "boolean",
    "year": "Int64",
}


@dataclass(frozen=True)
class TableSchema:
    name: str
    order: int
    published: bool
    descriptor: Mapping  # the Frictionless Table Schema (without project keys)
    path: Path

    @property
    def title(self) -> str:
        return self.descriptor.get("title", self.name)

    @property
    def description(self) -> str:
        return self.descriptor.get("description", "")

    @property
    def fields(self) -> list[dict]:
        return list(self.descriptor["fields"])

    @property
    def columns(self) -> list[str]:
        return [f["name"] for f in self.descriptor["fields"]]

    @property
    def primary_key(self) -> list[str]:
        pk = self.descriptor.get("primaryKey", [])
        return [pk] if isinstance(pk, str) else list(pk)

    @property
    def foreign_keys(self) -> list[dict]:
        return list(self.descriptor.get("foreignKeys", []))

    def field(self, name: str) -> dict:
        for f in self.descriptor["fields"]:
            if f["name"] == name:
                return f
        raise KeyError(f"{self.name} has no column {name!r}")

    def dtypes(self) -> dict[str, str]:
        return {f["name"]: _PANDAS_DTYPES.get(f.get("type", "string"), "object") for f in self.fields}

    def frame(self, rows: Iterable[Mapping] | pd.DataFrame = ()) -> pd.DataFrame:
        """Rows (dicts or a frame) → a DataFrame with exactly this schema's columns, order and dtypes."""
        df = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame.from_records(list(rows), columns=self.columns)
        missing = [c for c in self.columns if c not in df.columns]
        extra = [c for c in df.columns if c not in self.columns]
        if missing or extra:
            raise ValueError(f"{self.name}: columns differ from schemas/{self.path.name}: missing {missing}, unexpected {extra}")
        df = df[self.columns]
        return df.astype(self.dtypes()).reset_index(drop=True)


@cache
def load_schemas(schemas_dir: Path = SCHEMAS_DIR) -> dict[str, TableSchema]:
    """All ``*.schema.yaml`` files, in their declared order."""
    tables: list[TableSchema] = []
    for path in sorted(schemas_dir.glob("*.schema.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        name = raw.get("name") or path.name.removesuffix(".schema.yaml")
        if path.name != f"{name}.schema.yaml":
            raise ValueError(f"{path}: the file name must be {name}.schema.yaml (one naming grammar)")
        descriptor = {k: v for k, v in raw.items() if k not in _PROJECT_KEYS}
        tables.append(TableSchema(name, int(raw.get("order", 99)), bool(raw.get("published", True)), descriptor, path))
    tables.sort(key=lambda t: (t.order, t.name))
    return {t.name: t for t in tables}


def schema(name: str) -> TableSchema:
    return load_schemas()[name]


def published_tables() -> list[str]:
    return [t.name for t in load_schemas().values() if t.published]


def all_tables() -> list[str]:
    return list(load_schemas())
