"""Code versions for the assets: a short sha256 of the project files each stage depends on.

Scope: hash the source files of a stage (its modules plus ``schemas/`` and ``vocabularies/``) so a
code or contract change shows the stage as stale in Dagster's UI and invalidates the extraction
cache. Reads a few small files when definitions are built; it must not import the modules it hashes.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from pipeline.config import CONTRACT_DIR, PACKAGE_DIR, PYPROJECT, SCHEMAS_DIR, VOCABULARIES_DIR

PIPELINE = PACKAGE_DIR
_CONTRACT = (SCHEMAS_DIR, VOCABULARIES_DIR)
# What each stage's output depends on besides the data contract (schemas + vocabularies).
STAGES: dict[str, tuple[Path, ...]] = {
    "extract": (PIPELINE / "extract", PIPELINE / "corrections", PIPELINE / "findings.py", PIPELINE / "schemas.py", PIPELINE / "vocab.py"),
    "validate": (PIPELINE / "validate", PIPELINE / "findings.py", PIPELINE / "csvio.py"),
    "publish": (PIPELINE / "publish", PIPELINE / "csvio.py", PIPELINE / "config.py", PYPROJECT),
}


def _files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    if not root.is_dir():
        return []
    return sorted(
        p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc" and "contract" not in p.parts
    )


@cache
def code_version(stage: str) -> str:
    """``<stage>-<12 hex>``: changes whenever a file the stage depends on changes."""
    digest = hashlib.sha256()
    for root in (*STAGES[stage], *_CONTRACT):
        for path in _files(root):
            base = PACKAGE_DIR.parent if path.is_relative_to(PACKAGE_DIR) else CONTRACT_DIR
            digest.update(path.relative_to(base).as_posix().encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
    return f"{stage}-{digest.hexdigest()[:12]}"
