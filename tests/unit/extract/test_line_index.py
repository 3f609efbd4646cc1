"""The per-file line index (issue 11, speed): the candidate lines it finds in a few C-speed passes
are exactly the lines the per-line definitions select, on any text (hypothesis)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.extract.lines import LABEL_WINDOW, SHORT_LINE, citations, footnote_definition, index_lines

PIECES = st.sampled_from(
    [
        "Acronym: X",
        ":",
        "a:",
        "ab:",
        " Website :",
        "(1)",
        "(12)",
        "(2022)",
        "((3))",
        "x" * 50 + ":",
        "x" * 170,
        " ",
        "\t",
        "word",
        "\n",
        "\n\n",
        "é’",
    ]
)
TEXTS = st.lists(st.one_of(PIECES, st.text(max_size=20)), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_the_index_matches_the_per_line_definitions(text):
    lines = text.split("\n")
    index = index_lines(text, lines)
    assert index.short == [k for k, line in enumerate(lines) if line and (len(line) <= SHORT_LINE or line[0] in " \t" or line[-1] in " \t")]
    assert index.labelled == [k for k, line in enumerate(lines) if line.find(":", 0, LABEL_WINDOW) > 1]
    assert index.cited == [k for k, line in enumerate(lines) if re.search(r"\(\d{1,4}\)", line)]


# The definitions the fast classifiers must agree with (regular expressions as the format reads).
CITATION = re.compile(r"(?<=[\w’'\")\]])\s?\((\d{1,4})\)(?=[\s.,;:!?)]|$)")
FOOTNOTE = re.compile(r"^\s*(\d{1,5})\s*[-–—]\s*(\S.*?)\s*$")
LINE_PIECES = st.sampled_from(
    [
        "(1)",
        "(2)",
        "(12)",
        "(123)",
        "(2019)",
        " ",
        "  ",
        "a",
        "’",
        '"',
        ")",
        "]",
        "_",
        ".",
        ",",
        "?",
        "x(3)",
        "1 – ",
        "12-",
        "—",
        "\t",
        "word (3)",
        "word  (4)",
        " (5) ",
        "’ (6).",
        "(7)(8)",
        "é(9)",
    ]
)
LINES = st.lists(st.one_of(LINE_PIECES, st.text(alphabet=st.characters(blacklist_characters="\n\r"), max_size=5)), max_size=20).map("".join)


@settings(max_examples=500, deadline=None)
@given(LINES)
def test_citations_are_the_regular_definition(line):
    numbers = re.findall(r"\((\d{1,4})\)", line)
    expected = [] if not numbers or ("1" in numbers and "2" in numbers) else [int(n) for n in CITATION.findall(line)]
    assert citations(line) == expected


@settings(max_examples=500, deadline=None)
@given(LINES)
def test_footnote_definitions_are_the_regular_definition(line):
    m = FOOTNOTE.match(line)
    assert footnote_definition(line) == ((int(m.group(1)), m.group(2)) if m else None)
