"""The correction entry the report and the review page suggest for a finding: it is on both pages,
it parses back to exactly the finding's cell and value, and once the editor fills it in and the run
applies it, the finding is corrected."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import SAMPLE
from corrections_support import PROFILES, extract_corrected, write_sources
from hypothesis import example, given, settings
from hypothesis import strategies as st
from publish_support import stage_extraction

from pipeline.corrections.apply import apply_corrections
from pipeline.corrections.entries import read_corrections
from pipeline.corrections.suggest import quoted, suggested_entry, wrap
from pipeline.extract import extract_paths
from pipeline.findings import Finding
from pipeline.site.build import build_site
from pipeline.validate.checks import check_tables
from pipeline.validate.report import build_report

ENTRY = re.compile(r'<pre class="correction-entry"><code>(.*?)</code></pre>', re.S)


def report_findings(extraction) -> list[dict]:
    """The report entries of an extraction's findings and its validation, as the candidate has them."""
    return [f.to_dict() for f in build_report([*extraction.findings, *check_tables(extraction.tables)]).findings]


def parse(text: str, tmp_path: Path):
    path = tmp_path / "pasted.yaml"
    path.write_text(text, encoding="utf-8")
    return read_corrections(path, "pasted.yaml")


def filled(suggestion: str, *, replace: str | None = None, value: str | None = None) -> str:
    """What the editor does with a suggestion: the corrected text, a reason, their name, the date."""
    text = re.sub(r"^( *)editor:$", r"\1editor: Jane Editor", suggestion, flags=re.M)
    text = re.sub(r"^( *)date:$", r"\1date: 2024-05-02", text, flags=re.M)
    if replace is not None:
        text = re.sub(r"replace: .*", f"replace: {quoted(replace)}", text)
    if value is not None:
        text = re.sub(r"value: null.*", f"value: {quoted(value)}", text)
    return text


def test_every_correctable_finding_of_the_sample_gets_an_entry_that_names_its_cell(tmp_path: Path) -> None:
    sample = apply_corrections(extract_paths([SAMPLE.parent]), None)
    findings = report_findings(sample)
    suggested = [(f, suggested_entry(f, date="2024-05-02")) for f in findings]
    assert all(s is not None for _, s in suggested), [f["rule"] for f, s in suggested if s is None]
    for f, text in suggested:
        assert text is not None
        got = parse(filled(wrap([text])), tmp_path)
        assert got.findings == [], text
        [at] = got.entries
        e = at.entry
        assert (e.organization, e.table, e.column) == (f["key"]["organization_id"], f["table"], f["column"])
        assert e.key == {k: str(v) for k, v in f["key"].items() if k != "organization_id"}
        if e.sets_value:
            assert e.value is None and f["rule"] == "empty-section"
        else:
            assert e.source_value == e.replace == f["value"]


@pytest.mark.parametrize(
    ("rule", "outcome"), [("established-impossible", "correction-rejected"), ("run-together-words", "correction-unneeded")]
)
def test_pasted_unchanged_an_entry_changes_nothing(tmp_path: Path, rule: str, outcome: str) -> None:
    """Unsigned it is skipped; signed but not edited it is not applied (the same impossible year is
    rejected, the same text is unneeded): a copy never takes effect unread."""
    plain = apply_corrections(extract_paths([write_sources(tmp_path / "plain", None)]), None)
    [finding] = [f for f in report_findings(plain) if f["rule"] == rule]
    suggestion = suggested_entry(finding, date="2024-05-02")
    assert suggestion is not None
    src = write_sources(tmp_path / "src", wrap([suggestion]))
    assert [f.rule for f in extract_corrected(src).findings if f.source_file == "corrections.yaml"] == ["correction-invalid"]
    write_sources(src, wrap([filled(suggestion)]))
    ex = extract_corrected(src)
    assert [f.rule for f in ex.findings if f.source_file == "corrections.yaml"] == [outcome]
    assert ex.tables["corrections"].empty
    assert [f["status"] for f in report_findings(ex) if f["rule"] == rule] == ["open"]


@pytest.mark.parametrize(
    ("rule", "fix"),
    [
        ("established-impossible", {"replace": "1991"}),  # an extraction finding of a nulled field
        ("website-scheme", {"replace": "https://hpo.example.org"}),
        ("run-together-words", {"replace": "of partners"}),  # a validation finding in prose
    ],
)
def test_the_suggested_entry_round_trips(tmp_path: Path, rule: str, fix: dict[str, str]) -> None:
    plain = apply_corrections(extract_paths([write_sources(tmp_path / "plain", None)]), None)
    [finding] = [f for f in report_findings(plain) if f["rule"] == rule]
    suggestion = suggested_entry(finding, date="2024-05-02")
    assert suggestion is not None
    ex = extract_corrected(write_sources(tmp_path / "src", wrap([filled(suggestion, **fix)])))
    assert [f for f in ex.findings if f.source_file == "corrections.yaml"] == []
    [corrected] = [f for f in report_findings(ex) if f["rule"] == rule]
    assert corrected["status"] == "corrected" and corrected["severity"] == "info"
    assert corrected["resolution"]["correction"] == "corrections.yaml:2"
    assert not [f for f in check_tables(ex.tables) if f.rule == rule], "and the published data no longer has it"


