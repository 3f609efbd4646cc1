"""Field-level quarantine (issue 11) and the extraction cases of issue 16.

A header value that cannot be right is published as null, kept in the quarantine table with its
organisation, table and column, and reported (file, line, column, value); the rest of the record
is published. A merge of two profiles, a name line far too long to be a name and a conflicting
duplicate stay errors."""

from __future__ import annotations

import pytest
from conftest import make_profile, org

from pipeline.findings import RULES

GOOD = make_profile(name="Good Organisation", acronym="GOOD")  # 27 lines: the next profile starts on line 29


def _findings(ex, rule):
    return [f for f in ex.findings if f.rule == rule]


def test_established_1_keeps_the_organisation_with_a_null_year(extract_files):
    ex = extract_files({"a.txt": GOOD + "\n" + make_profile(name="Typo Foundation", acronym="TYPO", established="1")})
    row = org(ex, "typo")
    assert row["established"] is None and row["established_source"] is None and row["established_text"] is None
    assert (row["name"], row["city"], row["website"]) == ("Typo Foundation", "Geneva", "https://example.org/")
    assert len(ex.tables["sections"].query("organization_id == 'typo'")) == 4 and len(ex.tables["social_media_accounts"]) == 2
    (f,) = _findings(ex, "established-impossible")
    assert (f.source_file, f.source_line, f.column, f.value, f.severity, f.key) == (
        "a.txt",
        33,
        "established",
        "1",
        "warning",
        {"organization_id": "typo"},
    )
    (q,) = ex.tables["quarantine"].to_dict("records")
    assert (q["organization_id"], q["table"], q["column"], q["value"], q["rule"], q["source_line_start"]) == (
        "typo",
        "organizations",
        "established",
        "1",
        "established-impossible",
        33,
    )
    assert not [f for f in ex.findings if f.severity == "error"]


@pytest.mark.parametrize(
    ("value", "year"), [("c. 1950", 1950), ("1919 (Geneva office 1946)", 1919), ("before 1900", 1900), ("12 May 1998", 1998)]
)
def test_established_qualifiers_are_kept_not_lost(extract_files, value, year):
    """Issue 16: the qualifier of `Established: c. 1950` was lost silently."""
    ex = extract_files({"a.txt": make_profile(acronym="QUAL", established=value)})
    row = org(ex, "qual")
    assert (row["established"], row["established_source"], row["established_text"]) == (year, "header", value)
    (f,) = _findings(ex, "established-qualified")
    assert (f.source_line, f.value, f.severity) == (5, value, "info")


def test_a_bare_year_has_no_established_text(extract_files):
    ex = extract_files({"a.txt": make_profile(acronym="BARE", established="1990")})
    assert org(ex, "bare")["established_text"] is None and not _findings(ex, "established-qualified")


def test_a_non_http_website_is_nulled_and_the_record_published(extract_files):
    ex = extract_files({"a.txt": make_profile(acronym="JS", website="javascript:alert(1)")})
    assert org(ex, "js")["website"] is None and org(ex, "js")["established"] == 1990
    (q,) = ex.tables["quarantine"].to_dict("records")
    assert (q["organization_id"], q["column"], q["value"]) == ("js", "website", "javascript:alert(1)")


def test_severities_of_field_defects_and_blocking_errors():
    """The documented decision (README, "Field-level quarantine")."""
    for rule in ("established-impossible", "established-unparseable", "website-scheme", "profile-truncated"):
        assert RULES[rule].severity == "warning", rule
    for rule in ("address-unparsed", "established-qualified", "stakeholder-group-unknown"):
        assert RULES[rule].severity == "info", rule
    for rule in ("duplicate-organization", "section-repeated", "name-too-long", "profile-unidentifiable"):
        assert RULES[rule].severity == "error", rule


def test_a_merge_the_detection_misses_is_a_blocking_error(extract_files):
    """Issue 16's safety net: a profile whose header could not be recognised (here an Address line
    with no name line above it) runs into the previous one; its repeated top-level section blocks."""
    second = (
        "Address: Quai de l'Exemple 4, 1201 Genève, Switzerland\n\nThe observatory studies ports.\n\nDigital activities\n\nPort data.\n"
    )
    ex = extract_files({"a.txt": GOOD + "\n" + second})
    (f,) = _findings(ex, "section-repeated")
    assert (f.source_file, f.source_line, f.severity, f.value) == ("a.txt", 33, "error", "Digital activities")
    assert f.key == {"organization_id": "good", "section_id": "digital-activities"}


def test_ten_thousand_footnotes_give_ten_thousand_rows(extract_files):
    """Issue 16: numbers past 999 were continuation text of footnote 999 (459,097 characters)."""
    notes = "".join(f"{n} – Note number {n}.\n" for n in range(1, 10_001))
    ex = extract_files({"a.txt": make_profile(acronym="MANY", body="Digital activities\n\nText (1).\n\n" + notes)})
    f = ex.tables["footnotes"]
    assert len(f) == 10_000 and list(f["number"]) == list(range(1, 10_001))
    assert f["text"].str.len().max() < 30
    assert (
        f.set_index("number").loc[999, "text"] == "Note number 999." and f.set_index("number").loc[10_000, "text"] == "Note number 10000."
    )


def test_a_year_in_a_footnote_is_not_a_footnote_number(extract_files):
    body = "Digital activities\n\nText (1).\n\n1 – A note that goes on\n2022 – the year the report appeared.\n"
    ex = extract_files({"a.txt": make_profile(acronym="YR", body=body)})
    assert list(ex.tables["footnotes"]["text"]) == ["A note that goes on 2022 – the year the report appeared."]


def test_a_ten_thousand_character_name_line_is_quarantined_with_its_reason(extract_files):
    """Issue 16: the organisation was published with no name."""
    long_name = "Organisation " * 770  # 10,010 characters, no sentence in it
    ex = extract_files({"a.txt": GOOD + "\n" + make_profile(name=long_name.strip(), acronym="LONG")})
    assert set(ex.tables["organizations"]["organization_id"]) == {"good"}
    assert ex.tables["organizations"]["name"].notna().all()
    (f,) = _findings(ex, "name-too-long")
    assert (f.source_file, f.source_line, f.severity) == ("a.txt", 29, "error")
    (q,) = ex.tables["quarantine"].to_dict("records")
    assert (q["rule"], q["source_line_start"], q["name"]) == ("name-too-long", 29, "LONG")
    assert "10,009 characters" in q["reason"]


def test_a_too_long_name_above_a_single_header_line_is_still_a_profile(extract_files):
    """With one header line only, the (too long) name line is what makes it a profile: it must
    not run into the profile before it."""
    text = (
        GOOD + "\n" + "Observatory " * 900 + "\n\nWebsite: https://long.example\n\nIt studies ports.\n\nDigital activities\n\nPort data.\n"
    )
    ex = extract_files({"a.txt": text})
    assert set(ex.tables["organizations"]["organization_id"]) == {"good"}
    assert list(ex.tables["sections"].query("organization_id == 'good'")["section_id"])[-1] == "social-media-channels"
    (f,) = _findings(ex, "name-too-long")
    assert (f.source_line, f.severity) == (29, "error")
    assert not _findings(ex, "section-repeated")
