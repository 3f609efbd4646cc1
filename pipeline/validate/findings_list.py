"""The findings list editors browse in ``report.html`` and on the site's review page.

Scope: :class:`FindingsList`, the findings of one report (entries of ``report.json``) with the source
lines they point at: their count, the filter choices with counts, whether any finding has a
correction entry, and :meth:`FindingsList.items`, each finding's ``<li>`` as escaped HTML, made one
at a time while the page is written. A report of tens of thousands of findings therefore never
holds every finding's view (context lines, excerpt, correction entry) at once, and the list costs
one formatted string per finding instead of a template loop (Jinja's attribute lookups cost ~10×
more). :func:`item_html` of :func:`finding_view` is the definition of an item; :func:`render_items`
makes the same bytes faster (no view dict, one escape per distinct repeated value such as rules,
files, tables and source lines, items joined in batches so the page's template loops once per
batch), and a test pins the one to the other. The items of ``report.html`` sit between two comments naming the sha256 of the
``report.json`` they were rendered from; the site's review page lists the same findings and copies
those bytes (:func:`rendered_items`) instead of rendering them again, when the sha256 matches the
``report.json`` it read. ``templates/findings.html.j2`` renders the box around the items (filters, status, pager);
``templates/findings.js`` filters them by the ``data-*`` attributes written here. Every value is
escaped with ``markupsafe.escape``, as Jinja's autoescape would. It must not judge data, write
files, or read files other than through :class:`~pipeline.validate.excerpts.SourceLines`.
"""

from __future__ import annotations

import mmap
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from pipeline.corrections.suggest import suggested_entry
from pipeline.findings import RULES, SEVERITIES, STATUSES
from pipeline.validate.excerpts import SourceLines, centred_excerpt

NO_ORG = "(none)"
ITEMS_START = "<!-- findings of report.json sha256:{sha256} -->\n"
ITEMS_END = "<!-- end of findings -->\n"
COPY_CHUNK = 1 << 16  # bytes copied per piece: the page joins STREAM_BUFFER (64) pieces per write, so 4 MB, not 64
ITEM_BATCH = 8  # items joined into one piece of the page (the template loops once per piece): 512 items per write, ~1.4 MB
MEMO_MAX = 1 << 12  # distinct escaped values remembered while a list is rendered (cleared when full: repeats are near each other)
Facets = dict[str, list[tuple[str, str, int]]]


def finding_org(finding: dict) -> str:
    """The organisation a finding is about (its key's ``organization_id``), or ``(none)``."""
    key = finding.get("key") or {}
    return str(key.get("organization_id") or NO_ORG)


def finding_view(finding: dict, sources: SourceLines | None = None, *, day: str | None = None) -> dict[str, Any]:
    """A finding as the list renders it: its fields plus ``location``, ``org``, ``keytext``,
    ``excerpt_parts`` (before, flagged, after), ``context`` lines when the source is known, and
    ``correction``: the entry of the corrections file that would correct it (dated ``day``)."""
    view = dict(finding)
    view["status"] = finding.get("status") or "open"
    view["correction"] = suggested_entry(finding, date=day)
    file, line = finding.get("source_file") or "", finding.get("source_line")
    view["location"] = f"{file}:{line}" if file and line else file
    view["org"] = finding_org(finding)
    view["keytext"] = ", ".join(f"{k}={v}" for k, v in (finding.get("key") or {}).items())
    excerpt, span = finding.get("excerpt"), finding.get("excerpt_span")
    if span is None and excerpt:
        excerpt, span = centred_excerpt(excerpt, finding.get("value"))
    view["excerpt_parts"] = (excerpt[: span[0]], excerpt[span[0] : span[1]], excerpt[span[1] :]) if excerpt and span else None
    view["excerpt"] = excerpt
    view["context"] = sources.context(file, line) if sources and file else []
    return view


def facets(findings: Sequence[dict]) -> Facets:
    """The filter choices with counts: (value, label, count) per severity, status, rule, file, organisation."""
    sev = Counter(f["severity"] for f in findings)
    status = Counter(f.get("status") or "open" for f in findings)
    rules = Counter(f["rule"] for f in findings)
    files = Counter(f.get("source_file") or "" for f in findings)
    orgs = Counter(finding_org(f) for f in findings)
    rule_order = {r: i for i, r in enumerate(RULES)}
    return {
        "severity": [(s, s, sev[s]) for s in SEVERITIES if sev[s]],
        "status": [(s, s, status[s]) for s in STATUSES if status[s]],
        "rule": [
            (r, f"{r} — {RULES[r].title}" if r in RULES else r, rules[r])
            for r in sorted(rules, key=lambda r: (rule_order.get(r, len(rule_order)), r))
        ],
        "file": [(f, f or "(no file)", files[f]) for f in sorted(files)],
        "org": [(o, o, orgs[o]) for o in sorted(orgs, key=lambda o: (o == NO_ORG, o))],
    }


