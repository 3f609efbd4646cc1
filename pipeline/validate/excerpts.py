"""Excerpts that show what a finding flags, and the findings as editors browse them.

Scope: :class:`SourceLines` (the lines of the source files a run read, only from files whose
sha256 still matches the run's record); :func:`centred_excerpt` (a window of a source line centred
on the flagged span, with the span's position so pages can highlight it); :func:`finding_views`
and :func:`facets` (plain dicts for the filterable findings list that ``report.html`` and the
site's review page both render from one template macro). It must not judge data or write files.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from pipeline.corrections.suggest import suggested_entry
from pipeline.findings import RULES, SEVERITIES, STATUSES
from pipeline.fsutil import sha256_file

EXCERPT_LIMIT = 240
CONTEXT_LINES = 2
NO_ORG = "(none)"


class SourceLines:
    """Lines of the source files a run read, only from files whose sha256 still matches the one
    recorded by the run (an edited or replaced file shows no context rather than wrong lines)."""

    def __init__(self, folders: Sequence[Path], checksums: dict[str, str]) -> None:
        self.folders = list(folders)
        self.checksums = checksums
        self._cache: dict[str, list[str] | None] = {}

    def lines(self, source_file: str) -> list[str] | None:
        if source_file not in self._cache:
            self._cache[source_file] = self._read(source_file)
        return self._cache[source_file]

    def _read(self, source_file: str) -> list[str] | None:
        expected = self.checksums.get(source_file)
        if not expected:
            return None
        for folder in self.folders:
            path = (folder / source_file).resolve()
            try:
                if path.is_relative_to(folder.resolve()) and path.is_file() and sha256_file(path) == expected:
                    return path.read_bytes().decode("utf-8", errors="replace").splitlines()
            except OSError:
                continue
        return None

    def line(self, source_file: str, line: int | None) -> str | None:
        lines = self.lines(source_file) if line else None
        if not lines or not line or line > len(lines):
            return None
        return lines[line - 1]

    def context(self, source_file: str, line: int | None) -> list[tuple[int, str, bool]]:
        lines = self.lines(source_file) if line else None
        if not lines or not line or line > len(lines):
            return []
        lo, hi = max(1, line - CONTEXT_LINES), min(len(lines), line + CONTEXT_LINES)
        return [(n, lines[n - 1], n == line) for n in range(lo, hi + 1)]


def _find(text: str, span: str) -> int:
    at = text.find(span)
    return at if at >= 0 else text.lower().find(span.lower())


def centred_excerpt(text: str, span: str | None, limit: int = EXCERPT_LIMIT) -> tuple[str, list[int] | None]:
    """``text`` on one line, at most ``limit`` characters, centred on ``span`` when it occurs; the
    span's [start, end) in the excerpt (None when the span is not in the text)."""
    one = " ".join(text.split())
    token = " ".join((span or "").split())
    at = _find(one, token) if token else -1
    if at < 0:
        return (one if len(one) <= limit else one[: limit - 1] + "…"), None
    width = limit - 2  # room for an ellipsis on each side
    token = token[:width]
    if len(one) <= limit:
        return one, [at, at + len(token)]
    start = max(0, min(at + len(token) // 2 - width // 2, len(one) - width))
    end = start + width
    window = one[start:end]
    prefix = "…" if start else ""
    suffix = "…" if end < len(one) else ""
    offset = at - start + len(prefix)
    return prefix + window + suffix, [offset, offset + len(token)]


def recentre(excerpt: str | None, value: str | None, full_line: str | None) -> tuple[str | None, list[int] | None]:
    """The finding's excerpt centred on its value: from the full source line when known, else from
    the stored excerpt."""
    base = full_line if full_line is not None else excerpt
    if base is None:
        return None, None
    return centred_excerpt(base, value)


def _org(finding: dict) -> str:
    key = finding.get("key") or {}
    return str(key.get("organization_id") or NO_ORG)


def finding_views(findings: Iterable[dict], sources: SourceLines | None = None, *, created: str | None = None) -> list[dict]:
    """Each finding as the findings list renders it: its fields plus ``location``, ``org``,
    ``excerpt_parts`` (before, flagged, after), ``context`` lines when the source is known, and
    ``correction``: the entry of the corrections file that would correct it (dated ``created``'s
    day when given), for a correctable finding."""
    day = created[:10] if created and len(created) >= 10 else None
    out = []
    for f in findings:
        view = dict(f)
        view["status"] = f.get("status") or "open"
        view["correction"] = suggested_entry(f, date=day)
        file, line = f.get("source_file") or "", f.get("source_line")
        view["location"] = f"{file}:{line}" if file and line else file
        view["org"] = _org(f)
        view["keytext"] = ", ".join(f"{k}={v}" for k, v in (f.get("key") or {}).items())
        excerpt, span = f.get("excerpt"), f.get("excerpt_span")
        if span is None and excerpt:
            excerpt, span = centred_excerpt(excerpt, f.get("value"))
        view["excerpt_parts"] = (excerpt[: span[0]], excerpt[span[0] : span[1]], excerpt[span[1] :]) if excerpt and span else None
        view["excerpt"] = excerpt
        view["context"] = sources.context(f["source_file"], f.get("source_line")) if sources and f.get("source_file") else []
        out.append(view)
    return out


def facets(views: Sequence[dict]) -> dict[str, list[tuple[str, str, int]]]:
    """The filter choices with counts: (value, label, count) per severity, status, rule, file, organisation."""
    sev = Counter(v["severity"] for v in views)
    status = Counter(v.get("status") or "open" for v in views)
    rules = Counter(v["rule"] for v in views)
    files = Counter(v.get("source_file") or "" for v in views)
    orgs = Counter(v["org"] for v in views)
    rule_order = list(RULES)
    return {
        "severity": [(s, s, sev[s]) for s in SEVERITIES if sev[s]],
        "status": [(s, s, status[s]) for s in STATUSES if status[s]],
        "rule": [
            (r, f"{r} — {RULES[r].title}" if r in RULES else r, rules[r])
            for r in sorted(rules, key=lambda r: (rule_order.index(r) if r in rule_order else len(rule_order), r))
        ],
        "file": [(f, f or "(no file)", files[f]) for f in sorted(files)],
        "org": [(o, o, orgs[o]) for o in sorted(orgs, key=lambda o: (o == NO_ORG, o))],
    }
