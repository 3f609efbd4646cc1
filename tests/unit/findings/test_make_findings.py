"""``make_findings`` builds the findings ``Finding(...)`` does, field for field (every rule, keys,
missing values), and refuses an unknown rule as ``Finding`` does."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.findings import RULES, Finding, make_findings

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
