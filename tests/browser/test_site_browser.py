"""The release site in a real browser: Debian's Chromium driven by Playwright (no downloaded browser).

The outputs folder (releases 1.0.0 and 1.1.0 from the real pipeline, 1.1.0 adding a profile whose
name and summary hold <script> and <img onerror> markup) comes from tests/site_support.py; the
site is served from a thread on 127.0.0.1 with a free port.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from site_support import EVIL_NAME, shared_outputs

from pipeline.site.serve import make_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    outputs = shared_outputs(tmp_path_factory)
    server = make_server(outputs / "site", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()




@pytest.fixture
def page(browser, base_url: str):  # noqa: ANN001, ANN201 - Playwright types
    """A fresh page that fails the test on any console error or page error (CSP violations included)."""
    context = browser.new_context(accept_downloads=True, base_url=base_url)
    pg = context.new_page()
    problems: list[str] = []
    pg.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: problems.append(str(e)))
    pg.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    yield pg
    context.close()
    assert not problems, problems


def test_index_lists_every_release_newest_first(page) -> None:  # noqa: ANN001
    page.goto("index.html")
    versions = page.locator("li.release").evaluate_all("els => els.map(e => e.dataset.version)")
    assert versions == ["1.1.0", "1.0.0"]
    assert page.locator("#v1\\.1\\.0 .latest").count() == 1 and page.locator("#v1\\.0\\.0 .latest").count() == 0
    assert page.locator("a[href='review.html']").first.is_visible()
    page.locator("#v1\\.0\\.0 h2 a").click()
    assert page.url.endswith("release-1.0.0.html")


def test_download_link_fetches_the_file_with_the_listed_sha256(page, tmp_path: Path) -> None:  # noqa: ANN001
    page.goto("index.html")
    for selector in ("#v1\\.1\\.0 a.download[href$='.zip']", "#v1\\.0\\.0 a.download[href$='data/organizations.csv']"):
        link = page.locator(selector)
        listed = link.get_attribute("data-sha256")
        shown = link.locator("xpath=ancestor::tr").locator("code.sha").text_content()
        assert listed == shown and len(listed or "") == 64
        with page.expect_download() as info:
            link.click()
        saved = tmp_path / info.value.suggested_filename
        info.value.save_as(saved)
        assert hashlib.sha256(saved.read_bytes()).hexdigest() == listed
    # a Parquet file fetched over HTTP matches too
    link = page.locator("#v1\\.1\\.0 a.download[href$='data/policy_issues.parquet']")
    body = page.request.get(link.get_attribute("href")).body()
    assert hashlib.sha256(body).hexdigest() == link.get_attribute("data-sha256")


def test_charts_render_non_empty_svg(page) -> None:  # noqa: ANN001
    page.goto("release-1.1.0.html")
    for chart, mark in (("matrix", "rect.cell:not(.empty)"), ("baskets", "rect.bar"), ("countries", "rect.bar")):
        svg = page.locator(f"#chart-{chart} svg")
        box = svg.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 50
        marks = svg.locator(mark)
        assert marks.count() > 0
        mark_box = marks.first.bounding_box()
        assert mark_box and mark_box["width"] > 0 and mark_box["height"] > 0
    assert page.locator("#chart-matrix svg text.row-label", has_text="EVL").count() == 1


def test_search_filters_and_headers_sort_the_organisations(page) -> None:  # noqa: ANN001
    page.goto("release-1.1.0.html")
    rows = page.locator("#org-table tbody tr")
    visible = page.locator("#org-table tbody tr:visible")
    assert rows.count() == 7 and visible.count() == 7
    search = page.locator("#org-search")
    search.fill("telecommunication union")
    assert visible.count() == 1 and visible.first.get_attribute("data-id") == "itu"
    assert page.locator("#org-count").text_content() == "1 of 7"
    search.fill("no such organisation anywhere")
    assert visible.count() == 0
    search.fill("")
    assert visible.count() == 7
    page.locator("#org-table th button", has_text="Year established").click()
    years = [int(t) for t in page.locator("#org-table tbody tr td:nth-child(3)").all_text_contents() if t.strip()]
    assert years == sorted(years) and len(years) >= 6
    page.locator("#org-table th button", has_text="Year established").click()
    years = [int(t) for t in page.locator("#org-table tbody tr td:nth-child(3)").all_text_contents() if t.strip()]
    assert years == sorted(years, reverse=True)


def test_profile_markup_runs_no_script_and_creates_no_element(page) -> None:  # noqa: ANN001
    for url in ("index.html", "release-1.1.0.html", "review.html"):
        page.goto(url)
        if url.startswith("release"):
            page.locator("#org-search").fill("evil")  # the script moves and hides rows
            row = page.locator("#org-table tbody tr:visible")
            assert row.count() == 1
            row.locator("details summary").click()
            assert row.locator(".org-name").text_content() == EVIL_NAME
            assert "<img src=x onerror=" in (row.locator("p.summary").text_content() or "")
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.evaluate("document.images.length") == 0
        assert page.evaluate("document.querySelectorAll('b, img, script:not([src])').length") == 0
        scripts = page.evaluate("Array.from(document.scripts).map(s => s.getAttribute('src'))")
        assert scripts == ["static/site.js", "static/findings.js"]


def test_review_page_filters_findings_and_shows_their_source_lines(page) -> None:  # noqa: ANN001
    page.goto("review.html")
    page.select_option("#findings-file", "evil.txt")
    page.select_option("#findings-rule", "markup-in-text")
    shown = page.locator("li.finding:visible")
    assert shown.count() >= 1 and all(t == "evil.txt" for t in shown.evaluate_all("els => els.map(e => e.dataset.file)"))
    first = shown.filter(has_text="evil.txt:1").first
    first.locator("details.finding-context summary").click()
    assert EVIL_NAME in (first.locator("details.finding-context .here").text_content() or "")
