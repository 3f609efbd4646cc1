"""The screens' passes (issue 15, round 7) against the one pattern each stands for.

- a screen's patterns are searched one pass each in a column of long values and joined in one
  pass in a column of short ones; its class of characters, in a vocabulary column, is answered
  from the characters the vocabulary's pieces hold (as literals, or past :data:`CHAR_LITERALS` of
  them as the class): either way, the rows are those the whole pattern matches (drawn values with
  control characters, letters of other scripts, whitespace, nulls; every bound and split);
- the placeholder and cell screens, split into patterns the regex engine finds by a literal or an
  anchor, match where the joined screens do (drawn text made of what they look for);
- the bullet screen (a list introduction followed by a line it matches is left out in polars)
  matches bullet lines only, and every line led by a bullet character;
- a class that holds a space or a newline is answered from the pieces too (each is a piece's last
  character);
- the placeholder rule searches its markers' pattern only in a text holding what one of its
  alternatives needs: the same match as searching every text (``re``'s case folding included).
"""

from __future__ import annotations

import sys

import pandas as pd
import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.validate import cells, lines
from pipeline.validate.lines import bullet_screen, is_bullet, placeholder_reason, placeholder_screen, placeholder_screens
from pipeline.validate.scan import Screen, Screens
from pipeline.validate.words import mixed_script_screen

SCAN = sys.modules[Screens.__module__]
CONTROL_CLASS = cells._suspect_class(False)
MIXED_CLASS = mixed_script_screen()
LETTERS = list("ab :=<>?\n\t ") + ["\x00", "\x1f", "\x85", "\u200b", "\ufeff", "\u00a0", "\u2028", "е", "С", "Ω", "ж", "Ա"]
VALUE = st.one_of(st.none(), st.text(alphabet=st.sampled_from(LETTERS), max_size=14))


def _matching(values: list[str | None], pattern: str) -> list[int]:
    found = pl.Series(values, dtype=pl.String).str.contains(pattern).fill_null(False).to_list()
    return [row for row, hit in enumerate(found) if hit]


def _screens(values: list[str | None], screens: list[Screen], vocabulary: bool) -> Screens:
    frame = pd.DataFrame({"c": pd.Series(values, dtype="string[pyarrow]")})
    found = Screens({"t": frame}, screens, [("t", "c")] if vocabulary else []).prepare()
    return found.run().run_vocabulary()


@settings(max_examples=200, deadline=None)
@example(["ее", "С", None, "жΩ"], True, 0, 1)  # more characters than literals: the class itself
@example(["a\u200bb", "plain"], True, 10**6, 12)
@given(st.lists(VALUE, max_size=10), st.booleans(), st.sampled_from([0, 4, 10**6]), st.sampled_from([0, 1, 2, 12]))
def test_a_screen_keeps_the_rows_its_whole_pattern_matches(values, vocabulary, long_value, char_literals):
    patterns = ("\\?", "^[=]", "<[a-z]>")
    screens = [Screen("both", "t", "c", patterns, CONTROL_CLASS), Screen("chars", "t", "c", (), MIXED_CLASS),
               Screen("patterns", "t", "c", patterns)]
    saved = SCAN.LONG_VALUE, SCAN.CHAR_LITERALS
    SCAN.LONG_VALUE, SCAN.CHAR_LITERALS = long_value, char_literals
    try:
        found = _screens(values, screens, vocabulary)
    finally:
        SCAN.LONG_VALUE, SCAN.CHAR_LITERALS = saved
    assert found.rows("both", "t", "c") == _matching(values, "|".join([*patterns, CONTROL_CLASS]))
    assert found.rows("chars", "t", "c") == _matching(values, MIXED_CLASS)
    assert found.rows("patterns", "t", "c") == _matching(values, "|".join(patterns))


def test_a_class_answered_by_the_vocabulary_searches_only_the_characters_it_holds(monkeypatch):
    """The vocabulary's pieces tell which of the class's characters occur: only those are searched."""
    searched: list[list[str]] = []
    original = SCAN.contains_literals
    monkeypatch.setattr(SCAN, "contains_literals", lambda expr, needles: searched.append(list(needles)) or original(expr, needles))
    found = _screens(["a Сb", "plain", None, "xСy\nе"], [Screen("chars", "t", "c", (), MIXED_CLASS)], vocabulary=True)
    assert found.rows("chars", "t", "c") == [0, 3]
    assert searched == [["С", "е"]]


