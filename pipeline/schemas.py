"""The table schemas in ``schemas/``: the single source of truth for every table.

Scope: read each Frictionless Table Schema once, validate it on load (pydantic models of the
fields and their constraints, keys that name real columns and tables; a bad file is a
``ValueError`` naming it) and expose it as typed objects whose exporters give every other form of
the same definition: ``to_frictionless`` (the ``datapackage.json`` resource schema), ``to_arrow``
(the Parquet schema, with titles and descriptions as field metadata), ``to_pandera`` (the pandas
validation schema), ``to_dagster`` (the column schema shown in Dagster's UI), ``to_duckdb`` (the
DuckDB table: column types, NOT NULL, primary and foreign keys, comments) and ``frame`` (the
in-memory table with its pandas dtypes). The data dictionary (``pipeline.publish.dictionary``)
reads the same objects. This module must not hold a column list of its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
import pandera.pandas as pandera
import pyarrow as pa
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic import Field as Alias

from pipeline.config import SCHEMAS_DIR

if TYPE_CHECKING:
    import dagster as dg

FieldType = Literal["string", "integer", "number", "boolean", "year"]
# Keys of our schema files that are project bookkeeping, not Table Schema.
_PROJECT_KEYS = ("name", "order", "published", "provenance")
_PANDAS_DTYPES: dict[str, str] = {"string": "string", "integer": "Int64", "number": "Float64", "boolean": "boolean", "year": "Int64"}
# ``string`` (32-bit offsets) rather than ``large_string``: every reader (DuckDB, polars, pandas,
# Spark) maps it to its plain text type, and pyarrow splits a column beyond 2 GiB into chunks.
_ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "year": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
}
_DAGSTER_TYPES = {"string": "string", "integer": "int", "year": "int", "number": "float", "boolean": "bool"}
_DUCKDB_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "year": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN"}


def sql_name(name: str) -> str:
    """An SQL identifier, always quoted (names come from schemas/, quoting keeps any of them valid)."""
    return '"' + name.replace('"', '""') + '"'


def sql_text(text: str) -> str:
    """An SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def to_frictionless(self) -> dict[str, Any]:
        """The Table Schema form, exactly the keys the file gave."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class Constraints(_Model):
    """A field's Table Schema constraints."""

    required: bool = False
    unique: bool = False
    pattern: str | None = None
    enum: list[str | int | float | bool] | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    min_length: int | None = Alias(default=None, alias="minLength")
    max_length: int | None = Alias(default=None, alias="maxLength")


