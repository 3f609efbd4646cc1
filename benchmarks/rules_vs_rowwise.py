"""The columnar rules against the row-wise ones they replaced (issue 15): same findings, how much faster.

Scope: extract the sample or a cached N× corpus (``make_corpus.py``, via ``run.ensure_corpus``) once,
then call ``pipeline.validate.checks.check_tables`` and the frozen row-wise reference
(``tests/unit/validate/rowwise_reference.py``: the rules as they were before issue 15) on the same
tables, alternately, ``--repeat`` times each, after one untimed warm-up call of each on the sample.
It prints, for both, the number of findings, the sha256 of the serialised findings (every field, in
order: identical bytes mean identical findings), and wall and CPU seconds (``process_time``: all
threads) with rows/s, for the first call (which judges the corpus's new words) and the median of
the rest. Exit status 1 when the findings differ. It must not change anything.

    uv run --frozen python benchmarks/rules_vs_rowwise.py 100 --repeat 3
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

REFERENCE = REPO / "tests" / "unit" / "validate" / "rowwise_reference.py"


def load_reference():
    spec = importlib.util.spec_from_file_location("rowwise_reference", REFERENCE)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {REFERENCE}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["rowwise_reference"] = module
    spec.loader.exec_module(module)
    return module


def serialised(findings) -> bytes:
    return json.dumps([f.to_dict() for f in findings], ensure_ascii=False, default=str).encode()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("copies", nargs="?", default="100", help="N× corpus, or 'sample' (default 100)")
    ap.add_argument("--repeat", type=int, default=3, help="calls of each implementation (default 3)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--files", type=int, default=100)
    args = ap.parse_args(argv)

    from pipeline.extract import extract_paths
    from pipeline.validate.checks import check_tables

    reference = load_reference()
    if args.copies == "sample":
        folder = REPO / "sources"
    else:
        from run import ensure_corpus

        folder, _ = ensure_corpus(int(args.copies), args.seed, args.files)
    tables = extract_paths([folder]).tables
    rows = sum(len(df) for df in tables.values())
    sample = extract_paths([REPO / "sources"]).tables
    impls = {"columnar (pipeline)": check_tables, "row-wise (reference)": reference.check_tables}
    for fn in impls.values():
        fn(sample)  # imports, compiled patterns, the word model's tables
    timings: dict[str, list[tuple[float, float]]] = {name: [] for name in impls}
    digests: dict[str, tuple[int, str]] = {}
    for _ in range(max(1, args.repeat)):
        for name, fn in impls.items():
            t0, c0 = time.perf_counter(), time.process_time()
            found = fn(tables)
            timings[name].append((time.perf_counter() - t0, time.process_time() - c0))
            digests[name] = (len(found), hashlib.sha256(serialised(found)).hexdigest())
    print(f"{folder.name}: {rows:,} rows")
    print(f"{'implementation':<22} {'findings':>9}  {'sha256 of the findings':<16}  {'first: wall s':>13} {'cpu s':>6} {'rows/s':>9}"
          f"  {'rest (median): wall s':>21} {'cpu s':>6} {'rows/s':>9}")
    for name, runs in timings.items():
        (w0, c0), rest = runs[0], runs[1:] or runs
        w, c = statistics.median(x for x, _ in rest), statistics.median(y for _, y in rest)
        n, digest = digests[name]
        print(f"{name:<22} {n:>9,}  {digest[:16]}  {w0:>13.3f} {c0:>6.2f} {rows / w0:>9,.0f}  {w:>21.3f} {c:>6.2f} {rows / w:>9,.0f}")
    same = len(set(digests.values())) == 1
    print("identical findings (same bytes)" if same else "FINDINGS DIFFER")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
