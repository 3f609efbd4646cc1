"""The validation report: stable deterministic JSON, escaped HTML and Markdown, console summary."""

from __future__ import annotations

import json
import re

import pytest

from pipeline.findings import Finding
from pipeline.markdown import md_text
from pipeline.validate.report import FINDING_FIELDS, build_report, filter_script, load_report, summarize, write_report

XSS = '<script>alert("x")</script>'
IMG = '<img src=x onerror="alert(1)">'


def findings() -> list[Finding]:
    return [
        Finding(
            "run-together-words",
            "words run together in 'ofpartners'",
            table="sections",
            key={"organization_id": "acme", "section_id": "tools"},
            column="text",
            value="ofpartners",
            source_file="a.txt",
            source_line=884,
            excerpt="Giga is working ofpartners",
        ),
        Finding(
            "markup-in-text",
            f"sections.text contains markup {IMG!r}",
            table="sections",
            key={"organization_id": "acme", "section_id": "x"},
            column="text",
            value=IMG,
            source_file="a.txt",
            source_line=12,
            excerpt=f"Before {XSS} after {IMG}",
        ),
        Finding(
            "schema",
            "organizations.established: 20006 is above the maximum 2100",
            table="organizations",
            key={"organization_id": "b"},
            column="established",
            value="20006",
            source_file="b.txt",
            source_line=20,
        ),
        Finding("variant-heading", "heading read as 'Digital tools'", source_file="a.txt", source_line=868),
        Finding("schema-published-file", "footnotes.csv is missing"),
    ]


def test_report_json_format():
    report = build_report(findings(), context={"sources": [{"path": "a.txt", "sha256": "00"}]}).to_dict()
    assert report["format_version"] == "1.2"
    assert report["generated"] == {"sources": [{"path": "a.txt", "sha256": "00"}]}
    s = report["summary"]
    assert s["publishable"] is False and s["total"] == 5
    assert s["by_severity"] == {"error": 2, "warning": 2, "info": 1}
    assert s["by_rule"]["schema"] == {
        "count": 1,
        "severity": "error",
        "title": "Value breaks the table schema",
        "hint": "Correct the source so the value fits the column's type and constraints.",
    }
    assert s["by_table"] == {"(none)": 2, "organizations": 1, "sections": 2}
    assert s["by_status"] == {"open": 5, "corrected": 0}
    assert {f["status"] for f in report["findings"]} == {"open"} and all(f["resolution"] is None for f in report["findings"])
    assert [f["severity"] for f in report["findings"]] == ["error", "error", "warning", "warning", "info"]
    assert all(tuple(f) == FINDING_FIELDS for f in report["findings"])
    assert report["findings"][0]["rule"] == "schema-published-file"  # errors first, no file before files
    assert [f["source_line"] for f in report["findings"][2:4]] == [12, 884]


def test_publishable_without_errors():
    report = build_report([f for f in findings() if f.severity != "error"])
    assert report.summary.publishable is True


def test_report_json_is_deterministic(tmp_path):
    a = write_report(findings(), tmp_path / "a", context={"sources": []})
    b = write_report(list(reversed(findings())), tmp_path / "b", context={"sources": []})
    for kind in ("json", "md", "html"):
        assert a[kind].read_bytes() == b[kind].read_bytes(), kind
    assert not re.search(r"20\d\d-\d\d-\d\dT", a["json"].read_text(encoding="utf-8"))  # no timestamp of its own


def test_report_html_escapes_markup(tmp_path):
    html = write_report(findings(), tmp_path)["html"].read_text(encoding="utf-8")
    assert "<script>alert" not in html and "<img" not in html and 'onerror="' not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    # self-contained: inline CSS, nothing loaded from elsewhere
    assert "<style>" in html and not re.search(r"""(src|href)=["']?(https?:|//)""", html) and "<link" not in html
    # summary first, then the findings, most severe first, each filterable by its data attributes
    assert html.index("Not publishable") < html.index('data-severity="error"') < html.index('data-severity="warning"') < html.index(
        'data-severity="info"'
    )
    assert 'data-rule="run-together-words" data-file="a.txt" data-org="acme"' in html
    assert "a.txt:884" in html and "Giga is working <mark>ofpartners</mark>" in html  # the flagged word highlighted
    # the one inline script is the filter, allowed by its hash in the page's own policy, nothing else
    script, digest = filter_script()
    assert html.count("<script>") == 1 and f"<script>{script}</script>" in html
    from html import unescape

    policy = unescape(html.split('http-equiv="Content-Security-Policy" content="', 1)[1].split('"', 1)[0])
    assert f"script-src {digest}" in policy and "unsafe" not in policy.split("script-src", 1)[1]


def test_excerpts_are_centred_on_the_flagged_value(tmp_path):
    long_line = "Lead text " * 40 + "the partners workofpartners in Geneva " + "tail words " * 30
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("first\n" + long_line + "\n", encoding="utf-8")
    import hashlib

    sha = hashlib.sha256((tmp_path / "src" / "a.txt").read_bytes()).hexdigest()
    finding = Finding("run-together-words", "run together", value="workofpartners", source_file="a.txt", source_line=2,
                      excerpt=long_line[:239] + "…")  # cut from the line start: the word is not in it
    context = {"sources_dir": str(tmp_path / "src"), "sources": [{"path": "a.txt", "sha256": sha}]}
    entry = build_report([finding], context=context).findings[0]
    start, end = entry.excerpt_span
    assert entry.excerpt[start:end] == "workofpartners" and len(entry.excerpt) <= 240
    assert abs((start + end) / 2 - len(entry.excerpt) / 2) < 10  # centred
    # without the sources (or with a changed file) the stored excerpt is used as it is
    entry = build_report([finding]).findings[0]
    assert entry.excerpt_span is None and entry.excerpt.startswith("Lead text")


def test_report_md_escapes_markup(tmp_path):
    md = write_report(findings(), tmp_path)["md"].read_text(encoding="utf-8")
    assert "<script>" not in md and "<img" not in md and "&lt;script&gt;" in md
    assert "a.txt:884" in md and "Not publishable" in md
    assert md_text("a|b `c` *d*\nnext") == "a\\|b \\`c\\` \\*d\\* next"


def test_load_report_and_summarize(tmp_path):
    paths = write_report(findings(), tmp_path)
    report = load_report(paths["json"])
    assert report.to_dict() == json.loads(paths["json"].read_text(encoding="utf-8"))
    text = summarize(report, top=2)
    assert text.splitlines()[0].startswith("Validation: NOT publishable") and "2 errors, 2 warnings, 1 info" in text
    assert "b.txt:20" in text and "… and 3 more" in text


def test_load_report_refuses_other_files(tmp_path):
    bad = tmp_path / "report.json"
    bad.write_text('{"format_version": "9.0", "summary": {}, "findings": []}', encoding="utf-8")
    with pytest.raises(ValueError, match="unsupported report format"):
        load_report(bad)
    bad.write_text("not json", encoding="utf-8")
    with pytest.raises(ValueError, match="report.json"):
        load_report(bad)


def test_empty_report(tmp_path):
    paths = write_report([], tmp_path)
    report = load_report(paths["json"])
    assert report.summary.publishable is True and report.findings == []
    assert "No findings." in paths["html"].read_text(encoding="utf-8")
    assert summarize(report).startswith("Validation: publishable — 0 errors")
