"""Policy issues under "Digital policy issues": only real issue headings, markers resolved.

Also: headings ending in `?` or `:`, sub-headings that are not issues, and the WTO's 87 members.
"""

from __future__ import annotations

from conftest import make_profile, rules

from pipeline.extract.lines import is_heading
from pipeline.extract.matching import match_issue

SAMPLE_ISSUES = {
    "unidir": {"Cybersecurity", "Artificial intelligence", "Emerging technologies"},
    "unctad": {
        "E-commerce and trade",
        "Consumer protection",
        "Sustainable development",
        "Capacity development",
        "Gender rights online",
        "Data governance",
    },
    "unhrc": set(),
    "igf": set(),
    "wto": {
        "Telecommunications infrastructure",
        "Digital standards",
        "Cybersecurity",
        "Data governance",
        "Intellectual property rights",
        "E-commerce and trade",
        "Access",
    },
    "itu": {
        "Telecommunications infrastructure",
        "Artificial intelligence",
        "Critical internet resources",
        "Digital standards",
        "Internet of things",
        "Blockchain",
        "Cloud computing",
        "Emerging technologies",
        "Quantum information technology",
        "Network security",
        "Child safety online",
        "Access",
        "Capacity development",
        "Sustainable development",
        "Inclusive finance",
        "E-waste",
        "Rights of persons with disabilities",
        "Gender rights online",
        "Interdisciplinary approaches",
    },
}


def test_policy_issues_per_profile(sample):
    p = sample.tables["policy_issues"]
    for oid, expected in SAMPLE_ISSUES.items():
        assert set(p[p["organization_id"] == oid]["issue"]) == expected, oid
    assert len(p) == sum(map(len, SAMPLE_ISSUES.values()))  # one row per issue heading, no duplicates


def test_issue_rows_point_at_their_heading(sample, sample_text):
    lines = sample_text.split("\n")
    p = sample.tables["policy_issues"]
    for heading, line in zip(p["heading"], p["source_line"], strict=True):
        assert lines[line - 1].strip() == heading
    wto = p[p["organization_id"] == "wto"].set_index("issue")
    assert wto.loc["Digital standards", "heading"] == "Digital standards (1)" and wto.loc["Digital standards", "footnote_number"] == 1
    assert wto.loc["E-commerce and trade", "heading"] == "Electronic commerce" and wto.loc["E-commerce and trade", "match"] == "alias"
    assert wto.loc["Telecommunications infrastructure", "basket"] == "Infrastructure"


def test_heading_ending_in_question_mark(sample):
    p = sample.tables["policy_issues"]
    row = p[(p["organization_id"] == "unctad") & (p["issue"] == "Data governance")].iloc[0]
    assert row["heading"] == "Data governance?" and row["source_line"] == 153


def test_non_issue_subheadings_are_sections_not_issues(sample):
    p, s = sample.tables["policy_issues"], sample.tables["sections"]
    for heading in ("Research and analysis", "What Giga does", "For example:", "The leadership panel", "Building human capacity:", "5G"):
        assert heading not in set(p["heading"]), heading
        assert heading in set(s["heading"]), heading
    (f,) = [f for f in sample.findings if f.rule == "unmapped-issue-heading"]
    assert (f.source_line, f.value) == (236, "The leadership panel")


def test_heading_classifier():
    assert is_heading("Data governance?")
    assert is_heading("For example:")
    assert not is_heading("Any reference to online or remote meetings?")  # a question, not a heading
    assert not is_heading("Work includes the following:")  # list introduction
    assert not is_heading("This is a sentence.")
    assert not is_heading("  • A bullet item")
    assert match_issue("Digital standards (2)").issue == "Digital standards"
    assert match_issue("Data governance?").issue == "Data governance"
    assert match_issue("What Giga does") is None


def test_issue_heading_with_colon_and_unknown_subheading(extract_files):
    body = "Digital policy issues\n\nCybersecurity:\n\nText.\n\nOur approach\n\nMore text.\n\nSomething New Entirely\n\nText.\n"
    ex = extract_files({"a.txt": make_profile(body=body)})
    p = ex.tables["policy_issues"]
    assert list(p["issue"]) == ["Cybersecurity"] and list(p["heading"]) == ["Cybersecurity:"]
    s = ex.tables["sections"].set_index("heading")
    assert s.loc["Our approach", "parent_section_id"] == "digital-policy-issues/cybersecurity"
    assert s.loc["Our approach", "level"] == 3
    assert "unmapped-issue-heading" not in rules(ex)


def test_wto_members_are_87_distinct_countries(sample):
    c = sample.tables["country_mentions"]
    members = c[(c["organization_id"] == "wto") & (c["source_line"] == 333)]
    assert len(members) == 87 and members["country_code"].nunique() == 87
    by_mention = dict(zip(members["mention"], members["country_code"], strict=True))
    assert by_mention["Korea, Republic of"] == "KR"
    assert by_mention["Hong Kong, China"] == "HK"
    assert by_mention["Kuwait, the State of"] == "KW"
    assert by_mention["Separate Customs Territory of Taiwan, Penghu, Kinmen and Matsu"] == "TW"
    assert by_mention["Côte D’Ivoire"] == "CI"
    assert "CN" in set(members["country_code"])  # "China" on its own as well as inside "Hong Kong, China"


def test_country_mentions_in_prose(extract_files):
    body = "Digital activities\n\nProjects run in Kenya, Viet Nam and Bolivia.\n"
    ex = extract_files({"a.txt": make_profile(body=body)})
    c = ex.tables["country_mentions"]
    assert set(c["country_code"]) == {"KE", "VN", "BO"}
    assert set(c["source_line"]) == {17}
