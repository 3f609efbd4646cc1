"""The validation report editors act on: ``report.json`` (stable, documented), ``report.md``,
``report.html``.

Scope: turn a list of findings into the report dict (format in ``REPORT_FORMAT.md`` beside this
file), write it as JSON, Markdown and one self-contained HTML page (inline CSS, no external
resource, every value escaped so markup in profile text shows as text: by Jinja2's autoescape, and
by ``markupsafe`` in the findings' items, which ``findings_list`` renders one at a time), read
it back, and summarise it for the console. Excerpts are centred on the flagged value (from the
source line itself when the run's sources are still there, unchanged) and the value's position is
recorded so pages highlight it; ``report.html`` filters by severity, rule, file and organisation,
searches the text and pages through the findings with one small inline script (allowed by the page's
own Content-Security-Policy hash), the same script and markup the site's review page uses. The
report is deterministic: the same findings and context give the same bytes (no timestamp unless the
caller puts one in ``context``). :func:`write_report` writes the findings one segment at a time (a
source file's findings in one severity block), each segment's pieces rendered or, with a cache,
taken from it (``pipeline.validate.report_pieces``), stitched into the bytes of a whole render.
It must not run any check.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

import jinja2
from jinja2.environment import TemplateStream
from markupsafe import Markup

from pipeline.artifacts import Report, ReportFinding, ReportSummary, RuleCount, SeverityCounts
from pipeline.findings import RULES, SEVERITIES, STATUSES, Finding
from pipeline.fsutil import atomic_file, atomic_write_text, is_plain, json_chunks
from pipeline.markdown import md_text, md_texts
from pipeline.validate.excerpts import SourceLines, recentre
from pipeline.validate.findings_list import Facets, FindingsList, facets, render_items
from pipeline.validate.report_pieces import CORRECTION_MARK, Pieces, Segment, pieces_digest, segment_key, segments
from pipeline.validate.report_pieces import load as load_pieces
from pipeline.validate.report_pieces import prune as prune_pieces
from pipeline.validate.report_pieces import store as store_pieces

FORMAT_VERSION = "1.2"
NO_TABLE = "(none)"
FINDING_FIELDS = (
    "rule", "severity", "message", "table", "key", "column", "value", "source_file", "source_line", "excerpt", "hint", "excerpt_span",
    "status", "resolution",
)
TEMPLATES = Path(__file__).parent / "templates"
FILTER_SCRIPT = TEMPLATES / "findings.js"
FILTER_STYLE = TEMPLATES / "findings.css"
COPY_BUFFER = 1 << 20  # bytes copied at a time from the stitched items into the page
STREAM_BUFFER = 64  # template pieces joined per write when a page is streamed to its file


def _order(f: dict) -> tuple:
    return _order_head(f) + _order_tail(f)


def _order_head(f: dict) -> tuple:
    """The first, cheap part of :func:`_order` (the rest is needed only to break its ties)."""
    return (
        SEVERITIES.index(f["severity"]) if f["severity"] in SEVERITIES else len(SEVERITIES),
        f.get("status") != "open",  # within a severity, what still needs acting on first
        f.get("source_file") or "",
        f.get("source_line") or 0,
        f["rule"],
        f.get("table") or "",
        f.get("column") or "",
    )


def _order_tail(f: dict) -> tuple:
    return (
        json.dumps(f.get("key"), sort_keys=True, ensure_ascii=False, default=str),
        str(f.get("value") or ""),
        f.get("message") or "",
    )


def sorted_entries(entries: list[dict]) -> list[dict]:
    """``sorted(entries, key=_order)``, computing the costly tail of the key (the key's JSON) only
    where the head ties: sorting by the head, then each run of equal heads by the tail, is the same
    stable sort by the whole key."""
    heads = [_order_head(e) for e in entries]
    order = sorted(range(len(entries)), key=heads.__getitem__)
    out = [entries[i] for i in order]
    start = 0
    for end in range(1, len(order) + 1):
        if end == len(order) or heads[order[end]] != heads[order[start]]:
            if end - start > 1:
                out[start:end] = sorted(out[start:end], key=_order_tail)
            start = end
    return out


def finding_dict(f: Finding | dict) -> dict:
    """A finding as a report entry: exactly :data:`FINDING_FIELDS`, JSON-friendly values."""
    d = f.to_dict() if isinstance(f, Finding) else dict(f)
    out: dict[str, Any] = {k: d.get(k) for k in FINDING_FIELDS}
    if out["key"] is not None:
        out["key"] = {str(k): (v if isinstance(v, (str, int, float, bool)) or v is None else str(v)) for k, v in out["key"].items()}
    if out["source_line"] is not None:
        out["source_line"] = int(out["source_line"])
    if out["excerpt_span"] is not None:
        out["excerpt_span"] = [int(x) for x in out["excerpt_span"]]
    for k in ("value", "excerpt", "message"):
        if out[k] is not None:
            out[k] = str(out[k])
    out["status"] = str(out["status"] or "open")
    if out["resolution"] is not None:
        out["resolution"] = {str(k): (v if isinstance(v, (str, int)) or v is None else str(v)) for k, v in out["resolution"].items()}
    return out


_KEY_TYPES = frozenset({str, int, bool})
_RESOLUTION_TYPES = frozenset({str, int})


def _plain_values(mapping: object, types: frozenset[type]) -> bool:
    return type(mapping) is dict and all(type(v) in types or v is None for v in mapping.values())


def _optional_str(value: object) -> bool:
    return value is None or type(value) is str


def model_free(entry: dict) -> bool:
    """True when ``ReportFinding(**entry).to_dict() == entry``, value for value and type for type,
    and the entry holds only JSON's plain types (no float): exact ``str``/``int``/``bool``/``None``
    where the model declares them. The report then skips the model for the entry (tens of thousands
    of models cost a second at 1000×); any other entry goes through it."""
    key, span, resolution, line = entry["key"], entry["excerpt_span"], entry["resolution"], entry["source_line"]
    return (
        type(entry["rule"]) is str
        and type(entry["severity"]) is str
        and type(entry["message"]) is str
        and type(entry["status"]) is str
        and all(_optional_str(entry[k]) for k in ("table", "column", "value", "source_file", "excerpt", "hint"))
        and (line is None or type(line) is int)
        and (key is None or _plain_values(key, _KEY_TYPES))
        and (span is None or (type(span) is list and all(type(x) is int for x in span)))
        and (resolution is None or _plain_values(resolution, _RESOLUTION_TYPES))
    )


def report_entry(entry: dict) -> tuple[dict, bool]:
    """The entry as ``report.json`` holds it (what ``ReportFinding`` validates and dumps) and
    whether it is known to hold plain JSON types only (see :func:`model_free`)."""
    if model_free(entry):
        return entry, True
    return ReportFinding(**entry).to_dict(), False


def sources_of(context: dict | None) -> SourceLines | None:
    """The run's source lines, from ``sources_dir`` and the ``sources`` records (path, sha256) of
    the report context, when both are there."""
    context = context or {}
    folder, records = context.get("sources_dir"), context.get("sources")
    if not isinstance(folder, str) or not isinstance(records, list):
        return None
    sums = {str(r["path"]): str(r["sha256"]) for r in records if isinstance(r, dict) and "path" in r and "sha256" in r}
    return SourceLines([Path(folder)], sums) if sums else None


def _centre(entry: dict, sources: SourceLines | None) -> dict:
    line = sources.line(entry["source_file"], entry["source_line"]) if sources and entry.get("source_file") else None
    entry["excerpt"], entry["excerpt_span"] = recentre(entry["excerpt"], entry["value"], line)
    return entry


def centre_all(entries: list[dict], sources: SourceLines | None, *, contexts: bool = False) -> list[list] | None:
    """:func:`_centre` every entry, visiting them by source file (each file is read once, however
    the report orders them); with ``contexts``, also each entry's ``sources.context`` lines (what
    the findings list shows), read in the same visit."""
    if sources is None:
        for entry in entries:
            _centre(entry, None)
        return [[] for _ in entries] if contexts else None
    found: list[list] = [[]] * len(entries)
    order = sorted(range(len(entries)), key=lambda i: entries[i]["source_file"] or "")
    for file, group in groupby(order, key=lambda i: entries[i]["source_file"]):
        indices = list(group)
        numbers = [entries[i]["source_line"] for i in indices]
        windows = sources.windows(file, numbers) if file else [[] for _ in indices]
        for i, number, window in zip(indices, numbers, windows, strict=True):
            entry = entries[i]
            # the flagged line is in its context window (``sources.line`` when there is none: same answer)
            line = _here(window, number) if window and number >= 1 else sources.line(file, number) if file else None
            entry["excerpt"], entry["excerpt_span"] = recentre(entry["excerpt"], entry["value"], line)
            found[i] = window
    return found if contexts else None


def _here(window: list[tuple[int, str, bool]], number: int) -> str:
    return window[number - window[0][0]][1]


def build_report(findings: Iterable[Finding | dict], *, context: dict | None = None) -> Report:
    """The report (see ``REPORT_FORMAT.md``)."""
    return _build_report(findings, context, sources_of(context))


def _entries(
    findings: Iterable[Finding | dict], sources: SourceLines | None, *, contexts: bool = False
) -> tuple[list[dict], list[list] | None]:
    entries = sorted_entries([finding_dict(f) for f in findings])
    return entries, centre_all(entries, sources, contexts=contexts)


def _header(entries: list[dict], context: dict | None) -> tuple[ReportSummary, dict[str, Any]]:
    """The summary of the entries and the ``generated`` part of the report."""
    by_severity = Counter(map(itemgetter("severity"), entries))
    by_rule = Counter(map(itemgetter("rule"), entries))
    by_table = Counter(map(itemgetter("table"), entries))
    by_table[NO_TABLE] += by_table.pop(None, 0) + by_table.pop("", 0)
    if not by_table[NO_TABLE]:
        del by_table[NO_TABLE]
    by_status = Counter(map(itemgetter("status"), entries))
    rules = {}
    for name in sorted(by_rule):
        rule = RULES.get(name)
        rules[name] = RuleCount(
            count=by_rule[name],
            severity=rule.severity if rule else None,
            title=rule.title if rule else name,
            hint=rule.hint if rule else None,
        )
    summary = ReportSummary(
        publishable=by_severity.get("error", 0) == 0,
        total=len(entries),
        by_severity=SeverityCounts.of(by_severity),
        by_rule=rules,
        by_table={t: by_table[t] for t in sorted(by_table)},
        by_status={s: by_status.get(s, 0) for s in STATUSES},
    )
    generated = json.loads(json.dumps(dict(context or {}), ensure_ascii=False, default=str))
    return summary, generated


def _build_report(findings: Iterable[Finding | dict], context: dict | None, sources: SourceLines | None) -> Report:
    entries, _ = _entries(findings, sources)
    summary, generated = _header(entries, context)
    return Report(format_version=FORMAT_VERSION, generated=generated, summary=summary, findings=[ReportFinding(**e) for e in entries])


def report_dict(
    findings: Iterable[Finding | dict], context: dict | None, sources: SourceLines | None, *, contexts: bool = False
) -> tuple[dict[str, Any], bool, list[list] | None]:
    """``_build_report(...).to_dict()`` without a model per finding: the report's header goes
    through the ``Report`` model, each entry through :func:`report_entry`. Also whether the whole
    document holds plain JSON types only (for :func:`~pipeline.fsutil.json_chunks`), and the
    entries' context lines when asked."""
    entries, found = _entries(findings, sources, contexts=contexts)
    summary, generated = _header(entries, context)
    report = Report(format_version=FORMAT_VERSION, generated=generated, summary=summary, findings=[]).to_dict()
    plain = is_plain(report)
    checked = [report_entry(e) for e in entries]
    report["findings"] = [e for e, _ in checked]  # the last field: the model's order is kept
    plain = plain and all(known for _, known in checked)
    return report, plain, found


