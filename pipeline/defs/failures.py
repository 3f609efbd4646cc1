"""Failure reasons where operators look: from an exception inside a step, and from a run's events.

Scope: :func:`surfaced` wraps a step's body: an unexpected exception (a link loop in the sources,
a full disk, an unreadable file) becomes a ``dagster.Failure`` whose description names the file and
the cause (no stack trace is the message), after the failure report is written to
``outputs/blocked/`` through :func:`pipeline.publish.candidate.stage_failure` when the disk allows.
:func:`root_cause` and :func:`step_failure_reasons` read the cause back from Dagster's events for
``atlas run``'s summary and the run notices. It must not decide what is an error in the data.
"""

from __future__ import annotations

import contextlib
import errno
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import dagster as dg

from pipeline.defs.resources import AtlasPaths, OutputsLock
from pipeline.publish.candidate import stage_failure
from pipeline.publish.layout import REPORT_HTML, blocked_dir
from pipeline.publish.lock import LockHeld, LockUnavailable

_ABSOLUTE_PATH = re.compile(r"/[^\s'\":,;()]+")


def describe(exc: BaseException, sources: Path | None = None, outputs: Path | None = None) -> tuple[str, str | None]:
    """(reason in words, the file it concerns relative to ``sources`` when it is there). An
    ``OSError`` that names no file (a full disk, a read-only filesystem) names the outputs folder."""
    path: str | None = None
    if isinstance(exc, OSError):
        path = str(exc.filename) if exc.filename else None
        code = errno.errorcode.get(exc.errno or 0, "")
        where = f": {path}" if path else (f" while writing under {outputs}" if outputs else "")
        reason = f"{exc.strerror or exc}{f' ({code})' if code else ''}{where}"
    else:
        reason = f"{type(exc).__name__}: {exc}"
        found = _ABSOLUTE_PATH.search(str(exc))
        path = found.group(0) if found else None
    rel = None
    if path and sources is not None:
        with contextlib.suppress(ValueError):
            rel = Path(path).absolute().relative_to(sources.absolute()).as_posix()
    return reason, rel


@contextlib.contextmanager
def surfaced(step: str, context: dg.AssetExecutionContext, paths: AtlasPaths, lock: OutputsLock) -> Iterator[None]:
    """Run a step's body; turn an unexpected exception into a ``dg.Failure`` naming file and cause."""
    try:
        yield
    except (dg.Failure, dg.DagsterError, KeyboardInterrupt):
        raise
    except Exception as exc:  # noqa: BLE001 - every cause is reported, with its file
        reason, source_file = describe(exc, paths.sources_dir, paths.outputs_dir)
        report = _failure_report(step, reason, source_file, context, paths, lock)
        metadata = {"reason": reason, "error": type(exc).__name__, "file": source_file or "", "report": report}
        raise dg.Failure(description=f"{reason}. {report}", metadata=metadata) from exc


def _failure_report(
    step: str, reason: str, source_file: str | None, context: dg.AssetExecutionContext, paths: AtlasPaths, lock: OutputsLock
) -> str:
    run_id = context.run.run_id
    try:
        with lock.hold(f"dagster run {run_id[:8]}: failure report"):
            stage_failure(
                paths.outputs_dir,
                step=step,
                reason=reason,
                source_file=source_file,
                context={"run_id": run_id, "sources_dir": str(paths.sources_dir)},
            )
    except (OSError, LockHeld, LockUnavailable, dg.Failure) as exc:
        return f"The failure report could not be written ({exc})."
    return f"Report: {blocked_dir(paths.outputs_dir) / REPORT_HTML}"


def root_cause(error: object) -> str:
    """The innermost cause of a Dagster ``SerializableErrorInfo``, as ``Type: message`` (one line)."""
    seen = error
    while seen is not None:
        nxt = getattr(seen, "cause", None) or getattr(seen, "context", None)
        if nxt is None:
            break
        seen = nxt
    if seen is None:
        return ""
    message = " ".join(str(getattr(seen, "message", "")).split())
    return message or str(getattr(seen, "cls_name", "") or "")


def step_failure_reasons(events: Iterable[dg.DagsterEvent]) -> list[tuple[str, str]]:
    """(step, reason) for each failed step: the ``Failure`` description when the step gave one,
    else the innermost cause of the error (e.g. ``OSError: [Errno 28] No space left on device``)."""
    out = []
    for event in events:
        if event.event_type_value != "STEP_FAILURE":
            continue
        data = event.step_failure_data
        user = data.user_failure_data
        reason = (user.description if user is not None else None) or root_cause(data.error)
        out.append((event.step_key or "?", " ".join(reason.split())))
    return out
