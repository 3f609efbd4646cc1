"""Extract (and optionally check) one cached N× corpus in process, for a profiler to look at (issue 7).

Scope: make (or reuse) ``benchmarks/corpora/n{N}-s{seed}-f{files}`` and call
``pipeline.extract.extract_paths`` on it once (with ``--check``, then
``pipeline.validate.checks.check_tables`` on its tables), printing the wall times. It must NOT profile by
itself or change anything: run it under pyinstrument or py-spy, e.g.

    .venv/bin/pyinstrument -r text -o benchmarks/results/profile-extract-100.txt \
        benchmarks/profile_extract.py 100
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from run import ensure_corpus  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("copies", type=int, nargs="?", default=100, help="N× corpus (default 100)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--files", type=int, default=100)
    ap.add_argument("--check", action="store_true",
                    help="then run pipeline.validate.checks.check_tables on the tables (pandera + rules)")
    args = ap.parse_args(argv)
    folder, info = ensure_corpus(args.copies, args.seed, args.files)
    from pipeline.extract import extract_paths

    t0 = time.perf_counter()
    extraction = extract_paths([folder])
    seconds = time.perf_counter() - t0
    rows = sum(len(df) for df in extraction.tables.values())
    print(f"{folder.name}: {info['bytes'] / 1e6:.1f} MB, {rows:,} rows in {seconds:.2f} s "
          f"({info['bytes'] / 1e6 / seconds:.1f} MB/s)")
    if args.check:
        from pipeline.validate.checks import check_tables

        t0 = time.perf_counter()
        findings = check_tables(extraction.tables)
        seconds = time.perf_counter() - t0
        print(f"check_tables: {len(findings):,} findings in {seconds:.2f} s ({rows / seconds:,.0f} rows/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
