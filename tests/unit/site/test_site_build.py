"""The static release site (pipeline.site) without a browser: pages, links, files, escaping, CSP.

The fixture runs the real path on the sample: extract → checks → stage → publish 1.0.0, then adds a
profile whose name and summary carry <script>/<img onerror> markup and publishes 1.1.0, then builds
the site. ``published_outputs`` is reused by tests/test_site_browser.py.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pandas as pd
import pytest
from conftest import REPO
from publish_support import stage
from site_support import EVIL_NAME, shared_outputs

from pipeline import markdown
from pipeline.findings import Finding
from pipeline.schemas import load_schemas
from pipeline.site import charts
from pipeline.site.build import build_site


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_outputs(tmp_path_factory)


@pytest.fixture(scope="module")
def site(outputs: Path) -> Path:
    return outputs / "site"


class Page(HTMLParser):
    """Every element with its attributes, and the text, of one HTML page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def tags(self, name: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.elements if t == name]


def pages(site: Path) -> dict[str, Page]:
    return {p.name: Page(p.read_text(encoding="utf-8")) for p in sorted(site.glob("*.html"))}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- pages and links -------------------------------------------------------------------------------


def test_build_site_writes_every_page(site: Path) -> None:
    names = {p.name for p in site.glob("*.html")}
    assert names == {
        "index.html",
        "release-1.0.0.html",
        "release-1.1.0.html",
        "latest.html",
        "diff.html",
        "diff-1.0.0..1.1.0.html",
        "review.html",
    }
    assert (site / "static" / "site.js").is_file() and (site / "static" / "site.css").is_file()
    index = (site / "index.html").read_text(encoding="utf-8")
    assert index.index("release-1.1.0.html") < index.index("release-1.0.0.html")  # newest first


def test_every_link_resolves_inside_the_site(site: Path) -> None:
    checked = 0
    for name, page in pages(site).items():
        for tag, attr in (("a", "href"), ("link", "href"), ("script", "src")):
            for attrs in page.tags(tag):
                url = attrs.get(attr)
                if not url or url.startswith("#"):
                    continue
                parts = urlsplit(url)
                assert not parts.scheme and not parts.netloc and not url.startswith("/"), f"{name}: {url} is not site-relative"
                target = (site / unquote(parts.path)).resolve()
                assert target.is_relative_to(site.resolve()) and target.is_file(), f"{name}: {url} does not resolve"
                checked += 1
    assert checked > 50


def test_fragment_links_have_targets(site: Path) -> None:
    for name, page in pages(site).items():
        ids = {a.get("id") for _, a in page.elements if a.get("id")}
        for attrs in page.tags("a"):
            href = attrs.get("href") or ""
            if href.startswith("#"):
                assert href[1:] in ids, f"{name}: {href} has no target"


def test_listed_files_are_the_release_files_with_their_checksums(outputs: Path, site: Path) -> None:
    index = pages(site)["index.html"]
    listed = {a["href"]: a["data-sha256"] for a in index.tags("a") if a.get("data-sha256")}
    for version in ("1.0.0", "1.1.0"):
        release = outputs / "releases" / version
        sums = dict(line.split("  ", 1)[::-1] for line in (release / "SHA256SUMS").read_text().splitlines())
        for rel, digest in sums.items():
            assert sha256(site / "releases" / version / rel) == digest
        for table in (r["name"] for r in json.loads((release / "datapackage.json").read_text())["resources"] if r["format"] == "csv"):
            for suffix in ("csv", "parquet"):
                href = f"releases/{version}/data/{table}.{suffix}"
                assert listed[href] == sums[f"data/{table}.{suffix}"]
        assert listed[f"releases/{version}/datapackage.json"] == sums["datapackage.json"]
        entry = next(e for e in json.loads((outputs / "releases" / "index.json").read_text())["releases"] if e["version"] == version)
        assert listed[f"releases/{entry['zip']['path']}"] == entry["zip"]["sha256"] == sha256(site / "releases" / entry["zip"]["path"])


