"""Cross-file assembly: per-file tables → the corpus's typed tables.

Scope: put the files' tables together as Arrow columns (a file's rows as dicts only where the
cross-file logic needs them: its organisations, and all its rows when one of its profiles is
renamed or left out), settle organisations profiled in more than one file (same values → one
kept; conflicting values → error, the later copy quarantined), find where one profile names
another organisation of the dataset (per file: through a caller's cache of each file's mentions,
keyed by the file, the names of the corpus and the file's settled ids, when one is given), add the
issue-taxonomy table, and type and order every table by its schema. It must not read files or
parse profile text structure.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from typing import Protocol

import pyarrow as pa

from pipeline.cache import entry_key
from pipeline.extract.columnar import arrow_table, concat, typed_frame
from pipeline.extract.header import slug
from pipeline.extract.mentions import Matcher, TextBlock, matcher, names, scan
from pipeline.extract.model import Extraction, FileExtraction, FileTables
from pipeline.findings import Finding
from pipeline.schemas import load_schemas
from pipeline.vocab import load_vocabulary

__all__ = ["ROW_TABLES", "MentionStore", "combine", "file_tables", "typed_frame"]

_COMPARED = ("name", "acronym", "alternate_acronyms", "established", "established_text", "address", "website", "stakeholder_group")
_PER_ORG_TABLES = ("sections", "policy_issues", "social_media_accounts", "footnotes")
ROW_TABLES = ("organizations", *_PER_ORG_TABLES, "quarantine")  # the tables one file yields
MENTION_TABLES = ("country_mentions", "organization_mentions")


class MentionStore(Protocol):
    """Where each file's mentions are kept between runs (by a key naming everything they depend on)."""

    def get(self, key: str, source_file: str) -> dict[str, pa.Table] | None: ...

    def put(self, key: str, tables: dict[str, pa.Table]) -> None: ...


class _Corpus:
    """The organisations kept so far (by id), each file's settled tables and the findings gathered."""

    def __init__(self) -> None:
        self.schemas = load_schemas()
        self.files: list[tuple[FileTables, str]] = []  # (the file's settled tables, its owners' digest)
        self.quarantine: list[pa.Table] = []
        self.findings: list[Finding] = []
        self.kept: dict[str, dict] = {}
        self.repeats: list[dict] = []  # quarantine rows of the current file's repeated profiles


def file_tables(fx: FileExtraction | FileTables) -> FileTables:
    """A file's extraction in columns (:mod:`pipeline.extract.columnar`): every table of
    :data:`ROW_TABLES`, empty where the file has no rows of it."""
    if isinstance(fx, FileTables):
        return fx
    unknown = set(fx.rows) - set(ROW_TABLES)
    if unknown:
        raise ValueError(f"{fx.source.path}: rows of tables a file does not yield: {sorted(unknown)}")
    schemas = load_schemas()
    return FileTables(fx.source, {name: arrow_table(schemas[name], fx.rows.get(name, [])) for name in ROW_TABLES}, fx.findings)


def combine(files: Iterable[FileExtraction | FileTables], *, mentions_cache: MentionStore | None = None) -> Extraction:
    """The corpus's tables from each file's extraction (rows or columns). ``files``: a list in any
    order, or an iterator yielding them in source-path order (``discover``'s order), consumed one
    file at a time: only its columns are kept. ``mentions_cache``: where each file's mentions are
    looked up first and stored when they had to be found."""
    corpus = _Corpus()
    sources = []
    for fx in _in_order(files):
        ft = file_tables(fx)
        sources.append(ft.source)
        corpus.findings.extend(ft.findings)
        corpus.quarantine.append(ft.tables["quarantine"])
        orgs = ft.tables["organizations"].to_pylist()
        owners = {org["source_line_start"]: _settle(corpus, org) for org in orgs}
        if corpus.repeats:
            corpus.quarantine.append(arrow_table(corpus.schemas["quarantine"], corpus.repeats))
            corpus.repeats = []
        corpus.files.append((_assign_rows(corpus, ft, orgs, owners), entry_key(*sorted(owners.items(), key=str))))
    parts = {name: [f.tables[name] for f, _ in corpus.files] for name in _PER_ORG_TABLES + ("organizations",)}
    parts["quarantine"] = corpus.quarantine
    found = _mentions(corpus, mentions_cache)
    parts.update({name: [m[name] for m in found] for name in MENTION_TABLES})
    corpus.files.clear()
    vocab = load_vocabulary()
    taxonomy = [
        {
            "issue": i.issue,
            "basket": i.basket,
            "provenance": i.provenance,
            "basket_assigned": i.basket_assigned,
            "vocabulary_version": vocab.version,
        }
        for i in vocab.issues.values()
    ]
    parts["issue_taxonomy"] = [arrow_table(corpus.schemas["issue_taxonomy"], taxonomy)]
    tables = {}
    for name, schema in corpus.schemas.items():
        tables[name] = typed_frame(schema, concat(schema, parts.pop(name, [])))  # each table's parts freed once framed
    return Extraction(tables, corpus.findings, sources)


