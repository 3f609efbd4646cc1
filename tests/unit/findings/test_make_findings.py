"""``make_findings`` builds the findings ``Finding(...)`` does, field for field (every rule, keys,
missing values), and refuses an unknown rule as ``Finding`` does; ``excerpt_of`` (which leaves a
text already in one line with single spaces unsplit) is the text's words joined by one space."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.findings import RULES, Finding, excerpt_of, make_findings

TEXT = st.one_of(st.none(), st.text(max_size=6))
ROW = st.tuples(st.sampled_from(sorted(RULES)), st.text(max_size=8), TEXT,
                st.one_of(st.none(), st.dictionaries(st.sampled_from(["organization_id", "section_id"]), st.text(max_size=3))),
                TEXT, TEXT, TEXT, st.one_of(st.none(), st.integers(1, 9999)), TEXT)


@settings(max_examples=200, deadline=None)
@given(st.lists(ROW, max_size=8))
def test_make_findings_is_finding(rows):
    made = make_findings(iter(rows))
    expected = [Finding(rule, message, table=table, key=key, column=column, value=value, source_file=file, source_line=line,
                        excerpt=excerpt) for rule, message, table, key, column, value, file, line, excerpt in rows]
    assert made == expected
    assert [dataclasses.asdict(f) for f in made] == [dataclasses.asdict(f) for f in expected]
    assert [f.to_dict() for f in made] == [f.to_dict() for f in expected]


def test_an_unknown_rule_is_refused():
    with pytest.raises(KeyError, match="unknown rule"):
        make_findings([("no-such-rule", "m", None, None, None, None, None, None, None)])


@settings(max_examples=500, deadline=None)
@example("a\u00a0b", 240)  # a separator that is whitespace
@example("a\x1cb", 240)  # a control character that is whitespace
@example(" a b", 240)
@example("a  b", 240)
@example("a b ", 240)
@example("", 240)
@given(st.one_of(st.text(), st.text(alphabet=st.sampled_from(list("ab \t\n\u00a0\u2028\u3000\x1c\x85\u200b\x00é")))),
       st.integers(1, 12))
def test_an_excerpt_is_the_words_joined_by_one_space(text, limit):
    """Any text, whitespace of every kind: the ``str.split()`` words joined by one space, cut to
    ``limit`` characters (a text that is already so is not split)."""
    one = " ".join(text.split())
    assert excerpt_of(text, limit) == (one if len(one) <= limit else one[: limit - 1] + "…")
