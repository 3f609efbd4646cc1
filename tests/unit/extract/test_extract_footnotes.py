"""Footnotes (`1-text`, `1 – text`, continuation lines), markers on headings, local terms."""

from __future__ import annotations

import pytest
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


def test_one_footnote_cited_by_two_headings_is_reported_once_at_the_second(extract_files):
    """Issue 16: `footnote-cited-twice` never firing went unnoticed by the suite."""
    body = (
        "Digital policy issues\n\nAccess (1)\n\nText on access.\n\nCybersecurity (1)\n\nText on security.\n\n"
        "1 – Access is called ‘reach’.\n"
    )
    text = make_profile(body=body)
    ex = extract_files({"a.txt": text})
    lines = text.split("\n")
    first, second = lines.index("Access (1)") + 1, lines.index("Cybersecurity (1)") + 1
    (f,) = [f for f in ex.findings if f.rule == "footnote-cited-twice"]
    assert (f.source_file, f.source_line, f.severity, f.value) == ("a.txt", second, "warning", "1")
    assert f"'Access (1)' (line {first})" in f.message and f"'Cybersecurity (1)' (line {second})" in f.message
    assert f.key == {"organization_id": "exo", "section_id": "digital-policy-issues/cybersecurity"}
    once = extract_files({"b.txt": make_profile(body=body.replace("Cybersecurity (1)", "Cybersecurity"))}, folder="once")
    assert "footnote-cited-twice" not in rules(once)


def _notes(ex) -> dict[int, str]:
    f = ex.tables["footnotes"]
    return dict(zip(f["number"], f["text"], strict=True))


def test_numbers_past_999_count_only_in_sequence(extract_files):
    """1…1002 are 1002 footnotes; a 1000 out of sequence (after 2) is text of the footnote before."""
    body = "Digital policy issues\n\nAccess (1)\n\nText.\n\n"
    run = "".join(f"{n} – Note {n}.\n" for n in range(1, 1003))
    ex = extract_files({"a.txt": make_profile(body=body + run)})
    notes = _notes(ex)
    assert len(notes) == 1002 and notes[999] == "Note 999." and notes[1000] == "Note 1000." and notes[1002] == "Note 1002."
    gap = extract_files({"b.txt": make_profile(body=body + "1 – One.\n2 – Two.\n1000 – members joined.\n")}, folder="gap")
    assert _notes(gap) == {1: "One.", 2: "Two. 1000 – members joined."}


def test_an_indented_definition_is_read(extract_files):
    ex = extract_files({"a.txt": make_profile(body="Digital policy issues\n\nAccess (1)\n\nText.\n\n   1 – Access is called ‘reach’.\n")})
    assert _notes(ex) == {1: "Access is called ‘reach’."}


def test_a_footnote_cited_by_three_headings_points_at_the_last(extract_files):
    body = (
        "Digital policy issues\n\nAccess (1)\n\nA.\n\nCybersecurity (1)\n\nB.\n\nData governance (1)\n\nC.\n\n"
        "1 – Access is called ‘reach’.\n"
    )
    text = make_profile(body=body)
    lines = text.split("\n")
    at = [lines.index(h) + 1 for h in ("Access (1)", "Cybersecurity (1)", "Data governance (1)")]
    ex = extract_files({"a.txt": text})
    (f,) = [f for f in ex.findings if f.rule == "footnote-cited-twice"]
    assert f.message == (
        f"footnote 1 is cited by 3 headings: 'Access (1)' (line {at[0]}), 'Cybersecurity (1)' (line {at[1]}), "
        f"'Data governance (1)' (line {at[2]})"
    )
    assert (f.source_line, f.table, f.column, f.excerpt) == (at[2], "sections", "footnote_number", "Data governance (1)")


def test_a_heading_citing_an_undefined_footnote_is_named(extract_files):
    text = make_profile(body="Digital policy issues\n\nAccess (1)\n\nText.\n\nCybersecurity (2)\n\nMore.\n\n1 – Access is ‘reach’.\n")
    ex = extract_files({"a.txt": text})
    (f,) = [f for f in ex.findings if f.rule == "footnote-undefined"]
    assert f.message == "heading 'Cybersecurity (2)' cites footnote 2, which the profile does not define"
    line = text.split("\n").index("Cybersecurity (2)") + 1
    assert (f.source_line, f.table, f.column, f.value) == (line, "sections", "footnote_number", "2")


