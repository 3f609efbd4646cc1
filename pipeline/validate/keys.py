"""The package-level key checks of the written CSV files, as Frictionless makes them, column-wide.

Scope: for each ``<table>.csv`` of a folder, read the key columns (polars: Rust CSV reader, only the
columns a key needs) and find what Frictionless 5 reports while it streams the rows
(``TableResource`` row stream): a ``unique-error`` for a repeated value of a field with ``unique``,
a ``primary-key`` error for a repeated primary key or one whose cells are all missing, a
``foreign-key`` error for a key (not all missing) that no row of the referenced table holds. The
errors are Frictionless error descriptors (same ``type``, ``note``, ``cells``, ``rowNumber``,
``fieldName``/``fieldNames``, ``cell``/``fieldCells``), with the same semantics: cells are typed
by Frictionless's own field readers (run once per distinct cell value), a missing or untyped cell
is None, tuples compare as Python compares them, and a note names the latest earlier row with the
same value. Together with the row-level Frictionless checks of the rows themselves
(``pipeline.validate.written``) this is what validating the whole files finds. It must not check
anything but the keys, nor write files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

MISSING = ("",)  # Table Schema's default missingValues


@dataclass(frozen=True)
class KeyError_:
    """One error: where it sorts within its row (``rank``) and its Frictionless descriptor."""

    row_number: int
    rank: tuple[int, int]
    descriptor: dict[str, Any] = field(hash=False)


@cache
def _reader(descriptor: tuple[tuple[str, Any], ...]):
    """Frictionless's own cell reader of a field (missing values, then its type's value reader)."""
    from frictionless import Field

    return Field.from_descriptor(dict(descriptor)).create_cell_reader()


def _plain_string(field_descriptor: dict[str, Any]) -> bool:
    """A string field without a format: Frictionless keeps its cells as they are."""
    return field_descriptor.get("type", "string") == "string" and field_descriptor.get("format", "default") == "default"


def _canonical(value: object) -> str | None:
    """A string equal for two typed values exactly when Python's ``==`` holds (None stays None)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return f"n:{int(value)}"
    if isinstance(value, int):
        return f"n:{value}"
    if isinstance(value, float) and value.is_integer():
        return f"n:{int(value)}"
    if isinstance(value, str):
        return f"s:{value}"
    return f"{type(value).__name__}:{value!r}"


def _typed(raw: pl.Series, field_descriptor: dict[str, Any], missing: Sequence[str]) -> tuple[pl.Series, dict[str, object] | None]:
    """(the canonical typed cells, raw → typed value, None when a cell is its own value) of one
    column; Frictionless's reader runs once per distinct raw value."""
    if _plain_string(field_descriptor):
        kept = raw.filter(raw.is_in(list(missing))).len() == 0
        typed = raw if kept else raw.set(raw.is_in(list(missing)).fill_null(False), None)
        return ("s:" + typed).rename(raw.name), None
    read = _reader(tuple(sorted((k, v) for k, v in field_descriptor.items() if isinstance(v, str | int | float | bool))))
    values: dict[str, object] = {}
    for cell in raw.drop_nulls().unique().to_list():
        values[cell] = None if cell in missing else read(cell)[0]
    mapping = {cell: _canonical(v) for cell, v in values.items()}
    if not mapping:
        return pl.Series(raw.name, [None] * len(raw), dtype=pl.String), values
    return raw.replace_strict(list(mapping), list(mapping.values()), default=None, return_dtype=pl.String), values


@dataclass
class _Table:
    name: str
    schema: dict[str, Any]
    path: Path
    frame: pl.DataFrame  # row, then the raw key columns (null = empty cell)
    typed: dict[str, pl.Series] = field(default_factory=dict)
    values: dict[str, dict[str, object] | None] = field(default_factory=dict)

    def fields(self) -> dict[str, dict[str, Any]]:
        return {f["name"]: f for f in self.schema.get("fields", [])}

    def key(self, names: Sequence[str]) -> pl.DataFrame:
        missing = self.schema.get("missingValues", list(MISSING))
        for name in names:
            if name not in self.typed:
                self.typed[name], self.values[name] = _typed(self.frame[name], self.fields()[name], missing)
        return pl.DataFrame([self.frame["row"], *(self.typed[n].alias(f"k{i}") for i, n in enumerate(names))])

    def value(self, name: str, raw: str | None) -> object:
        """The typed value of a raw cell (None: missing or not of the field's type)."""
        values = self.values[name]
        if raw is None:
            return None
        if values is None:
            return None if raw in self.schema.get("missingValues", list(MISSING)) else raw
        return values.get(raw)


def _key_columns(schema: dict[str, Any], foreign: Sequence[dict[str, Any]]) -> list[str]:
    names = [f["name"] for f in schema.get("fields", []) if (f.get("constraints") or {}).get("unique")]
    names += list(schema.get("primaryKey", []) or [])
    for fk in foreign:
        names += list(fk["fields"])
    return list(dict.fromkeys(names))


def _read(name: str, schema: dict[str, Any], path: Path, columns: list[str]) -> _Table:
    """The raw ``columns`` of ``path`` (strings, null for an empty cell) after its row number."""
    frame = pl.read_csv(path, columns=columns, infer_schema=False, row_index_name="row", row_index_offset=2, quote_char='"',
                        separator=",", eol_char="\n")
    return _Table(name, schema, path, frame.with_columns(pl.col("row").cast(pl.Int64)))