# -- Markdown ---------------------------------------------------------------------------------------


def _location(f: dict) -> str:
    if not f.get("source_file"):
        return ""
    return f"{f['source_file']}:{f['source_line']}" if f.get("source_line") else f["source_file"]


def _grouped(report: dict[str, Any]) -> list[tuple[str, list[tuple[str, list[dict]]]]]:
    """[(severity, [(rule, findings)])] in severity order, rules by name."""
    groups: list[tuple[str, list[tuple[str, list[dict]]]]] = []
    for sev in SEVERITIES:
        of_sev = [f for f in report["findings"] if f["severity"] == sev]
        rules = sorted({f["rule"] for f in of_sev})
        if rules:
            groups.append((sev, [(r, [f for f in of_sev if f["rule"] == r]) for r in rules]))
    return groups


def _corrected_note(summary: dict) -> str:
    corrected = (summary.get("by_status") or {}).get("corrected", 0)
    return f", {corrected} corrected by the editors" if corrected else ""


def _resolution_text(f: dict) -> str:
    r = f.get("resolution") or {}
    if f.get("status") != "corrected":
        return ""
    what = f"{r.get('old_value') or '(empty)'} → {r.get('new_value') or '(empty)'}"
    by = ", ".join(md_text(r.get(k) or "") for k in ("correction", "editor", "date"))
    return f" **Corrected** ({by}): {md_text(what)}"