def test_release_files_are_never_written_through_the_site(outputs: Path, site: Path) -> None:
    before = sha256(outputs / "releases" / "1.0.0" / "data" / "organizations.csv")
    build_site(outputs)  # rebuild replaces the site; the releases stay byte-identical
    assert sha256(outputs / "releases" / "1.0.0" / "data" / "organizations.csv") == before
    assert not list(outputs.glob(".tmp-site-*"))


# -- escaping and CSP ------------------------------------------------------------------------------


def test_profile_markup_is_escaped_in_the_html_source(site: Path) -> None:
    html_text = (site / "release-1.1.0.html").read_text(encoding="utf-8")
    assert "Evil &lt;script&gt;window.__pwned = 1&lt;/script&gt; Org" in html_text
    assert "&lt;img src=x onerror=" in html_text
    for name in ("index.html", "release-1.1.0.html", "review.html"):
        raw = (site / name).read_text(encoding="utf-8")
        assert "<script>window" not in raw and "<img" not in raw and "<b>bold" not in raw, name
        page = Page(raw)
        assert not page.tags("img"), name
        assert EVIL_NAME in "".join(page.text) or name == "index.html"


def test_every_page_has_a_csp_without_inline_scripts_or_handlers(site: Path) -> None:
    for name, page in pages(site).items():
        metas = [a for a in page.tags("meta") if (a.get("http-equiv") or "").lower() == "content-security-policy"]
        assert len(metas) == 1, name
        policy = metas[0]["content"] or ""
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "default-src 'none'" in policy
        scripts = page.tags("script")
        assert scripts and all(s.get("src") in ("static/site.js", "static/findings.js") for s in scripts), name
        for tag, attrs in page.elements:
            assert not [k for k in attrs if k.startswith("on")], f"{name}: <{tag}> has an event handler"
            assert "style" not in attrs, f"{name}: <{tag}> has an inline style"


@pytest.mark.parametrize("script", ["pipeline/site/static/site.js", "pipeline/validate/templates/findings.js"])
def test_script_builds_no_markup_from_data(script: str) -> None:
    js = (REPO / script).read_text()
    js = re.sub(r"/\*.*?\*/", "", js, flags=re.S)  # the comment may name what the code avoids
    for unsafe in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert unsafe not in js


# -- content ---------------------------------------------------------------------------------------


def test_dictionary_lists_every_published_table_and_column(site: Path) -> None:
    page = pages(site)["release-1.0.0.html"]
    ids = {a.get("id") for _, a in page.elements}
    text = "".join(page.text)
    for table in (t for t in load_schemas().values() if t.published):
        assert f"table-{table.name}" in ids
        for column in table.columns:
            assert column in text
    assert "table-quarantine" not in ids


def test_release_page_has_charts_orgs_and_changelog(site: Path) -> None:
    page = Page((site / "release-1.1.0.html").read_text(encoding="utf-8"))
    assert sum(1 for t, _ in page.elements if t == "svg") == 3
    rows = [a for a in page.tags("tr") if a.get("data-id")]
    assert {r["data-id"] for r in rows} >= {"evl", "itu", "wto"} and len(rows) == 7
    text = "".join(page.text)
    assert "1.1.0" in text and "Minor release" in text and "First release" in text  # both changelog entries


def test_index_shows_status_counts_and_change_summary(site: Path) -> None:
    text = "".join(Page((site / "index.html").read_text(encoding="utf-8")).text)
    assert "warnings accepted on review" in text
    assert "organizations: 1 row added" in text
    # the 1.1.0 candidate is still in staging/ but was published: the site says so, not "staged"
    assert "The staged candidate was published as 1.1.0" in text and "A release candidate is staged" not in text
    review = "".join(Page((site / "review.html").read_text(encoding="utf-8")).text)
    assert "Candidate already published as 1.1.0" in review


def test_review_page_groups_findings_and_links_excerpts(outputs: Path, site: Path) -> None:
    report = json.loads((outputs / "staging" / "validation" / "report.json").read_text())
    raw = (site / "review.html").read_text(encoding="utf-8")
    page = Page(raw)
    items = [a for tag, a in page.elements if tag == "li" and "finding" in (a.get("class") or "").split()]
    assert len(items) == len(report["findings"])  # every finding is listed (the page filters and pages them)
    assert [a["data-rule"] for a in items] == [f["rule"] for f in report["findings"]]
    assert any(a.get("data-rule") == "markup-in-text" and a.get("data-file") == "evil.txt" for a in items)
    assert {a["data-org"] for a in items} >= {"evl"}  # filterable by organisation
    options = {a.get("value") for a in page.tags("option")}
    assert {"error", "warning", "markup-in-text", "evil.txt", "evl"} <= options | {"error"}
    # the excerpt of the evil profile's name line shows the source line itself, escaped
    assert "evil.txt:1" in "".join(page.text)
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in raw


