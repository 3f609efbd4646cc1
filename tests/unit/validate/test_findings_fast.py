"""The fast paths of findings give what the generic ones gave.

``Finding.to_dict`` builds the dict directly instead of ``dataclasses.asdict``; ``merge_findings``
compares findings as tuples instead of their sorted JSON. Both must agree with the generic
definitions (kept here as the oracle) on every finding, including keys whose values are
booleans or integers that compare equal in Python, keys in another order, and nested keys.
"""

from __future__ import annotations

import dataclasses
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.findings import Finding
from pipeline.validate import merge_findings


def reference_merge(extraction, checks):
    """``merge_findings`` as it was: identity = sorted JSON of ``asdict``."""
    def where(f):
        d = dataclasses.asdict(f) if isinstance(f, Finding) else f
        return (d.get("rule"), d.get("source_file"), d.get("source_line"))

    reported = {where(f) for f in extraction if where(f)[2] is not None}
    out, seen = list(extraction), set()
    for f in checks:
        if where(f)[2] is not None and where(f) in reported:
            continue
        key = json.dumps(dataclasses.asdict(f), sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from(["", "a", "1", "True"]))
KEY = st.one_of(st.none(), st.dictionaries(st.sampled_from(["organization_id", "number", "x"]), SCALAR, max_size=3),
                st.just({"nested": [1, 2]}), st.just({"nested": (1, 2)}))
FINDINGS = st.builds(
    Finding,
    rule=st.sampled_from(["schema", "placeholder-text", "foreign-key"]),
    message=st.sampled_from(["m", "n"]),
    severity=st.sampled_from([None, "warning", "error"]),
    key=KEY,
    value=st.sampled_from([None, "1", "v"]),
    source_file=st.sampled_from([None, "a.txt", "b.txt"]),
    source_line=st.sampled_from([None, 1, 2]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(FINDINGS, max_size=4), st.lists(FINDINGS, max_size=12))
def test_merge_findings_equals_the_json_identity(extraction, checks) -> None:
    assert merge_findings(extraction, checks) == reference_merge(extraction, checks)


@settings(max_examples=200, deadline=None)
@given(FINDINGS)
def test_to_dict_equals_asdict(finding) -> None:
    assert finding.to_dict() == dataclasses.asdict(finding)
    assert list(finding.to_dict()) == [f.name for f in dataclasses.fields(Finding)]  # a new field must be added to to_dict too


def test_keys_equal_in_python_but_not_in_json_stay_apart() -> None:
    a, b = Finding("schema", "m", key={"x": True}), Finding("schema", "m", key={"x": 1})
    assert merge_findings([], [a, b]) == [a, b]
    c, d = Finding("schema", "m", key={"x": 1, "y": 2}), Finding("schema", "m", key={"y": 2, "x": 1})
    assert merge_findings([], [c, d]) == [c]