def _finding_lines(items: list[dict]) -> list[str]:
    """The Markdown list of findings of one rule (their texts escaped in one pass, see ``md_texts``)."""
    escaped = md_texts(text for f in items for text in (_location(f), f["message"], f.get("excerpt") or ""))
    lines = []
    for i, f in enumerate(items):
        loc, message, excerpt = escaped[3 * i : 3 * i + 3]
        lines.append(f"- {loc + ': ' if _location(f) else ''}{message}" + _resolution_text(f))
        if f.get("excerpt"):
            lines.append(f"  > {excerpt}")
    return lines


def to_markdown(model: Report) -> str:
    return markdown_of(model.to_dict())


def markdown_of(report: dict[str, Any]) -> str:
    """``report.md`` of a report as a dict (``Report.to_dict()``)."""
    groups = [(sev, [(rule, len(items), _finding_lines(items)) for rule, items in rules]) for sev, rules in _grouped(report)]
    return _markdown(report, groups, bool(report["findings"]))


MarkdownGroups = list[tuple[str, list[tuple[str, int, list[str]]]]]  # [(severity, [(rule, count, lines)])]


def _markdown(report: dict[str, Any], groups: MarkdownGroups, any_findings: bool) -> str:
    """``report.md`` of the report's header and its findings' lines, grouped by severity and rule."""
    s = report["summary"]
    sev = s["by_severity"]
    lines = [
        "# Validation report",
        "",
        f"**{'Publishable' if s['publishable'] else 'Not publishable'}**: "
        f"{sev['error']} errors, {sev['warning']} warnings, {sev['info']} info "
        f"({s['total']} findings{_corrected_note(s)}). Errors block publication; warnings need an editor's acceptance; info is shown.",
        "",
    ]
    if s["by_rule"]:
        lines += ["## Summary by rule", "", "| Rule | Severity | Count | What it means |", "| --- | --- | ---: | --- |"]
        for name, r in s["by_rule"].items():
            lines.append(f"| {md_text(name)} | {md_text(r['severity'])} | {r['count']} | {md_text(r['title'])} |")
        lines += ["", "## Summary by table", "", "| Table | Findings |", "| --- | ---: |"]
        lines += [f"| {md_text(t)} | {n} |" for t, n in s["by_table"].items()]
        lines.append("")
    for sev_name, rules in groups:
        lines += [f"## {sev_name.capitalize()}s" if sev_name != "info" else "## Info", ""]
        for rule, count, item_lines in rules:
            meta = s["by_rule"].get(rule, {})
            lines += [f"### {md_text(meta.get('title') or rule)} (`{rule}`, {count})", ""]
            if meta.get("hint"):
                lines += [f"How to fix: {md_text(meta['hint'])}", ""]
            lines += item_lines
            lines.append("")
    if not any_findings:
        lines += ["No findings.", ""]
    if report.get("generated"):
        lines += ["## Generated from", ""]
        lines += [
            f"- {md_text(k)}: {md_text(json.dumps(v, ensure_ascii=False, sort_keys=True, default=str))}"
            for k, v in sorted(report["generated"].items())
        ]
        lines.append("")
    return "\n".join(lines)


