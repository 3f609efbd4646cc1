"""Review that scales (issue 14): ``report.html`` and the site's review page with 5,000 findings,
filtered by severity, rule, file and organisation and searched, in Debian's Chromium, offline.

The findings are generated (known counts per facet); the candidate is staged through the one
staging step and the site built; pages are served by the site's own server, so the report runs
under the release files' sandboxed policy (its filter allowed by hash) and no request leaves
127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from publish_support import stage

from pipeline.findings import Finding
from pipeline.site.build import build_site
from pipeline.site.serve import make_server

pytestmark = pytest.mark.browser
N = 5000
RULES = ("run-together-words", "placeholder-text", "empty-section", "mixed-script-word", "list-intro-without-list")
FILES = [f"profiles-{i:02d}.txt" for i in range(20)]
ORGS = [f"org-{i:03d}" for i in range(100)]


def many_findings() -> list[Finding]:
    out = []
    for i in range(N):
        rule = RULES[i % len(RULES)]
        out.append(
            Finding(
                rule,
                f"finding number {i} about {'ofpartners' if i == 4321 else 'text'}",
                severity="info" if i % 10 == 0 else "warning",
                table="sections",
                key={"organization_id": ORGS[i % len(ORGS)], "section_id": f"s{i}"},
                column="text",
                value="ofpartners" if i == 4321 else None,
                source_file=FILES[i % len(FILES)],
                source_line=i + 1,
                excerpt=("lead " * 60 + "ofpartners tail") if i == 4321 else f"line {i}",
            )
        )
    return out


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    outputs = tmp_path_factory.mktemp("five-thousand") / "outputs"
    assert stage(outputs, findings=many_findings()).publishable
    site = build_site(outputs)
    server = make_server(site, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()




def _visible(page) -> list[dict]:  # noqa: ANN001
    return page.locator("li.finding:visible").evaluate_all("els => els.map(e => ({...e.dataset}))")


@pytest.mark.parametrize("url", ["review.html", "staging/validation/report.html"])
def test_five_thousand_findings_filter_search_and_page(browser, served: str, url: str) -> None:  # noqa: ANN001
    context = browser.new_context(base_url=served)
    page = context.new_page()
    problems: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(served) else None)
    page.goto(url)
    assert page.locator("li.finding").count() == N
    status = page.locator(".findings-status")
    assert f"{N} of {N} findings match" in status.text_content() and len(_visible(page)) == 50  # paged

    page.select_option("select[data-filter='severity']", "info")
    assert status.text_content().startswith(f"{N // 10} of {N}")
    page.select_option("select[data-filter='rule']", "run-together-words")  # i % 10 == 0 and i % 5 == 0: every info one
    assert status.text_content().startswith(f"{N // 10} of {N}")
    page.select_option("select[data-filter='file']", "profiles-00.txt")  # i % 20 == 0
    page.select_option("select[data-filter='org']", "org-000")  # i % 100 == 0
    shown = _visible(page)
    assert len(shown) == N // 100 and all(
        (d["severity"], d["rule"], d["file"], d["org"]) == ("info", "run-together-words", "profiles-00.txt", "org-000") for d in shown
    )
    for name in ("severity", "rule", "file", "org"):
        page.select_option(f"select[data-filter='{name}']", "")
    page.fill("input[type='search']", "ofpartners")
    (only,) = _visible(page)
    assert only["rule"] == RULES[4321 % len(RULES)]
    mark = page.locator("li.finding:visible blockquote mark")
    assert mark.text_content() == "ofpartners" and mark.is_visible()  # centred on the flagged word, highlighted

    page.fill("input[type='search']", "")
    page.locator("button.findings-next").click()
    assert "showing 51–100 (page 2 of 100)" in status.text_content()
    assert not problems and not outside, (problems, outside)
    context.close()
