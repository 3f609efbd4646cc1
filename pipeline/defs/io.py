"""The IO manager: step outputs stored as data (Arrow files for tables, JSON for the rest), never pickles.

Scope: ``AtlasIOManager`` (a public ``dg.UPathIOManager``: a local folder or any fsspec URL such as
``s3://bucket/atlas/io``) writes a DataFrame output as one Arrow IPC file (Feather v2, the frame's
dtypes kept in pandas' schema metadata, uncompressed: a later step maps it into memory and gets an
Arrow-backed frame without copying or parsing anything; measured at 1000×: 0.01 s to load the nine
tables instead of 0.6 s from Parquet) and any other output as JSON, with the project's small
dataclasses (:class:`~pipeline.findings.Finding`, ``SourceEntry``, ``SourceFile``) tagged by name
and rebuilt from an allow-list on load: nothing read back can name code to run (a list of flat
findings is stored column by column: :func:`finding_columns`). Loads and stores run with the
cyclic collector paused (their objects hold no cycle). Files are replaced by rename, so a frame
mapped by a running step never changes under it. It must not transform the values it stores.
"""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import dagster as dg
from upath import UPath

from pipeline.extract.cache import SourceEntry
from pipeline.extract.model import SourceFile
from pipeline.findings import RULES, Finding
from pipeline.fsutil import atomic_file, atomic_write_bytes, collector_paused

ARROW_MAGIC = b"ARROW1"
_TYPE, _TUPLE, _FINDINGS = "__atlas_type__", "__atlas_tuple__", "__atlas_findings__"
# Findings stored column by column: field → one value per finding (a hint the rule gives anyway is null).
_FINDING_COLUMNS = "__atlas_finding_columns__"
_FIELDS = tuple(f.name for f in dataclasses.fields(Finding))
_SCALARS = (str, int, float, bool, type(None))
_SCALAR_TYPES = frozenset(_SCALARS)
# The only classes a stored JSON output may name (rebuilt from their fields, validated by their own checks).
KNOWN: dict[str, type] = {cls.__name__: cls for cls in (Finding, SourceEntry, SourceFile)}