class Field(_Model):
    """One column: name, Table Schema type, title, description and constraints."""

    name: str
    type: FieldType = "string"
    title: str | None = None
    description: str | None = None
    constraints: Constraints = Constraints()

    # descriptor-style access (``field["name"]``, ``field.get("type")``) for code written against
    # the plain Table Schema dicts
    def __getitem__(self, key: str) -> Any:
        return self.to_frictionless()[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.to_frictionless().get(key, default)

    @property
    def pandas_dtype(self) -> str:
        return _PANDAS_DTYPES[self.type]

    def to_arrow(self) -> pa.Field:
        """The Arrow field: type, nullability from ``required``, title/description as metadata."""
        metadata = {k: v for k, v in (("title", self.title), ("description", self.description)) if v}
        metadata["frictionless_type"] = self.type
        return pa.field(self.name, _ARROW_TYPES[self.type], nullable=not self.constraints.required, metadata=metadata)

    def to_pandera(self, *, in_primary_key: bool = False) -> pandera.Column:
        """The pandera column: dtype, nullability (``required`` or in the primary key), checks."""
        return pandera.Column(
            self.pandas_dtype,
            checks=self._pandera_checks(),
            nullable=not (self.constraints.required or in_primary_key),
            unique=self.constraints.unique,
            title=self.title,
            description=self.description,
        )

    def _pandera_checks(self) -> list[pandera.Check]:
        c = self.constraints
        checks: list[pandera.Check] = []
        if c.pattern is not None:  # Table Schema patterns match the whole value; str_matches anchors the start only
            checks.append(pandera.Check.str_matches(f"(?:{c.pattern})\\Z", name="pattern", error=f"does not match the pattern {c.pattern}"))
        if c.enum is not None:
            checks.append(pandera.Check.isin(list(c.enum), name="enum", error="is not one of: " + ", ".join(map(str, c.enum))))
        if c.minimum is not None:
            checks.append(pandera.Check.ge(c.minimum, name="minimum", error=f"is below the minimum {c.minimum}"))
        if c.maximum is not None:
            checks.append(pandera.Check.le(c.maximum, name="maximum", error=f"is above the maximum {c.maximum}"))
        if c.min_length is not None:
            checks.append(
                pandera.Check.str_length(min_value=c.min_length, name="minLength", error=f"is shorter than {c.min_length} characters")
            )
        if c.max_length is not None:
            checks.append(
                pandera.Check.str_length(max_value=c.max_length, name="maxLength", error=f"is longer than {c.max_length} characters")
            )
        return checks

    @property
    def duckdb_type(self) -> str:
        return _DUCKDB_TYPES[self.type]

    def to_duckdb(self, *, in_primary_key: bool = False) -> str:
        """The column definition in a DuckDB ``CREATE TABLE`` (type; NOT NULL when required or keyed)."""
        not_null = " NOT NULL" if self.constraints.required or in_primary_key else ""
        return f"{sql_name(self.name)} {self.duckdb_type}{not_null}"

    def comment(self) -> str:
        """The column's comment: title and description."""
        parts = [p for p in (self.title, " ".join((self.description or "").split())) if p]
        return ". ".join(p.rstrip(".") for p in parts) + ("." if parts else "")

    def to_dagster(self, *, in_primary_key: bool = False, only_key: bool = False) -> dg.TableColumn:
        """The column as Dagster's UI shows it (type, description, nullability, other constraints)."""
        import dagster as dg  # the orchestration layer's library: loaded only when it asks

        other = [f"{k}: {v}" for k, v in self.constraints.to_frictionless().items() if k not in ("required", "unique")]
        return dg.TableColumn(
            name=self.name,
            type=self.type,
            description=self.description,
            constraints=dg.TableColumnConstraints(
                nullable=not (self.constraints.required or in_primary_key),
                unique=self.constraints.unique or only_key,
                other=other,
            ),
        )


class _Descriptor(_Model):
    """A Table Schema file's content (project keys included) as validated on load."""

    name: str | None = None
    order: int = 99
    published: bool = True
    # a table that records where other tables' values came from (the editors' corrections): its
    # rows added or removed make a patch release, and its cells are not checked as new content
    provenance: bool = False
    title: str | None = None
    description: str | None = None
    primary_key: list[str] | str = Alias(default_factory=list, alias="primaryKey")
    foreign_keys: list[dict[str, Any]] = Alias(default_factory=list, alias="foreignKeys")
    fields: list[Field]


@dataclass(frozen=True)
class TableSchema:
    """A table of the data contract: its fields and keys, and the exporters to every other form."""

    name: str
    order: int
    published: bool
    path: Path
    spec: _Descriptor

    @classmethod
    def from_descriptor(
        cls, name: str, descriptor: Mapping[str, Any], *, path: Path, order: int | None = None, published: bool | None = None
    ) -> TableSchema:
        """Validate a Table Schema (a file's content, or a resource schema of ``datapackage.json``);
        ``ValueError`` naming ``path`` and the first problem."""
        try:
            spec = _Descriptor.model_validate(dict(descriptor))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ValueError(f"{path}: not a valid table schema ({where}: {first['msg']}; found {first.get('input')!r})") from None
        table = cls(name, spec.order if order is None else order, spec.published if published is None else published, path, spec)
        table._check_keys()
        return table

    def _check_keys(self) -> None:
        names = self.columns
        if len(set(names)) != len(names):
            raise ValueError(f"{self.path}: a column name is repeated")
        for column in [*self.primary_key, *(c for fk in self.foreign_keys for c in _names(fk.get("fields")))]:
            if column not in names:
                raise ValueError(f"{self.path}: key column {column!r} is not a field of {self.name}")

    @property
    def title(self) -> str:
        return self.spec.title or self.name

    @property
    def provenance(self) -> bool:
        """A provenance table (``provenance: true`` in its file; see ``_Descriptor``)."""
        return self.spec.provenance

    @property
    def description(self) -> str:
        return self.spec.description or ""

    @property
    def fields(self) -> list[Field]:
        return list(self.spec.fields)

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.spec.fields]

    @property
    def primary_key(self) -> list[str]:
        return _names(self.spec.primary_key)

    @property
    def foreign_keys(self) -> list[dict[str, Any]]:
        return [dict(fk) for fk in self.spec.foreign_keys]

    @property
    def descriptor(self) -> dict[str, Any]:
        return self.to_frictionless()

    def field(self, name: str) -> Field:
        for f in self.spec.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no column {name!r}")

    def dtypes(self) -> dict[str, str]:
        return {f.name: f.pandas_dtype for f in self.spec.fields}

    def to_frictionless(self) -> dict[str, Any]:
        """The Table Schema (without the project's keys), as ``datapackage.json`` carries it."""
        data = self.spec.to_frictionless()
        return json.loads(json.dumps({k: v for k, v in data.items() if k not in _PROJECT_KEYS}))

    def to_arrow(self) -> pa.Schema:
        """The Arrow schema: column order, types, nullability, descriptions; table metadata."""
        metadata = {"name": self.name, "title": self.title, "description": self.description}
        if self.primary_key:
            metadata["primary_key"] = json.dumps(self.primary_key)
        return pa.schema([f.to_arrow() for f in self.spec.fields], metadata=metadata)

    def to_pandera(self) -> pandera.DataFrameSchema:
        """The pandera (pandas backend) schema: exact columns in order, dtypes, constraints, key."""
        pk = set(self.primary_key)
        return pandera.DataFrameSchema(
            {f.name: f.to_pandera(in_primary_key=f.name in pk) for f in self.spec.fields},
            name=self.name,
            strict=True,
            ordered=True,
            unique=self.primary_key or None,
            report_duplicates="all",
            coerce=False,
        )

    def to_duckdb(self) -> list[str]:
        """The DuckDB statements that create this table: ``CREATE TABLE`` with the column types,
        NOT NULL, the primary key and the foreign keys, then ``COMMENT ON`` the table and every
        column (title and description). Referenced tables must be created first
        (:func:`creation_order`)."""
        pk = set(self.primary_key)
        lines = [f.to_duckdb(in_primary_key=f.name in pk) for f in self.spec.fields]
        if self.primary_key:
            lines.append(f"PRIMARY KEY ({', '.join(map(sql_name, self.primary_key))})")
        for fk in self.foreign_keys:
            ref = fk.get("reference", {})
            target = ref.get("resource") or self.name
            lines.append(
                f"FOREIGN KEY ({', '.join(map(sql_name, _names(fk.get('fields'))))}) "
                f"REFERENCES {sql_name(target)} ({', '.join(map(sql_name, _names(ref.get('fields'))))})"
            )
        body = ",\n  ".join(lines)
        statements = [f"CREATE TABLE {sql_name(self.name)} (\n  {body}\n)"]
        table_comment = ". ".join(p.rstrip(".") for p in (self.title, " ".join(self.description.split())) if p) + "."
        statements.append(f"COMMENT ON TABLE {sql_name(self.name)} IS {sql_text(table_comment)}")
        for f in self.spec.fields:
            statements.append(f"COMMENT ON COLUMN {sql_name(self.name)}.{sql_name(f.name)} IS {sql_text(f.comment())}")
        return statements

    def references(self) -> list[str]:
        """The other tables this one's foreign keys point at."""
        return [
            t for t in dict.fromkeys(fk.get("reference", {}).get("resource") or self.name for fk in self.foreign_keys) if t != self.name
        ]

    def to_dagster(self) -> dg.TableSchema:
        """The column schema shown on the table's asset in Dagster."""
        import dagster as dg  # the orchestration layer's library: loaded only when it asks

        pk = set(self.primary_key)
        return dg.TableSchema(columns=[f.to_dagster(in_primary_key=f.name in pk, only_key=pk == {f.name}) for f in self.spec.fields])

    def frame(self, rows: Iterable[Mapping] | pd.DataFrame = ()) -> pd.DataFrame:
        """Rows (dicts or a frame) → a DataFrame with exactly this schema's columns, order and dtypes."""
        df = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame.from_records(list(rows), columns=self.columns)
        missing = [c for c in self.columns if c not in df.columns]
        extra = [c for c in df.columns if c not in self.columns]
        if missing or extra:
            raise ValueError(f"{self.name}: columns differ from schemas/{self.path.name}: missing {missing}, unexpected {extra}")
        df = df[self.columns]
        return df.astype(self.dtypes()).reset_index(drop=True)


