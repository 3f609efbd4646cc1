"""Hostile inputs, timed: the cost of the bad-input cases the unit tests check for correctness only.

Scope: time and peak memory of extracting (a) 5 MB lines without a newline (a file of noise, and a
header followed by noise) and (b) long footnote blocks (a footnote continued over many lines, and
a long numbered list), each at two sizes so the ratio shows whether the cost grows linearly (2× the
input should cost about 2×, never 4×). Each measurement runs in its own process (peak RSS is that
process's). It prints a markdown table; it asserts nothing (issue 16 moved these figures out of the
unit tests: a test checks what the pipeline says, a benchmark how fast and how big).

    uv run --frozen python benchmarks/reliability.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHUNK = "Lorem ipsum (1) France, dolor sit amet <b>x</b> Germany @handle: "
PROFILE = (
    "Example Organisation\n\nAcronym: {acronym}\n\nEstablished: 1990\n\nWebsite: https://example.org/\n\n"
    "The organisation works on digital policy.\n\nDigital activities\n\n{acronym} runs programmes.\n"
)

# Runs in a fresh process: extract the folder, print seconds, peak RSS (MB) and the rules found.
_MEASURE = textwrap.dedent(
    """
    import json, resource, sys, time
    from pathlib import Path
    from pipeline.extract import extract_paths
    t = time.perf_counter()
    ex = extract_paths([Path(sys.argv[1])])
    took = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": took, "rss_mb": rss, "rules": sorted({f.rule for f in ex.findings})}))
    """
)


def long_lines(folder: Path, megabytes: int) -> None:
    size = megabytes * 1_000_000
    (folder / "noise.txt").write_bytes((CHUNK * (size // len(CHUNK) + 1))[:size].encode())
    head = "Acronym: LONG\n\nEstablished: 1990\n\n"
    (folder / "header-then-noise.txt").write_bytes((head + CHUNK * (size // len(CHUNK)))[:size].encode())


def long_footnotes(folder: Path, lines: int) -> None:
    continued = PROFILE.format(acronym="CONT") + "\n1 – A note that goes on\n" + "and on with more words in the continuation line\n" * lines
    numbered = PROFILE.format(acronym="NUMB") + "\n" + "".join(f"{i} – item {i}\n" for i in range(1, lines // 2 + 1))
    (folder / "continued.txt").write_text(continued, encoding="utf-8")
    (folder / "numbered.txt").write_text(numbered + "\nA Heading At The End\n", encoding="utf-8")


CASES = {
    "5 MB lines without a newline": (long_lines, (5, 10), "MB per file"),
    "long footnote blocks": (long_footnotes, (40_000, 80_000), "lines"),
}


def measure(make, size: int, repeat: int) -> dict:
    runs = []
    with tempfile.TemporaryDirectory(prefix="atlas-reliability-") as tmp:
        make(Path(tmp), size)
        for _ in range(repeat):
            proc = subprocess.run([sys.executable, "-c", _MEASURE, tmp], cwd=REPO, capture_output=True, text=True, timeout=900, check=True)
            runs.append(json.loads(proc.stdout))
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "rss_mb": max(r["rss_mb"] for r in runs),
        "rules": runs[0]["rules"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print("| case | size | seconds (median) | peak RSS MB | time ratio 2×/1× |")
    print("|---|---|---|---|---|")
    for name, (make, sizes, unit) in CASES.items():
        small, large = (measure(make, size, args.repeat) for size in sizes)
        ratio = large["seconds"] / small["seconds"] if small["seconds"] else float("nan")
        print(f"| {name} | {sizes[0]:,} {unit} | {small['seconds']:.2f} | {small['rss_mb']:.0f} | |")
        print(f"| {name} | {sizes[1]:,} {unit} | {large['seconds']:.2f} | {large['rss_mb']:.0f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