def test_a_class_with_a_space_or_newline_is_answered_too():
    values = ["a b", "ab", "a\nb"]
    for char_class in ("[ x]", "[\\x{a}]"):
        found = _screens(values, [Screen("k", "t", "c", (), char_class)], vocabulary=True)
        assert found.rows("k", "t", "c") == _matching(values, char_class)


PROSE = st.lists(st.sampled_from(list("ab ?.…[TODOBCXrmeNn/\n\t\u00a0\u2003:") + ["orem", "to be ", "n/a", "tbc", "TBD"]),
                 max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@example("x\n\u2003tbc")
@example("TO BE done")
@given(PROSE)
def test_placeholder_screens_match_where_the_placeholder_screen_does(text):
    """The same answer as the joined screen, and never fewer than the rule (each line's reason)."""
    s = pl.Series([text])
    split = any(s.str.contains(p).item() for p in placeholder_screens())
    assert split == s.str.contains(placeholder_screen()).item()
    assert split or not any(placeholder_reason(line) for line in text.split("\n"))


MARKUP_TEXT = st.lists(st.sampled_from(list("a<>/ =:;&#x1b-\t\n+@") + ["onclick", "javascript", "amp", "<b>", "\u200b", "С"]),
                       max_size=10).map("".join)


@pytest.mark.parametrize("prose", [True, False])
@settings(max_examples=200, deadline=None)
@example(text="javascript \t:")  # each part of the screen: a script URL, a tag, a handler, an entity, a formula,
@example(text="a <b/> c")  # a control character, a letter of another script
@example(text="onclick =")
@example(text="&#x1b;")
@example(text="=1")
@example(text="a\u200bb")
@example(text="Сa")
@given(text=MARKUP_TEXT)
def test_cell_screens_match_where_the_cell_screen_does(prose, text):
    """The same answer as the joined screen, and never fewer than the rule (its exact detectors)."""
    column = "summary" if prose else "name"
    (screen,) = cells.screens({"organizations": pd.DataFrame({column: [text]})})
    s = pl.Series([text])
    split = any(s.str.contains(p).item() for p in (*screen.patterns, screen.chars))
    assert split == s.str.contains(cells.cell_screen(not prose)).item()
    assert split or not list(cells._cell_hits("organizations", column, 0, text, prose))


LINE = st.lists(st.sampled_from(list("•*-–·▪a1.) \t\u00a0\u2003\x1c:") + ["ii)", "12.", "(a)"]), max_size=8).map("".join)


@settings(max_examples=400, deadline=None)
@example("• item")
@example("-")
@example(" \u2003*\u00a0x")
@given(LINE)
def test_the_bullet_screen_matches_bullet_lines_only(line):
    """What polars leaves out of the list introductions' candidates (their next line is a bullet
    line) is a bullet line for the rule too; the screen finds the bullet characters' lines."""
    screened = pl.Series([line]).str.contains(bullet_screen()).item()
    assert not screened or is_bullet(line)
    if is_bullet(line) and line.lstrip()[:1] in "•▪◦‣●○■□➢➤►✓✔·*–—-" and line.strip():
        assert screened


MARKER_TEXT = st.lists(st.sampled_from(list("ab [](?")
                                       + ["TODO", "TBC", "TBD", "FIXME", "XX", "X", "insert", "to be", "tbc", "check", "orem",
                                          "OREM", "L", "l", "ipsum", "ıpsum", "İPSUM", "ſ", "K", " ", "\u00a0"]),
                       max_size=10).map("".join)


@settings(max_examples=400, deadline=None)
@example("lorem ıpſum")  # re folds "ı" to "i" and "ſ" to "s": no lowering could spell "ipsum"
@example("xTODO TODO [check it]")
@example("LOREM IPSUM")
@example("a [insert name] b")  # the bracketed note alone
@example("[?]")
@given(MARKER_TEXT)
def test_the_marker_search_is_the_markers_pattern(text):
    """``placeholder_reason`` searches the markers' pattern only when the text holds what one of
    its alternatives needs: the same match (the same marker named) as searching every text."""
    got, expected = lines._marker(text), lines._MARKERS.search(text)
    assert (got and (got.span(), got.group())) == (expected and (expected.span(), expected.group()))
