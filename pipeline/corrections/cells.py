"""Cells of the extracted tables as corrections address them: which cells can be corrected, how a
row is found from its key, what the source says in a cell, and how a corrected value is typed and
checked against its column.

Scope: generic rules read from the data contract (``schemas/``), never a column list:

- a cell can be corrected when its table is published, is not a provenance table and has
  ``organization_id`` in its primary key, and its column is neither a key column nor a provenance
  column (``source_file``, ``source_line*``, ``*_source_line``);
- a row is named by its primary key (``organization_id`` plus the entry's ``key``), each value read
  as its column's type;
- the *source texts* of a cell are, in this order, the value as written of a field the extractor
  published empty (the field-level quarantine), the ``<column>_text`` column of the row where the
  table has one (what the source says beyond the typed value, e.g. ``established_text``), and the
  cell's value as text;
- a value is typed by its column (string, integer, number, boolean, year) and checked against the
  column's constraints (required, pattern, enum, minimum, maximum, lengths), as pandera checks
  extracted values.

It must not read files, apply corrections or decide about findings.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from pipeline.schemas import Field, TableSchema, load_schemas

ORG = "organization_id"
QUARANTINE = "quarantine"
FILE_COLUMN = "source_file"
LINE_COLUMNS = ("source_line", "source_line_start")
END_COLUMN = "source_line_end"
TEXT_SUFFIX = "_text"
_INTEGER = re.compile(r"[+-]?\d+")
_BOOLEANS = {"true": True, "false": False}


def is_provenance_column(name: str) -> bool:
    return name == FILE_COLUMN or name.startswith("source_line") or name.endswith("_source_line")


_CORRECTABLE: list[tuple[dict[str, TableSchema], dict[str, TableSchema]]] = []  # (schemas, correctable of them)


def correctable_tables() -> dict[str, TableSchema]:
    """The tables whose cells corrections may change (worked out once per set of schemas)."""
    schemas = load_schemas()
    if not _CORRECTABLE or _CORRECTABLE[0][0] is not schemas:
        found = {n: t for n, t in schemas.items() if t.published and not t.provenance and t.primary_key and t.primary_key[0] == ORG}
        _CORRECTABLE[:] = [(schemas, found)]
    return _CORRECTABLE[0][1]


_COLUMNS: dict[int, tuple[TableSchema, tuple[str, ...]]] = {}  # id(table) → (table, its correctable columns)


def correctable_columns(table: TableSchema) -> tuple[str, ...]:
    """The columns of ``table`` a correction may change: neither its key nor provenance (worked
    out once per schema object: the review pages ask for every finding)."""
    known = _COLUMNS.get(id(table))
    if known is None or known[0] is not table:
        key = set(table.primary_key)
        known = _COLUMNS[id(table)] = (table, tuple(c for c in table.columns if c not in key and not is_provenance_column(c)))
    return known[1]


def plain(value: object) -> object:
    """A cell as a plain Python value (``None`` for missing; numpy scalars unwrapped)."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def as_text(value: object) -> str | None:
    """A cell as text, the way the corrections table and the findings show it."""
    value = plain(value)
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def row_id(table: TableSchema, key: Mapping[str, object]) -> tuple[str, ...] | None:
    """The row's identity for matching (its key values as text, in key order), or None when the
    key is incomplete."""
    out = []
    for column in table.primary_key:
        value = as_text(key.get(column))
        if value is None:
            return None
        out.append(value)
    return tuple(out)


def row_key_json(table: TableSchema, key: Mapping[str, object]) -> str:
    """The row's key as the corrections table publishes it: a JSON object in key order."""
    return json.dumps({c: plain(key.get(c)) for c in table.primary_key}, ensure_ascii=False)


def normalise(text: str) -> str:
    """Text as extraction normalises it: NFC, non-breaking spaces made plain."""
    return unicodedata.normalize("NFC", text).replace("\u00a0", " ")


def typed(f: Field, text: str | None) -> tuple[object, str | None]:
    """``text`` as a value of column ``f`` (``None`` stays ``None``), or the problem."""
    if text is None:
        return None, None
    stripped = text.strip()
    if f.type in ("integer", "year"):
        if not _INTEGER.fullmatch(stripped):
            return None, f"{text!r} is not a whole number ({f.name} is an integer column)"
        return int(stripped), None
    if f.type == "number":
        try:
            number = float(stripped)
        except ValueError:
            return None, f"{text!r} is not a number"
        return (number, None) if math.isfinite(number) else (None, f"{text!r} is not a finite number")
    if f.type == "boolean":
        if stripped.lower() not in _BOOLEANS:
            return None, f"{text!r} is not true or false"
        return _BOOLEANS[stripped.lower()], None
    return normalise(text), None


