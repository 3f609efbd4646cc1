"""The findings list (``pipeline.validate.findings_list``): each item escapes every value, the items
of ``report.html`` are marked with the sha256 of their ``report.json``, and the site's review page
copies them only from a page of that very report (else it renders them itself)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from conftest import SAMPLE
from publish_support import stage_extraction

from pipeline.extract import extract_paths
from pipeline.publish import layout
from pipeline.site.build import build_site
from pipeline.validate import findings_list
from pipeline.validate.findings_list import ITEMS_END, ITEMS_START, FindingsList, facets, item_html, rendered_items

EVIL = '<script>alert("x")</script> & "quoted"'


def _finding(**over: object) -> dict:
    base = {
        "rule": "markup-in-text",
        "severity": "warning",
        "message": f"Markup {EVIL}",
        "table": "sections",
        "key": {"organization_id": "acme", "section_id": "s-1"},
        "column": "text",
        "value": EVIL,
        "source_file": "dir/a&b.txt",
        "source_line": 7,
        "excerpt": f"before {EVIL} after",
        "excerpt_span": None,
        "hint": None,
        "status": "open",
        "resolution": None,
    }
    return {**base, **over}


def _items(findings: list[dict], **kwargs: object) -> str:
    return "".join(FindingsList(findings, **kwargs).items())  # type: ignore[arg-type]


def test_every_value_of_an_item_is_escaped_and_the_flagged_text_marked() -> None:
    html = _items([_finding()])
    assert "<script>" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;quoted&#34;" in html
    assert 'data-file="dir/a&amp;b.txt"' in html and 'data-org="acme"' in html and 'data-rule="markup-in-text"' in html
    assert '<span class="finding-loc">dir/a&amp;b.txt:7</span>' in html
    assert "<mark>&lt;script&gt;" in html  # the excerpt is centred on the value, which is highlighted
    assert "key organization_id=acme, section_id=s-1" in html and "value <code>&lt;script&gt;" in html


def test_a_corrected_item_says_by_whom_and_what_changed() -> None:
    resolution = {"correction": "fix-1", "editor": "Jane <J>", "date": "2026-11-30"}
    resolution |= {"old_value": None, "new_value": "x", "severity": "error"}
    html = item_html(findings_list.finding_view(_finding(status="corrected", resolution=resolution)))
    assert 'class="finding sev-warning status-corrected"' in html and '<span class="badge status-corrected">corrected</span>' in html
    assert "(Jane &lt;J&gt;, 2026-11-30): <code>(empty)</code> → <code>x</code>; it was an error" in html
    assert "finding-correction" not in html  # a corrected finding offers no correction entry


def test_items_without_a_file_have_no_location_nor_context() -> None:
    html = _items([_finding(source_file=None, source_line=None, key=None, table=None, column=None, value=None, excerpt=None)])
    assert "finding-loc" not in html and "finding-where" not in html and "finding-context" not in html and "finding-org" not in html


def test_facets_count_each_choice() -> None:
    found = facets([_finding(), _finding(severity="error", key=None), _finding(status="corrected")])
    assert found["severity"] == [("error", "error", 1), ("warning", "warning", 2)]
    assert found["status"] == [("open", "open", 2), ("corrected", "corrected", 1)]
    assert found["org"] == [("acme", "acme", 2), ("(none)", "(none)", 1)]


def _page(tmp_path: Path, body: str, sha: str = "ab" * 32) -> Path:
    page = tmp_path / "report.html"
    page.write_text(f"<html><ol>\n{ITEMS_START.format(sha256=sha)}{body}{ITEMS_END}</ol></html>\n", encoding="utf-8")
    return page


def test_rendered_items_are_copied_whole_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    body = "".join(f"<li>é{i} — ✓ {'ü' * (i % 7)}</li>\n" for i in range(200))
    page = _page(tmp_path, body)
    monkeypatch.setattr(findings_list, "COPY_CHUNK", 37)  # chunks end inside multi-byte characters
    copied = rendered_items(page, "ab" * 32)
    assert copied is not None
    parts = list(copied)
    assert "".join(parts) == body and len(parts) > 10


def test_rendered_items_are_refused_from_another_report_or_an_unfinished_page(tmp_path: Path) -> None:
    page = _page(tmp_path, "<li>x</li>\n")
    assert rendered_items(page, "cd" * 32) is None  # the page was rendered from another report.json
    page.write_text(page.read_text(encoding="utf-8").replace(ITEMS_END, ""), encoding="utf-8")
    assert rendered_items(page, "ab" * 32) is None  # no end mark: a page cut short
    (tmp_path / "empty.html").write_bytes(b"")
    assert rendered_items(tmp_path / "empty.html", "ab" * 32) is None
    assert rendered_items(tmp_path / "missing.html", "ab" * 32) is None


def _between(text: str) -> str:
    start = text.index("<!-- findings of report.json sha256:")
    return text[start : text.index(ITEMS_END, start)]


def test_the_review_page_copies_the_reports_items_only_from_the_same_report(tmp_path: Path) -> None:
    sources, outputs = tmp_path / "sources", tmp_path / "outputs"
    sources.mkdir()
    (sources / SAMPLE.name).write_bytes(SAMPLE.read_bytes())
    stage_extraction(extract_paths([sources]), outputs, context={"sources_dir": str(sources)})
    staged = outputs / layout.STAGING
    report_html = staged / layout.REPORT_HTML
    sha = hashlib.sha256((staged / layout.REPORT_JSON).read_bytes()).hexdigest()
    assert ITEMS_START.format(sha256=sha) in report_html.read_text(encoding="utf-8")
    review = build_site(outputs) / "review.html"
    assert _between(review.read_text(encoding="utf-8")) == _between(report_html.read_text(encoding="utf-8"))
    # the review page takes the report's items as they are ...
    marked = report_html.read_text(encoding="utf-8").replace(ITEMS_END, '<li class="sentinel">copied</li>\n' + ITEMS_END, 1)
    report_html.write_text(marked, encoding="utf-8")
    assert '<li class="sentinel">copied</li>' in (build_site(outputs) / "review.html").read_text(encoding="utf-8")
    # ... only when they were rendered from the report.json it reads: otherwise it renders them itself
    report_json = staged / layout.REPORT_JSON
    report_json.write_text(report_json.read_text(encoding="utf-8").replace('"format_version"', ' "format_version"', 1), encoding="utf-8")
    rebuilt = (build_site(outputs) / "review.html").read_text(encoding="utf-8")
    assert "sentinel" not in rebuilt and rebuilt.count('<li class="finding ') == marked.count('<li class="finding ') > 0


def test_source_lines_hold_few_files_and_read_an_evicted_one_again(tmp_path: Path) -> None:
    from pipeline.fsutil import sha256_file
    from pipeline.validate.excerpts import SourceLines

    for i in range(5):
        (tmp_path / f"f{i}.txt").write_text(f"first {i}\nsecond {i}\n", encoding="utf-8")
    lines = SourceLines([tmp_path], {f"f{i}.txt": sha256_file(tmp_path / f"f{i}.txt") for i in range(5)}, keep=2)
    assert [lines.line(f"f{i}.txt", 2) for i in range(5)] == [f"second {i}" for i in range(5)]
    assert len(lines._cache) == 2  # only the two most recently used files are held
    assert lines.context("f0.txt", 1) == [(1, "first 0", True), (2, "second 0", False)]  # read again, unchanged
    (tmp_path / "f0.txt").write_text("edited\n", encoding="utf-8")
    for other in ("f1.txt", "f2.txt"):  # f0 is evicted
        lines.line(other, 1)
    assert lines.line("f0.txt", 1) is None  # re-read after an edit: its sha256 no longer matches


def test_copied_pieces_stay_small_enough_for_a_buffered_page(tmp_path: Path) -> None:
    """A page joins ``STREAM_BUFFER`` pieces per write: the copied pieces must stay small (1 MiB
    pieces made 64 MB strings per write at 1000×, ~355 MB of peak), whatever the list's size."""
    from pipeline.validate.report import STREAM_BUFFER

    body = "".join(f"<li>finding {i} – {'x' * 80}</li>\n" for i in range(40_000))  # ~4 MB of items
    parts = list(rendered_items(_page(tmp_path, body), "ab" * 32) or [])
    assert "".join(parts) == body
    assert STREAM_BUFFER * max(len(p.encode("utf-8")) for p in parts) <= 8 << 20


