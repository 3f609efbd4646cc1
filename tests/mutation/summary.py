"""Figures of the last mutation run, per file: mutants generated, killed, survived, timeout, no
tests, and the survivors' names (``uv run --frozen mutmut show NAME`` prints a survivor's diff).

Reads ``mutants/<file>.meta`` as mutmut 3 writes it; mutants listed in ``EQUIVALENT`` (with the
reason each cannot be told apart from the original) are counted apart, not as survivors.

    uv run --frozen python tests/mutation/summary.py [--survivors]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

ROOT = Path(__file__).resolve().parents[2]
EQUIVALENT_FILE = Path(__file__).with_name("equivalent.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--survivors", action="store_true", help="list every surviving mutant")
    args = parser.parse_args(argv)
    equivalent: dict[str, str] = json.loads(EQUIVALENT_FILE.read_text(encoding="utf-8")) if EQUIVALENT_FILE.is_file() else {}
    metas = sorted((ROOT / "mutants").rglob("*.py.meta"))
    if not metas:
        print("no mutation run found: bash tests/mutation/run.sh", file=sys.stderr)
        return 2
    print("| file | generated | killed | survived | timeout | no tests | equivalent | survived % |")
    print("|---|---|---|---|---|---|---|---|")
    totals: Counter[str] = Counter()
    survivors: list[str] = []
    for meta in metas:
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        count: Counter[str] = Counter()
        for name, code in codes.items():
            status = "equivalent" if name in equivalent else ("not run" if code is None else status_by_exit_code[code])
            count[status] += 1
            if status == "survived":
                survivors.append(name)
        count["generated"] = len(codes)
        totals.update(count)
        print(_row(meta.relative_to(ROOT / "mutants").as_posix().removesuffix(".meta"), count))
    print(_row("**total**", totals))
    if args.survivors:
        print("\n".join(["", "survivors:", *survivors]))
    return 0


def _row(name: str, c: Counter[str]) -> str:
    share = 100 * c["survived"] / c["generated"] if c["generated"] else 0.0
    cells = [c["generated"], c["killed"], c["survived"], c["timeout"], c["no tests"], c["equivalent"]]
    return f"| {name} | " + " | ".join(map(str, cells)) + f" | {share:.1f} |"


if __name__ == "__main__":
    sys.exit(main())
