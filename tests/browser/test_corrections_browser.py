"""Corrections in the findings list, in Debian's Chromium: ``report.html`` and the review page filter
by status (open or corrected), show who corrected a finding, and copy the suggested entry of an
open correctable finding, exactly as the corrections file reads it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from corrections_support import write_sources
from publish_support import stage_extraction

from pipeline.corrections.apply import apply_corrections
from pipeline.corrections.entries import read_corrections
from pipeline.corrections.suggest import wrap
from pipeline.extract import extract_paths
from pipeline.site.build import build_site
from pipeline.site.serve import make_server

pytestmark = pytest.mark.browser
FIX = """corrections:
  - organization: ldi
    table: organizations
    column: established
    source_value: "1"
    value: 1991
    reason: The charter says 1991.
    editor: Jane Editor
    date: 2024-05-02
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("corrections-browser")
    src = write_sources(root / "sources", FIX)
    extraction = apply_corrections(extract_paths([src]), src / "corrections.yaml", sources_dir=src)
    outputs = root / "outputs"
    assert stage_extraction(extraction, outputs, context={"sources_dir": str(src)}, created="2025-03-04T05:06:07Z").publishable
    server = make_server(build_site(outputs), 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("url", ["review.html", "staging/validation/report.html"])
def test_filter_by_status_and_copy_an_entry(browser, served: str, url: str, tmp_path: Path) -> None:  # noqa: ANN001
    context = browser.new_context(base_url=served, permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(url)
    total = page.locator("li.finding").count()
    page.select_option("select[data-filter='status']", "corrected")
    shown = page.locator("li.finding:visible")
    assert shown.count() == 1 and shown.get_attribute("data-rule") == "established-impossible"
    assert (
        "Corrected by the editors' entry corrections.yaml:2 (Jane Editor, 2024-05-02)"
        in shown.locator(".finding-resolution").text_content()
    )
    page.select_option("select[data-filter='status']", "open")
    assert page.locator("li.finding:visible").count() == min(total - 1, 50)

    page.select_option("select[data-filter='rule']", "website-scheme")
    item = page.locator("li.finding:visible")
    item.locator("details.finding-correction summary").click()
    button = item.locator("button.copy-entry")
    button.wait_for(state="visible")  # made by the script when the entry is first opened
    button.click()
    page.wait_for_function("document.querySelector('li.finding.on button.copy-entry').textContent !== 'Copy the entry'")
    assert button.text_content() == "Copied"
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == item.locator("pre.correction-entry").text_content()
    parsed = tmp_path / "pasted.yaml"
    parsed.write_text(wrap([copied.replace("editor:\n", "editor: Jane Editor\n")]), encoding="utf-8")
    [at] = read_corrections(parsed, "pasted.yaml").entries
    assert (at.entry.organization, at.entry.column, at.entry.source_value, str(at.entry.date)) == (
        "hpo",
        "website",
        "javascript:alert(1)",
        "2025-03-04",
    )
    assert not problems, problems
    context.close()


def test_without_scripts_every_finding_and_entry_is_there(browser, served: str) -> None:  # noqa: ANN001
    context = browser.new_context(base_url=served, java_script_enabled=False)
    page = context.new_page()
    page.goto("review.html")
    findings = page.locator("li.finding")
    assert findings.count() > 1 and page.locator("li.finding:visible").count() == findings.count()
    entries = page.locator("details.finding-correction")
    assert entries.count() >= 1
    entries.first.locator("summary").click()  # a native disclosure: opens without the script
    assert entries.first.locator("pre.correction-entry").is_visible()
    context.close()