def test_rendered_pieces_and_the_escape_memo_stay_small(monkeypatch: pytest.MonkeyPatch) -> None:
    """A page joins ``STREAM_BUFFER`` pieces per write: the rendered pieces hold few items (64
    items × 64 pieces made ~11 MB strings per write at 1000×), and the escape memo is bounded
    (it held 65,536 distinct source lines: together ~75 MB of the report step's Python peak)."""
    from pipeline.validate.report import STREAM_BUFFER

    findings = [_finding(message=f"finding {i}", value=f"value {i}", source_file=f"f{i}.txt", source_line=i + 1,
                         key={"organization_id": f"org-{i}", "section_id": "s-1"}) for i in range(3_000)]
    pieces = list(FindingsList(findings).items())  # type: ignore[arg-type]
    assert len(pieces) > 3_000 // 64  # not one piece per 64 items or more
    assert STREAM_BUFFER * max(len(p) for p in pieces) <= 2 << 20  # ≤ 2 MB per write even for items of ~4 KB
    sizes: list[int] = []
    real = findings_list._Escaper.__call__

    def watch(self, value):
        out = real(self, value)
        sizes.append(len(self.memo))
        return out

    monkeypatch.setattr(findings_list._Escaper, "__call__", watch)
    list(FindingsList(findings).items())  # type: ignore[arg-type]
    assert sizes and max(sizes) <= 1 << 12
