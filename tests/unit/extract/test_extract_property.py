"""Property-based: arbitrary text (and atlas-like line soup) never makes extraction raise."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.extract import extract_paths

ATLAS_LINES = [
    "",
    "",
    "International Example Union",
    "Acronym: IEU, UIE",
    "Acronym:",
    "Established: 1865",
    "Established: 20006",
    "Established: nineteen",
    "Address: Case postale 123, CH-1211 Genève 2",
    "Address: ,,,",
    "Website: https://example.org",
    "Website: javascript:alert(1)",
    "Stakeholder group: Civil society",
    "Digital activities",
    "Digital policy issues",
    "Digital standards (1)",
    "Data governance?",
    "For example:",
    "Social media channels",
    "Social medial channels",
    "Twitter @ieu",
    "Facebook @",
    "  • A bullet item",
    "1 – Addressed as ‘Standards’.",
    "2-WT/MIN(22)/32",
    "Members: Albania; Korea, Republic of; Hong Kong, China",
    "=cmd|' /C calc'!A0",
    "<script>alert(1)</script>",
    "(1)",
    "()",
    ":",
    "@",
]

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _extract(data: bytes):
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "x.txt").write_bytes(data)
        return extract_paths([Path(tmp)])


@SETTINGS
@given(st.text())
def test_arbitrary_text_never_raises(text):
    ex = _extract(text.encode("utf-8", "surrogatepass"))
    assert set(ex.tables) >= {"organizations", "quarantine", "sections"}
    assert all(f.source_file is not None for f in ex.findings)


@SETTINGS
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(data):
    _extract(data)


@SETTINGS
@given(st.lists(st.one_of(st.sampled_from(ATLAS_LINES), st.text(max_size=40)), max_size=60), st.sampled_from(["\n", "\r\n", "\r"]))
def test_atlas_like_line_soup_never_raises(lines, eol):
    ex = _extract(eol.join(lines).encode("utf-8", "surrogatepass"))
    ids = ex.tables["organizations"]["organization_id"]
    assert ids.is_unique and ids.notna().all()