# -- HTML ---------------------------------------------------------------------------------------------


@cache
def _env() -> jinja2.Environment:
    return environment(jinja2.FileSystemLoader(TEMPLATES))


def environment(loader: jinja2.BaseLoader) -> jinja2.Environment:
    """A Jinja2 environment with the report's filters (the site adds its own templates' folder)."""
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,  # every value is escaped: profile text with markup shows as text
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["location"] = _location
    env.filters["keytext"] = lambda key: ", ".join(f"{k}={v}" for k, v in key.items()) if key else ""
    return env


@cache
def filter_script() -> tuple[str, str]:
    """The findings filter (``templates/findings.js``) and its CSP hash (``'sha256-…'``)."""
    text = FILTER_SCRIPT.read_text(encoding="utf-8")
    return text, "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def to_html(model: Report, sources: SourceLines | None = None) -> str:
    return "".join(html_stream(model, sources))


def html_stream(
    model: Report | dict[str, Any],
    sources: SourceLines | None = None,
    *,
    report_sha256: str | None = None,
    contexts: list[list] | None = None,
) -> TemplateStream:
    """``report.html`` as Jinja renders it, piece by piece: written straight to the file, the page
    of a large corpus (tens of thousands of findings, ~100 MB) is never one string in memory.
    ``model``: the report, or its dict (``Report.to_dict()``); ``report_sha256``: of its
    ``report.json``, which marks the findings' items (the site's review page copies them);
    ``contexts``: the findings' source lines when already read (see :func:`report_dict`)."""
    report = model.to_dict() if isinstance(model, Report) else model
    created = str(report.get("generated", {}).get("created") or "") or None
    findings = FindingsList(report["findings"], sources, created=created, report_sha256=report_sha256, contexts=contexts)
    return _page_stream(report, findings)


