"""The heading tree: levels, parents, text ranges; nothing between header and footnotes dropped."""

from __future__ import annotations

import pandas as pd
from conftest import make_profile

from pipeline.extract.reader import normalise


def test_tree_is_consistent(sample):
    s = sample.tables["sections"]
    ids = set(zip(s["organization_id"], s["section_id"], strict=True))
    for row in s.itertuples():
        if row.level == 1:
            assert pd.isna(row.parent_section_id)
        else:
            assert (row.organization_id, row.parent_section_id) in ids
            parent = s[(s["organization_id"] == row.organization_id) & (s["section_id"] == row.parent_section_id)].iloc[0]
            assert parent["level"] == row.level - 1
            assert parent["source_line_start"] < row.source_line_start
            assert row.section_id.startswith(row.parent_section_id + "/")
        assert row.source_line_start <= row.source_line_end


def test_section_text_matches_source_lines(sample, sample_text):
    lines = normalise(sample_text).split("\n")
    s = sample.tables["sections"]
    for row in s.itertuples():
        assert lines[row.source_line_start - 1].strip() == row.heading
        if isinstance(row.text, str):
            for i, line in enumerate(row.text.split("\n")):
                assert line == lines[row.text_source_line - 1 + i].strip()


def test_nothing_dropped_between_header_and_footnotes(sample, sample_text):
    """Every non-blank body line is in the summary, a heading, or a section's text."""
    lines = normalise(sample_text).split("\n")
    o, s, f = sample.tables["organizations"], sample.tables["sections"], sample.tables["footnotes"]
    covered: set[int] = set()
    for row in o.itertuples():
        if isinstance(row.summary, str):
            covered |= set(range(row.summary_source_line, row.summary_source_line + row.summary.count("\n") + 1))
    for row in s.itertuples():
        covered.add(row.source_line_start)
        if isinstance(row.text, str):
            covered |= set(range(row.text_source_line, row.text_source_line + row.text.count("\n") + 1))
    covered |= set(f["source_line"])
    for row in o.itertuples():
        header_end = (row.summary_source_line or row.source_line_start) - 1
        for n in range(header_end + 1, row.source_line_end + 1):
            if lines[n - 1].strip():
                assert n in covered, f"{row.organization_id}: line {n} {lines[n - 1][:60]!r} is in no record"


def test_sample_levels(sample):
    s = sample.tables["sections"]
    top = set(s[(s["organization_id"] == "unctad") & (s["level"] == 1)]["heading"])
    assert top == {"Digital Activities", "Digital policy issues", "Digital tools", "Future of meetings"}
    row = s[(s["organization_id"] == "unctad") & (s["heading"] == "Research and analysis")].iloc[0]
    assert row["level"] == 3 and row["parent_section_id"] == "digital-policy-issues/e-commerce-and-trade"
    assert len(s) == 93


def test_synthetic_tree(extract_files):
    body = (
        "Digital activities\n\nIntro text.\n\nA sub-topic\n\nSub text.\n\n"
        "Digital policy issues\n\nCybersecurity\n\nCyber text.\n\nResearch and analysis\n\nResearch text.\n\n"
        "Social media channels\n\nTwitter @exo\n"
    )
    ex = extract_files({"a.txt": make_profile(body=body)})
    s = ex.tables["sections"].set_index("section_id")
    assert s.loc["digital-activities/a-sub-topic", "level"] == 2
    assert s.loc["digital-activities/a-sub-topic", "text"] == "Sub text."
    assert s.loc["digital-policy-issues/cybersecurity/research-and-analysis", "level"] == 3
    assert s.loc["digital-activities", "text"] == "Intro text."
    assert s.loc["digital-activities", "source_line_end"] == 17  # its own text; the sub-section follows
    assert s.loc["digital-activities/a-sub-topic", "source_line_start"] == 19
    assert list(ex.tables["policy_issues"]["issue"]) == ["Cybersecurity"]