def _names(value: object) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]  # type: ignore[attr-defined]


def _check_references(tables: dict[str, TableSchema]) -> None:
    for table in tables.values():
        for fk in table.foreign_keys:
            ref = fk.get("reference", {})
            target = tables.get(ref.get("resource") or table.name)
            if target is None or any(c not in target.columns for c in _names(ref.get("fields"))):
                raise ValueError(
                    f"{table.path}: foreign key refers to {ref.get('resource')!r} {ref.get('fields')}, which schemas/ does not define"
                )


@cache
def load_schemas(schemas_dir: Path = SCHEMAS_DIR) -> dict[str, TableSchema]:
    """All ``*.schema.yaml`` files, validated, in their declared order."""
    tables: list[TableSchema] = []
    for path in sorted(schemas_dir.glob("*.schema.yaml")):
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ValueError(f"{path}: cannot be read as YAML ({exc})") from None
        if not isinstance(raw, dict):
            raise ValueError(f"{path}: not a table schema (expected a mapping)")
        name = raw.get("name") or path.name.removesuffix(".schema.yaml")
        if path.name != f"{name}.schema.yaml":
            raise ValueError(f"{path}: the file name must be {name}.schema.yaml (one naming grammar)")
        tables.append(TableSchema.from_descriptor(name, raw, path=path))
    tables.sort(key=lambda t: (t.order, t.name))
    found = {t.name: t for t in tables}
    _check_references(found)
    return found


