"""Notices of blocked or failed runs, POSTed as JSON to the configured webhook.

Scope: build the notice (a small, stable JSON document: what happened, to which run and corpus,
the first reasons with file:line, where the report is, which candidate stays publishable) and send
it with the standard library, with a short timeout. Sending never raises: a webhook that is down or
answers an error is reported back as text, so a notice can never fail a run. It must not decide
whether a run failed; its callers (the run-status sensor, ``atlas run``) tell it.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

NOTICE_VERSION = "1"
TIMEOUT_SECONDS = 5.0
MAX_REASONS = 10


@dataclass(frozen=True)
class RunNotice:
    """``status`` is ``blocked`` (errors in the data: a blocking check failed) or ``failed`` (a step
    raised before the candidate)."""

    status: str
    run_id: str
    job: str
    trigger: str
    outputs: str
    reasons: Sequence[str]
    report: str | None = None
    candidate_kept: str | None = None  # the publishable candidate still staged, if any
    kind: str = field(default="atlas.run", init=False)
    version: str = field(default=NOTICE_VERSION, init=False)

    def to_json(self) -> bytes:
        doc = asdict(self)
        doc["reasons"] = list(self.reasons)[:MAX_REASONS]
        return json.dumps(doc, ensure_ascii=False, sort_keys=True).encode("utf-8")


def send_notice(url: str, notice: RunNotice, *, timeout: float = TIMEOUT_SECONDS) -> tuple[bool, str]:
    """POST ``notice`` to ``url``; (True, "HTTP 200") when it was accepted, (False, why) otherwise.
    Never raises."""
    request = urllib.request.Request(
        url, data=notice.to_json(), method="POST", headers={"Content-Type": "application/json", "User-Agent": "geneva-atlas-pipeline"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the operator's configured URL
            return True, f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return False, f"{url} answered HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, f"{url} unreachable ({reason})"
