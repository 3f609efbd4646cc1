"""The five one-line bugs issue 16 found surviving the suite, each applied to a copy of the code and
shown to be caught: the tests that guard the code fail under the bug.

Each case copies ``pipeline/`` (with ``schemas/`` and ``vocabularies/``) to a temporary folder,
changes exactly one line of one module there, and runs the named tests against that copy in a
subprocess (the copy comes first on ``PYTHONPATH``, so it is the ``pipeline`` they import). The
run must fail, and every named test must be among the failures. The same bugs are among the
mutants of the mutation run (``bash tests/mutation/run.sh``); this keeps them checked in the normal
suite.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO

PYTEST = REPO / ".venv" / "bin" / "pytest"


@dataclass(frozen=True)
class Bug:
    module: str  # path under the repository
    line: str  # the line as it is (must occur exactly once)
    buggy: str  # the line with the bug
    tests: tuple[str, ...]  # test ids that must fail under the bug


BUGS = {
    "footnote-cited-twice never fires": Bug(
        "pipeline/extract/footnotes.py",
        "    if len(hs) > 1:\n",
        "    if len(hs) > 2:\n",
        ("tests/unit/extract/test_extract_footnotes.py::test_one_footnote_cited_by_two_headings_is_reported_once_at_the_second",),
    ),
    "a primary-key change is no longer a major bump": Bug(
        "pipeline/publish/versioning.py",
        '        if self.status == "removed" or self.columns_removed or self.columns_retyped or self.primary_key_changed:\n',
        '        if self.status == "removed" or self.columns_removed or self.columns_retyped:\n',
        ("tests/unit/publish/test_release_versioning.py::test_a_redefined_primary_key_is_major_even_with_the_same_rows",),
    ),
    "the list-introduction rule narrowed": Bug(
        "pipeline/validate/text_rules.py",
        "            if follows is False or (follows is None and not has_subheadings):\n",
        "            if follows is False:\n",
        ("tests/unit/validate/test_validate_rules.py::test_list_intro_at_end_of_text_with_subheadings_is_fine",),
    ),
    "tab and CR dropped from the formula prefixes": Bug(
        "pipeline/csvio.py",
        'FORMULA_PREFIXES = ("=", "+", "-", "@", "\\t", "\\r")\n',
        'FORMULA_PREFIXES = ("=", "+", "-", "@")\n',
        (
            "tests/unit/publish/test_publish_csvio.py::test_the_prefixes_are_exactly_those_spreadsheets_run",
            "tests/unit/publish/test_publish_csvio.py::test_a_risky_value_gets_one_apostrophe_and_reads_back_exactly",
        ),
    ),
    "the lock taken by two processes at once": Bug(
        "pipeline/publish/lock.py",
        "        raise LockHeld(path, read_holder(outputs_dir) or {}) from None\n",
        "        pass\n",
        (
            "tests/unit/publish/test_release_lock.py::test_second_holder_is_refused_with_the_holder_named",
            "tests/unit/publish/test_release_lock.py::test_concurrent_takeover_of_a_stale_lock_has_one_winner",
        ),
    ),
}


def _copy_with(bug: Bug, root: Path) -> Path:
    for folder in ("pipeline", "schemas", "vocabularies"):
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    path = root / bug.module
    source = path.read_text(encoding="utf-8")
    assert source.count(bug.line) == 1, f"{bug.module} no longer has exactly one {bug.line.strip()!r}: update the bug"
    path.write_text(source.replace(bug.line, bug.buggy), encoding="utf-8")
    return root


@pytest.mark.parametrize("name", sorted(BUGS))
def test_the_named_bug_is_caught(name: str, tmp_path: Path) -> None:
    bug = BUGS[name]
    copy = _copy_with(bug, tmp_path / "copy")
    env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}
    probe = [str(REPO / ".venv" / "bin" / "python"), "-c", "import pipeline; print(pipeline.__file__)"]
    imported = subprocess.run(probe, cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout
    assert imported.startswith(str(copy)), imported  # the tests below import the copy, not the repository
    proc = subprocess.run(  # the pytest script puts no working directory on sys.path
        [str(PYTEST), "-n", "0", "-q", "-p", "no:cacheprovider", "-rf", *bug.tests],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,  # only against a hang
    )
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    failed = {line.split(" ")[1] for line in proc.stdout.splitlines() if line.startswith("FAILED ")}
    assert {t.split("[")[0] for t in bug.tests} <= {f.split("[")[0] for f in failed}, proc.stdout[-3000:]