def creation_order(tables: Iterable[TableSchema]) -> list[TableSchema]:
    """``tables`` ordered so that every table comes after the tables its foreign keys reference
    (stable otherwise); ``ValueError`` on a cycle."""
    pending = list(tables)
    names = {t.name for t in pending}
    done: list[TableSchema] = []
    placed: set[str] = set()
    while pending:
        ready = [t for t in pending if all(r in placed or r not in names for r in t.references())]
        if not ready:
            raise ValueError("foreign keys form a cycle between " + ", ".join(t.name for t in pending))
        for t in ready:
            done.append(t)
            placed.add(t.name)
        pending = [t for t in pending if t.name not in placed]
    return done


def schema(name: str) -> TableSchema:
    return load_schemas()[name]


def schemas_of(resources: Mapping[str, Mapping[str, Any]]) -> list[TableSchema]:
    """The published tables as a ``datapackage.json`` records them (name → resource with its
    ``schema``): what a release was built with, even if ``schemas/`` changed since."""
    current = load_schemas()
    out = []
    for i, (name, resource) in enumerate(resources.items()):
        known = current.get(name)
        path = known.path if known else Path(f"{name}.schema.yaml")
        out.append(
            TableSchema.from_descriptor(name, resource["schema"], path=path, order=known.order if known else 100 + i, published=True)
        )
    return out