def constraint_problem(f: Field, value: object) -> str | None:
    """What ``value`` breaks of column ``f``'s constraints (as pandera would report it), or None."""
    c = f.constraints
    if value is None:
        return f"{f.name} is required and cannot be empty" if c.required else None
    checks: list[tuple[bool, str]] = []
    if isinstance(value, str):
        if c.pattern is not None:
            checks.append((re.fullmatch(c.pattern, value) is None, f"does not match the pattern {c.pattern}"))
        if c.min_length is not None:
            checks.append((len(value) < c.min_length, f"is shorter than {c.min_length} characters"))
        if c.max_length is not None:
            checks.append((len(value) > c.max_length, f"is longer than {c.max_length} characters"))
    if isinstance(value, int | float) and not isinstance(value, bool):
        if c.minimum is not None:
            checks.append((value < c.minimum, f"is below the minimum {c.minimum}"))
        if c.maximum is not None:
            checks.append((value > c.maximum, f"is above the maximum {c.maximum}"))
    if c.enum is not None:
        checks.append((value not in c.enum, "is not one of: " + ", ".join(map(str, c.enum))))
    broken = [what for failed, what in checks if failed]
    return f"{f.name} {value!r} " + "; ".join(broken) if broken else None


@dataclass
class Cells:
    """Lookups over the tables for the organisations corrections name: rows by key, source texts."""

    tables: Mapping[str, pd.DataFrame]
    orgs: set[str]
    _rows: dict[str, dict[tuple[str, ...], int]] = field(default_factory=dict)
    _raw: dict[tuple[str, str, str], tuple[str, int | None]] | None = None

    @property
    def known_orgs(self) -> set[str]:
        frame = self.tables.get("organizations")
        ids = frame[ORG] if frame is not None and ORG in frame else pd.Series([], dtype="string")
        return {str(v) for v in ids[ids.isin(list(self.orgs))].tolist()}

    def position(self, table: TableSchema, rid: tuple[str, ...]) -> int | None:
        """The row's position in its frame (None when there is no such row)."""
        if table.name not in self._rows:
            frame = self.tables[table.name]
            mask = frame[ORG].isin(list(self.orgs))
            keys = zip(*(frame.loc[mask, c].tolist() for c in table.primary_key), strict=True)
            positions = [i for i, m in enumerate(mask.tolist()) if m]
            self._rows[table.name] = {tuple(as_text(v) or "" for v in k): p for k, p in zip(keys, positions, strict=True)}
        return self._rows[table.name].get(rid)

    def value(self, table: str, pos: int, column: str) -> object:
        return plain(self.tables[table][column].iat[pos])

    def source_texts(self, table: TableSchema, pos: int, column: str, org: str) -> list[str]:
        """What the source says in the cell, most literal first (see the module's scope)."""
        texts = []
        raw = self._quarantined().get((org, table.name, column))
        if raw is not None:
            texts.append(raw[0])
        sibling = column + TEXT_SUFFIX
        if sibling in table.columns:
            written = as_text(self.value(table.name, pos, sibling))
            if written:
                texts.append(written)
        current = as_text(self.value(table.name, pos, column))
        if current is not None:
            texts.append(current)
        return list(dict.fromkeys(texts))

    def was_nulled(self, table: str, column: str, org: str) -> bool:
        """True when the extractor published this cell empty because its value could not be right."""
        return (org, table, column) in self._quarantined()

    def _quarantined(self) -> dict[tuple[str, str, str], tuple[str, int | None]]:
        """(organisation, table, column) → (value as written, its line) of the nulled fields."""
        if self._raw is None:
            frame = self.tables.get(QUARANTINE)
            self._raw = {}
            if frame is not None and {ORG, "table", "column", "value", LINE_COLUMNS[1]} <= set(frame.columns):
                rows = frame[frame[ORG].isin(list(self.orgs)) & frame["column"].notna()]
                cols = (rows[ORG], rows["table"], rows["column"], rows["value"], rows[LINE_COLUMNS[1]])
                for org, table, column, value, line in zip(*cols, strict=True):
                    if plain(value) is not None:
                        at = plain(line)
                        self._raw.setdefault((str(org), str(table), str(column)), (str(value), at if isinstance(at, int) else None))
        return self._raw

    def location(self, table: TableSchema, pos: int, column: str) -> tuple[str, int]:
        """The file and line of the corrected record: the row's file and first line, or the line
        of the field itself when the extractor published it empty (the quarantine has it)."""
        frame = self.tables[table.name]
        org = str(plain(frame[ORG].iat[pos]))
        nulled = self._quarantined().get((org, table.name, column))
        file = as_text(frame[FILE_COLUMN].iat[pos]) if FILE_COLUMN in frame else None
        line = next((plain(frame[c].iat[pos]) for c in LINE_COLUMNS if c in frame), None)
        if file is None:  # a table without its own file column: its organisation's record
            orgs = self.tables["organizations"]
            where = orgs.index[orgs[ORG] == frame[ORG].iat[pos]]
            if len(where):
                file = as_text(orgs[FILE_COLUMN].iat[where[0]])
                line = line or plain(orgs["source_line_start"].iat[where[0]])
        if nulled is not None and nulled[1] is not None:
            line = nulled[1]
        return file or "", int(line) if isinstance(line, int) else 1


def affected(tables: Mapping[str, pd.DataFrame], orgs: Iterable[str]) -> dict[str, pd.DataFrame]:
    """Every table restricted to the rows of ``orgs`` (tables without organisations whole)."""
    wanted = list(orgs)
    out = {}
    for name, frame in tables.items():
        out[name] = frame[frame[ORG].isin(wanted)].reset_index(drop=True) if ORG in frame.columns else frame
    return out
