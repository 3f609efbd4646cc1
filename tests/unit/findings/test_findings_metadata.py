"""The Dagster metadata of a list of findings (the first findings, the first errors) picks what a
full sort would: ``heapq.nsmallest`` stands in for ``sorted(...)[:n]`` so 35,000 findings are not
sorted for ten lines. Hypothesis draws findings with many ties (same file, line and rule)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.defs.metadata import FIRST_ERRORS, findings_markdown, findings_table, first_errors
from pipeline.findings import RULES, SEVERITIES, Finding

_findings = st.lists(
    st.builds(
        Finding,
        rule=st.sampled_from(sorted(RULES)[:6]),
        message=st.sampled_from(["a", "b", "c"]),
        severity=st.sampled_from(SEVERITIES),
        source_file=st.sampled_from([None, "a.txt", "b.txt"]),
        source_line=st.sampled_from([None, 1, 2, 3]),
    ),
    max_size=60,
)


def _sorted(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=Finding.sort_key)


@settings(max_examples=200, deadline=None)
@given(_findings, st.integers(min_value=0, max_value=12))
def test_the_first_findings_are_those_of_a_full_sort(findings: list[Finding], limit: int) -> None:
    records = findings_table(findings, limit=limit).value.records
    assert [(r.data["severity"], r.data["rule"], r.data["message"]) for r in records] == [
        (f.severity, f.rule, f.message) for f in _sorted(findings)[:limit]
    ]
    errors = [f for f in _sorted(findings) if f.severity == "error"]
    assert first_errors(findings) == [f"{f.location or f.table or '(no file)'}: {f.message} [{f.rule}]" for f in errors[:FIRST_ERRORS]]
    shown = findings_markdown("t", findings, limit=limit).split("First errors:\n", 1)
    assert (shown[1].split("\n") if len(shown) > 1 else []) == [f"- {f.location}: {f.message}" for f in errors[:limit]]
