"""Mutations of real profiles and the invariants extraction must keep on any of them.

Shared by the normal-suite fuzz tests (tests/test_reliability_fuzz.py, few examples) and the long
campaign (tests/fuzz/run_fuzz.py). A mutated file is built from one or two profiles of the sample
by deleting, duplicating and swapping lines, inserting random bytes or text, truncating, and
re-encoding (UTF-8 with/without BOM, CRLF, CR, UTF-16, cp1252). The invariants:

- extraction never raises;
- every non-blank line of the decoded input is accounted for: inside an organisation's line
  range, inside a quarantine row's range, or cited by a finding (file and line);
- primary keys are unique and present in every table; organisation ids are slugs;
- every finding names a file, and a known rule;
- provenance: each row's source line holds its heading, handle, footnote, mention, and each text
  column's line i is source line first + i.
"""

from __future__ import annotations

import codecs
import re
from functools import cache
from pathlib import Path

from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sources" / "geneva-digital-atlas-2022.txt"
_SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


@cache
def sample_profiles() -> tuple[str, ...]:
    """The sample's profiles as separate texts (split at each organisation's first line)."""
    from pipeline.extract import extract_paths

    lines = SAMPLE.read_text(encoding="utf-8").split("\n")
    orgs = extract_paths([SAMPLE]).tables["organizations"].sort_values("source_line_start")
    return tuple(
        "\n".join(lines[int(a) - 1 : int(b)]) + "\n" for a, b in zip(orgs["source_line_start"], orgs["source_line_end"], strict=True)
    )


# Lines of the format itself, to insert anywhere: header labels, headings, footnotes, accounts.
ATLAS_LINES = (
    "Acronym: UNXX",
    "Acronym: UNXX, UNYY",
    "Acronym:",
    "Established: 1995",
    "Established: 20006",
    "Established: unknown",
    "Address: Case postale 123, CH-1211 Genève 2",
    "Website: https://example.org",
    "Website: javascript:alert(1)",
    "Stakeholder group: Civil society",
    "Digital activities",
    "Digital policy issues",
    "Social media channels",
    "Social medial channels",
    "Digital standards (1)",
    "Data governance?",
    "For example:",
    "Twitter @handle",
    "Facebook @",
    "1 – Addressed as ‘Local term’.",
    "2-WT/MIN(22)/32",
    "  • A bullet",
    "Korea, Republic of; Hong Kong, China",
    "(1)",
    "–",
    "@",
    ":",
)

ENCODINGS = ("utf-8", "utf-8-sig", "utf-8-crlf", "utf-8-sig-crlf", "utf-8-cr", "utf-16", "utf-16-le-bom", "utf-16-be-bom", "cp1252")


def encode(text: str, how: str) -> bytes:
    if how.endswith("-crlf"):
        text, how = text.replace("\n", "\r\n"), how.removesuffix("-crlf")
    elif how.endswith("-cr"):
        text, how = text.replace("\n", "\r"), how.removesuffix("-cr")
    if how == "utf-16-le-bom":
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le", "surrogatepass")
    if how == "utf-16-be-bom":
        return codecs.BOM_UTF16_BE + text.encode("utf-16-be", "surrogatepass")
    return text.encode(how, "replace" if how == "cp1252" else "surrogatepass")


@st.composite
def mutated_file(draw, max_mutations: int = 6, large: bool = False) -> bytes:
    """Bytes of a source file: a mutated text (below), re-encoded."""
    return encode(draw(mutated_text(max_mutations, large)), draw(st.sampled_from(ENCODINGS)))


@st.composite
def mutated_text(draw, max_mutations: int = 6, large: bool = False) -> str:
    """Text of a source file: 1–2 sample profiles (only the small ones unless ``large``), mutated."""
    profiles = sample_profiles()
    pool = list(profiles) if large else [p for p in profiles if len(p) < 40_000] or list(profiles)
    chosen = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=2))
    lines = "".join(chosen).split("\n")
    for _ in range(draw(st.integers(0, max_mutations))):
        if not lines:
            lines = [""]
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(
            st.sampled_from(["delete", "duplicate", "swap", "bytes", "text", "truncate_line", "blank", "join", "atlas_line", "atlas_line"])
        )
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "bytes":
            junk = draw(st.binary(min_size=1, max_size=12)).decode("latin-1")
            pos = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:pos] + junk + lines[i][pos:]
        elif op == "text":
            lines.insert(i, draw(st.text(max_size=60)))
        elif op == "truncate_line":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
        elif op == "blank":
            lines.insert(i, "")
        elif op == "atlas_line":
            lines.insert(i, draw(st.sampled_from(ATLAS_LINES)))
        elif op == "join" and i + 1 < len(lines):
            lines[i : i + 2] = [lines[i] + " " + lines[i + 1]]
    text = "\n".join(lines)
    if draw(st.booleans()):  # cut the file anywhere
        text = text[: draw(st.integers(0, len(text)))]
    return text


def same_extraction(a, b) -> list[str]:
    """Differences between two extractions' tables and findings (empty list = identical)."""
    problems = [f"table {name} differs" for name in a.tables if not a.tables[name].equals(b.tables[name])]
    fa, fb = [f.to_dict() for f in a.findings], [f.to_dict() for f in b.findings]
    if fa != fb:
        extra = [f["rule"] for f in fb if f not in fa][:3] + [f["rule"] for f in fa if f not in fb][:3]
        problems.append(f"findings differ: {extra}")
    return problems


