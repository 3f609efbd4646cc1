"""Accessibility (issue 14, WCAG 2.2 AA as the anchor): axe-core (vendored, tests/browser/vendor)
runs in Debian's Chromium over every generated page — the site's index, release and review pages,
and every validation report.html it serves (candidate, blocked run, releases) — at 1280 px and
375 px, and fails on any serious or critical violation; no page is wider than a 320 px viewport.

The outputs: the shared two-release site (tests/site_support.py) plus a copy where a later run
was blocked, so the review page is checked in both states."""

from __future__ import annotations

import hashlib
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from publish_support import error_finding, stage
from site_support import shared_outputs

from pipeline.site.build import build_site
from pipeline.site.serve import make_server

pytestmark = pytest.mark.browser
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"  # 4.14.1, see vendor/axe-core/README.md
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
WIDTHS = (1280, 375)


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """name → base URL: the published site, and a copy whose latest run was blocked."""
    published = shared_outputs(tmp_path_factory)
    blocked = tmp_path_factory.mktemp("a11y-blocked") / "outputs"
    shutil.copytree(published, blocked, symlinks=True)
    stage(blocked, findings=[error_finding()])
    build_site(blocked)
    servers, urls = [], {}
    for name, outputs in (("published", published), ("blocked", blocked)):
        server = make_server(outputs / "site", 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        urls[name] = f"http://127.0.0.1:{server.server_address[1]}/"
    yield urls
    for server in servers:
        server.shutdown()
        server.server_close()


def every_page(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


@pytest.fixture(scope="module")
def pages(sites: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str]]:
    published = shared_outputs(tmp_path_factory) / "site"
    out = [("published", p) for p in every_page(published)]
    out += [("blocked", p) for p in ("review.html", "index.html", "blocked/validation/report.html")]
    return out




def test_the_vendored_axe_is_the_published_file() -> None:
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == AXE_SHA256
    assert (AXE.parent / "LICENSE").is_file()


def test_every_page_is_covered(pages: list[tuple[str, str]]) -> None:
    names = {p for _, p in pages}
    assert {"index.html", "review.html", "release-1.0.0.html", "release-1.1.0.html"} <= names
    assert {"staging/validation/report.html", "releases/1.1.0/validation/report.html", "blocked/validation/report.html"} <= names


def _violations(page) -> list[str]:  # noqa: ANN001
    page.evaluate(AXE.read_text(encoding="utf-8"))  # injected by the test only (the page's CSP is bypassed in this context)
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", TAGS)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_axe_finds_no_serious_or_critical_violation_at_both_widths(browser, sites: dict[str, str], pages) -> None:  # noqa: ANN001
    problems = []
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
        page = context.new_page()
        for site, url in pages:
            page.goto(sites[site] + url)
            problems += [f"{site}/{url} @{width}px: {v}" for v in _violations(page)]
        context.close()
    assert not problems, "\n".join(problems)


def test_no_page_is_wider_than_a_320px_viewport(browser, sites: dict[str, str], pages) -> None:  # noqa: ANN001
    context = browser.new_context(viewport={"width": 320, "height": 800})
    page = context.new_page()
    wide = []
    for site, url in pages:
        page.goto(sites[site] + url)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            culprits = page.evaluate(
                "() => Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 321)"
                ".filter(e => !e.closest('.table-wrap, .scroll')).slice(0, 3).map(e => e.tagName + '.' + e.className)"
            )
            wide.append(f"{site}/{url}: {width}px ({culprits})")
    context.close()
    assert not wide, "\n".join(wide)
