"""Fuzzing (issue 8): mutations of real profiles never make extraction raise, and every non-blank
input line is accounted for (an organisation's line range, a quarantine row, or a finding).

Fast here (few examples); `tests/fuzz/run_fuzz.py --examples N` runs the long campaign.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from fuzz.mutations import ENCODINGS, check_extraction, encode, extract_bytes, mutated_file, mutated_text, same_extraction, sample_profiles
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(mutated_file())
def test_mutated_profiles_never_raise_and_every_line_is_accounted_for(data):
    ex = extract_bytes(data)
    assert check_extraction(data, "mutated.txt", ex) == []


def test_sample_profiles_split():
    profiles = sample_profiles()
    assert len(profiles) == 6
    assert profiles[0].startswith("United Nations Institute for Disarmament Research\n")


@pytest.mark.parametrize("how", ENCODINGS)
def test_reencoded_profile_gives_the_same_records(how):
    text = sample_profiles()[0] + sample_profiles()[3]
    base = extract_bytes(encode(text, "utf-8"))
    ex = extract_bytes(encode(text, how))
    assert check_extraction(encode(text, how), "mutated.txt", ex) == []
    for name in ("organizations", "sections", "policy_issues", "social_media_accounts", "footnotes"):
        assert ex.tables[name].equals(base.tables[name]), (how, name)
    expected = {"file-encoding-converted"} if how.startswith(("utf-16", "cp1252")) else set()
    assert {f.rule for f in ex.findings} - {f.rule for f in base.findings} == expected


def test_the_accounting_check_notices_a_lost_line():
    data = encode(sample_profiles()[0], "utf-8")
    ex = extract_bytes(data)
    frame = ex.tables["organizations"].copy()
    frame.loc[0, "source_line_end"] = 20  # pretend the profile stopped early
    broken = dataclasses.replace(ex, tables={**ex.tables, "organizations": frame})
    assert any("is in no record" in p for p in check_extraction(data, "mutated.txt", broken))


_FIELD = st.one_of(
    st.none(),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"),
        max_size=40,
    ),
)


@FUZZ
@given(
    name=_FIELD,
    acronym=_FIELD,
    established=st.one_of(_FIELD, st.integers(-10, 30_000).map(str)),
    address=_FIELD,
    website=st.one_of(_FIELD, st.sampled_from(["javascript:alert(1)", "www.x.org", "http://x", "https://x.org/a b"])),
)
def test_arbitrary_header_values(name, acronym, established, address, website):
    from conftest import make_profile

    text = (
        make_profile(name="Good Organisation", acronym="GOOD")
        + "\n"
        + make_profile(name=name, acronym=acronym, established=established, address=address, website=website)
    )
    data = text.encode("utf-8")
    ex = extract_bytes(data)
    assert check_extraction(data, "mutated.txt", ex) == []
    assert "good" in set(ex.tables["organizations"]["organization_id"])  # the good profile survives
    for row in ex.tables["organizations"].itertuples():
        assert pd.isna(row.established) or 1000 <= row.established <= 2100
        assert not isinstance(row.website, str) or row.website.startswith(("http://", "https://"))


@settings(FUZZ, max_examples=25)  # two extractions per example
@given(mutated_text())
def test_crlf_and_bom_never_change_the_extraction_of_a_mutated_profile(text):
    """Differential: whatever the text, LF without BOM and CRLF with BOM give identical results."""
    assume("\r" not in text and not text.startswith("\ufeff"))  # a lone CR is a line end of its own
    a, b = extract_bytes(encode(text, "utf-8")), extract_bytes(encode(text, "utf-8-sig-crlf"))
    assert same_extraction(a, b) == []
