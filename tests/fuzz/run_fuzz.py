"""Long fuzz campaign over mutations of the sample's profiles (issue 8).

    .venv/bin/python tests/fuzz/run_fuzz.py --examples 3000 [--seed N] [--mutations M] [--large] [--save-failures DIR]

Runs the same strategy and invariants as tests/test_reliability_fuzz.py with many more examples
(hypothesis, no example database), also writing every extraction's CSVs, and prints the number of
examples tried and of failures found. Exit 1 if any failure was found; failing inputs are saved
for replay when --save-failures is given.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2]), str(Path(__file__).resolve().parents[1])]

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from fuzz.mutations import ENCODINGS, check_extraction, encode, extract_bytes, mutated_text, same_extraction  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--examples", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mutations", type=int, default=8, help="most mutations per example")
    ap.add_argument("--large", action="store_true", help="also mutate the sample's largest profile (slower)")
    ap.add_argument("--save-failures", type=Path, default=None)
    args = ap.parse_args()

    from pipeline.extract import write_tables

    tried = 0
    failures: list[tuple[bytes, str]] = []
    started = time.time()

    @seed(args.seed)
    @settings(max_examples=args.examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(mutated_text(max_mutations=args.mutations, large=args.large), st.sampled_from(ENCODINGS))
    def campaign(text: str, how: str) -> None:
        nonlocal tried
        tried += 1
        data = encode(text, how)
        try:
            ex = extract_bytes(data)
            with tempfile.TemporaryDirectory() as out:
                write_tables(ex, Path(out))
            problems = check_extraction(data, "mutated.txt", ex)
            if "\r" not in text and not text.startswith("\ufeff") and how.startswith("utf-8"):
                # differential: LF without BOM and CRLF with BOM extract identically
                problems += same_extraction(extract_bytes(encode(text, "utf-8")), extract_bytes(encode(text, "utf-8-sig-crlf")))
        except Exception:  # noqa: BLE001 - a crash is a failure to record, not to stop on
            problems = ["raised: " + traceback.format_exc(limit=4)]
        if problems:
            failures.append((data, "; ".join(problems)))
        if tried % 250 == 0:
            print(f"  {tried} examples, {len(failures)} failures, {time.time() - started:.0f}s", flush=True)

    campaign()
    elapsed = time.time() - started
    print(f"examples tried: {tried}")
    print(f"failures found: {len(failures)}")
    print(f"time: {elapsed:.1f}s ({tried / elapsed:.1f} examples/s)")
    kinds: dict[str, int] = {}
    for _, why in failures:
        kinds[why.split(":")[0][:80]] = kinds.get(why.split(":")[0][:80], 0) + 1
    for why, n in sorted(kinds.items(), key=lambda kv: -kv[1]):
        print(f"  {n:>5} × {why}")
    for data, why in failures[:5]:
        print(f"--- failure: {why[:500]}\n    input ({len(data)} bytes): {data[:200]!r}")
    if args.save_failures and failures:
        args.save_failures.mkdir(parents=True, exist_ok=True)
        for i, (data, why) in enumerate(failures):
            (args.save_failures / f"failure-{i:04d}.txt").write_bytes(data)
            (args.save_failures / f"failure-{i:04d}.why").write_text(why + "\n", encoding="utf-8")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
