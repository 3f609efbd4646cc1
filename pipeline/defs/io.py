"""The IO manager: step outputs stored as data (Parquet for tables, JSON for the rest), never pickles.

Scope: ``AtlasIOManager`` (a public ``dg.UPathIOManager``: a local folder or any fsspec URL such as
``s3://bucket/atlas/io``) writes a DataFrame output as one Parquet file (the frame's dtypes kept in
pandas' schema metadata, zstd level 1: cheap to write, read back column by column into Arrow-backed
frames without a Python object per cell) and any other output as JSON, with the project's small
dataclasses (:class:`~pipeline.findings.Finding`, ``SourceEntry``, ``SourceFile``) tagged by name
and rebuilt from an allow-list on load: nothing read back can name code to run. It must not
transform the values it stores.
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
from pipeline.findings import Finding
from pipeline.fsutil import atomic_file, atomic_write_bytes

PARQUET_MAGIC = b"PAR1"
_TYPE, _TUPLE = "__atlas_type__", "__atlas_tuple__"
_SCALARS = (str, int, float, bool, type(None))
# The only classes a stored JSON output may name (rebuilt from their fields, validated by their own checks).
KNOWN: dict[str, type] = {cls.__name__: cls for cls in (Finding, SourceEntry, SourceFile)}


def to_json(value: Any) -> Any:
    """``value`` as JSON data: known dataclasses tagged with their name, tuples tagged."""
    if type(value) is Finding and (value.key is None or all(type(v) in _SCALARS for v in value.key.values())):
        return {_TYPE: "Finding", **value.to_dict()}  # the common case, tens of thousands at a time
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
        if _TUPLE in data and len(data) == 1:
            return tuple(from_json(v) for v in data[_TUPLE])
        if data.get(_TYPE) == "Finding" and _flat_finding(data):
            return Finding(**{k: v for k, v in data.items() if k != _TYPE})
        if _TYPE in data:
            cls = KNOWN.get(data[_TYPE])
            if cls is None:
                raise ValueError(f"stored output names an unknown type {data[_TYPE]!r}")
            return cls(**{k: from_json(v) for k, v in data.items() if k != _TYPE})
        return {k: from_json(v) for k, v in data.items()}
    return data


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
        import pandas as pd

        local = path.protocol in ("", "file", "local")
        if isinstance(obj, pd.DataFrame):
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(obj, preserve_index=False)
            if local:  # streamed into the file
                with atomic_file(Path(path.path), durable=False) as out:
                    pq.write_table(table, out, compression="zstd", compression_level=1)
                return
            buf = io.BytesIO()
            pq.write_table(table, buf, compression="zstd", compression_level=1)
            data = buf.getvalue()
        else:
            data = json.dumps(to_json(obj), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if local:
            atomic_write_bytes(Path(path.path), data, durable=False)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

    def load_from_path(self, context: dg.InputContext, path: UPath) -> Any:
        local = path.protocol in ("", "file", "local")
        with (open(path.path, "rb") if local else path.open("rb")) as f:
            magic = f.read(4)
        if magic == PARQUET_MAGIC:
            import pyarrow.parquet as pq

            return pq.read_table(Path(path.path) if local else io.BytesIO(path.read_bytes())).to_pandas()
        return from_json(json.loads(path.read_bytes()))


class AtlasIOManagerFactory(dg.ConfigurableIOManagerFactory):
    """The run's IO manager over ``base_dir`` (a local folder or a UPath URL)."""

    base_dir: str

    def create_io_manager(self, context: dg.InitResourceContext) -> AtlasIOManager:
        return AtlasIOManager(base_path=UPath(self.base_dir))