def _page_stream(report: dict[str, Any], findings: FindingsList) -> TemplateStream:
    script, script_hash = filter_script()
    stream = (
        _env()
        .get_template("report.html.j2")
        .stream(
            report=report,
            summary=report["summary"],
            findings=findings,
            severities=SEVERITIES,
            script=Markup(script),  # noqa: S704 - our own file, hashed into the page's CSP
            script_hash=script_hash,
            css=Markup(FILTER_STYLE.read_text(encoding="utf-8")),  # noqa: S704 - our own style sheet
            generated=[
                (k, json.dumps(v, ensure_ascii=False, sort_keys=True, default=str)) for k, v in sorted(report.get("generated", {}).items())
            ],
        )
    )
    stream.enable_buffering(STREAM_BUFFER)
    return stream


# -- files --------------------------------------------------------------------------------------------


def write_report(
    findings: Iterable[Finding | dict], out_dir: Path, *, context: dict | None = None, cache_url: str | None = None, code_version: str = ""
) -> dict[str, Path]:
    """Write ``report.json``, ``report.md`` and ``report.html`` into ``out_dir``; return their paths.

    The findings are written segment by segment (one source file's findings in one severity block,
    :mod:`pipeline.validate.report_pieces`), each segment's pieces rendered or, with ``cache_url``,
    taken from the cache when the same segment was rendered before by the same code
    (``code_version``, the caller's); the files hold the same bytes either way."""
    sources = sources_of(context)  # one reader of the source lines for the excerpts and the pages
    entries = sorted_entries([finding_dict(f) for f in findings])
    summary, generated = _header(entries, context)
    header = Report(format_version=FORMAT_VERSION, generated=generated, summary=summary, findings=[]).to_dict()
    created = str(header["generated"].get("created") or "") or None
    day = created[:10] if created and len(created) >= 10 else None
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    items_file = out_dir / ".report-items.tmp"  # the stitched items, copied into the page (removed below)
    used: set[str] = set()
    try:
        sha256, md_pieces, corrections = _write_json_and_items(header, entries, sources, day, out_dir / "report.json", items_file,
                                                               cache_url=cache_url, code_version=code_version, used=used)
        paths = {"json": out_dir / "report.json"}
        paths["md"] = atomic_write_text(out_dir / "report.md", _stitched_markdown(header, entries, md_pieces), durable=False)
        del md_pieces
        placeholder = f"<!-- the items, from {items_file.name} -->"
        findings_list = FindingsList.summarised(len(entries), facets(entries), corrections, report_sha256=sha256,
                                                placeholder=Markup(placeholder))  # noqa: S704 - a constant comment
        paths["html"] = _write_page(out_dir / "report.html", _page_stream(header, findings_list), placeholder, items_file)
        findings_list.placeholder = None
    finally:
        items_file.unlink(missing_ok=True)
    if cache_url:
        prune_pieces(cache_url, used)  # the cache keeps this report's pieces only
    _remember(sha256, header, findings_list)
    return paths


