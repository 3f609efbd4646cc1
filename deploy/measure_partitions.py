"""Measure Dagster's per-partition overhead against a sha256-keyed cache of JSON entries.

Scope: a throwaway benchmark behind the orchestration design choice (deploy/README.md): the same
trivial per-file work run (a) as one DynamicPartitionsDefinition partition per file, one run per
partition (what a backfill launches by default), (b) as a single-run backfill of every partition,
and (c) as one asset that looks each file up in a cache of JSON entries keyed by sha256. Each file's
"extraction" is a no-op so only the orchestration cost is measured. It must not touch the project's
instance or outputs: everything lives in a temporary folder.

    .venv/bin/python deploy/measure_partitions.py 100 1000
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def measure(n: int, per_run_sample: int = 20) -> dict[str, float]:
    files = dg.DynamicPartitionsDefinition(name="files")

    @dg.asset(partitions_def=files)
    def per_file(context) -> None:
        _ = context.partition_key  # the work itself is left out on purpose

    @dg.asset(partitions_def=files, backfill_policy=dg.BackfillPolicy.single_run())
    def per_file_single_run(context) -> None:
        _ = context.partition_keys

    keys = [f"file-{i:05d}.txt" for i in range(n)]
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        instance = dg.DagsterInstance.local_temp(tmp)
        out["add_partitions_s"] = _timed(lambda: instance.add_dynamic_partitions("files", keys))
        # (a) one run per partition: time a sample, report seconds per partition
        sample = keys[:per_run_sample]
        t = _timed(lambda: [dg.materialize([per_file], instance=instance, partition_key=k) for k in sample])
        out["run_per_partition_s_each"] = t / len(sample)
        out["run_per_partition_s_total_est"] = t / len(sample) * n
        # (b) one run over the whole range
        tags = {"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]}
        out["single_run_backfill_s"] = _timed(lambda: dg.materialize([per_file_single_run], instance=instance, tags=tags))
        # (c) sha256-keyed JSON cache (as pipeline/extract/cache.py), every file a hit (the steady state) and every file a miss
        cache = Path(tmp) / "cache"
        cache.mkdir()
        blobs = [hashlib.sha256(k.encode()).hexdigest() for k in keys]

        def miss() -> None:
            for b in blobs:
                (cache / f"{b}.json").write_text(json.dumps({"rows": {}, "findings": []}))

        def hit() -> None:
            for b in blobs:
                json.loads((cache / f"{b}.json").read_bytes())

        out["cache_all_miss_s"] = _timed(miss)
        out["cache_all_hit_s"] = _timed(hit)
    return out


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [100, 1000]
    print(
        f"{'files':>6} {'add keys s':>10} {'1 run/partition s each':>23} {'(est. total s)':>15} "
        f"{'single-run backfill s':>22} {'cache miss s':>13} {'cache hit s':>12}"
    )
    for n in sizes:
        r = measure(n)
        print(
            f"{n:>6} {r['add_partitions_s']:>10.3f} {r['run_per_partition_s_each']:>23.3f} {r['run_per_partition_s_total_est']:>15.1f} "
            f"{r['single_run_backfill_s']:>22.3f} {r['cache_all_miss_s']:>13.4f} {r['cache_all_hit_s']:>12.4f}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