class FindingsList:
    """The findings of one report, in report order, rendered lazily (see the module docstring)."""

    def __init__(
        self,
        findings: Sequence[dict],
        sources: SourceLines | None = None,
        *,
        created: str | None = None,
        report_sha256: str | None = None,
        rendered: Path | None = None,
        contexts: Sequence[list[tuple[int, str, bool]]] | None = None,
    ) -> None:
        """``report_sha256``: of the ``report.json`` holding ``findings``; the items are then marked
        with it, and copied from ``rendered`` (a ``report.html`` of that report) when given and found.
        ``contexts``: each finding's source lines as ``sources.context`` gives them, when the caller
        already read them (the report reads each file once for the excerpts and the context)."""
        self.findings = findings
        self.sources = sources
        self.contexts = contexts
        self.day = created[:10] if created and len(created) >= 10 else None
        self.report_sha256 = report_sha256
        self.rendered = rendered
        self._facets: Facets | None = None
        self._count: int | None = None
        self._has_corrections: bool | None = None
        self.placeholder: Markup | None = None  # listed instead of the items (the writer puts them there)

    @classmethod
    def summarised(
        cls, count: int, facets: Facets, has_corrections: bool, *, report_sha256: str, rendered: Path | None = None,
        placeholder: Markup | None = None,
    ) -> FindingsList:
        """The list of a report whose items ``rendered`` holds (see :func:`rendered_items`), or
        whose writer puts them in the page in place of ``placeholder`` (the report writer's stitched
        pieces), from its count and filter choices alone (what the report's writer worked out): the
        findings themselves are not loaded."""
        found = cls([], report_sha256=report_sha256, rendered=rendered)
        found._count, found._facets, found._has_corrections = count, facets, has_corrections
        found.placeholder = placeholder
        return found

    def __len__(self) -> int:
        return self._count if self._count is not None else len(self.findings)

    def __bool__(self) -> bool:
        return len(self) > 0

    @property
    def facets(self) -> Facets:
        if self._facets is None:
            self._facets = facets(self.findings)
        return self._facets

    @property
    def has_corrections(self) -> bool:
        """True when some finding has a correction entry (the page then explains how to use one)."""
        if self._has_corrections is None:
            self._has_corrections = any(suggested_entry(f, date=self.day) is not None for f in self.findings)
        return self._has_corrections

    def views(self) -> Iterator[dict[str, Any]]:
        for finding in self.findings:
            yield finding_view(finding, self.sources, day=self.day)

    def items(self) -> Iterator[Markup]:
        """Each finding's ``<li>``, made as the page is written (or copied, see the module docstring),
        between the two marks when the report's sha256 is known."""
        copied = rendered_items(self.rendered, self.report_sha256) if self.rendered and self.report_sha256 else None
        if self.placeholder is not None:
            copied = iter([self.placeholder])
        if self.report_sha256:
            yield Markup(ITEMS_START.format(sha256=self.report_sha256))  # noqa: S704 - a hex digest
        if copied is not None:
            yield from copied
        else:
            batch: list[str] = []
            for item in render_items(self.findings, self.sources, day=self.day, contexts=self.contexts):
                batch.append(item)
                if len(batch) == ITEM_BATCH:
                    yield Markup("".join(batch))  # noqa: S704 - render_items escapes every value
                    batch.clear()
            if batch:
                yield Markup("".join(batch))  # noqa: S704 - as above
        if self.report_sha256:
            yield Markup(ITEMS_END)  # noqa: S704 - constant


def rendered_items(page: Path, report_sha256: str) -> Iterator[Markup] | None:
    """The findings' items a page rendered from the ``report.json`` with ``report_sha256`` (the bytes
    between its two marks, in chunks of whole characters), or None when the page has no such list."""
    try:
        with page.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            start_mark = ITEMS_START.format(sha256=report_sha256).encode()
            start = mm.find(start_mark)
            end = mm.find(ITEMS_END.encode(), start + len(start_mark)) if start >= 0 else -1
    except (OSError, ValueError):  # unreadable, or empty (mmap refuses a 0-byte file)
        return None
    if end < 0:
        return None
    return _copy(page, start + len(start_mark), end)