def _repeats(key: pl.DataFrame, skip_all_missing: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rows whose key repeats an earlier one, with ``prev``: the latest earlier row; rows whose
    key cells are all missing)."""
    cols = [c for c in key.columns if c != "row"]
    none = pl.all_horizontal(pl.col(c).is_null() for c in cols)
    empty = key.filter(none) if skip_all_missing else key.clear()
    seen = key.filter(~none)
    repeats = (seen.sort("row").with_columns(prev=pl.col("row").shift(1).over(cols))
               .filter(pl.col("prev").is_not_null()).select("row", "prev"))
    return repeats, empty


def _orders(tables: Mapping[str, _Table], table: _Table) -> list[tuple[int, tuple[int, int], dict[str, Any]]]:
    """(row number, rank in the row, partial descriptor) of every key error of ``table``."""
    out: list[tuple[int, tuple[int, int], dict[str, Any]]] = []
    fields = list(table.fields())
    for name in [f for f in fields if (table.fields()[f].get("constraints") or {}).get("unique")]:
        repeats, _ = _repeats(table.key([name]), skip_all_missing=True)
        for row, prev in repeats.iter_rows():
            out.append((row, (1, fields.index(name)), {"type": "unique-error", "note": f"the same as in the row at position {prev}",
                                                      "fieldName": name, "fieldNumber": fields.index(name) + 1, "_cell": name}))
    pk = list(table.schema.get("primaryKey", []) or [])
    if pk and all(c in table.frame.columns for c in pk):
        repeats, empty = _repeats(table.key(pk), skip_all_missing=True)
        for (row,) in empty.select("row").iter_rows():
            out.append((row, (2, 0), {"type": "primary-key", "note": 'cells composing the primary keys are all "None"'}))
        for row, prev in repeats.iter_rows():
            out.append((row, (2, 0), {"type": "primary-key", "note": f"the same as in the row at position {prev}"}))
    for i, fk in enumerate(table.schema.get("foreignKeys", []) or []):
        out += _foreign(tables, table, fk, i)
    return out


def _foreign(tables: Mapping[str, _Table], table: _Table, fk: dict[str, Any], i: int) -> list:
    names, ref = list(fk["fields"]), fk["reference"]
    parent = tables.get(ref.get("resource") or table.name)
    if parent is None or not all(c in table.frame.columns for c in names):
        return []
    ref_names = list(ref["fields"])
    child = table.key(names)
    cols = [f"k{j}" for j in range(len(names))]
    lookup = parent.key(ref_names).drop("row")
    lookup = lookup.filter(~pl.all_horizontal(pl.col(c).is_null() for c in cols)).unique()
    probe = child.filter(~pl.all_horizontal(pl.col(c).is_null() for c in cols))
    missing = probe.join(lookup, on=cols, how="anti", nulls_equal=True).sort("row")
    out = []
    for row in missing["row"].to_list():
        raw = table.frame.filter(pl.col("row") == row).row(0, named=True)
        typed = [table.value(n, raw[n]) for n in names]
        note = 'for "{}": values "{}" not found in the lookup table "{}" as "{}"'.format(
            ", ".join(names), ", ".join(str(d) for d in typed), ref.get("resource") or table.name, ", ".join(ref_names))
        out.append((row, (3, i), {"type": "foreign-key", "note": note, "fieldNames": names,
                                  "fieldCells": ["" if v is None else str(v) for v in typed],
                                  "referenceName": ref.get("resource") or table.name, "referenceFieldNames": ref_names}))
    return out


def _cells(path: Path, rows: list[int]) -> dict[int, list[str]]:
    """The raw cells of the rows numbered ``rows`` (header = row 1), empty cells as ""."""
    if not rows:
        return {}
    found = (pl.scan_csv(path, infer_schema=False, row_index_name="row", row_index_offset=2)
             .filter(pl.col("row").is_in(sorted(set(rows)))).collect())
    columns = [c for c in found.columns if c != "row"]
    return {r["row"]: ["" if r[c] is None else r[c] for c in columns] for r in found.iter_rows(named=True)}


def key_errors(folder: Path, resources: Sequence[dict[str, Any]], references: Sequence[dict[str, Any]] = ()) -> dict[str, list[KeyError_]]:
    """The key errors of each resource (``{"name", "path", "schema"}``, paths relative to
    ``folder``) in row order, then in the order Frictionless appends them to a row: unique fields
    (schema order), primary key, foreign keys (schema order). Foreign keys to a resource that is
    not among ``resources`` or ``references`` (read only as referenced tables, not checked) are
    not checked."""
    by_name = {r["name"]: r for r in [*references, *resources]}
    wanted: dict[str, list[str]] = {}
    for r in resources:
        foreign = [fk for fk in r["schema"].get("foreignKeys", []) or [] if (fk["reference"].get("resource") or r["name"]) in by_name]
        wanted.setdefault(r["name"], []).extend(_key_columns(r["schema"], foreign))
        for fk in foreign:  # the referenced columns are read from the referenced table
            wanted.setdefault(fk["reference"].get("resource") or r["name"], []).extend(fk["reference"]["fields"])
    tables = {name: _read(name, by_name[name]["schema"], folder / by_name[name]["path"], list(dict.fromkeys(columns)))
              for name, columns in wanted.items() if columns}
    out: dict[str, list[KeyError_]] = {}
    for r in resources:
        table = tables.get(r["name"])
        found = sorted(_orders(tables, table), key=lambda e: (e[0], e[1])) if table is not None else []
        cells = _cells(folder / r["path"], [row for row, _, _ in found])
        errors = []
        for row, rank, descriptor in found:
            d = {**descriptor, "cells": cells.get(row, []), "rowNumber": row}
            if d.pop("_cell", None) is not None:
                d["cell"] = d["cells"][d["fieldNumber"] - 1] if d["fieldNumber"] <= len(d["cells"]) else ""
            errors.append(KeyError_(row, rank, d))
        out[r["name"]] = errors
    return out