def to_json(value: Any) -> Any:
    """``value`` as JSON data: known dataclasses tagged with their name, tuples tagged."""
    if type(value) is list and value and all(type(v) is Finding and _flat(v) for v in value):
        return {_FINDING_COLUMNS: finding_columns(value)}  # the common case, tens of thousands at a time
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        if KNOWN.get(name) is not type(value):
            raise TypeError(f"cannot store a {name} as JSON (not one of {', '.join(KNOWN)})")
        return {_TYPE: name, **{f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, tuple):
        return {_TUPLE: [to_json(v) for v in value]}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("cannot store a dict with keys that are not strings as JSON")
        return {k: to_json(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} as JSON")


def from_json(data: Any) -> Any:
    """The inverse of :func:`to_json`; ``ValueError`` for a type name outside :data:`KNOWN`."""
    if isinstance(data, list):
        return [from_json(v) for v in data]
    if isinstance(data, dict):
        if _FINDING_COLUMNS in data and len(data) == 1:
            return findings_of_columns(data[_FINDING_COLUMNS])
        if _FINDINGS in data and len(data) == 1 and isinstance(data[_FINDINGS], list):  # written before the columns
            items = data[_FINDINGS]
            if all(type(d) is dict and _flat_finding(d) for d in items):
                return [Finding(**d) for d in items]
            raise ValueError("stored findings are not flat records")
        if _TUPLE in data and len(data) == 1:
            return tuple(from_json(v) for v in data[_TUPLE])
        if _TYPE in data:
            cls = KNOWN.get(data[_TYPE])
            if cls is None:
                raise ValueError(f"stored output names an unknown type {data[_TYPE]!r}")
            return cls(**{k: from_json(v) for k, v in data.items() if k != _TYPE})
        return {k: from_json(v) for k, v in data.items()}
    return data


def finding_columns(findings: list[Finding]) -> dict[str, list]:
    """Flat findings (:func:`_flat`) column by column: a third fewer bytes than one record each
    (no repeated field names, no repeated rule hints) and written and read about twice as fast
    (measured at 1000×: 29k findings, 18.8 → 13.8 MB)."""
    special: dict[str, list] = {
        "key": [None if f.key is None else dict(f.key) for f in findings],
        "hint": [None if (rule := RULES.get(f.rule)) is not None and f.hint == rule.hint else f.hint for f in findings],
    }
    return {name: special[name] if name in special else [getattr(f, name) for f in findings] for name in _FIELDS}


def findings_of_columns(columns: object) -> list[Finding]:
    """The inverse of :func:`finding_columns`; ``ValueError`` unless every column is a known field
    holding one scalar per finding (a key: a dict of scalars)."""
    if type(columns) is not dict or not set(columns) <= set(_FIELDS) or not {"rule", "message"} <= set(columns):
        raise ValueError("stored finding columns do not name the fields of a finding")
    values = list(columns.values())
    if any(type(v) is not list or len(v) != len(values[0]) for v in values):
        raise ValueError("stored finding columns are not lists of one length")
    for name, column in columns.items():
        if not _flat_column(column, dicts=name == "key"):
            raise ValueError(f"stored finding column {name!r} holds values that are not flat")
    if tuple(columns) == _FIELDS:  # as finding_columns writes them: positional arguments
        return [Finding(*row) for row in zip(*values, strict=True)]
    names = list(columns)
    return [Finding(**dict(zip(names, row, strict=True))) for row in zip(*values, strict=True)]


def _flat_column(column: list, *, dicts: bool) -> bool:
    """Every value a scalar, or (``dicts``) a dict of scalars (type sets: no Python call per value)."""
    kinds = set(map(type, column))
    if dict not in kinds:
        return kinds <= _SCALAR_TYPES
    return dicts and kinds - {dict} <= _SCALAR_TYPES and all(set(map(type, v.values())) <= _SCALAR_TYPES for v in column if type(v) is dict)


def _flat(f: Finding) -> bool:
    """A finding whose key values are scalars and that no correction resolved: stored flat."""
    return f.resolution is None and (f.key is None or all(type(v) in _SCALARS for v in f.key.values()))


def _flat_finding(data: dict) -> bool:
    """A stored finding whose fields (and key values) are all scalars: rebuilt directly."""
    key = data.get("key")
    return all(type(v) in _SCALARS for k, v in data.items() if k != "key") and (
        key is None or (type(key) is dict and all(type(v) in _SCALARS for v in key.values()))
    )


class AtlasIOManager(dg.UPathIOManager):
    """Tables as Parquet, everything else as JSON, under ``base_path`` (any UPath)."""

    extension = None

    def dump_to_path(self, context: dg.OutputContext, obj: Any, path: UPath) -> None:
        with collector_paused():  # tens of thousands of findings as dicts: no cycle among them
            self._dump(obj, path)

    def _dump(self, obj: Any, path: UPath) -> None:
        import pandas as pd

        local = path.protocol in ("", "file", "local")
        if isinstance(obj, pd.DataFrame):
            import pyarrow as pa
            import pyarrow.feather as feather

            table = pa.Table.from_pandas(obj, preserve_index=False)
            if local:  # streamed into the file
                with atomic_file(Path(path.path), durable=False) as out:
                    feather.write_feather(table, out, compression="uncompressed", chunksize=max(table.num_rows, 1))
                return
            buf = io.BytesIO()
            feather.write_feather(table, buf, compression="uncompressed", chunksize=max(table.num_rows, 1))
            data = buf.getvalue()
        else:
            data = json.dumps(to_json(obj), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if local:
            atomic_write_bytes(Path(path.path), data, durable=False)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

    def load_from_path(self, context: dg.InputContext, path: UPath) -> Any:
        with collector_paused():  # as many objects back, none in a cycle
            return self._load(path)

    def _load(self, path: UPath) -> Any:
        local = path.protocol in ("", "file", "local")
        with (open(path.path, "rb") if local else path.open("rb")) as f:
            magic = f.read(len(ARROW_MAGIC))
        if magic == ARROW_MAGIC:
            import pyarrow as pa
            import pyarrow.feather as feather

            source = str(path.path) if local else pa.BufferReader(path.read_bytes())
            return feather.read_table(source, memory_map=local).to_pandas()
        return from_json(json.loads(path.read_bytes()))


class AtlasIOManagerFactory(dg.ConfigurableIOManagerFactory):
    """The run's IO manager over ``base_dir`` (a local folder or a UPath URL)."""

    base_dir: str

    def create_io_manager(self, context: dg.InitResourceContext) -> AtlasIOManager:
        return AtlasIOManager(base_path=UPath(self.base_dir))
