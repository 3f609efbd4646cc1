"""8-bit files that are not UTF-8 (issue 16): Windows-1252 and Mac Roman are told apart by the text
each reading gives, or refused naming the bytes; never published garbled under a routine warning.

The generated cases know their answer: a profile is written, encoded in one encoding, and the
decoded text must be exactly the profile (or the file refused), never the other encoding's reading.
"""

from __future__ import annotations

import re

import pytest
from conftest import make_profile, org
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.extract.reader import decode

GENEVA = "Rue de l'Exemple 1, CH-1211 Geneva 2, Switzerland"  # ASCII: the summary alone decides
SMART = "The “smart” city… it’s a café – with “quotes”."
GOOD = make_profile(name="Good Organisation", acronym="GOOD")

# Realistic prose fragments of European profiles, with their punctuation.
SNIPPETS = [
    "The “smart” city and the “digital” office.",
    "From 1990 – 2020 the work grew – and grew.",
    "More to come… and more…",
    "• first item\n\n• second item",
    "The café and the résumé of the organisation.",
    "Zürich, Genève, Besançon, naïve, São Paulo, Köln.",
    "La fédération « numérique » – depuis 1990, à Genève.",
    "À Genève, the office opened.",
    "A budget of €5 million.",
    "Temperatures of 20° and 30°.",
    "The Brand™ and “Name”.",
    "Straße, Größe, § 12, Müller.",
    "¡Hola! ¿Qué tal? Año 2020, 1ª edición.",
    SMART,
]
# Ambiguous when nothing else in the file decides: as Mac Roman these read "Itís ... cityís" and
# "workódigital policyógrew", which a Mac Roman file with those letters would say. Refused.
AMBIGUOUS = ["It’s the organisation’s work and the city’s plan.", "The work—digital policy—grew."]
WORDS = (
    "the policy office works on digital cooperation and data in Geneva with partners across regions café résumé Genève "
    "Zürich naïve “quoted” it’s – — … • €5 20° © Brand™ « numérique » São façade Köln Straße ¿Qué? ¡Hola! 1ª "
    "l’organisation d’été à où élève Société Ève Éric Île Œuvre cœur £10 § ½ ± · déjà-vu ‘single’ fiancée Bogotá "
    "México Perú Malmö Lübeck España año niño Curaçao São João Açores Reykjavík Kraków señor 2010–2020 crème brûlée "
    "rôle hôtel forêt maïs Noël"
).split()


def _decoded(text: str, encoding: str) -> tuple[str | None, str]:
    got, name, _ = decode(text.encode(encoding), "x.txt")
    return got, name


@pytest.mark.parametrize("address", [GENEVA, None], ids=["ascii-address", "geneve-address"])
def test_a_mac_roman_file_is_decoded_as_mac_roman_with_a_warning_naming_it(extract_files, address) -> None:
    """Read as Windows-1252 this file says ``ÒsmartÓ … itÕs cafŽ``; it is Mac Roman and says so."""
    text = make_profile(acronym="MACR", summary=SMART, **({"address": address} if address else {}))
    data = text.encode("mac_roman")
    ex = extract_files({"mac.txt": data, "good.txt": GOOD})
    row = org(ex, "macr")
    assert row["summary"] == SMART and "Õ" not in row["summary"] and "Ž" not in row["summary"]
    (f,) = [f for f in ex.findings if f.rule == "file-encoding-converted"]
    assert (f.source_file, f.severity) == ("mac.txt", "warning")
    assert "decoded as Mac Roman" in f.message and "Windows-1252" in f.message
    assert next(s for s in ex.sources if s.path == "mac.txt").encoding == "mac_roman"
    if address == GENEVA:  # the Windows-1252 reading exists and is named as the garbled one
        assert re.search("itÕs|ÒsmartÓ|cafŽ|city", f.message), f.message


def test_the_same_text_in_windows_1252_is_decoded_as_windows_1252(extract_files) -> None:
    text = make_profile(acronym="WINR", address=GENEVA, summary=SMART)
    ex = extract_files({"win.txt": text.encode("cp1252"), "good.txt": GOOD})
    assert org(ex, "winr")["summary"] == SMART
    (f,) = [f for f in ex.findings if f.rule == "file-encoding-converted"]
    assert "decoded as Windows-1252" in f.message and "Mac Roman" in f.message
    assert next(s for s in ex.sources if s.path == "win.txt").encoding == "cp1252"


