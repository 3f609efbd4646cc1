"""Layout variants of real atlas pages (issue 11), on text written for these tests in the atlas
style: profiles found from their structure, headers in any order/case/spacing, single line
breaks, bullets, heading variants, stakeholder groups, years in the body, another page's text
before the first profile, a page cut off mid-word."""

from __future__ import annotations

import pytest
from conftest import make_profile, org, rules

GOOD = make_profile(name="Good Organisation", acronym="GOOD")

BODY = """Digital activities

The observatory maps how cities use data.

Digital policy issues

Data governance

It publishes a yearly index of open data.

Social media channels

Twitter @harbourobs
"""


def _ids(ex) -> list[str]:
    return sorted(ex.tables["organizations"]["organization_id"])


def test_an_address_only_header_after_a_good_profile_is_its_own_profile(extract_files):
    """Issue 11/16: the Address-only profile was swallowed by the profile before it."""
    second = (
        "Harbour Data Observatory\n\nAddress: Quai de l'Exemple 4, 1201 Genève, Switzerland\n\nThe observatory studies ports.\n\n" + BODY
    )
    ex = extract_files({"a.txt": GOOD + "\n" + second})
    assert _ids(ex) == ["good", "harbour-data-observatory"]
    row = org(ex, "harbour-data-observatory")
    assert (row["name"], row["acronym"], row["city"], row["source_line_start"]) == ("Harbour Data Observatory", None, "Geneva", 29)
    good = ex.tables["sections"].query("organization_id == 'good'")
    assert list(good["section_id"]) == [
        "digital-activities",
        "digital-policy-issues",
        "digital-policy-issues/cybersecurity",
        "social-media-channels",
    ]
    assert org(ex, "good")["source_line_end"] == 27
    assert "section-repeated" not in rules(ex) and not [f for f in ex.findings if f.severity == "error"]


@pytest.mark.parametrize(
    "label", ["Acronym: HDO", "Established: 2004", "Website: https://harbour.example", "Stakeholder group: Academia and think tanks"]
)
def test_a_name_line_and_any_one_header_line_start_a_profile(extract_files, label):
    text = GOOD + "\nHarbour Data Observatory\n\n" + label + "\n\nThe observatory studies ports.\n\n" + BODY
    ex = extract_files({"a.txt": text})
    assert len(ex.tables["organizations"]) == 2
    assert "Harbour Data Observatory" in set(ex.tables["organizations"]["name"])


def test_a_header_without_a_name_line_is_a_profile_with_a_finding(extract_files):
    text = (
        GOOD
        + "\nAcronym: HDO\nWebsite: https://harbour.example\nAddress: Quai de l'Exemple 4, 1201 Geneva\n\n"
        + "The observatory studies ports.\n\n"
        + BODY
    )
    ex = extract_files({"a.txt": text})
    row = org(ex, "hdo")
    assert row["name"] is None and row["website"] == "https://harbour.example" and row["source_line_start"] == 29
    (f,) = [f for f in ex.findings if f.rule == "missing-name"]
    assert (f.source_line, f.severity) == (29, "warning")


def test_a_single_header_line_in_prose_is_not_a_profile(extract_files):
    """A lone `Website:` line under a heading of the text (an issue heading) stays prose."""
    body = "Digital policy issues\n\nCybersecurity\n\nWebsite: https://tool.example\n\nThe tool maps incidents.\n"
    ex = extract_files({"a.txt": make_profile(acronym="EXO", body=body)})
    assert _ids(ex) == ["exo"]


def test_single_line_breaks_throughout(extract_files):
    text = (
        "Harbour Data Observatory\nAcronym: HDO\nEstablished: 2004\nAddress: Quai de l'Exemple 4, 1201 Geneva, Switzerland\n"
        "Website: https://harbour.example\nStakeholder group: Academia and think tanks\nThe observatory studies ports.\n"
        "Digital activities\nIt maps how cities use data.\nDigital policy issues\nData governance\nIt publishes an index.\n"
        "Social media channels\nTwitter @harbourobs\nLinkedIn @Harbour Data Observatory\n"
        "Second Observatory\nAcronym: SOB\nWebsite: https://second.example\nIt studies rivers.\nDigital activities\nRiver data.\n"
    )
    ex = extract_files({"a.txt": text})
    assert _ids(ex) == ["hdo", "sob"]
    row = org(ex, "hdo")
    assert (row["established"], row["postal_code"], row["stakeholder_group"], row["summary"]) == (
        2004,
        "1201",
        "Academia and think tanks",
        "The observatory studies ports.",
    )
    s = ex.tables["sections"]
    assert list(s[s["organization_id"] == "hdo"]["section_id"]) == [
        "digital-activities",
        "digital-policy-issues",
        "digital-policy-issues/data-governance",
        "social-media-channels",
    ]
    accounts = ex.tables["social_media_accounts"]
    assert set(zip(accounts["platform"], accounts["handle"], strict=True)) == {
        ("Twitter", "harbourobs"),
        ("LinkedIn", "Harbour Data Observatory"),
    }


def test_labels_in_any_order_case_and_spacing(extract_files):
    text = (
        "Harbour Data Observatory\n\nwebsite :https://harbour.example\n\nSTAKEHOLDER GROUP:  NGOs and associations\n\n"
        "  acronym: HDO\n\nFounded : 2004\n\nThe observatory studies ports.\n\n" + BODY
    )
    ex = extract_files({"a.txt": text})
    row = org(ex, "hdo")
    assert (row["website"], row["stakeholder_group"], row["acronym"], row["established"]) == (
        "https://harbour.example",
        "NGOs and associations",
        "HDO",
        2004,
    )