def test_an_empty_section_gets_a_whole_value_to_write(tmp_path: Path) -> None:
    sample = apply_corrections(extract_paths([SAMPLE.parent]), None)
    empty = next(f for f in report_findings(sample) if f["rule"] == "empty-section")
    suggestion = suggested_entry(empty, date="2024-05-02")
    assert suggestion is not None and "value: null" in suggestion and "source_value" not in suggestion
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(SAMPLE, src / SAMPLE.name)
    (src / "corrections.yaml").write_text(wrap([filled(suggestion, value="The section's text, written by the editors.")]))
    ex = extract_corrected(src)
    [corrected] = [f for f in report_findings(ex) if f["rule"] == "empty-section" and f["key"] == empty["key"]]
    assert corrected["status"] == "corrected"


@pytest.mark.parametrize(
    "value",
    ['say "hi"', "back\\slash", "two\nlines", "hash # not a comment", "colon: here", "  padded  ", "C1\x85control", "é and ∑", "- dash"],
)
def test_values_are_quoted_so_they_read_back_exactly(tmp_path: Path, value: str) -> None:
    finding = Finding(
        "placeholder-text", "m", table="sections", key={"organization_id": "a", "section_id": "b/c, [d] {e}"}, column="text", value=value
    ).to_dict()
    suggestion = suggested_entry(finding, date="2024-05-02")
    assert suggestion is not None
    [at] = parse(filled(wrap([suggestion])), tmp_path).entries
    assert at.entry.source_value == at.entry.replace == value
    assert at.entry.key == {"section_id": "b/c, [d] {e}"}  # flow indicators in a key value are quoted


def test_no_entry_for_findings_a_cell_cannot_resolve() -> None:
    key = {"organization_id": "a"}
    assert (
        suggested_entry(Finding("duplicate-organization", "m", table="organizations", key=key, column="acronym", value="A").to_dict())
        is None
    )
    assert suggested_entry(Finding("correction-stale", "m", table="organizations", key=key, column="acronym", value="A").to_dict()) is None
    assert suggested_entry(Finding("schema", "m", table="organizations", key=key, column="organization_id", value="A").to_dict()) is None
    assert suggested_entry(Finding("schema", "m", table="quarantine", key=key, column="value", value="A").to_dict()) is None
    assert suggested_entry(Finding("file-empty", "m", source_file="a.txt").to_dict()) is None
    corrected = Finding("website-scheme", "m", table="organizations", key=key, column="website", value="x", status="corrected")
    assert suggested_entry(corrected.to_dict()) is None
    assert suggested_entry(Finding("website-scheme", "m", table="organizations", key=key, column="website", value="x").to_dict())


def test_report_html_and_the_review_page_show_the_entry_ready_to_copy(tmp_path: Path) -> None:
    src = write_sources(tmp_path / "src", None)
    outputs = tmp_path / "outputs"
    ex = extract_corrected(src)
    stage_extraction(ex, outputs, context={"sources_dir": str(src)}, created="2025-03-04T05:06:07Z")
    staged = outputs / "staging" / "validation"
    report = staged / "report.html"
    shown = [html.unescape(m) for m in ENTRY.findall(report.read_text(encoding="utf-8"))]
    entries = [f for f in (suggested_entry(f, date="2025-03-04") for f in report_findings(ex)) if f]
    assert sorted(shown) == sorted(entries) and len(entries) >= 3
    assert all("date: 2025-03-04" in s for s in shown), "dated the candidate's day"
    review = build_site(outputs) / "review.html"
    page = review.read_text(encoding="utf-8")
    assert sorted(html.unescape(m) for m in ENTRY.findall(page)) == sorted(entries)
    assert 'class="findings-help"' in page and 'data-filter="status"' in page  # the copy button is made by the script
    # the findings script runs in the head, before the list is parsed: thousands of entries are
    # then never laid out only to be hidden (seconds per thousand <details> in Chromium)
    head = page.split("<body", 1)[0]
    assert '<script src="static/findings.js"></script>' in head
    assert "<script>" in report.read_text(encoding="utf-8").split("<body", 1)[0]
    assert PROFILES  # the profiles the entries point at


@settings(max_examples=3000, deadline=None)
@given(
    st.text(alphabet="aAzZyYnNéС01 .,'()/_-:#~?;!&*%@`\"|>[]{}\xa0\xad\u2028\t", min_size=1, max_size=12)
    | st.sampled_from(["yes", "No", "NULL", "on", "Off", "y", "n", "e", "a.b", "x_y"])
)
@example("a: b")
@example("a #b")
@example("a\xadb")
@example("a\u2028b")
@example("a\tb")
@example("a\xa0")
@example("no")
@example("Ab:")
def test_the_fast_plain_scalar_is_what_yaml_writes(text: str) -> None:
    """``scalar`` writes plain exactly where YAML's own dump would write the text plain too, and
    whatever it writes reads back as the text."""
    from pipeline.corrections import suggest

    dumped = yaml.safe_dump(text, allow_unicode=True, width=float("inf")).removesuffix("\n...\n").rstrip("\n")
    if suggest._plain(text):
        assert suggest.scalar(text) == dumped == text
    assert yaml.safe_load(suggest.scalar(text)) == text