@pytest.mark.parametrize("snippet", SNIPPETS)
@pytest.mark.parametrize("address", [GENEVA, None], ids=["ascii-address", "geneve-address"])
def test_generated_profiles_decode_exactly_or_are_refused(snippet: str, address: str | None) -> None:
    text = make_profile(summary=snippet, **({"address": address} if address else {}))
    assert _decoded(text, "cp1252") == (text, "cp1252")  # unambiguous Windows-1252 works as before
    got, name = _decoded(text, "mac_roman")
    assert (got, name) in ((text, "mac_roman"), (None, "")), (name, got and got[:300])


@pytest.mark.parametrize("snippet", AMBIGUOUS)
def test_ambiguous_punctuation_alone_is_refused_and_decided_by_any_accent(snippet: str) -> None:
    ambiguous = make_profile(address=GENEVA, summary=snippet)
    assert _decoded(ambiguous, "cp1252") == (None, "")
    decided = make_profile(summary=snippet)  # the default address's "Genève" decides it
    assert _decoded(decided, "cp1252") == (decided, "cp1252")
    assert _decoded(decided, "mac_roman") == (decided, "mac_roman")


def test_the_sample_in_either_encoding_is_decoded_exactly(sample_text: str) -> None:
    for encoding in ("cp1252", "mac_roman"):
        data = sample_text.encode(encoding, "replace")
        got, name, findings = decode(data, "sample.txt")
        assert (got, name) == (data.decode(encoding), encoding)
        assert [f.rule for f in findings] == ["file-encoding-converted"]


@settings(max_examples=150, deadline=None)
@given(words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=12), encoding=st.sampled_from(["cp1252", "mac_roman"]))
@example(words=["d’été", "Curaçao"], encoding="mac_roman")  # found by hypothesis: Mac Roman bytes that look like UTF-8
def test_never_the_wrong_encoding(words: list[str], encoding: str) -> None:
    """Whatever the mix of accents and punctuation, the text is the one written or none at all."""
    text = make_profile(address=GENEVA, summary=" ".join(words))
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return  # a character this encoding lacks
    got, name, findings = decode(data, "x.txt")
    if name == "utf-8":  # a few Mac Roman pairs happen to be valid UTF-8: not this module's decision
        return
    assert got in (text, None), (encoding, name, words)
    if got is None:
        (f,) = findings
        assert f.rule == "file-encoding-unknown" and re.search(r"byte offset \d+\): byte\(s\) 0x[0-9A-F]{2}", f.message)


def test_ambiguous_bytes_are_refused_naming_them(extract_files) -> None:
    """Only apostrophes: ``it’s`` (Windows-1252) or ``itís`` (Mac Roman) both read plausibly and differ,
    so neither is guessed."""
    text = make_profile(acronym="AMB", address=GENEVA, summary="It’s the organisation’s work.")
    ex = extract_files({"amb.txt": text.encode("cp1252"), "good.txt": GOOD})
    assert "amb" not in set(ex.tables["organizations"]["organization_id"])
    (f,) = [f for f in ex.findings if f.rule == "file-encoding-unknown"]
    line = text.split("\n").index("It’s the organisation’s work.") + 1
    assert (f.source_file, f.source_line, f.severity) == ("amb.txt", line, "error")
    assert f"line {line} (byte offset " in f.message and "byte(s) 0x92" in f.message
    assert "It’s" in f.message and "Itís" in f.message and "Windows-1252" in f.message and "Mac Roman" in f.message
    q = ex.tables["quarantine"]
    assert list(q[q["source_file"] == "amb.txt"]["rule"]) == ["file-encoding-unknown"]


def test_bytes_implausible_in_both_encodings_are_refused_naming_each(extract_files) -> None:
    data = make_profile(acronym="BOTH", address=GENEVA).encode() + b"\nCaf\xe9 \xa5 5\n"
    ex = extract_files({"both.txt": data, "good.txt": GOOD})
    (f,) = [f for f in ex.findings if f.rule == "file-encoding-unknown"]
    assert f.source_line == data.count(b"\n")
    assert "as Windows-1252" in f.message and "0xA5" in f.message and "a symbol prose does not use" in f.message
    assert "as Mac Roman" in f.message and "0xE9" in f.message and "a capital inside a word" in f.message
