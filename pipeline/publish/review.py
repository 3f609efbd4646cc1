"""``atlas review``: what an editor must know about the corpus's candidate and its latest run.

Scope: read (never write) ``staging/`` (the publishable candidate) and ``blocked/`` (the latest run's
report when it was blocked or failed) through the typed artifacts and the report reader, and say
in words which is which: the latest run's verdict and first findings, then the candidate a publish
would promote. ``blocked`` is true when the latest run was blocked or failed (``atlas review``
then exits 1). It must not change anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.publish.candidate import latest_run_notice, read_blocked
from pipeline.publish.layout import blocked_dir
from pipeline.publish.release import review_summary
from pipeline.validate.report import load_report, summarize


@dataclass(frozen=True)
class Review:
    text: str
    blocked: bool


def review(outputs_dir: Path, *, top: int = 10) -> Review:
    """The review text; ``FileNotFoundError`` when there is neither a candidate nor a blocked run,
    ``ValueError`` naming a file that cannot be read."""
    blocked = read_blocked(outputs_dir)
    try:
        staged = review_summary(outputs_dir, top=top)
    except FileNotFoundError:
        if blocked is None:
            raise
        staged = "No publishable candidate is staged."
    if blocked is None:
        return Review(staged, blocked=False)
    report = load_report(blocked_dir(outputs_dir) / blocked.report_file("json"))
    head = f"LATEST RUN {'FAILED' if blocked.status == 'failed' else 'BLOCKED'}: {latest_run_notice(outputs_dir)}"
    parts = [head, "", summarize(report, top=top), "", "Earlier candidate (still staged):", staged]
    return Review("\n".join(parts), blocked=True)
