#!/usr/bin/env bash
# Mutation testing of the code issue 16 names (not part of the normal suite or CI):
#   pipeline/publish/versioning.py, pipeline/csvio.py, pipeline/publish/lock.py,
#   pipeline/validate/text_rules.py, pipeline/extract/footnotes.py
# against the tests that exercise them ([tool.mutmut] in pyproject.toml). mutmut copies the project
# into mutants/ (git-ignored), runs the selected tests once to learn which test reaches which
# function, then each mutant against those tests only. Prints the figures per file at the end.
# Usage: bash tests/mutation/run.sh [--max-children N]   (default: the number of CPUs)
set -euo pipefail
cd "$(dirname "$0")/../.."
rm -rf mutants
uv run --frozen mutmut run "$@"
uv run --frozen python tests/mutation/summary.py
