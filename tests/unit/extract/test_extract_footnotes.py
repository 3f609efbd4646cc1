"""Footnotes (`1-text`, `1 – text`, continuation lines), markers on headings, local terms."""

from __future__ import annotations

from conftest import make_profile, rules

from pipeline.extract import lines as L
from pipeline.extract.footnotes import local_term
from pipeline.extract.matching import split_marker


def test_sample_footnotes(sample):
    f = sample.tables["footnotes"]
    got = {(o, n, ln) for o, n, ln in zip(f["organization_id"], f["number"], f["source_line"], strict=True)}
    assert got == {("wto", n, 327 + 2 * n) for n in range(1, 5)} | {("itu", n, 903 + 2 * n) for n in range(1, 8)}
    texts = dict(zip(zip(f["organization_id"], f["number"], strict=True), f["text"], strict=True))
    assert texts[("wto", 2)] == "WT/MIN(22)/32; WT/L/1143"  # `1-text` form
    assert texts[("itu", 2)] == "In the work of ITU the issue of digital standards is addressed as ‘International standards’."  # `1 – text`
    assert texts[("wto", 3)].startswith("87 Members as of end of September 2022: Albania;")


def test_sample_local_terms(sample):
    p = sample.tables["policy_issues"]
    terms = {(o, i): t for o, i, t in zip(p["organization_id"], p["issue"], p["local_term"], strict=True) if isinstance(t, str)}
    assert terms == {
        ("itu", "Critical internet resources"): "internet public-policy related work",
        ("itu", "Digital standards"): "International standards",
        ("itu", "Internet of things"): "Smart cities",
        ("itu", "Child safety online"): "Child online protection",
        ("itu", "Inclusive finance"): "Digital Financial Services (DFS)",
        ("itu", "Rights of persons with disabilities"): "ICT /digital accessibility for all including persons with disabilities",
        ("itu", "Gender rights online"): "Gender digital divide",  # closing quote missing in the source
        ("wto", "Digital standards"): "standards and regulations",
        ("wto", "Access"): "market access",
    }


def test_markers_on_headings(sample):
    s = sample.tables["sections"]
    s = s[s["footnote_number"].notna()]
    marked = dict(zip(zip(s["organization_id"], s["heading"], strict=True), s["footnote_number"], strict=True))
    assert marked[("wto", "Digital standards (1)")] == 1
    assert marked[("wto", "Access (4)")] == 4
    assert marked[("itu", "Social media channels (2)")] == 2
    assert len(marked) == 10


def test_footnote_line_forms():
    assert L.footnote_definition("1-text here") == (1, "text here")
    assert L.footnote_definition("12 – text here") == (12, "text here")
    assert L.footnote_definition("3 — text") == (3, "text")
    assert L.footnote_definition("2022 was a year") is None
    assert split_marker("Digital standards (1)") == ("Digital standards", 1)
    assert split_marker("Access") == ("Access", None)
    assert split_marker("Digital standards (1):") == ("Digital standards", 1)  # regression: was unmapped


def test_local_term_forms():
    assert local_term("The issue is addressed as ‘International standards’.") == "International standards"
    assert local_term('Known as "Smart cities" in our work.') == "Smart cities"
    assert local_term("addressed as ‘Gender digital divide.") == "Gender digital divide"
    assert local_term("No quoted term.") is None


def test_continuation_lines_join_the_footnote(extract_files):
    body = (
        "Digital policy issues\n\nDigital standards (1)\n\nText on standards.\n\nAccess (2)\n\nText on access.\n\n"
        "1 – The issue of digital standards is addressed\nas ‘Norms and specifications’.\n\n2-Access is called ‘reach’.\n"
    )
    ex = extract_files({"a.txt": make_profile(body=body)})
    f = ex.tables["footnotes"]
    assert list(f["text"]) == ["The issue of digital standards is addressed as ‘Norms and specifications’.", "Access is called ‘reach’."]
    assert list(f["source_line"]) == [25, 28]
    p = ex.tables["policy_issues"]
    assert dict(zip(p["issue"], p["local_term"], strict=True)) == {"Digital standards": "Norms and specifications", "Access": "reach"}


def test_undefined_and_uncited_footnotes_are_reported(extract_files):
    body = "Digital policy issues\n\nAccess (3)\n\nText on access.\n\n1 – A note nobody cites.\n"
    ex = extract_files({"a.txt": make_profile(body=body)})
    assert {"footnote-undefined", "footnote-uncited"} <= rules(ex)
    undefined = next(f for f in ex.findings if f.rule == "footnote-undefined")
    assert undefined.source_line == 17


def test_prose_citation_is_not_a_heading_marker(extract_files):
    body = "Digital policy issues\n\nAccess\n\nMembers agreed until MC13 (1).\n\n1-WT/MIN(22)/32\n"
    ex = extract_files({"a.txt": make_profile(body=body)})
    assert list(ex.tables["footnotes"]["number"]) == [1]
    assert "footnote-uncited" not in rules(ex) and "footnote-undefined" not in rules(ex)


def test_mention_in_a_footnote_continuation_line_points_at_that_line(extract_files):
    """Regression (fuzz): mentions in continuation lines were attributed to the footnote's first line."""
    other = make_profile(name="Other Organisation", acronym="OTH")
    body = "Digital policy issues\n\nAccess (1)\n\nText.\n\n1 – Addressed as ‘reach’,\njointly with OTH and Kenya.\n"
    ex = extract_files({"a.txt": make_profile(body=body), "b.txt": other})
    m = ex.tables["organization_mentions"]
    assert list(zip(m["organization_id"], m["mentioned_organization_id"], m["source_line"], strict=True)) == [("exo", "oth", 22)]
    c = ex.tables["country_mentions"]
    assert list(zip(c["country_code"], c["source_line"], strict=True)) == [("KE", 22)]
