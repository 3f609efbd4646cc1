"""The floor the extractor is compared to: how fast plain Python can merely touch the corpus text.

Scope: on a folder (or files) of ``*.txt``, time (a) reading + UTF-8 decoding the files, (b) one
regular-expression pass over the decoded text that touches every byte once and materialises every
line (``re.compile(r"^.*$", re.M).findall``), and (c) a bare ``str.splitlines()``. Each figure is
the median of ``repeat`` runs, in MB/s of source bytes (1 MB = 10^6 bytes as stored on disk).

It must NOT import ``pipeline``: the floor is what any parser pays, whatever the parser does.

    python benchmarks/floor.py benchmarks/corpora/n100-s7-f100 [--repeat 5]
"""

from __future__ import annotations

import argparse
import gc
import re
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

LINE_RE = re.compile(r"^.*$", re.M)


@dataclass(frozen=True)
class Floor:
    """Median seconds of each pass over ``bytes`` bytes of source text, and the MB/s they give."""

    files: int
    bytes: int
    read_decode_s: float
    regex_s: float
    splitlines_s: float

    def mbps(self, seconds: float) -> float:
        return self.bytes / seconds / 1e6 if seconds > 0 else float("inf")

    @property
    def read_decode_mbps(self) -> float:
        return self.mbps(self.read_decode_s)

    @property
    def regex_mbps(self) -> float:
        return self.mbps(self.regex_s)

    @property
    def splitlines_mbps(self) -> float:
        return self.mbps(self.splitlines_s)

    def to_dict(self) -> dict:
        return asdict(self) | {
            "read_decode_mbps": self.read_decode_mbps,
            "regex_mbps": self.regex_mbps,
            "splitlines_mbps": self.splitlines_mbps,
        }


def corpus_files(paths: list[Path]) -> list[Path]:
    """``*.txt`` files of the given folders (sorted), plus the files given directly."""
    out: list[Path] = []
    for p in paths:
        out.extend(sorted(q for q in p.rglob("*.txt") if q.is_file()) if p.is_dir() else [p])
    return out


def _time(fn) -> float:
    gc.collect()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def measure(paths: list[Path], repeat: int = 5) -> Floor:
    """Time the three passes over the corpus; each the median of ``repeat`` runs."""
    files = corpus_files(paths)
    if not files:
        raise ValueError(f"no .txt files in {', '.join(map(str, paths))}")
    size = sum(f.stat().st_size for f in files)

    def read_decode() -> list[str]:
        return [f.read_bytes().decode("utf-8-sig") for f in files]

    texts = read_decode()

    def regex_pass() -> int:
        return sum(len(LINE_RE.findall(t)) for t in texts)

    def split_pass() -> int:
        return sum(len(t.splitlines()) for t in texts)

    runs = max(1, repeat)
    return Floor(
        files=len(files),
        bytes=size,
        read_decode_s=statistics.median(_time(read_decode) for _ in range(runs)),
        regex_s=statistics.median(_time(regex_pass) for _ in range(runs)),
        splitlines_s=statistics.median(_time(split_pass) for _ in range(runs)),
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", type=Path, help="corpus folders or .txt files")
    ap.add_argument("--repeat", type=int, default=5, help="runs per figure (median)")
    args = ap.parse_args(argv)
    try:
        fl = measure(args.paths, args.repeat)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        print(f"floor: {exc}", file=sys.stderr)
        return 2
    print(f"{fl.files} files, {fl.bytes / 1e6:.1f} MB (median of {args.repeat} runs)")
    print(f"  read + UTF-8 decode            {fl.read_decode_mbps:8.1f} MB/s  ({fl.read_decode_s:.3f} s)")
    print(f"  one regex pass (^.*$, re.M)    {fl.regex_mbps:8.1f} MB/s  ({fl.regex_s:.3f} s)")
    print(f"  str.splitlines()               {fl.splitlines_mbps:8.1f} MB/s  ({fl.splitlines_s:.3f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
