"""Profile headers: name line, `Label: value` fields, addresses, ids, missing name/acronym, year.

Issue 2: every header field of the sample's six organisations right; ids from the acronym or the
name; established from the summary only with `established_source`.
"""

from __future__ import annotations

import pytest
from conftest import make_profile, org, rules

from pipeline.extract.address import parse_address
from pipeline.extract.header import split_acronyms
from pipeline.vocab import load_vocabulary

IGO = "International and regional organisations"

EXPECTED = {
    "unidir": (
        "United Nations Institute for Disarmament Research",
        "UNIDIR",
        None,
        1980,
        "Palais des Nations, 1211 Geneva 10, Switzerland",
        "1211",
        "https://www.unidir.org/",
        1,
        63,
    ),
    "unctad": (
        "United Nations Conference on Trade and Development",
        "UNCTAD",
        None,
        1964,
        "Palais des Nations, Av. de la Paix 8-14, 1211 Geneva 10, Switzerland",
        "1211",
        "https://unctad.org/",
        65,
        169,
    ),
    "unhrc": (
        "United Nations Human Rights Council",
        "UNHRC",
        None,
        2006,
        "Palais Wilson 52, rue des Pâquis, CH-1201 Geneva, Switzerland",
        "1201",
        "https://www.ohchr.org/EN/HRBodies/HRC/Pages/HRCIndex.aspx",
        171,
        187,
    ),
    "igf": (
        "Internet Governance Forum",
        "IGF",
        None,
        2006,
        "Palais des Nations, 1211 Geneva 10, Switzerland",
        "1211",
        "https://www.intgovforum.org",
        189,
        253,
    ),
    "wto": (
        "World Trade Organization",
        "WTO",
        None,
        1995,
        "Centre William Rappard, Rue de Lausanne 154, 1211 Geneva 21, Switzerland",
        "1211",
        "https://www.wto.org/",
        255,
        335,
    ),
    "itu": (
        "International Telecommunication Union",
        "ITU",
        "UIT",
        1865,
        "Place des Nations, 1202 Geneva, Switzerland",
        "1202",
        "https://www.itu.int",
        339,
        917,
    ),
}


def test_sample_has_exactly_the_six_organisations(sample):
    assert sorted(sample.tables["organizations"]["organization_id"]) == sorted(EXPECTED)
    assert len(sample.tables["quarantine"]) == 0
    assert not [f for f in sample.findings if f.severity == "error"]


@pytest.mark.parametrize("oid", sorted(EXPECTED))
def test_sample_header_fields(sample, oid):
    name, acronym, alternates, year, address, postal, website, first, last = EXPECTED[oid]
    row = org(sample, oid)
    assert row["name"] == name
    assert row["acronym"] == acronym
    assert row["alternate_acronyms"] == alternates
    assert row["established"] == year and row["established_source"] == "header"
    assert row["address"] == address
    assert (row["postal_code"], row["city"], row["country_code"]) == (postal, "Geneva", "CH")
    assert row["website"] == website
    assert row["stakeholder_group"] == IGO
    assert row["source_file"] == "geneva-digital-atlas-2022.txt"
    assert (row["source_line_start"], row["source_line_end"]) == (first, last)