def _write_json_and_items(
    header: dict[str, Any], entries: list[dict], sources: SourceLines | None, day: str | None, json_path: Path, items_file: Path,
    *, cache_url: str | None, code_version: str, used: set[str],
) -> tuple[str, dict[str, list[str]], bool]:
    """``report.json`` (its sha256 returned) and the findings' items (into ``items_file``), one
    segment at a time; also each ``severity\0rule``'s Markdown pieces and whether some finding
    has a correction entry."""
    head, tail = _document_ends(header, bool(entries))
    digest = hashlib.sha256(head)
    md: dict[str, list[str]] = {}
    corrections = False
    with atomic_file(json_path, durable=False) as out, items_file.open("wb") as items:
        out.write(head)
        for n, segment in enumerate(segments(entries)):
            pieces, json_bytes, html_bytes = _segment_pieces(segment, entries, sources, day, cache_url, code_version, used)
            if n:
                digest.update(b",\n")
                out.write(b",\n")
            digest.update(json_bytes)
            out.write(json_bytes)
            items.write(html_bytes)
            for name, text in pieces.md.items():
                md.setdefault(name, []).append(text)
            corrections = corrections or pieces.corrections
        digest.update(tail)
        out.write(tail)
    return digest.hexdigest(), md, corrections


def _document_ends(header: dict[str, Any], any_findings: bool) -> tuple[bytes, bytes]:
    """The bytes of ``report.json`` before and after its findings' entries (``header``: the
    report with no findings; its ``findings`` field is the last)."""
    document = b"".join(json_chunks(header))
    if not any_findings:
        return document, b""
    cut = document.rindex(b"[]")
    return document[:cut] + b"[\n", b"\n  ]" + document[cut + 2 :]


def _segment_pieces(
    segment: Segment, entries: list[dict], sources: SourceLines | None, day: str | None, cache_url: str | None, code_version: str,
    used: set[str],
) -> tuple[Pieces, bytes, bytes]:
    """A segment's pieces, with their ``json`` and ``html`` as UTF-8 bytes: from the cache when
    there, else rendered (and cached); its key is added to ``used``."""
    chunk = entries[segment.start : segment.end]
    key = segment_key(segment, chunk, sources, day=day, code_version=code_version) if cache_url else ""
    used.add(key)
    cached = load_pieces(cache_url, key) if cache_url else None
    if cached is not None:
        return cached
    found = render_segment([dict(e) for e in chunk], sources, day)
    if cache_url:
        store_pieces(cache_url, key, found[0])
    return found


def render_segment(chunk: list[dict], sources: SourceLines | None, day: str | None) -> tuple[Pieces, bytes, bytes]:
    """The pieces of one segment's entries (:func:`finding_dict`, in report order; centred here)
    and their ``json`` and ``html`` as UTF-8 bytes."""
    found = centre_all(chunk, sources, contexts=True)
    checked = [report_entry(e) for e in chunk]
    items = [e for e, _ in checked]
    json_text = _entries_json(items, all(known for _, known in checked))
    html = "".join(render_items(items, sources, day=day, contexts=found))
    by_rule: dict[str, list[dict]] = {}
    for item in items:
        if item["severity"] in SEVERITIES:
            by_rule.setdefault(f"{item['severity']}\0{item['rule']}", []).append(item)
    md = {name: "\n".join(_finding_lines(group)) for name, group in by_rule.items()}
    corrections = CORRECTION_MARK in html
    json_bytes, html_bytes = json_text.encode("utf-8"), html.encode("utf-8")
    return Pieces(json_text, html, md, corrections, pieces_digest(json_bytes, html_bytes, md, corrections)), json_bytes, html_bytes


def _entries_json(items: list[dict], plain: bool) -> str:
    """The entries as ``report.json`` lists them in its ``findings`` (see :func:`~pipeline.fsutil.json_chunks`)."""
    if not items:
        return ""
    text = b"".join(json_chunks(items, plain=plain or None)).decode("utf-8")[:-1]  # without the final newline
    return "  " + text[2:-2].replace("\n", "\n  ")  # the list's items, one level deeper


