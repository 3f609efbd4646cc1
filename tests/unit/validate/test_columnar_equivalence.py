"""The columnar rules (issue 15) find exactly what the row-wise rules found, byte for byte.

The oracle is ``rowwise_reference.py`` next to this file: a frozen copy of the row-wise rule
modules from before the rules became columnar. Each test serialises the findings of both (every
field, in order) and compares the bytes: on the sample, on a generated N× corpus (the benchmark's
generator), on tables whose prose is drawn by hypothesis from the characters and words the screens
are about, and on columns polars cannot hold (which fall back to Python).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.extract import extract_paths
from pipeline.schemas import load_schemas
from pipeline.validate import cells, text_rules
from pipeline.validate.checks import check_tables
from pipeline.validate.crosstable import established_findings, foreign_key_findings, website_findings
from pipeline.validate.locate import Locator
from pipeline.validate.scan import re2_space

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
TODAY = dt.date(2025, 6, 1)


def _load(name: str, path: Path):
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


reference = _load("rowwise_reference", HERE / "rowwise_reference.py")


def serialised(findings) -> bytes:
    return json.dumps([f.to_dict() for f in findings], ensure_ascii=False, default=str).encode()


def assert_same(tables: dict[str, pd.DataFrame]) -> int:
    """Both implementations on ``tables``: the same bytes; returns the number of findings."""
    new, old = check_tables(tables, today=TODAY), reference.check_tables(tables, today=TODAY)
    assert len(new) == len(old)
    assert serialised(new) == serialised(old)
    return len(new)


def test_sample():
    tables = extract_paths([REPO / "sources"]).tables
    assert assert_same(tables) >= 20  # the sample's defects: every text rule fires


def test_generated_corpus(tmp_path):
    make_corpus = _load("make_corpus", REPO / "benchmarks" / "make_corpus.py")
    make_corpus.make_corpus(12, tmp_path / "corpus", seed=11, files=7)
    tables = extract_paths([tmp_path / "corpus"]).tables
    assert assert_same(tables) >= 12 * 20


# -- hypothesis: prose made of what the screens look for ---------------------------------------------

PIECES = [
    # words, glued words, acronyms, addresses
    "policy", "the", "digital", "ofpartners", "ITUis", "onDNS", "Chile;Peru", "developmentThe", "50countries",
    "Forum(ABC)", "e.g.", "NGOs", "eBay", "https://x.org/a", "www.x.org", "@handle", "x.org", "Luvonor", "cyberspace",
    # look-alikes and other scripts, accents
    "С2", "nеtwork", "Ελλάδα", "Москва", "ԱԲ", "Genève", "ſ", "K",
    # controls, format characters, every kind of whitespace
    "\x07", "\x0b", "\x1c", "\x85", "\u00ad", "\u200b", "\u202e", "\ufeff", "\t", "\r", "\u00a0", "\u2028", "\u3000",
    # markup, formulas, placeholders, list introductions, bullets
    "<b>", "</b>", "<img src=x onerror=alert(1)>", "&amp;", "&#39;", "javascript:", "=", "+", "-", "@", "?", "...", "…",
    "[insert", "]", "TODO", "TBC", "XXX", "lorem ipsum", "Lorem", "n/a", "N/A", "tbd", "to be completed", "To be",
    ":", "include:", "Examples:", "2:", "• ", "- ", "1. ", "a) ", "Label: item",
    # structure
    " ", " ", " ", "  ", "\n", "\n", "\n\n", ". ", ", ",
]
TEXT = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)
MAYBE_TEXT = st.one_of(st.none(), st.just(""), st.just(" \n\t"), TEXT)

ORG = {"organization_id": "acme", "name": "Acme Institute", "acronym": "ACME", "established": 1990,
       "established_source": "header", "website": "https://acme.example", "summary": "Acme works on policy.",
       "summary_source_line": 11, "source_file": "profiles/a.txt", "source_line_start": 1, "source_line_end": 60}


@st.composite
def table_sets(draw) -> dict[str, pd.DataFrame]:
    orgs = [{**ORG, "organization_id": f"o{k}", "summary": draw(MAYBE_TEXT), "name": draw(TEXT) or "Name",
             "website": draw(st.sampled_from(["https://a.org", "http://a.org", "HTTP://A.ORG", "htTp://x", None])),
             "established": draw(st.sampled_from([1990, 2031, None])), "source_file": draw(st.sampled_from(["a.txt", None]))}
            for k in range(draw(st.integers(1, 3)))]
    sections = []
    for k in range(draw(st.integers(0, 6))):
        org = f"o{draw(st.integers(0, 3))}"  # o3 may not exist: a foreign-key finding
        parent = draw(st.sampled_from([None, "s0", "s1"]))
        text = draw(MAYBE_TEXT)
        sections.append({"organization_id": org, "section_id": f"s{k}", "parent_section_id": parent, "level": 1 + (parent is not None),
                         "heading": draw(st.one_of(st.none(), TEXT)) or None,
                         "canonical_heading": draw(st.sampled_from([None, "Digital tools"])),
                         "footnote_number": None, "text": text, "text_source_line": draw(st.sampled_from([None, 20 + 3 * k])),
                         "source_line_start": 18 + 3 * k, "source_line_end": 19 + 3 * k})
    footnotes = [{"organization_id": "o0", "number": k + 1, "text": draw(MAYBE_TEXT), "source_line": 90 + k}
                 for k in range(draw(st.integers(0, 2)))]
    social = [{"organization_id": "o0", "platform": draw(st.sampled_from(["Twitter", "=cmd", "Х"])), "handle": draw(TEXT),
               "source_line": 99}]
    rows = {"organizations": orgs, "sections": sections, "footnotes": footnotes, "social_media_accounts": social}
    return {name: t.frame(rows.get(name, [])) for name, t in load_schemas().items()}


def _rules(module, tables: dict[str, pd.DataFrame]):
    """Every rule but pandera's (which both share): the hypothesis examples stay fast."""
    if module is reference:
        locator = reference.Locator(tables)
        return [*reference.foreign_key_findings(tables, locator), *reference.established_findings(tables, locator, today=TODAY),
                *reference.website_findings(tables, locator), *reference.cell_findings(tables, locator),
                *reference.text_findings(tables, locator)]
    locator = Locator(tables)
    return [*foreign_key_findings(tables, locator), *established_findings(tables, locator, today=TODAY), *website_findings(tables, locator),
            *cells.cell_findings(tables, locator), *text_rules.text_findings(tables, locator)]


