"""Long run of the variation corpus (issue 11): many more generated profiles than the normal suite.

    .venv/bin/python tests/fuzz/run_variants.py --profiles 200000 [--seed 100] [--per-file 100] [--save-failures DIR]

Writes batches of generated layout variants of the sample's profiles (tests/fuzz/variants.py)
into a temporary sources folder, extracts each batch and checks every written field, section,
issue and account against what the generator wrote. Prints profiles checked, failures and the
first problems; exit 1 on any failure. With --save-failures, each failing batch's files are kept.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2]), str(Path(__file__).resolve().parents[1])]

from fuzz.variants import check, write_batch  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--profiles", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=100, help="first seed; each batch uses the next one")
    ap.add_argument("--per-file", type=int, default=100)
    ap.add_argument("--files", type=int, default=20, help="files per batch")
    ap.add_argument("--save-failures", type=Path, default=None)
    args = ap.parse_args()

    from pipeline.extract import extract_paths

    checked, failures, started, seed = 0, 0, time.time(), args.seed
    while checked < args.profiles:
        batch = write_batch(seed, args.files, args.per_file)
        with tempfile.TemporaryDirectory() as tmp:
            for name, text in batch.files.items():
                (Path(tmp) / name).write_text(text, encoding="utf-8")
            try:
                problems = list(check(extract_paths([Path(tmp)]), batch))
            except Exception as exc:  # noqa: BLE001 - a crash is a failure to report, not to stop on
                problems = [f"raised {type(exc).__name__}: {exc}"]
            if problems:
                failures += 1
                print(f"seed {seed}: {len(problems)} problem(s); first: {problems[0][:800]}")
                if args.save_failures:
                    shutil.copytree(tmp, args.save_failures / f"seed-{seed}", dirs_exist_ok=True)
        checked += len(batch.expected)
        seed += 1
    print(
        f"{checked} generated profiles checked in {time.time() - started:.0f} s "
        f"(seeds {args.seed}–{seed - 1}): {failures} failing batch(es)"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