def test_empty_outputs_build_a_site_that_says_so(tmp_path: Path) -> None:
    site = build_site(tmp_path / "outputs")
    assert "No release has been published yet" in (site / "index.html").read_text()
    assert "No release candidate is staged" in (site / "review.html").read_text()


def test_blocked_candidate_review_lists_its_errors(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    finding = Finding("no-profiles", "no profile found in junk.txt", source_file="junk.txt", source_line=3, excerpt="<b>junk</b>")
    stage(outputs, findings=[finding])
    raw = (build_site(outputs) / "review.html").read_text()
    page = Page(raw)
    assert any(a.get("data-rule") == "no-profiles" and a.get("data-severity") == "error" for _, a in page.elements)
    text = "".join(page.text)
    assert "junk.txt:3" in text and "Latest run: BLOCKED" in text
    assert "&lt;b&gt;junk&lt;/b&gt;" in raw and "<b>junk" not in raw
    assert "1 error" in text


# -- units -----------------------------------------------------------------------------------------


def test_markdown_renders_only_its_subset() -> None:
    out = str(markdown.render("## 1.0.0\n\n- `a<b>` \\*x\\* &lt;img src=x&gt;\n- **bold** <i>raw</i>"))
    assert "<h3>1.0.0</h3>" in out
    assert "<code>a&lt;b&gt;</code>" in out and "*x*" in out
    assert "&lt;img src=x&gt;" in out and "<img" not in out and "<i>" not in out
    assert "<strong>bold</strong>" in out


def test_blocked_run_is_shown_beside_the_good_candidate_it_does_not_replace(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    assert stage(outputs).publishable
    stage(outputs, findings=[Finding("no-profiles", "no profile found in junk.txt", source_file="junk.txt", source_line=3)])
    page = Page((build_site(outputs) / "review.html").read_text())
    text = "".join(page.text)
    assert "Latest run: BLOCKED" in text and "Earlier candidate (still publishable)" in text and "--earlier-candidate" in text
    hrefs = {a.get("href") for a in page.tags("a")}
    assert {"blocked/validation/report.html", "staging/validation/report.html"} <= hrefs
    index = "".join(Page((outputs / "site" / "index.html").read_text()).text)
    assert "The latest run is blocked" in index and "an earlier candidate is still staged" in index


def test_charts_escape_labels_and_skip_missing_data() -> None:
    orgs = pd.DataFrame({"organization_id": ["a", "b"], "acronym": ["<A>", None], "name": ["A", "B & co"]})
    issues = pd.DataFrame({"organization_id": ["a", "a"], "issue": ["<x>", "Y"], "basket": ["Infrastructure", "Economic"]})
    svg = str(charts.issue_matrix(orgs, issues))
    assert "&lt;A&gt;" in svg and "B &amp; co" in svg and "<x>" not in svg
    assert svg.count('class="cell basket-') == 2 and svg.count('class="cell empty"') == 2
    assert charts.issue_matrix(orgs, issues.iloc[0:0]) is None
    assert charts.countries_mentioned(None) is None
    bars = str(charts.issues_per_basket(issues))
    assert bars.count('class="bar ') == 2


def test_server_serves_the_site_with_security_headers(site: Path) -> None:
    from pipeline.site.serve import make_server

    server = make_server(site, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        with urllib.request.urlopen(base) as resp:
            assert "default-src 'none'" in resp.headers["Content-Security-Policy"]
            assert b"Releases" in resp.read()
        with urllib.request.urlopen(base + "releases/1.0.0/validation/report.html") as resp:
            assert "sandbox" in resp.headers["Content-Security-Policy"]
    finally:
        server.shutdown()
        server.server_close()
