"""Each rule of the in-memory checks: a small crafted table set that triggers it, one that must not."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pipeline.findings import RULES
from pipeline.schemas import load_schemas, schema
from pipeline.validate.checks import check_tables
from pipeline.validate.text_rules import PROSE_COLUMNS

TODAY = dt.date(2025, 6, 1)
ORG = {
    "organization_id": "acme", "name": "Acme Institute", "acronym": "ACME", "established": 1990,
    "established_source": "header", "website": "https://acme.example", "summary": "Acme works on digital policy.",
    "summary_source_line": 11, "source_file": "profiles/a.txt", "source_line_start": 1, "source_line_end": 60,
}


def section(section_id: str, text: str | None, *, line: int = 20, heading: str | None = None, parent: str | None = None,
            level: int = 1, canonical: str | None = None, org: str = "acme") -> dict:
    return {
        "organization_id": org, "section_id": section_id, "parent_section_id": parent, "level": level,
        "heading": heading or section_id.rsplit("/", 1)[-1].replace("-", " ").capitalize(), "canonical_heading": canonical,
        "text": text, "text_source_line": None if text is None else line + 2, "source_line_start": line,
        "source_line_end": line + 2 + (0 if text is None else text.count("\n")),
    }


def tables(**rows: list[dict]) -> dict[str, pd.DataFrame]:
    rows.setdefault("organizations", [ORG])
    return {name: t.frame(rows.get(name, [])) for name, t in load_schemas().items()}


def run(**rows: list[dict]):
    return check_tables(tables(**rows), today=TODAY)


def of(rule: str, findings) -> list:
    return [f for f in findings if f.rule == rule]


def test_clean_tables_have_no_findings():
    text = "Acme runs three programmes:\n\n• Research\n• Training\n\nIt works with partners in 3.5 regions, e.g. U.S. agencies."
    assert run(sections=[section("digital-activities", text)]) == []


def test_every_rule_used_here_is_catalogued():
    for rule in ("schema", "foreign-key", "established-in-future", "website-not-https", "spreadsheet-formula", "markup-in-text",
                 "control-characters", "mixed-script-word", "run-together-words", "list-intro-without-list", "placeholder-text",
                 "empty-section"):
        assert rule in RULES


def test_prose_columns_exist_in_the_schemas():
    for table, columns in PROSE_COLUMNS.items():
        assert set(columns) <= set(schema(table).columns)


# -- cross-table -----------------------------------------------------------------------------------

def test_foreign_key_missing_parent():
    orphan = {"organization_id": "ghost", "number": 1, "text": "A note.", "source_line": 70}
    found = of("foreign-key", run(footnotes=[orphan]))
    assert len(found) == 1
    f = found[0]
    assert f.severity == "error" and f.table == "footnotes" and f.key == {"organization_id": "ghost", "number": 1}
    assert f.value == "ghost" and "organizations" in f.message


def test_foreign_key_composite_and_present():
    sec = section("digital-policy-issues/cybersecurity", "Text.", level=2, parent="digital-policy-issues")
    top = section("digital-policy-issues", None, line=18)
    issue = {"organization_id": "acme", "section_id": "digital-policy-issues/cybersecurity", "issue": "Cybersecurity",
             "basket": "Cybersecurity", "heading": "Cybersecurity", "match": "exact", "source_line": 20}
    taxonomy = {"issue": "Cybersecurity", "basket": "Cybersecurity", "provenance": "DW", "basket_assigned": False,
                "vocabulary_version": "1"}
    assert of("foreign-key", run(sections=[top, sec], policy_issues=[issue], issue_taxonomy=[taxonomy])) == []
    found = of("foreign-key", run(sections=[top], policy_issues=[issue], issue_taxonomy=[taxonomy]))
    assert [f.column for f in found] == ["organization_id,section_id"]
    assert found[0].source_line == 20 and found[0].source_file == "profiles/a.txt"


def test_established_in_future():
    found = of("established-in-future", run(organizations=[{**ORG, "established": 2031}]))
    assert [(f.value, f.source_line, f.severity) for f in found] == [("2031", 1, "error")]
    assert of("established-in-future", run(organizations=[{**ORG, "established": 2025}])) == []


def test_website_not_https():
    found = of("website-not-https", run(organizations=[{**ORG, "website": "http://acme.example"}]))
    assert [(f.value, f.source_file, f.severity) for f in found] == [("http://acme.example", "profiles/a.txt", "warning")]
    assert of("website-not-https", run()) == []


# -- cells -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["=HYPERLINK(\"x\")", "+41 22 000", "-minus", "@handle"])
def test_spreadsheet_formula(value):
    found = of("spreadsheet-formula", run(organizations=[{**ORG, "name": value}]))
    assert [(f.column, f.source_line) for f in found] == [("name", 1)]


def test_spreadsheet_formula_not_in_the_middle():
    assert of("spreadsheet-formula", run(organizations=[{**ORG, "name": "Acme = Good + Fast - Slow @ Geneva"}])) == []


@pytest.mark.parametrize(
    "text", ['Read <b>this</b> now.', 'An <img src=x onerror="alert(1)"> image.', "Go to javascript:alert(1).", "Tom &amp; Jerry."]
)
def test_markup_in_text(text):
    found = of("markup-in-text", run(sections=[section("digital-activities", "First line.\n\n" + text)]))
    assert [f.source_line for f in found] == [22 + 2]


@pytest.mark.parametrize(
    "text", ["Growth < 5% and > 2%.", "Write to <info@acme.example> or see <https://acme.example>.", "R&D budgets; AT&T."]
)
def test_no_markup_in_plain_text(text):
    assert of("markup-in-text", run(sections=[section("digital-activities", text)])) == []


@pytest.mark.parametrize("ch", ["\u200b", "\u202e", "\x07", "\ufeff", "\r"])
def test_control_characters(ch):
    found = of("control-characters", run(sections=[section("digital-activities", f"Line one.\nLine{ch}two.")]))
    assert [f.source_line for f in found] == [23]
    assert f"U+{ord(ch):04X}" in found[0].message and "⟨U+" in found[0].excerpt


def test_no_control_characters_in_tabs_newlines_and_nbsp():
    assert of("control-characters", run(sections=[section("digital-activities", "A\tB\nC\u00a0D – “E”")])) == []


# -- text quality ----------------------------------------------------------------------------------

def test_mixed_script_word_points_at_the_line():
    text = "Intro.\n\nThe facilitator of Action Line \u04212 – infrastructure.\n\nAlso a n\u0435twork."
    found = of("mixed-script-word", run(sections=[section("digital-activities", text)]))
    assert [(f.source_line, f.value) for f in found] == [(24, "\u04212"), (26, "n\u0435twork")]
    assert "CYRILLIC" in found[0].message and "U+0421" in found[0].message


def test_mixed_script_in_names_too():
    found = of("mixed-script-word", run(organizations=[{**ORG, "name": "Acme \u0399nstitute"}]))  # Greek capital iota
    assert [(f.column, f.source_line) for f in found] == [("name", 1)]


def test_no_mixed_script_for_whole_foreign_words_and_accents():
    text = "Russia (Россия) and Greece (Ελλάδα) joined; Genève, Pâquis, Côte d’Ivoire; α-helix."
    assert of("mixed-script-word", run(sections=[section("digital-activities", text)])) == []


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("Members: Guatemala;Honduras; Iceland.", "Guatemala;Honduras"),
        ("It supports developmentThe new plan.", "developmentThe"),
        ("The AI forRoadSafety initiative.", "forRoadSafety"),
        ("A task force onSMART cables.", "onSMART"),
        ("Here ACMEis custodian.", "ACMEis"),
        ("It joined the Charter(CCC) in 2019.", "Charter(CCC)"),
        ("Acme mapped over 1.1millionschools.", "1.1millionschools"),
        ("It works with many partners ofdifferent kinds.", "ofdifferent"),
        ("Acme isworking withadiverse array.", "isworking"),
    ],
)
def test_run_together_words(text, word):
    found = of("run-together-words", run(sections=[section("digital-activities", "Intro.\n" + text)]))
    assert found and found[0].value == word and found[0].source_line == 23


def test_run_together_words_keep_legitimate_forms_quiet():
    text = (
        "See https://acme.example/a,b;c or www.acme.example, write to info@acme.example, visit etradeforall.org. "
        "It grew 3.5 times, e.g. in the U.S., i.e. in 2021. eTrade, eCommerce, YouTube, LinkedIn, UNCTADstat, tinyML, "
        "SDGs, ICTs, ITU-T, IMT-2020, 5G, Connect2Recover, the 1990s, the 21st century, Billion(s), WT/MIN(22)/32. "
        "Another online cyberspace for policymakers, multistakeholder onboarding, bylaws, within and into it; Addis Ababa."
    )
    assert of("run-together-words", run(sections=[section("digital-activities", text)])) == []


def test_run_together_words_in_footnotes_and_summary():
    found = run(organizations=[{**ORG, "summary": "Acme.\n\nIt works ofthe future."}],
                footnotes=[{"organization_id": "acme", "number": 1, "text": "Chile;Colombia", "source_line": 58}])
    got = {(f.table, f.source_line) for f in of("run-together-words", found)}
    assert got == {("organizations", 13), ("footnotes", 58)}


def test_list_intro_without_list():
    text = "Acme runs these programmes:\n\nIt also trains people.\n\nExamples include:"
    found = of("list-intro-without-list", run(sections=[section("digital-tools", text)]))
    assert [f.source_line for f in found] == [22, 26]


@pytest.mark.parametrize(
    "text",
    [
        "Programmes include:\n\n• Research\n• Training",
        "Programmes include:\n- Research\n- Training",
        "Programmes include:\n\n1. Research\n2. Training",
        "For example:\n\nStrategies: Acme helps states.\n\nTeams: Acme trains teams.",
        "Tools used:\n\nZoom\n\nWebex",
        "It was dedicated to the theme: Digital technologies for all.",
    ],
)
def test_list_intro_followed_by_a_list(text):
    assert of("list-intro-without-list", run(sections=[section("digital-tools", text)])) == []


def test_list_intro_at_end_of_text_with_subheadings_is_fine():
    parent = section("digital-policy-issues/e-commerce", "Activities are as follows:", level=2, parent="digital-policy-issues")
    child = section("digital-policy-issues/e-commerce/research", "Research text.", line=30, level=3,
                    parent="digital-policy-issues/e-commerce")
    top = section("digital-policy-issues", None, line=18)
    assert of("list-intro-without-list", run(sections=[top, parent, child])) == []
    found = of("list-intro-without-list", run(sections=[top, parent]))
    assert [f.source_line for f in found] == [22]


def test_heading_ending_with_colon_needs_a_list():
    bad = section("digital-tools/for-example", "Acme is large.", heading="For example:", level=2, parent="digital-tools")
    good = section("digital-tools/building", "• Drills\n• Forums", line=40, heading="Building capacity:", level=2, parent="digital-tools")
    top = section("digital-tools", "Tools.", line=10)
    found = of("list-intro-without-list", run(sections=[top, bad, good]))
    assert [(f.column, f.source_line) for f in found] == [("heading", 20)]


@pytest.mark.parametrize(
    "line",
    ["Any reference to online or remote meetings?", "TBC", "TODO: add the tools", "[...]", "XXX", "Lorem ipsum dolor sit amet.",
     "The portal [insert link] opened.", "To be completed."],
)
def test_placeholder_text(line):
    found = of("placeholder-text", run(sections=[section("future-of-meetings", "Acme meets online.\n\n" + line)]))
    assert [f.source_line for f in found] == [24]


@pytest.mark.parametrize(
    "line",
    ["Acme asked: what can be done? It answered with a plan.", "• How can states cooperate?", "‘Why now?’ asked the report.",
     "The elision […] is from the original quote, and the year is tbc in lower case.", "Acme meets online."],
)
def test_no_placeholder_in_real_text(line):
    assert of("placeholder-text", run(sections=[section("future-of-meetings", line)])) == []


def test_placeholder_heading():
    doubt = section("digital-policy-issues/data-governance", "Text.", heading="Data governance?", canonical="Data governance",
                    level=2, parent="digital-policy-issues")
    question = section("digital-tools/what-now", "Text.", line=40, heading="What does Acme do?", level=2, parent="digital-tools")
    found = of("placeholder-text", run(sections=[doubt, question]))
    assert [(f.column, f.source_line) for f in found] == [("heading", 20)]


def test_empty_section():
    empty = section("digital-tools", None, line=30)
    parent = section("digital-policy-issues", None, line=40)
    child = section("digital-policy-issues/cybersecurity", "Text.", line=42, level=2, parent="digital-policy-issues")
    blank = section("future-of-meetings", "\n\n", line=50)
    found = of("empty-section", run(sections=[empty, parent, child, blank]))
    assert [(f.source_line, f.key["section_id"]) for f in found] == [(30, "digital-tools"), (50, "future-of-meetings")]
    assert all(f.severity == "warning" for f in found)


def test_findings_are_sorted_deterministically():
    rows = dict(sections=[section("digital-tools", "Examples include:"), section("future-of-meetings", "TBC", line=30)],
                organizations=[{**ORG, "website": "http://acme.example"}])
    first, second = run(**rows), run(**{k: list(reversed(v)) for k, v in rows.items()})
    assert [f.to_dict() for f in first] == [f.to_dict() for f in second]


def test_lone_lookalike_letter_is_reported():
    found = of("mixed-script-word", run(sections=[section("digital-activities", "This is \u0430 test of the system.")]))
    assert [f.value for f in found] == ["\u0430"]


def test_abbreviation_after_an_intro_is_not_a_list_item():
    text = "Examples include:\ne.g. the portal and the map, which opened in 2020 after a long consultation of all the members."
    found = of("list-intro-without-list", run(sections=[section("digital-tools", text)]))
    assert [f.source_line for f in found] == [22]


def test_text_findings_alone_give_the_text_rules_findings_of_the_checks():
    """``text_rules.text_findings`` (the module's rules on their own, as benchmarks and the columnar
    equivalence test call them) finds what the checks find for those rules."""
    from pipeline.validate.locate import Locator
    from pipeline.validate.text_rules import text_findings

    prose = "This line is prose that runs on well past the length of any list item, so no list follows the colon above it."
    text = f"The work ofpartners in the region.\n\nСyber policy:\n\n{prose}\n\nTODO: finish this."
    frames = tables(sections=[section("digital-activities", text), section("digital-tools", None, line=40)])
    text_rules = {"mixed-script-word", "run-together-words", "list-intro-without-list", "placeholder-text", "empty-section"}
    expected = [f for f in check_tables(frames, today=TODAY) if f.rule in text_rules]
    assert {f.rule for f in expected} == text_rules
    assert sorted(text_findings(frames, Locator(frames)), key=lambda f: f.sort_key()) == expected



def test_empty_sections_in_a_column_polars_cannot_hold_are_judged_row_by_row():
    """A text column of mixed Python objects is not screened: every row is looked at, and only the
    rows without prose (missing or blank) are empty sections."""
    frames = tables(sections=[section(f"s{k}", "x", line=10 * k + 10) for k in range(4)])
    frames["sections"]["text"] = pd.Series(["Prose text here.", 1234, None, "   "], dtype=object)
    found = of("empty-section", check_tables(frames, today=TODAY))
    assert [(f.source_line, f.value) for f in found] == [(30, "S2"), (40, "S3")]


def test_word_findings_name_the_word_and_show_the_line():
    line = "The work ofpartners with Сyber teams."
    found = run(sections=[section("digital-activities", line)])
    (glued,) = of("run-together-words", found)
    (mixed,) = of("mixed-script-word", found)
    assert glued.message == "words run together in 'ofpartners': reads as 'of partners'" and glued.excerpt == line
    assert mixed.message.startswith("word 'Сyber' mixes scripts: 'С' is U+0421 CYRILLIC CAPITAL LETTER ES")
    assert mixed.excerpt == line and (glued.value, mixed.value) == ("ofpartners", "Сyber")


# -- exact findings of the text rules, in every prose table -------------------------------------------

def _fields(f) -> tuple:
    return f.rule, f.message, f.table, f.key, f.column, f.value, f.source_file, f.source_line, f.excerpt


def _text_findings(frames):
    from pipeline.validate.locate import Locator
    from pipeline.validate.text_rules import text_findings

    return text_findings(frames, Locator(frames))


def test_list_intro_line_finding_names_the_stripped_line():
    text = "Acme works on many things.\n  Its   programmes are:  \n\nIt also trains people in several regions of the world every year."
    (f,) = of("list-intro-without-list", run(sections=[section("digital-tools", text)]))
    assert _fields(f) == ("list-intro-without-list", "line ends with ':' but no list follows", "sections",
                          {"organization_id": "acme", "section_id": "digital-tools"}, "text", "Its   programmes are:",
                          "profiles/a.txt", 23, "Its programmes are:")


def test_list_intro_in_footnotes_and_summary_is_reported_whatever_the_sections_hold():
    # row 0 of sections is a parent: that must not excuse row 0 of footnotes or organizations
    parent = section("digital-policy-issues", "Acme works on:", line=30)
    child = section("digital-policy-issues/cybersecurity", "Text.", line=34, level=2, parent="digital-policy-issues")
    found = run(organizations=[{**ORG, "summary": "Acme.\n\nIts aims are:"}], sections=[parent, child],
                footnotes=[{"organization_id": "acme", "number": 1, "text": "Sources are:", "source_line": 58}])
    got = [(f.table, f.key, f.column, f.source_line, f.value) for f in of("list-intro-without-list", found)]
    assert got == [("organizations", {"organization_id": "acme"}, "summary", 13, "Its aims are:"),
                   ("footnotes", {"organization_id": "acme", "number": 1}, "text", 58, "Sources are:")]


def test_heading_intro_finding_fields():
    bad = section("digital-tools/for-example", "Acme is large.", heading="  For   example:", level=2, parent="digital-tools")
    (f,) = of("list-intro-without-list", run(sections=[bad]))
    assert _fields(f) == ("list-intro-without-list", "heading ends with ':' but no list follows", "sections",
                          {"organization_id": "acme", "section_id": "digital-tools/for-example"}, "heading", "  For   example:",
                          "profiles/a.txt", 20, "For example:")


def test_heading_intro_reads_the_text_from_its_first_line():
    one_bullet = section("digital-tools/zoom", "• Zoom", heading="Tools used:", level=2, parent="digital-tools")
    short_lines = section("digital-tools/webex", "Zoom\nWebex", line=30, heading="Platforms:", level=2, parent="digital-tools")
    assert of("list-intro-without-list", run(sections=[one_bullet, short_lines])) == []


def test_heading_intro_without_text_needs_subheadings():
    alone = section("digital-tools", None, heading="Tools used:", line=10)
    parent = section("digital-policy-issues", None, heading="Issues covered:", line=30)
    child = section("digital-policy-issues/cybersecurity", "Text.", line=34, level=2, parent="digital-policy-issues")
    found = of("list-intro-without-list", run(sections=[alone, parent, child]))
    assert [(f.key["section_id"], f.column, f.source_line) for f in found] == [("digital-tools", "heading", 10)]


def test_placeholder_line_finding_fields():
    (f,) = of("placeholder-text", run(sections=[section("future-of-meetings", "Acme meets online.\n\n   TBC  ")]))
    assert _fields(f)[2:] == ("sections", {"organization_id": "acme", "section_id": "future-of-meetings"}, "text", "TBC",
                              "profiles/a.txt", 24, "TBC")
    assert f.message.startswith("placeholder text: ") and len(f.message) > len("placeholder text: ")


def test_placeholder_in_footnotes_and_summary():
    found = run(organizations=[{**ORG, "summary": "Acme.\nTODO: add the tools"}],
                footnotes=[{"organization_id": "acme", "number": 2, "text": "See [insert link].", "source_line": 58}])
    got = [(f.table, f.column, f.source_line, f.value) for f in of("placeholder-text", found)]
    assert got == [("organizations", "summary", 12, "TODO: add the tools"), ("footnotes", "text", 58, "See [insert link].")]


def test_placeholder_heading_finding_fields():
    doubt = section("digital-policy-issues/data-governance", "Text.", heading="Data  governance?", canonical="Data governance",
                    level=2, parent="digital-policy-issues")
    (f,) = of("placeholder-text", run(sections=[doubt]))
    assert _fields(f)[2:] == ("sections", {"organization_id": "acme", "section_id": "digital-policy-issues/data-governance"},
                              "heading", "Data  governance?", "profiles/a.txt", 20, "Data governance?")
    assert f.message.startswith("placeholder text: ") and len(f.message) > len("placeholder text: ")


def test_placeholder_heading_without_canonical_column_names_no_known_heading():
    doubt = section("digital-policy-issues/data-governance", "Text.", heading="Data governance?", canonical="Data governance",
                    level=2, parent="digital-policy-issues")
    frames = tables(sections=[doubt])
    assert [f.column for f in of("placeholder-text", _text_findings(frames))] == ["heading"]
    frames["sections"] = frames["sections"].drop(columns=["canonical_heading"])
    assert of("placeholder-text", _text_findings(frames)) == []


def test_empty_section_finding_fields():
    empty = section("digital-tools", None, heading="Digital  tools", line=30)
    (f,) = of("empty-section", run(sections=[empty]))
    assert _fields(f) == ("empty-section", "section 'Digital  tools' has no text and no sub-headings", "sections",
                          {"organization_id": "acme", "section_id": "digital-tools"}, "text", "Digital  tools",
                          "profiles/a.txt", 30, "Digital tools")


def test_empty_section_without_heading_shows_an_empty_name():
    frames = tables(sections=[section("digital-tools", None, line=30)])
    frames["sections"]["heading"] = pd.Series([None], dtype=frames["sections"]["heading"].dtype)
    (f,) = of("empty-section", _text_findings(frames))
    assert (f.message, f.value, f.excerpt, f.source_line) == ("section '' has no text and no sub-headings", "", "", 30)


@pytest.mark.parametrize("dropped", ["text", "parent_section_id", "section_id"])
def test_empty_section_when_a_sections_column_is_missing(dropped):
    """Without ``text`` every section without sub-headings is empty; without ``parent_section_id``
    or ``section_id`` no section is known to have sub-headings."""
    parent = section("digital-policy-issues", None, line=30)
    child = section("digital-policy-issues/cybersecurity", "Text.", line=34, level=2, parent="digital-policy-issues")
    frames = tables(sections=[parent, child])
    frames["sections"] = frames["sections"].drop(columns=[dropped])
    got = [(f.value, f.source_line) for f in of("empty-section", _text_findings(frames))]
    assert got == ([("Cybersecurity", 34)] if dropped == "text" else [("Digital policy issues", 30)])


def test_text_findings_of_tables_without_a_sections_table():
    """The text rules run on what is there: without a ``sections`` table (an editor's folder that
    lacks the file) the other tables' prose is still judged, and nothing raises."""
    from pipeline.validate.checks import Locator
    from pipeline.validate.text_rules import text_findings

    frames = tables(sections=[section("digital-activities", "TODO: finish this.")])
    frames["organizations"].loc[0, "summary"] = "TODO: write the summary."
    del frames["sections"]
    found = text_findings(frames, Locator(frames))
    assert [(f.rule, f.table) for f in found] == [("placeholder-text", "organizations")]