@pytest.mark.parametrize(
    ("note", "mismatch"),
    [
        ("The issue of cybersecurity is addressed as ‘safety’.", True),
        ("The issue of access is addressed as ‘reach’.", False),
        ("Known internally as ‘reach’.", False),  # names no issue: nothing to compare
    ],
)
def test_a_footnote_about_another_issue_than_its_heading(extract_files, note: str, mismatch: bool):
    text = make_profile(body=f"Digital policy issues\n\nAccess (1)\n\nText on access.\n\n1 – {note}\n")
    ex = extract_files({"a.txt": text})
    found = [f for f in ex.findings if f.rule == "footnote-issue-mismatch"]
    if not mismatch:
        assert found == []
        return
    (f,) = found
    assert f.message == "footnote 1 is about 'Cybersecurity' but is cited on the heading 'Access (1)'"
    assert (f.source_line, f.table, f.column) == (text.split("\n").index("Access (1)") + 1, "sections", "footnote_number")


@pytest.mark.parametrize(
    ("note", "term"),
    [
        ("Addressed as ‘reach’ and later as ‘access’.", "reach"),  # the first quoted term, not to the last quote
        ('Addressed as "reach" and as ‘access’.', "reach"),  # the earliest of two quotation styles
        ('Addressed as ‘access’ and as "reach".', "access"),
        ("Known as ‘reach", "reach"),  # no closing quote: to the end
        ("Called ‘Project X’.", "Project X"),
        ("Called ‘’ here.", None),  # an empty quotation gives no term
    ],
)
def test_local_term_is_the_first_quoted_term(note: str, term: str | None):
    assert local_term(note) == term


def _profile_lines(body: str) -> tuple[str, list[str]]:
    text = make_profile(body=body)
    return text, text.split("\n")


def test_prose_citations_and_uncited_footnotes_name_everything(extract_files):
    """Both findings in full: a prose citation of an undefined footnote (reported once per line),
    a defined footnote nobody cites; a bracketed number above 99 cites only a defined footnote."""
    body = (
        "Digital activities\n\nMembers agreed (7) and again (7).\n\nAt least (100) members, see (120).\n\n"
        "Until (99) days.\n\n1 – Nobody cites this.\n\n2 – Cited.\n\n3 – Cited too.\n\n120 – Cited by number.\n"
    ).replace("see (120).", "see (120). Also (2) and (3).")
    text, lines = _profile_lines(body)
    ex = extract_files({"a.txt": text})
    undefined = sorted((f.source_line, f.value) for f in ex.findings if f.rule == "footnote-undefined")
    cite = lines.index("Members agreed (7) and again (7).") + 1
    until = lines.index("Until (99) days.") + 1
    assert undefined == [(cite, "7"), (until, "99")]  # (100) is not a citation: 100 is not defined
    (f,) = [f for f in ex.findings if f.rule == "footnote-undefined" and f.value == "7"]
    assert f.to_dict() == {
        "rule": "footnote-undefined",
        "message": "the text cites footnote (7), which the profile does not define",
        "severity": "warning",
        "table": "sections",
        "key": {"organization_id": "exo"},
        "column": None,
        "value": "7",
        "source_file": "a.txt",
        "source_line": cite,
        "excerpt": "Members agreed (7) and again (7).",
        "hint": f.hint,
        "status": "open",
        "resolution": None,
    }
    (u,) = [f for f in ex.findings if f.rule == "footnote-uncited"]
    assert u.to_dict() == {
        "rule": "footnote-uncited",
        "message": "footnote 1 is never cited in the profile",
        "severity": "warning",
        "table": "footnotes",
        "key": {"organization_id": "exo", "number": 1},
        "column": None,
        "value": None,
        "source_file": "a.txt",
        "source_line": lines.index("1 – Nobody cites this.") + 1,
        "excerpt": "Nobody cites this.",
        "hint": u.hint,
        "status": "open",
        "resolution": None,
    }