def _copy(page: Path, start: int, end: int) -> Iterator[Markup]:
    with page.open("rb") as f:
        f.seek(start)
        left, carry = end - start, b""
        while left > 0:
            read = f.read(min(COPY_CHUNK, left))
            if not read:  # the page shrank under us: stop at what was there
                break
            left -= len(read)
            chunk = carry + read
            cut = len(chunk) if left <= 0 else (chunk.rfind(b"\n") + 1 or len(chunk))  # whole lines: whole characters
            carry = chunk[cut:]
            yield Markup(chunk[:cut].decode("utf-8", errors="replace"))  # noqa: S704 - our own page's escaped markup
        if carry:
            yield Markup(carry.decode("utf-8", errors="replace"))  # noqa: S704 - as above


def _e(value: object) -> str:
    return str(escape(value))


def item_html(v: dict[str, Any]) -> str:
    """One finding's list item; every value escaped."""
    sev, status, rule = _e(v["severity"]), _e(v["status"]), _e(v["rule"])
    out = [
        f'<li class="finding sev-{sev} status-{status}" data-severity="{sev}" data-status="{status}" data-rule="{rule}"'
        f' data-file="{_e(v.get("source_file") or "")}" data-org="{_e(v["org"])}">\n',
        f'<p class="finding-head"><span class="badge sev-{sev}">{sev}</span>',
        ' <span class="badge status-corrected">corrected</span>' if v["status"] == "corrected" else "",
        f'\n<code class="finding-rule">{rule}</code>',
        f'\n<span class="finding-loc">{_e(v["location"])}</span>' if v["location"] else "",
        f'\n<span class="finding-org">organisation {_e(v["org"])}</span>' if v["org"] != NO_ORG else "",
        f'</p>\n<p class="finding-message">{_e(v["message"])}</p>\n',
        _where(v),
        _excerpt(v),
        _resolution(v),
        _correction(v.get("correction")),
        _context(v["context"]),
        "</li>\n",
    ]
    return "".join(out)


def _correction(entry: str | None) -> str:
    if not entry:
        return ""
    pre = f'<pre class="correction-entry"><code>{_e(entry)}</code></pre>'
    return f'<details class="finding-correction"><summary>Correction entry</summary>{pre}</details>\n'


def _where(v: dict[str, Any]) -> str:
    if not (v.get("table") or v.get("column") or v["keytext"]):
        return ""
    parts = [f"table {_e(v['table'])}" if v.get("table") else ""]
    if v.get("column"):
        parts.append(f" · column {_e(v['column'])}")
    if v["keytext"]:
        parts.append(f" · key {_e(v['keytext'])}")
    if v.get("value") is not None and v.get("value") != "":
        parts.append(f" · value <code>{_e(v['value'])}</code>")
    return f'<p class="finding-where">{"".join(parts)}</p>\n'


def _excerpt(v: dict[str, Any]) -> str:
    if v["excerpt_parts"]:
        before, flagged, after = v["excerpt_parts"]
        return f'<blockquote class="finding-excerpt">{_e(before)}<mark>{_e(flagged)}</mark>{_e(after)}</blockquote>\n'
    if v["excerpt"]:
        return f'<blockquote class="finding-excerpt">{_e(v["excerpt"])}</blockquote>\n'
    return ""


def _resolution(v: dict[str, Any]) -> str:
    r = v.get("resolution")
    if v["status"] != "corrected" or not r:
        return ""
    by = ""
    if r.get("editor"):
        by = f" ({_e(r['editor'])}{', ' + _e(r['date']) if r.get('date') else ''})"
    old = r.get("old_value") if r.get("old_value") is not None else "(empty)"
    new = r.get("new_value") if r.get("new_value") is not None else "(empty)"
    text = f"Corrected by the editors' entry <code>{_e(r.get('correction'))}</code>{by}: <code>{_e(old)}</code> → <code>{_e(new)}</code>"
    if r.get("severity"):
        article = "an" if r["severity"] in ("error", "info") else "a"
        text += f"; it was {article} {_e(r['severity'])}"
    if r.get("reason"):
        text += f". Reason: {_e(r['reason'])}"
    return f'<p class="finding-resolution">{text}</p>\n'


def _context(context: list[tuple[int, str, bool]]) -> str:
    if not context:
        return ""
    lines = "".join(
        f'<span class="{"here" if here else "line"}"><span class="ln">{n}</span>{_e(text)}\n</span>' for n, text, here in context
    )
    summary = f"source lines {context[0][0]}–{context[-1][0]}"
    return f'<details class="finding-context"><summary>{summary}</summary><pre>{lines}</pre></details>\n'