def test_sample_summary_is_the_prose_before_the_first_heading(sample, sample_text):
    lines = sample_text.split("\n")
    row = org(sample, "unctad")
    text = row["summary"].split("\n")
    assert text[0].startswith("The United Nations Conference on Trade and Development (UNCTAD) is a UN body")
    for i, line in enumerate(text):  # line i of the summary is source line summary_source_line + i
        assert line == lines[row["summary_source_line"] - 1 + i].strip()
    assert "Digital Activities" not in row["summary"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ITU, UIT", ["ITU", "UIT"]),
        ("ABC; DEF", ["ABC", "DEF"]),
        ("ABC / DEF", ["ABC", "DEF"]),
        ("ABC or DEF", ["ABC", "DEF"]),
        ("N/A", []),
        ("", []),
        ("—", []),
        ("none", []),
        ("ЮНЕСКО", ["ЮНЕСКО"]),
        ("No acronym", []),
        ("Not applicable", []),
        ("NORAD", ["NORAD"]),
        ("UN Women", ["UN Women"]),
        ("WHO/OMS", ["WHO", "OMS"]),
    ],
)
def test_split_acronyms(value, expected):
    assert split_acronyms(value) == expected


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("Palais des Nations, 1211 Geneva 10, Switzerland", ("1211", "Geneva", "CH")),
        ("Palais Wilson 52, rue des Pâquis, CH-1201 Geneva, Switzerland", ("1201", "Geneva", "CH")),
        ("Case postale 123, CH-1211 Genève 2", ("1211", "Geneva", "CH")),  # PO box, local name, no country
        ("Rue de Varembé 1, Case postale 56, CH - 1211 Genève 20, Suisse", ("1211", "Geneva", "CH")),
        ("Chemin des Mines 9, 1202 Genf, Schweiz", ("1202", "Geneva", "CH")),
        ("Via Example 3, 1202 Ginevra", ("1202", "Geneva", None)),  # no prefix, no country
        ("1 Rue Example, F-01210 Ferney-Voltaire, France", ("01210", "Ferney-Voltaire", "FR")),
        ("CH–1211 Genève 2, Suisse", ("1211", "Geneva", "CH")),  # en dash after the prefix (regression)
        ("Case postale 123, 1211 Genève 20 Switzerland", ("1211", "Geneva", "CH")),  # no comma before the country (regression)
        ("Geneva, Switzerland", (None, "Geneva", "CH")),  # a known city without a postal code
    ],
)
def test_parse_address(address, expected):
    assert parse_address(address, load_vocabulary()) == expected


def test_address_with_po_box_and_local_city_in_a_profile(extract_files):
    ex = extract_files({"a.txt": make_profile(address="Case postale 123, CH-1211 Genève 2")})
    row = org(ex, "exo")
    assert row["address"] == "Case postale 123, CH-1211 Genève 2"  # as written
    assert (row["postal_code"], row["city"], row["country_code"]) == ("1211", "Geneva", "CH")


def test_unparseable_address_is_kept_and_reported(extract_files):
    ex = extract_files({"a.txt": make_profile(address="Somewhere in the old town")})
    row = org(ex, "exo")
    assert row["address"] == "Somewhere in the old town"
    assert row["postal_code"] is None and row["city"] is None
    (f,) = [f for f in ex.findings if f.rule == "address-unparsed"]
    assert (f.source_file, f.source_line) == ("a.txt", 7)


def test_profile_without_name_line(extract_files):
    text = (
        "Acronym: NON\n\nEstablished: 2001\n\nWebsite: https://non.example/\n\n"
        "The body has a summary.\n\nDigital activities\n\nSome text.\n"
    )
    ex = extract_files({"a.txt": text})
    row = org(ex, "non")
    assert row["name"] is None and row["acronym"] == "NON" and row["established"] == 2001
    assert row["source_line_start"] == 1
    (f,) = [f for f in ex.findings if f.rule == "missing-name"]
    assert (f.source_file, f.source_line) == ("a.txt", 1)


def test_profile_without_acronym_gets_id_from_name(extract_files):
    ex = extract_files({"a.txt": make_profile(name="Geneva Internet Platform – Digital Watch", acronym=None)})
    row = org(ex, "geneva-internet-platform-digital-watch")
    assert row["acronym"] is None and row["alternate_acronyms"] is None
    (f,) = [f for f in ex.findings if f.rule == "missing-acronym"]
    assert f.severity == "info" and f.source_line == 1


def test_acronym_phrase_and_several_acronyms(extract_files):
    ex = extract_files({"a.txt": make_profile(acronym="ABC, ABD; ABE")})
    row = org(ex, "abc")
    assert row["acronym"] == "ABC" and row["alternate_acronyms"] == "ABD;ABE"


def test_established_only_in_summary(extract_files):
    ex = extract_files(
        {"a.txt": make_profile(established=None, summary="The organisation works on trade. Established in 1995, it has 164 members.")}
    )
    row = org(ex, "exo")
    assert row["established"] == 1995 and row["established_source"] == "summary"
    (f,) = [f for f in ex.findings if f.rule == "established-from-summary"]
    assert f.source_line == 11 and f.severity == "info"  # the summary line


def test_no_established_anywhere_stays_empty(extract_files):
    ex = extract_files({"a.txt": make_profile(established=None, summary="A year such as 1995 alone is not a statement.")})
    row = org(ex, "exo")
    assert row["established"] is None and row["established_source"] is None
    assert "missing-header-field" in rules(ex)


