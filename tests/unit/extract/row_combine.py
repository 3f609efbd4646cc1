"""The oracle: ``pipeline.extract.combine`` as it was before the columnar path (issue 15, commit
263726c), kept verbatim so the tests compare the new code with the old definition, not with
itself: every file's rows as dicts, organisations settled, mentions found over all text blocks,
each table typed and sorted from its rows. Its settling and assignment code repeats the
pipeline's on purpose (``duplicates`` lists it): do not make either import the other. Not used by
the pipeline.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from operator import itemgetter

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.extract.header import slug
from pipeline.extract.mentions import TextBlock, mentions
from pipeline.extract.model import Extraction, FileExtraction
from pipeline.findings import Finding
from pipeline.schemas import TableSchema, load_schemas
from pipeline.vocab import load_vocabulary

_COMPARED = ("name", "acronym", "alternate_acronyms", "established", "established_text", "address", "website", "stakeholder_group")
_PER_ORG_TABLES = ("sections", "policy_issues", "social_media_accounts", "footnotes")


class _Corpus:
    """The organisations kept so far (by id) and the rows and findings gathered."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = {name: [] for name in load_schemas()}
        self.findings: list[Finding] = []
        self.kept: dict[str, dict] = {}


def combine(files: Iterable[FileExtraction]) -> Extraction:
    """The corpus's tables from each file's extraction. ``files``: a list in any order, or an
    iterator yielding them in source-path order (``discover``'s order), consumed one file at a
    time: only the rows are kept, and each table's rows are dropped once its frame is built, so a
    large corpus is never held as rows, file wrappers and frames at once."""
    corpus = _Corpus()
    sources = []
    for fx in _in_order(files):
        sources.append(fx.source)
        corpus.findings.extend(fx.findings)
        corpus.rows["quarantine"].extend(fx.rows.get("quarantine", []))
        owners = {org["source_line_start"]: _settle(corpus, org) for org in fx.rows.get("organizations", [])}
        _assign_rows(corpus, fx, owners)
    rows = corpus.rows
    rows["country_mentions"], rows["organization_mentions"] = mentions(rows["organizations"], _text_blocks(rows))
    vocab = load_vocabulary()
    rows["issue_taxonomy"] = [
        {
            "issue": i.issue,
            "basket": i.basket,
            "provenance": i.provenance,
            "basket_assigned": i.basket_assigned,
            "vocabulary_version": vocab.version,
        }
        for i in vocab.issues.values()
    ]
    tables = {name: typed_frame(schema, rows.pop(name)) for name, schema in load_schemas().items()}
    return Extraction(tables, corpus.findings, sources)


def _in_order(files: Iterable[FileExtraction]) -> Iterator[FileExtraction]:
    if isinstance(files, list | tuple):
        yield from sorted(files, key=lambda f: f.source.path)
        return
    last = ""
    for fx in files:
        if fx.source.path < last:
            raise ValueError(f"combine: {fx.source.path} came after {last}; an iterator must yield files in source-path order")
        last = fx.source.path
        yield fx


def _settle(corpus: _Corpus, org: dict) -> str | None:
    """The id this profile is published under, or None when it repeats a kept organisation."""
    oid = org["organization_id"]
    first = corpus.kept.get(oid)
    if first is None:
        return _keep(corpus, org)
    where = f"{first['source_file']}:{first['source_line_start']}"
    # A name with no letters or digits (slug "") cannot tell two organisations apart.
    if slug(org["name"] or "") and slug(first["name"] or "") and slug(org["name"]) != slug(first["name"]):
        new_id = f"{oid}-{slug(org['name'])}"
        corpus.findings.append(
            Finding(
                "duplicate-organization",
                f"identifier {oid!r} is already used by {first['name']!r} ({where}); "
                f"this profile of {org['name']!r} needs a distinct acronym",
                severity="warning",
                table="organizations",
                key={"organization_id": new_id},
                column="acronym",
                value=org["acronym"],
                source_file=org["source_file"],
                source_line=org["source_line_start"],
            )
        )
        if new_id not in corpus.kept:
            return _keep(corpus, {**org, "organization_id": new_id})
    diff = [c for c in _COMPARED if org.get(c) != first.get(c)]
    if diff:
        detail = "; ".join(f"{c}: {first.get(c)!r} vs {org.get(c)!r}" for c in diff)
        corpus.findings.append(
            Finding(
                "duplicate-organization",
                f"{oid!r} is profiled again with conflicting values (first at {where}): {detail}",
                table="organizations",
                key={"organization_id": oid},
                column=diff[0],
                value=str(org.get(diff[0])),
                source_file=org["source_file"],
                source_line=org["source_line_start"],
            )
        )
        reason = f"second profile of {oid!r} with conflicting values ({detail}); the first, at {where}, is kept"
    else:
        corpus.findings.append(
            Finding(
                "duplicate-organization-same",
                f"{oid!r} is profiled again with the same header (first at {where}); the repeat is left out",
                table="organizations",
                key={"organization_id": oid},
                source_file=org["source_file"],
                source_line=org["source_line_start"],
            )
        )
        reason = f"repeat of the profile at {where}"
    corpus.rows["quarantine"].append(
        {
            "source_file": org["source_file"],
            "source_line_start": org["source_line_start"],
            "source_line_end": org["source_line_end"],
            "name": org["name"] or org["acronym"],
            "rule": "duplicate-organization",
            "reason": reason,
            "excerpt": None,
        }
    )
    return None