def test_a_number_defined_twice_keeps_the_first_and_its_continuation(extract_files):
    body = (
        "Digital policy issues\n\nAccess (1)\n\nText.\n\nCybersecurity (2)\n\nMore.\n\n"
        "1 – First note\ncontinued here.\n2 – Second.\n2 – Second again\nwith a continuation line.\n3 – Third.\n"
    ).replace("Cybersecurity (2)\n\nMore.", "Cybersecurity (2)\n\nMore (3).")
    text, lines = _profile_lines(body)
    ex = extract_files({"a.txt": text})
    assert _notes(ex) == {1: "First note continued here.", 2: "Second.", 3: "Third."}
    f = ex.tables["footnotes"]
    assert list(f["source_line"]) == [lines.index(x) + 1 for x in ("1 – First note", "2 – Second.", "3 – Third.")]
    (d,) = [x for x in ex.findings if x.rule == "footnote-duplicate-number"]
    assert d.to_dict() == {
        "rule": "footnote-duplicate-number",
        "message": "footnote 2 is defined twice; the first is kept",
        "severity": "warning",
        "table": "footnotes",
        "key": {"organization_id": "exo"},
        "column": None,
        "value": "2",
        "source_file": "a.txt",
        "source_line": lines.index("2 – Second again") + 1,
        "excerpt": "2 – Second again",
        "hint": d.hint,
        "status": "open",
        "resolution": None,
    }


def test_continuation_lines_keep_their_own_line_numbers():
    from pipeline.extract.footnotes import read_footnotes

    lines = ["1 – First", "more of it", "", "2 – Second"]
    notes, findings = read_footnotes(lines, 0, 3, "a.txt")
    assert findings == []
    assert [(n.number, n.text, n.line, n.parts) for n in notes.values()] == [
        (1, "First more of it", 1, [(1, "First"), (2, "more of it")]),
        (2, "Second", 4, [(4, "Second")]),
    ]


@pytest.mark.parametrize(
    ("tail", "notes"),
    [
        ("2 – Second note.\n3 – Third note.\n", {2: "Second note.", 3: "Third note."}),  # a run may start above 1
        ("5 – A lone numbered line.\n", {}),  # one number, not 1, no run: prose
        ("5 – A stray line.\n2 – Second note.\n3 – Third note.\n", {2: "Second note.", 3: "Third note."}),
    ],
)
def test_the_footnote_block_starts_at_a_numbered_run(extract_files, tail: str, notes: dict):
    ex = extract_files({"a.txt": make_profile(body="Digital activities\n\nText (2) and (3).\n\n" + tail)})
    assert _notes(ex) == notes


def test_the_footnote_block_is_found_right_under_the_last_heading_in_single_line_layout(extract_files):
    """Single line breaks: a numbered step just above the last heading is prose, and a definition
    right under it is a footnote."""
    body = "Digital activities\nSteps:\n1 – a first step\nDigital tools\n1 – The tool is called ‘kit’.\n"
    ex = extract_files({"a.txt": make_profile(body=body)})
    assert _notes(ex) == {1: "The tool is called ‘kit’."}


def test_lines_before_the_first_definition_are_not_part_of_any_footnote():
    from pipeline.extract.footnotes import read_footnotes

    notes, _ = read_footnotes(["stray text", "1 – First"], 0, 1, "a.txt")
    assert [(n.number, n.text) for n in notes.values()] == [(1, "First")]


def test_every_footnote_cited_by_several_headings_is_reported(extract_files):
    body = "Digital policy issues\n\nAccess (1)\n\nA.\n\nCybersecurity (1)\n\nB.\n\nData governance (2)\n\nC.\n\n"
    body += "Digital standards (2)\n\nD.\n\n1 – Access is called ‘reach’.\n2 – Called ‘norms’.\n"
    ex = extract_files({"a.txt": make_profile(body=body)})
    assert sorted(f.value for f in ex.findings if f.rule == "footnote-cited-twice") == ["1", "2"]


def test_a_block_numbered_on_from_an_earlier_profile_is_found_past_999(extract_files):
    """Footnotes numbered through a whole document: a profile's block may start at 999 and go on."""
    body = "Digital policy issues\n\nAccess (999)\n\nText (1000) and (1001).\n\n999 – First.\n1000 – Second.\n1001 – Third.\n"
    ex = extract_files({"a.txt": make_profile(body=body)})
    assert _notes(ex) == {999: "First.", 1000: "Second.", 1001: "Third."}


def test_a_profile_of_header_and_footnotes_only_in_single_line_layout(extract_files):
    text = "Example Organisation\nAcronym: EXO\n1 – A note (see the website).\n2 – Another note.\n"
    ex = extract_files({"a.txt": text})
    assert _notes(ex) == {1: "A note (see the website).", 2: "Another note."}