def test_headings_in_other_capitals_with_trailing_spaces_and_aliases(extract_files):
    body = (
        "Data and digital activities\n\nIt maps data.\n\nDIGITAL POLICY ISSUES \n\nData governance \n\nAn index.\n\n"
        "Digital Tools  \n\nA portal.\n\nFuture Of Meetings\n\nHybrid events.\n\n"
        "Social Media Channels\n\n• Twitter @harbourobs\n• Facebook @harbour.observatory\n"
    )
    ex = extract_files({"a.txt": make_profile(acronym="HDO", body=body)})
    s = ex.tables["sections"]
    top = s[s["level"] == 1]
    assert list(top["canonical_heading"]) == [
        "Digital activities",
        "Digital policy issues",
        "Digital tools",
        "Future of meetings",
        "Social media channels",
    ]
    assert list(ex.tables["policy_issues"]["issue"]) == ["Data governance"]
    assert set(ex.tables["social_media_accounts"]["handle"]) == {"harbourobs", "harbour.observatory"}
    (f,) = [f for f in ex.findings if f.rule == "variant-heading"]
    assert f.value == "Data and digital activities" and f.severity == "info"


def test_bulleted_lists_stay_in_their_section(extract_files):
    body = (
        "Digital activities\n\nThe observatory runs:\n\n• a data portal;\n• training for port authorities;\n• an annual report.\n\n"
        "Social media channels\n\n• Twitter @harbourobs\n"
    )
    ex = extract_files({"a.txt": make_profile(acronym="HDO", body=body)})
    s = ex.tables["sections"].set_index("section_id")
    assert "• training for port authorities;" in s.loc["digital-activities/the-observatory-runs", "text"]
    assert list(ex.tables["social_media_accounts"]["handle"]) == ["harbourobs"]


@pytest.mark.parametrize(
    ("written", "group"),
    [
        ("International and regional organisation", "International and regional organisations"),
        ("Academia & think tanks", "Academia and think tanks"),
        ("academia and think tank", "Academia and think tanks"),
        ("International and Regional Organizations", "International and regional organisations"),
    ],
)
def test_stakeholder_group_spellings(extract_files, written, group):
    ex = extract_files({"a.txt": make_profile(acronym="HDO", group=written)})
    assert org(ex, "hdo")["stakeholder_group"] == group
    assert "stakeholder-group-unknown" not in rules(ex)


def test_unknown_stakeholder_group_is_kept_as_written_with_info(extract_files):
    ex = extract_files({"a.txt": make_profile(acronym="HDO", group="Port authorities")})
    assert org(ex, "hdo")["stakeholder_group"] == "Port authorities"
    (f,) = [f for f in ex.findings if f.rule == "stakeholder-group-unknown"]
    assert f.severity == "info" and f.source_line == 11


def test_an_acronym_that_is_the_whole_name(extract_files):
    ex = extract_files({"a.txt": GOOD + "\n" + make_profile(name="Harbour Policy Institute", acronym="Harbour Policy Institute")})
    row = org(ex, "harbour-policy-institute")
    assert (row["name"], row["acronym"], row["alternate_acronyms"]) == ("Harbour Policy Institute", "Harbour Policy Institute", None)
    assert len(ex.tables["quarantine"]) == 0


@pytest.mark.parametrize(
    ("summary", "year", "text"),
    [
        ("Established in 1995, the observatory studies ports.", 1995, "Established in 1995"),
        ("The observatory was founded in 1919; its Geneva office was established in 1946.", 1919, "founded in 1919; established in 1946"),
        ("Since its establishment in 1983–84, the observatory has studied ports.", 1983, "establishment in 1983"),
    ],
)
def test_year_only_in_the_body(extract_files, summary, year, text):
    ex = extract_files({"a.txt": make_profile(acronym="HDO", established=None, summary=summary)})
    row = org(ex, "hdo")
    assert (row["established"], row["established_source"], row["established_text"]) == (year, "summary", text)
    (f,) = [f for f in ex.findings if f.rule == "established-from-summary"]
    assert f.source_line == 11  # the summary line


def test_text_of_another_page_before_the_first_profile(extract_files):
    junk = "Home | Actors | Events\n\nBack to the list of actors.\n\nA tool that belongs to the previous page.\n\n"
    ex = extract_files({"a.txt": junk + make_profile(acronym="HDO")})
    assert _ids(ex) == ["hdo"]
    (f,) = [f for f in ex.findings if f.rule == "text-before-first-profile"]
    assert (f.source_line, f.severity) == (1, "warning")
    (q,) = ex.tables["quarantine"].to_dict("records")
    assert (q["source_line_start"], q["source_line_end"], q["rule"]) == (1, 5, "text-before-first-profile")


def test_a_page_cut_off_mid_word(extract_files):
    text = make_profile(acronym="HDO", body="Digital activities\n\nThe observatory maps how cities use da")
    ex = extract_files({"a.txt": GOOD + "\n" + text.rstrip("\n")})
    assert _ids(ex) == ["good", "hdo"]
    s = ex.tables["sections"].query("organization_id == 'hdo'")  # the cut line is prose, not a heading
    assert list(s["section_id"]) == ["digital-activities"] and list(s["text"]) == ["The observatory maps how cities use da"]
    assert not [f for f in ex.findings if f.severity == "error"]
