"""Integrity of published releases: every file a command reads is checked against ``SHA256SUMS``.

Scope: one check, used by ``atlas publish`` (the releases it reads or zips), ``atlas site`` (every
release file it places in the site) and ``atlas verify`` (a downloaded release): the files listed
in a folder's ``SHA256SUMS`` exist and have that sha256, and, where ``releases/index.json`` recorded
the sha256 of ``SHA256SUMS`` itself, that one too (so editing a file and its line together is
noticed). Problems name the file, relative to the outputs folder when a label is given. It must not
repair anything: it reports.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pipeline.fsutil import SUMS_NAME, sha256_file, verify_sha256sums


class IntegrityError(ValueError):
    """Release files differ from the checksums recorded when they were published."""

    def __init__(self, problems: list[str], hint: str = "") -> None:
        self.problems = problems
        listed = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        super().__init__(f"release files changed since they were published: {listed}" + (f". {hint}" if hint else ""))


def release_problems(root: Path, *, label: str = "", files: Iterable[str] | None = None, sums_sha256: str | None = None) -> list[str]:
    """Problems of the release folder ``root`` (empty: intact). ``files``: only these listed files;
    ``sums_sha256``: the sha256 ``SHA256SUMS`` itself must have (from ``index.json``)."""
    prefix = f"{label.rstrip('/')}/" if label else ""
    problems = []
    sums = root / SUMS_NAME
    if sums_sha256 and sums.is_file() and sha256_file(sums) != sums_sha256:
        problems.append(f"{SUMS_NAME}: differs from the checksum recorded in index.json")
    problems += verify_sha256sums(root, files)
    return [f"{prefix}{p}" for p in problems]


def check_release(
    root: Path, *, label: str = "", files: Iterable[str] | None = None, sums_sha256: str | None = None, hint: str = ""
) -> None:
    """Raise :class:`IntegrityError` naming every changed or missing file of ``root``."""
    problems = release_problems(root, label=label, files=files, sums_sha256=sums_sha256)
    if problems:
        raise IntegrityError(problems, hint)