def _sorted(findings):
    return sorted(findings, key=lambda f: f.sort_key())


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table_sets())
def test_drawn_prose(tables):
    assert serialised(_sorted(_rules(text_rules, tables))) == serialised(_sorted(_rules(reference, tables)))


def test_drawn_prose_finds_every_text_and_cell_rule():
    """The strategy above reaches every rule it is meant to compare (else the comparison is empty)."""
    text = "Intro:\nAcme ofpartners С2 n/a?\n<b>x</b>\u200b\n=1\n\nExamples include:\nprose after."
    tables = {name: t.frame(rows) for name, t in load_schemas().items()
              for rows in [{"organizations": [{**ORG, "summary": text}], "sections": [
                  {"organization_id": "acme", "section_id": "s0", "parent_section_id": None, "level": 1, "heading": "TODO:",
                   "canonical_heading": None, "footnote_number": None, "text": None, "text_source_line": None,
                   "source_line_start": 5, "source_line_end": 6}]}.get(name, [])]}
    rules = {f.rule for f in _rules(text_rules, tables)}
    assert rules >= {"mixed-script-word", "run-together-words", "list-intro-without-list", "placeholder-text", "empty-section",
                     "markup-in-text", "control-characters"}
    assert assert_same(tables) == len(_rules(text_rules, tables))


EDGES = [
    "Examples include: \t\nprose after.",  # whitespace after the colon
    "Examples:\n\u00a0\n• one\n• two",  # a line blank for str.strip (no-break space) before the list
    "Examples:\n\x1c\u3000\nprose after the blank line\nand more",
    "Examples:\r\nshort\nshort",
    "Heading text:\n\n\n",
    "\u00a0n/a",  # a placeholder line after a no-break space
    "\u2003TBC.\nTo be confirmed",
    "policyΕλλάδα and nеtwork С2",  # Greek glued to Latin, a Cyrillic е, a look-alike next to a digit
    "word\u2028ofpartners next\u0085ofthe",  # whitespace str.split() splits on, which is not " " or "\n"
    " \n\t\u3000",  # whitespace only: an empty section
    "",
]


@pytest.mark.parametrize("text", EDGES)
def test_screen_edges(text):
    section = {"organization_id": "acme", "section_id": "s0", "parent_section_id": None, "level": 1, "heading": text or "H:",
               "canonical_heading": "Digital tools", "footnote_number": None, "text": text, "text_source_line": 7,
               "source_line_start": 5, "source_line_end": 9}
    rows = {"organizations": [{**ORG, "summary": text}], "sections": [section],
            "footnotes": [{"organization_id": "acme", "number": 1, "text": text, "source_line": 80}]}
    assert_same({name: t.frame(rows.get(name, [])) for name, t in load_schemas().items()})


def test_columns_polars_cannot_hold_are_read_in_python():
    """A prose column of mixed Python objects (not Arrow strings) is checked row by row, as before."""
    tables = {name: t.frame([]) for name, t in load_schemas().items()}
    tables["organizations"] = load_schemas()["organizations"].frame([ORG])
    sections = load_schemas()["sections"].frame([
        {"organization_id": "acme", "section_id": f"s{k}", "parent_section_id": None, "level": 1, "heading": "Heading:",
         "canonical_heading": None, "footnote_number": None, "text": "x", "text_source_line": 3, "source_line_start": 2,
         "source_line_end": 4} for k in range(4)])
    sections["text"] = pd.Series(["Examples:\nno list", 1234, None, "ofpartners С2 TODO\n\n \n"], dtype=object)
    sections["heading"] = pd.Series(["Heading:", 5, "ok", "What?"], dtype=object)
    tables["sections"] = sections
    assert assert_same(tables) >= 4


def test_the_whitespace_class_is_every_whitespace_character():
    """The screens spell ``re``'s ``\\s`` out for Rust over the Basic Multilingual Plane only."""
    assert all(c < 0x10000 for c in range(sys.maxunicode + 1) if chr(c).isspace())
    assert re2_space().count("\\x{") == sum(1 for c in range(0x10000) if chr(c).isspace())


@pytest.mark.parametrize("lookalikes", [True, False])
def test_cell_screen_is_valid_for_polars(lookalikes):
    import polars as pl

    s = pl.Series(["=1", "a<b>c", "plain", "x\u200by", "С"])
    assert s.str.contains(cells.cell_screen(lookalikes)).to_list() == [True, True, False, True, lookalikes]