def test_header_labels_in_any_order_and_variants(extract_files):
    text = "Org In Disorder\n\nWebsite: www.disorder.example\nFounded: 1977\nAcronym: OID\n\nSome summary.\n\nDigital activities\n\nText.\n"
    ex = extract_files({"a.txt": text})
    row = org(ex, "oid")
    assert row["established"] == 1977 and row["website"] == "https://www.disorder.example"
    assert "website-not-https" in rules(ex)


def test_duplicate_header_field_first_wins(extract_files):
    text = make_profile().replace("Established: 1990", "Established: 1990\n\nEstablished: 1991")
    ex = extract_files({"a.txt": text})
    assert org(ex, "exo")["established"] == 1990
    (f,) = [f for f in ex.findings if f.rule == "duplicate-header-field"]
    assert f.source_line == 7


@pytest.mark.parametrize(
    ("name", "oid"),
    [("Example Technologies Co., Ltd.", "etc"), ("Acme Inc.", "etc"), ("Fondation Exemple S.A.", "etc"), ("Verein Beispiel e.V.", "etc")],
)
def test_name_ending_in_a_legal_form_abbreviation(extract_files, name, oid):
    """Regression: a name ending in "Inc." was not a name line; it was appended to the previous
    profile's last footnote and the profile lost its name."""
    previous = make_profile(name="Previous Organisation", acronym="PREV", body="Digital activities\n\nText (1).\n\n1 – A note.\n")
    ex = extract_files({"a.txt": previous + "\n" + make_profile(name=name, acronym="ETC")})
    assert org(ex, oid)["name"] == name and org(ex, oid)["source_line_start"] == 21
    assert list(ex.tables["footnotes"]["text"]) == ["A note."]
    assert "missing-name" not in rules(ex)


def test_a_sentence_above_a_header_is_not_a_name(extract_files):
    previous = make_profile(name="Previous Organisation", acronym="PREV", body="Digital activities\n\nText.\n")
    ex = extract_files({"a.txt": previous + "\nThe previous profile ends with this sentence.\n\n" + make_profile(name=None, acronym="NXT")})
    assert org(ex, "nxt")["name"] is None
    assert org(ex, "prev")["source_line_end"] == 19  # the sentence stays with the previous profile
    assert "missing-name" in rules(ex)


@pytest.mark.parametrize("sep", ["\n\n", "\n"])
def test_unknown_label_inside_the_header(extract_files, sep):
    """Regression: "Director: ..." between header lines split the profile in two (a phantom
    organisation named "Director: Jane Doe", the real one quarantined as truncated)."""
    text = (
        sep.join(
            [
                "Example Organisation",
                "Acronym: EXO",
                "Director: Jane Doe",
                "Established: 1990",
                "Phone: +41 22 000 00 00",
                "Website: https://example.org/",
            ]
        )
        + "\n\nSummary text.\n\nDigital activities\n\nText.\n"
    )
    ex = extract_files({"a.txt": text})
    assert list(ex.tables["organizations"]["organization_id"]) == ["exo"]
    row = org(ex, "exo")
    assert (row["name"], row["established"], row["website"], row["summary"]) == (
        "Example Organisation",
        1990,
        "https://example.org/",
        "Summary text.",
    )
    assert len(ex.tables["quarantine"]) == 0
    step = len(sep)
    assert sorted(f.source_line for f in ex.findings if f.rule == "unknown-header-field") == [1 + 2 * step, 1 + 4 * step]


@pytest.mark.parametrize(
    ("value", "year"),
    [
        ("12 May 1998", 1998),
        ("1 January 2001", 2001),
        ("2001-05-12", 2001),
        ("1865 (as the International Telegraph Union)", 1865),
        ("c. 1990", 1990),
    ],
)
def test_established_full_dates_and_notes(extract_files, value, year):
    """Regression: "12 May 1998" was read as the year 12 and the profile quarantined."""
    ex = extract_files({"a.txt": make_profile(established=value)})
    assert org(ex, "exo")["established"] == year
    assert len(ex.tables["quarantine"]) == 0


def test_no_acronym_statement_gives_the_id_from_the_name(extract_files):
    """Regression: "Acronym: No acronym" gave the id "no-acronym" (colliding across profiles)."""
    ex = extract_files(
        {
            "a.txt": make_profile(name="First Foundation", acronym="No acronym")
            + "\n"
            + make_profile(name="Second Foundation", acronym="Not applicable")
        }
    )
    assert sorted(ex.tables["organizations"]["organization_id"]) == ["first-foundation", "second-foundation"]
    assert [f.source_line for f in ex.findings if f.rule == "missing-acronym"] == [1, 29]
