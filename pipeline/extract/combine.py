"""Cross-file assembly: per-file rows → the corpus's typed tables.

Scope: put the files' rows together, settle organisations profiled in more than one file (same
values → one kept; conflicting values → error, the later copy quarantined), find where one
profile names another organisation of the dataset, add the issue-taxonomy table, and type and
order every table by its schema. It must not read files or parse profile text structure.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from pipeline.extract.header import slug
from pipeline.extract.matching import phrase_index
from pipeline.extract.model import Extraction, FileExtraction
from pipeline.findings import Finding
from pipeline.schemas import load_schemas
from pipeline.vocab import load_vocabulary

_COMPARED = ("name", "acronym", "alternate_acronyms", "established", "address", "website", "stakeholder_group")
_PER_ORG_TABLES = ("sections", "policy_issues", "social_media_accounts", "footnotes", "country_mentions")


def combine(files: Iterable[FileExtraction]) -> Extraction:
    files = sorted(files, key=lambda f: f.source.path)
    rows: dict[str, list[dict]] = {name: [] for name in load_schemas()}
    findings: list[Finding] = []
    kept: dict[str, dict] = {}
    for fx in files:
        findings.extend(fx.findings)
        rows["quarantine"].extend(fx.rows.get("quarantine", []))
        renamed: dict[str, str | None] = {}
        for org in fx.rows.get("organizations", []):
            oid = org["organization_id"]
            first = kept.get(oid)
            if first is None:
                kept[oid] = org
                rows["organizations"].append(org)
                renamed[org["source_line_start"]] = oid
                continue
            where = f"{first['source_file']}:{first['source_line_start']}"
            # A name with no letters or digits (slug "") cannot tell two organisations apart.
            if slug(org["name"] or "") and slug(first["name"] or "") and slug(org["name"]) != slug(first["name"]):
                new_id = f"{oid}-{slug(org['name'])}"
                findings.append(Finding("duplicate-organization", f"identifier {oid!r} is already used by {first['name']!r} ({where}); this profile of {org['name']!r} needs a distinct acronym", severity="warning", table="organizations", key={"organization_id": new_id}, column="acronym", value=org["acronym"], source_file=org["source_file"], source_line=org["source_line_start"]))
                if new_id not in kept:
                    org = {**org, "organization_id": new_id}
                    kept[new_id] = org
                    rows["organizations"].append(org)
                    renamed[org["source_line_start"]] = new_id
                    continue
            diff = [c for c in _COMPARED if org.get(c) != first.get(c)]
            if diff:
                detail = "; ".join(f"{c}: {first.get(c)!r} vs {org.get(c)!r}" for c in diff)
                findings.append(Finding("duplicate-organization", f"{oid!r} is profiled again with conflicting values (first at {where}): {detail}", table="organizations", key={"organization_id": oid}, column=diff[0], value=str(org.get(diff[0])), source_file=org["source_file"], source_line=org["source_line_start"]))
                reason = f"second profile of {oid!r} with conflicting values ({detail}); the first, at {where}, is kept"
            else:
                findings.append(Finding("duplicate-organization-same", f"{oid!r} is profiled again with the same header (first at {where}); the repeat is left out", table="organizations", key={"organization_id": oid}, source_file=org["source_file"], source_line=org["source_line_start"]))
                reason = f"repeat of the profile at {where}"
            rows["quarantine"].append({"source_file": org["source_file"], "source_line_start": org["source_line_start"], "source_line_end": org["source_line_end"], "name": org["name"] or org["acronym"], "rule": "duplicate-organization", "reason": reason, "excerpt": None})
            renamed[org["source_line_start"]] = None
        # Rows of a file belong to the organisation whose line range holds their line.
        starts = sorted(renamed)
        for table in _PER_ORG_TABLES:
            for r in fx.rows.get(table, []):
                oid = r["organization_id"]
                line = r.get("source_line") or r.get("source_line_start")
                idx = bisect.bisect_right(starts, line) - 1
                target = renamed.get(starts[idx]) if idx >= 0 else oid
                if target is not None:
                    rows[table].append(r if target == oid else {**r, "organization_id": target})
    rows["organization_mentions"] = organization_mentions(rows)
    vocab = load_vocabulary()
    rows["issue_taxonomy"] = [
        {"issue": i.issue, "basket": i.basket, "provenance": i.provenance, "basket_assigned": i.basket_assigned, "vocabulary_version": vocab.version}
        for i in vocab.issues.values()
    ]
    tables = {}
    for name, schema in load_schemas().items():
        frame = schema.frame(rows[name])
        key = schema.primary_key
        if key and len(frame):
            frame = frame.sort_values(key, kind="stable", na_position="first").reset_index(drop=True)
        tables[name] = frame
    return Extraction(tables, findings, [f.source for f in files])


def organization_mentions(rows: dict[str, list[dict]]) -> list[dict]:
    """Where a profile names another organisation of the dataset by its name or acronym."""
    by_phrase: dict[str, str] = {}
    for org in rows["organizations"]:
        for phrase in (org["name"], org["acronym"], *(org["alternate_acronyms"] or "").split(";")):
            if phrase and len(phrase) >= 2:
                by_phrase.setdefault(" ".join(phrase.split()), org["organization_id"])
    index = phrase_index(by_phrase)
    if index is None:
        return []
    # Every text block of every profile in one string (blocks joined by line breaks, which no
    # phrase spans), so the index scans once instead of once per block.
    blocks: list[tuple[str, str, int]] = []
    for org in rows["organizations"]:
        blocks.append((org["organization_id"], org["summary"], org["summary_source_line"]))
    for s in rows["sections"]:
        blocks.append((s["organization_id"], s["heading"], s["source_line_start"]))
        blocks.append((s["organization_id"], s["text"], s["text_source_line"]))
    for f in rows["footnotes"]:  # continuation lines are joined with spaces: scan each source line
        for line, part in f.get("_lines") or [(f["source_line"], f["text"])]:
            blocks.append((f["organization_id"], part, line))
    blocks = [b for b in blocks if b[1] and b[2] is not None]
    starts: list[int] = []
    pos = 0
    for _, text, _ in blocks:
        starts.append(pos)
        pos += len(text) + 1
    big = "\n".join(text for _, text, _ in blocks)
    out: dict[tuple, dict] = {}
    for start, end, key in index.finditer(big):
        i = bisect.bisect_right(starts, start) - 1
        oid, _, first_line = blocks[i]
        target = by_phrase[key]
        if target == oid:
            continue
        line = first_line + big.count("\n", starts[i], start)
        out.setdefault((oid, line, target), {"organization_id": oid, "mentioned_organization_id": target, "mention": big[start:end], "source_line": line})
    return list(out.values())
