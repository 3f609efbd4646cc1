"""Validation throughput (rows/s) of pandera, Frictionless and the full in-memory checks.

Builds a large synthetic table set by replicating the sample's extracted tables under new
organisation identifiers (``itu`` → ``itu-r17``; every foreign key still holds), then times:

- pandera: the converted schema of every table, lazy validation, on ~1M rows in memory;
- Frictionless: the written CSV files validated as one package (types, constraints, primary and
  foreign keys), sequentially and with the 2-process pool of ``pipeline.validate.frictionless_check``;
- check_tables: every in-memory rule (pandera + cross-table + cell + text quality) on a smaller set.

Run: ``.venv/bin/python benchmarks/validation.py`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.config import PROJECT_ROOT  # noqa: E402
from pipeline.csvio import write_csv  # noqa: E402
from pipeline.extract import extract_paths  # noqa: E402
from pipeline.schemas import load_schemas  # noqa: E402
from pipeline.validate.checks import check_tables  # noqa: E402
from pipeline.validate.frictionless_check import validate_package_files  # noqa: E402

ORG_COLUMNS = ("organization_id", "mentioned_organization_id")


def replicate(tables: dict[str, pd.DataFrame], copies: int) -> dict[str, pd.DataFrame]:
    """``copies`` copies of every table that belongs to an organisation, with new identifiers."""
    out = {}
    schemas = load_schemas()
    for name, df in tables.items():
        if not any(c in df.columns for c in ORG_COLUMNS) or df.empty:
            out[name] = df
            continue
        parts = []
        for k in range(copies):
            part = df.copy()
            for c in ORG_COLUMNS:
                if c in part.columns:
                    part[c] = part[c] + f"-r{k}"
            parts.append(part)
        out[name] = schemas[name].frame(pd.concat(parts, ignore_index=True))
    return out


def cpu() -> float:
    """CPU seconds of this process and its finished children (the Frictionless workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def rows(tables: dict[str, pd.DataFrame]) -> int:
    return sum(len(df) for df in tables.values())


def bench_pandera(tables: dict[str, pd.DataFrame]) -> tuple[float, float]:
    schemas = load_schemas()
    start, c = time.perf_counter(), cpu()
    for name, df in tables.items():
        schemas[name].to_pandera().validate(df, lazy=True)
    return time.perf_counter() - start, cpu() - c


def bench_frictionless(tables: dict[str, pd.DataFrame], folder: Path, parallel: bool) -> tuple[float, float, int]:
    schemas = load_schemas()
    for name, df in tables.items():
        write_csv(df, schemas[name], folder / f"{name}.csv")
    start, c = time.perf_counter(), cpu()
    findings = validate_package_files(folder, parallel=parallel)
    return time.perf_counter() - start, cpu() - c, len(findings)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pandera-rows", type=int, default=1_000_000)
    ap.add_argument("--frictionless-rows", type=int, default=200_000)
    ap.add_argument("--checks-rows", type=int, default=20_000)
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = ap.parse_args()
    if args.quick:
        args.pandera_rows, args.frictionless_rows, args.checks_rows = 20_000, 10_000, 3_000

    sample = extract_paths([PROJECT_ROOT / "sources"]).tables
    per_copy = rows({n: df for n, df in sample.items() if any(c in df.columns for c in ORG_COLUMNS)})
    results: list[tuple[str, int, float, float, str]] = []

    big = replicate(sample, max(1, args.pandera_rows // per_copy))
    seconds, cpu_s = bench_pandera(big)
    results.append(("pandera (pandas backend, lazy)", rows(big), seconds, cpu_s, ""))
    del big

    mid = replicate(sample, max(1, args.frictionless_rows // per_copy))
    with tempfile.TemporaryDirectory() as tmp:
        s_seq, c_seq, n_seq = bench_frictionless(mid, Path(tmp), parallel=False)
        s_par, c_par, n_par = bench_frictionless(mid, Path(tmp), parallel=True)
        size = sum(p.stat().st_size for p in Path(tmp).glob("*.csv"))
    results.append(("Frictionless 5, sequential", rows(mid), s_seq, c_seq, f"{size / 1e6:.0f} MB CSV, {n_seq} findings"))
    results.append(("Frictionless 5, 2 processes", rows(mid), s_par, c_par, f"{n_par} findings"))
    del mid

    small = replicate(sample, max(1, args.checks_rows // per_copy))
    start, c = time.perf_counter(), cpu()
    found = check_tables(small)
    results.append(("check_tables (all in-memory rules)", rows(small), time.perf_counter() - start, cpu() - c, f"{len(found)} findings"))

    width = max(len(r[0]) for r in results)
    print(f"{'validator':<{width}}  {'rows':>10}  {'wall s':>7}  {'cpu s':>7}  {'rows/s':>10}  note")
    for name, n, s, c, note in results:
        print(f"{name:<{width}}  {n:>10,}  {s:>7.2f}  {c:>7.2f}  {n / s:>10,.0f}  {note}")
    print(f"(machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end)")


if __name__ == "__main__":
    main()