def _provenance(rows: dict[str, list[dict]], lines: list[str]) -> list[str]:
    """Every row's source line holds what the row says it holds."""
    problems: list[str] = []

    def line(n: int | None) -> str:
        return lines[n - 1].strip() if n and 0 < n <= len(lines) else "<no such line>"

    def block(text: str | None, first: int | None, what: str) -> None:
        if text is None:
            return
        for i, part in enumerate(text.split("\n")):
            if part != line((first or 0) + i):
                problems.append(f"{what}: text line {i} {part[:40]!r} is not source line {(first or 0) + i}")
                return

    for r in rows["organizations"]:
        block(r["summary"], r["summary_source_line"], f"summary of {r['organization_id']}")
        if r["name"] is not None and line(r["source_line_start"]) != r["name"]:
            problems.append(f"{r['organization_id']}: name {r['name']!r} is not line {r['source_line_start']}")
    for r in rows["sections"]:
        if line(r["source_line_start"]) != r["heading"]:
            problems.append(f"section {r['section_id']}: heading {r['heading']!r} is not line {r['source_line_start']}")
        block(r["text"], r["text_source_line"], f"section {r['section_id']}")
    for r in rows["policy_issues"]:
        if line(r["source_line"]) != r["heading"]:
            problems.append(f"issue {r['issue']}: heading {r['heading']!r} is not line {r['source_line']}")
    for r in rows["social_media_accounts"]:
        if r["handle"] not in line(r["source_line"]) or not line(r["source_line"]).startswith(r["platform"]):
            problems.append(f"account {r['platform']} {r['handle']!r} is not on line {r['source_line']}")
    for r in rows["footnotes"]:
        if not line(r["source_line"]).startswith(str(r["number"])):
            problems.append(f"footnote {r['number']} is not on line {r['source_line']}")
    for r in rows["country_mentions"]:
        if r["mention"] not in lines[r["source_line"] - 1]:
            problems.append(f"country mention {r['mention']!r} is not on line {r['source_line']}")
    for r in rows["organization_mentions"]:
        if r["mention"] not in lines[r["source_line"] - 1]:
            problems.append(f"organisation mention {r['mention']!r} is not on line {r['source_line']}")
    return problems[:3]


def decoded_lines(data: bytes, rel: str) -> list[str] | None:
    """The input's lines as the extractor numbers them (None when the file cannot be decoded)."""
    from pipeline.extract.reader import decode, normalise

    text, _, _ = decode(data, rel)
    if text is None:
        return None
    lines = normalise(text).split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def extract_bytes(data: bytes, rel: str = "mutated.txt"):
    """Extract one file holding ``data`` (through the public API, like the CLI)."""
    import tempfile

    from pipeline.extract import extract_paths

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / rel).write_bytes(data)
        return extract_paths([Path(tmp)])


def check_extraction(data: bytes, rel: str, extraction) -> list[str]:
    """Problems with the extraction of one file holding ``data`` (empty list = invariants hold)."""
    import pandas as pd

    from pipeline.findings import RULES
    from pipeline.schemas import load_schemas

    problems: list[str] = []
    rows = {
        name: [{k: (None if pd.api.types.is_scalar(v) and pd.isna(v) else v) for k, v in r.items()} for r in frame.to_dict("records")]
        for name, frame in extraction.tables.items()
    }
    findings = extraction.findings
    for f in findings:
        if f.rule not in RULES:
            problems.append(f"unknown rule {f.rule!r}")
        if not f.source_file:
            problems.append(f"finding without a file: {f.rule}")
    ranges = [(r["source_line_start"], r["source_line_end"]) for r in rows["organizations"] if r["source_file"] == rel]
    ranges += [(r["source_line_start"], r["source_line_end"]) for r in rows["quarantine"] if r["source_file"] == rel]
    cited = {f.source_line for f in findings if f.source_file == rel and f.source_line}
    lines = decoded_lines(data, rel)
    if lines is None:
        if not any(r["source_file"] == rel for r in rows["quarantine"]):
            problems.append("undecodable file has no quarantine row")
        if not any(f.severity == "error" and f.source_file == rel for f in findings):
            problems.append("undecodable file has no error finding")
    else:
        for n, line in enumerate(lines, 1):
            if line.strip() and n not in cited and not any(a <= n <= b for a, b in ranges):
                problems.append(f"line {n} ({line[:50]!r}) is in no record, quarantine row or finding")
                break
    if lines is not None:
        problems += _provenance(rows, lines)
    for r in rows["organizations"]:
        if not r["organization_id"] or not _SLUG.fullmatch(r["organization_id"]):
            problems.append(f"organization_id {r['organization_id']!r} is not a slug")
    for name, table in load_schemas().items():
        key = table.primary_key
        if not key:
            continue
        keys = [tuple(r.get(k) for k in key) for r in rows[name]]
        if any(v is None for k in keys for v in k):
            problems.append(f"{name}: empty primary-key value")
        if len(keys) != len(set(keys)):
            dup = next(k for k in keys if keys.count(k) > 1)
            problems.append(f"{name}: duplicate primary key {dup}")
    known = {r["organization_id"] for r in rows["organizations"]}
    for name in ("sections", "policy_issues", "social_media_accounts", "footnotes", "country_mentions", "organization_mentions"):
        for r in rows[name]:
            if r["organization_id"] not in known:
                problems.append(f"{name}: row for unknown organisation {r['organization_id']!r}")
                break
    return problems