def _stitched_markdown(header: dict[str, Any], entries: list[dict], pieces: dict[str, list[str]]) -> str:
    counts = Counter((e["severity"], e["rule"]) for e in entries)
    groups: MarkdownGroups = []
    for sev in SEVERITIES:
        rules = sorted(rule for severity, rule in counts if severity == sev)
        if rules:
            groups.append((sev, [(rule, counts[sev, rule], pieces[f"{sev}\0{rule}"]) for rule in rules]))
    return _markdown(header, groups, bool(entries))


@dataclass(frozen=True)
class WrittenReport:
    """What :func:`write_report` knew of a ``report.json`` it wrote in this process, by the file's
    sha256: its header (``findings`` left empty), its number of findings and the findings list's
    filter choices. A reader that finds the same sha256 on disk in the same process (the site,
    built right after the run) needs neither to validate the file again (its writer built it
    through the models) nor to load its findings, when it copies their items from the page."""

    header: Report
    count: int
    facets: Facets
    has_corrections: bool


_WRITTEN: dict[str, WrittenReport] = {}
_WRITTEN_MAX = 4  # reports remembered per process (a run writes one)


def _remember(sha256: str, report: dict[str, Any], findings: FindingsList) -> None:
    header = Report.model_validate({**report, "findings": []})
    if len(_WRITTEN) >= _WRITTEN_MAX:
        _WRITTEN.clear()
    _WRITTEN[sha256] = WrittenReport(header, len(findings), findings.facets, findings.has_corrections)


def written_report(sha256: str | None) -> WrittenReport | None:
    """The :class:`WrittenReport` of the ``report.json`` with this sha256, when this process wrote it."""
    return _WRITTEN.get(sha256) if sha256 else None


def _write_page(path: Path, stream: TemplateStream, placeholder: str, items_file: Path) -> Path:
    """A page rendered around ``placeholder`` (small without its items), written with the bytes of
    ``items_file`` in its place (copied, never decoded)."""
    head, found, tail = "".join(stream).partition(placeholder)
    if not found and items_file.stat().st_size:
        raise RuntimeError(f"{path.name}: the page has no place for its findings")
    with atomic_file(path, durable=False) as out, items_file.open("rb") as items:
        out.write(head.encode("utf-8"))
        shutil.copyfileobj(items, out, COPY_BUFFER)
        out.write(tail.encode("utf-8"))
    return path


def write_stream(path: Path, stream: TemplateStream) -> Path:
    """A rendered page written atomically as Jinja yields it (UTF-8)."""
    with atomic_file(path, durable=False) as out:
        stream.dump(out, encoding="utf-8")
    return path


def load_report(path: Path) -> Report:
    """Read a ``report.json``; raise ``ValueError`` naming the file if it is not one we can read."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a readable report.json ({exc})") from exc
    version = str(data.get("format_version", "")) if isinstance(data, dict) else ""
    if version.split(".")[0] != FORMAT_VERSION.split(".")[0]:
        raise ValueError(f"{path}: unsupported report format {version or '(none)'}; expected {FORMAT_VERSION}")
    return Report.from_json(text, source=str(path))


def summarize(report: Report, top: int = 10) -> str:
    """A short plain-text summary for the console (``atlas review``, ``atlas validate``)."""
    s = report.summary
    sev = s.by_severity
    verdict = "publishable" if s.publishable else "NOT publishable (errors block publication)"
    corrected = s.by_status.get("corrected", 0)
    note = f" ({corrected} corrected)" if corrected else ""
    lines = [f"Validation: {verdict} — {sev.error} errors, {sev.warning} warnings, {sev.info} info{note}"]
    order: dict[str, int] = {sv: i for i, sv in enumerate(SEVERITIES)}
    rules = sorted(s.by_rule.items(), key=lambda kv: (order.get(kv[1].severity or "", 9), -kv[1].count, kv[0]))
    if rules:
        lines.append("By rule: " + ", ".join(f"{name} ({r.severity}) ×{r.count}" for name, r in rules))
    shown = report.findings[:top]
    for f in shown:
        loc = f.location
        lines.append(f"  {f.severity:<7} {f.rule:<26} {loc + '  ' if loc else ''}{' '.join(f.message.split())[:160]}")
    if len(report.findings) > len(shown):
        lines.append(f"  … and {len(report.findings) - len(shown)} more (see report.html)")
    return "\n".join(lines)