def _keep(corpus: _Corpus, org: dict) -> str:
    corpus.kept[org["organization_id"]] = org
    corpus.rows["organizations"].append(org)
    return org["organization_id"]


def _assign_rows(corpus: _Corpus, fx: FileExtraction, owners: dict[int, str | None]) -> None:
    """A file's other rows go to the organisation whose line range holds their line (renamed or
    dropped with it)."""
    orgs = fx.rows.get("organizations", [])
    if all(owners[org["source_line_start"]] == org["organization_id"] for org in orgs):  # the usual case
        for table in _PER_ORG_TABLES:
            corpus.rows[table].extend(fx.rows.get(table, []))
        return
    starts = sorted(owners)
    for table in _PER_ORG_TABLES:
        for r in fx.rows.get(table, []):
            oid = r["organization_id"]
            line = r.get("source_line") or r.get("source_line_start") or 0
            idx = bisect.bisect_right(starts, line) - 1
            target = owners.get(starts[idx]) if idx >= 0 else oid
            if target is not None:
                corpus.rows[table].append(r if target == oid else {**r, "organization_id": target})


def _text_blocks(rows: dict[str, list[dict]]) -> Iterator[TextBlock]:
    for org in rows["organizations"]:
        if org["summary"] and org["summary_source_line"] is not None:
            yield org["organization_id"], org["summary"], org["summary_source_line"]
    for s in rows["sections"]:
        yield s["organization_id"], s["heading"], s["source_line_start"]
        if s["text"] and s["text_source_line"] is not None:
            yield s["organization_id"], s["text"], s["text_source_line"]
    for f in rows["footnotes"]:  # continuation lines are joined with spaces: scan each source line
        for line, part in f.get("_lines") or [(f["source_line"], f["text"])]:
            yield f["organization_id"], part, line


def typed_frame(schema: TableSchema, rows: list[dict]) -> pd.DataFrame:
    """Rows → the schema's frame, in primary-key order. The columns are built one by one in the
    rows' own order (the dicts are then read in the order they were made: at 1000× a pass over
    them in any other order misses the memory cache on every row), then put in key order by one
    stable Arrow sort of the key columns: strings by code point (as Python orders them), missing
    key values first. Several times faster than a frame from records sorted afterwards."""
    columns = {c: _column(_values(rows, c), dtype) for c, dtype in schema.dtypes().items()}
    del rows  # the caller hands its list over: the dicts are freed once they are read
    key = schema.primary_key
    if key and len(columns[key[0]]) > 1:
        keys = pa.table({c: pa.array(columns[c]) for c in key})
        order = pc.sort_indices(keys, sort_keys=[(c, "ascending", "at_start") for c in key]).to_numpy()
        for c in columns:  # one column at a time: each unsorted column is freed as its sorted copy replaces it
            columns[c] = columns[c].take(order)
    return schema.frame(pd.DataFrame(columns))


def _values(rows: list[dict], column: str) -> list:
    try:
        return list(map(itemgetter(column), rows))
    except KeyError:  # a row without this column (e.g. a whole-file quarantine row)
        return [r.get(column) for r in rows]


def _column(values: list, dtype: str) -> pd.api.extensions.ExtensionArray:
    """One typed column; strings and integers go through Arrow directly (half the time of pandas'
    own path for strings, a seventh for integers with missing values). A value Arrow does not take
    as it is goes the pandas way, which converts or rejects it as before."""
    if dtype == "string":
        return pd.array(pa.array(values, type=pa.large_string()), dtype="string")
    if dtype == "Int64":
        try:
            return pa.array(values, type=pa.int64()).to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get).array
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
            pass
    return pd.array(values, dtype=dtype)  # type: ignore[call-overload]  # pandas-stubs types dtypes as literals; ours come from schemas/