# -- the same items, faster -------------------------------------------------------------------------


class _Escaper:
    """``str(escape(value))``, remembered for values that repeat (rules, files, tables, columns,
    organisations, source lines shared by neighbouring findings); a bounded memo."""

    def __init__(self) -> None:
        self.memo: dict[str, str] = {}

    def __call__(self, value: object) -> str:
        if type(value) is not str:
            return str(escape(value))
        known = self.memo.get(value)
        if known is None:
            if len(self.memo) >= MEMO_MAX:
                self.memo.clear()
            known = self.memo[value] = str(escape(value))
        return known


def render_items(
    findings: Sequence[dict],
    sources: SourceLines | None = None,
    *,
    day: str | None = None,
    contexts: Sequence[list[tuple[int, str, bool]]] | None = None,
) -> Iterator[str]:
    """``item_html(finding_view(f, sources, day=day))`` for each finding, made without the view dict
    and escaping each repeated value once. ``contexts``: each finding's ``sources.context`` lines,
    when already read."""
    memo = _Escaper()
    for i, finding in enumerate(findings):
        context = contexts[i] if contexts is not None else None
        yield _item(finding, sources, day, context, memo)


def _item(f: dict, sources: SourceLines | None, day: str | None, context: list | None, memo: _Escaper) -> str:
    status = f.get("status") or "open"
    file, line = f.get("source_file") or "", f.get("source_line")
    key = f.get("key") or {}
    org = str(key.get("organization_id") or NO_ORG)
    sev, st, rule, fe = memo(f["severity"]), memo(status), memo(f["rule"]), memo(file)
    if file and line:
        loc = f"{fe}:{line}" if type(line) is int else _e(f"{file}:{line}")
        loc_html = f'\n<span class="finding-loc">{loc}</span>'
    else:
        loc_html = f'\n<span class="finding-loc">{fe}</span>' if file else ""
    og = memo(org)
    keytext = ", ".join([f"{k}={v}" for k, v in key.items()])
    if context is None:
        context = sources.context(file, line) if sources and file else []
    out = (
        f'<li class="finding sev-{sev} status-{st}" data-severity="{sev}" data-status="{st}" data-rule="{rule}"'
        f' data-file="{fe}" data-org="{og}">\n<p class="finding-head"><span class="badge sev-{sev}">{sev}</span>'
        + (' <span class="badge status-corrected">corrected</span>' if status == "corrected" else "")
        + f'\n<code class="finding-rule">{rule}</code>{loc_html}'
        + (f'\n<span class="finding-org">organisation {og}</span>' if org != NO_ORG else "")
        + f'</p>\n<p class="finding-message">{_e(f["message"])}</p>\n'
        + _where_fast(f, keytext, memo)
        + _excerpt_fast(f.get("excerpt"), f.get("excerpt_span"), f.get("value"))
        + (_resolution({**f, "status": status}) if status == "corrected" else "")
        + _correction(suggested_entry(f, date=day))
        + (_context_fast(context, memo) if context else "")
    )
    return out + "</li>\n"


def _where_fast(f: dict, keytext: str, memo: _Escaper) -> str:
    table, column = f.get("table"), f.get("column")
    if not (table or column or keytext):
        return ""
    where = f"table {memo(table)}" if table else ""
    if column:
        where += f" · column {memo(column)}"
    if keytext:
        where += f" · key {_e(keytext)}"
    value = f.get("value")
    if value is not None and value != "":
        where += f" · value <code>{_e(value)}</code>"
    return f'<p class="finding-where">{where}</p>\n'


def _excerpt_fast(excerpt: str | None, span: list[int] | None, value: object) -> str:
    if span is None and excerpt:
        excerpt, span = centred_excerpt(excerpt, value)  # type: ignore[arg-type]
    if excerpt and span:
        a, b = span[0], span[1]
        return f'<blockquote class="finding-excerpt">{_e(excerpt[:a])}<mark>{_e(excerpt[a:b])}</mark>{_e(excerpt[b:])}</blockquote>\n'
    if excerpt:
        return f'<blockquote class="finding-excerpt">{_e(excerpt)}</blockquote>\n'
    return ""


def _context_fast(context: list[tuple[int, str, bool]], memo: _Escaper) -> str:
    lines = "".join(
        [f'<span class="{"here" if here else "line"}"><span class="ln">{n}</span>{memo(text)}\n</span>' for n, text, here in context]
    )
    summary = f"source lines {context[0][0]}–{context[-1][0]}"
    return f'<details class="finding-context"><summary>{summary}</summary><pre>{lines}</pre></details>\n'