def _in_order(files: Iterable[FileExtraction | FileTables]) -> Iterator[FileExtraction | FileTables]:
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
    corpus.repeats.append(
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
    return org["organization_id"]


def _assign_rows(corpus: _Corpus, ft: FileTables, orgs: list[dict], owners: dict[int, str | None]) -> FileTables:
    """The file's tables as published: its organisations kept (renamed where they were), and its
    other rows under the organisation whose line range holds their line (renamed or dropped with
    it). The usual case, every profile kept under its own id, keeps the columns as they are."""
    if all(owners[org["source_line_start"]] == org["organization_id"] for org in orgs):
        return ft
    schemas = corpus.schemas
    kept = [corpus.kept[oid] for oid in owners.values() if oid is not None]
    tables = {"organizations": arrow_table(schemas["organizations"], kept), "quarantine": ft.tables["quarantine"]}
    starts = sorted(owners)
    for table in _PER_ORG_TABLES:
        rows = []
        for r in ft.tables[table].to_pylist():
            oid = r["organization_id"]
            line = r.get("source_line") or r.get("source_line_start") or 0
            idx = bisect.bisect_right(starts, line) - 1
            target = owners.get(starts[idx]) if idx >= 0 else oid
            if target is not None:
                rows.append(r if target == oid else {**r, "organization_id": target})
        tables[table] = arrow_table(schemas[table], rows)
    return FileTables(ft.source, tables, ft.findings, ft.key)


def _mentions(corpus: _Corpus, cache: MentionStore | None) -> list[dict[str, pa.Table]]:
    """Each file's mentions: from ``cache`` when it holds them for the same file, names and settled
    ids; else found with one automaton over the corpus's names (built at the first file that needs it)."""
    phrases = names(corpus.kept.values())
    names_digest = entry_key(*(f"{p}\t{oid}" for p, oid in phrases.items()))
    built: list[Matcher] = []
    found = []
    for ft, owners_digest in corpus.files:
        key = entry_key("mentions", ft.key, names_digest, owners_digest) if ft.key and cache is not None else None
        tables = cache.get(key, ft.source.path) if key and cache is not None else None
        if tables is None:
            if not built:
                built.append(matcher(phrases))
            countries, named = scan(built[0], _text_blocks(ft))
            tables = {n: arrow_table(corpus.schemas[n], rows) for n, rows in zip(MENTION_TABLES, (countries, named), strict=True)}
            if key and cache is not None:
                cache.put(key, tables)
        found.append(tables)
    return found


def _text_blocks(ft: FileTables) -> Iterator[TextBlock]:
    """The blocks a file's mentions are found in; summaries and section texts (most of the bytes)
    as their UTF-8 bytes straight from the table (the scan reads bytes: no decoding, no encoding)."""
    orgs = ft.tables["organizations"]
    ids, lines = orgs.column("organization_id").to_pylist(), orgs.column("summary_source_line").to_pylist()
    for oid, summary, line in zip(ids, _utf8(orgs.column("summary")), lines, strict=True):
        if summary and line is not None:
            yield oid, summary, line
    sections = ft.tables["sections"]
    cols = [*sections.select(["organization_id", "heading", "source_line_start"]).to_pydict().values(), _utf8(sections.column("text"))]
    for oid, heading, start, text, text_line in zip(*cols, sections.column("text_source_line").to_pylist(), strict=True):
        yield oid, heading, start
        if text and text_line is not None:
            yield oid, text, text_line
    notes = ft.tables["footnotes"].select(["organization_id", "text", "source_line", "_lines"]).to_pydict()
    for oid, text, line, parts in zip(*notes.values(), strict=True):  # continuation lines are joined with spaces: scan each source line
        for part in parts or [{"line": line, "text": text}]:
            yield oid, part["text"], part["line"]


def _utf8(column: pa.ChunkedArray) -> list[bytes | None]:
    """A string column's values as their UTF-8 bytes (no decoding)."""
    return column.cast(pa.large_binary()).to_pylist()
