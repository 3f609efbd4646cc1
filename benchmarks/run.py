"""Benchmark table and scaling curve (issues 7, 11 and 15): throughput, end-to-end time, re-run time and memory.

Scope: for the real sample (``sources/``) and synthetic corpora of N× the sample (made by
``make_corpus.py`` into the git-ignored ``benchmarks/corpora/``, cached by size, seed and file
count), measure — each figure the median of ``--repeat`` runs:

* the floor (``floor.py``): read + decode, one regex pass, ``str.splitlines`` (MB/s);
* extraction MB/s: in-process ``pipeline.extract.extract_paths`` pinned to one core;
* pandera + rules rows/s (``pipeline.validate.checks.check_tables`` on the extracted tables), with
  its CPU seconds (every thread of this process) beside the wall seconds, and the first call's rate;
* Frictionless rows/s (``pipeline.validate.frictionless_check.validate_package_files`` on the
  ``<table>.csv`` files ``pipeline.extract.write_tables`` writes for that extraction);
* end-to-end seconds of ``.venv/bin/atlas run --sources DIR --outputs DIR2`` (a fresh process and
  a fresh outputs folder each run), with its peak RSS;
* seconds of a re-run into the same outputs after one value in one source file changed.

The in-process figures run with the allocators the product runs with (``configure_allocators``, as
``atlas`` and every Dagster step call it: Arrow's system pool, polars' jemalloc purging freed pages within 0.3 s);
``ARROW_DEFAULT_MEMORY_POOL`` or ``_RJEM_MALLOC_CONF`` set by the caller are kept (e.g.
``ARROW_DEFAULT_MEMORY_POOL=mimalloc`` measures as rounds 1–5 did).

It prints one table (metrics × corpora, with the issues' targets beside them, met or missed by how
much), writes it as JSON to ``benchmarks/results/latest.json`` and draws the scaling curve (seconds
and peak memory against corpus size, log–log) to ``benchmarks/results/scaling.png``. ``--budget``
bounds the whole run: a corpus whose estimated cost (the previous corpus's, scaled by size) would
overrun it is skipped, and the table says so. Every measurement is guarded: a cell that cannot be
measured says why under the table; nothing here may stop the rest of the run. It must NOT change
pipeline code or data outside ``benchmarks/`` (the corpora are copied before they are edited).

    .venv/bin/python benchmarks/run.py [--sizes 1,10,100,1000,3000] [--repeat 3] [--budget 900] [--quick]
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(HERE) not in sys.path:  # run as a script or imported from tests
    sys.path.insert(0, str(HERE))

import floor  # noqa: E402
import make_corpus  # noqa: E402

CORPORA = HERE / "corpora"
RESULTS = HERE / "results" / "latest.json"
PLOT = HERE / "results" / "scaling.png"
DEFAULT_SIZES = "1,10,100,1000,3000"
ATLAS = REPO / ".venv" / "bin" / "atlas"
SAMPLE = "sample"
MB = 1e6


# --------------------------------------------------------------------------- table model


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    fmt: str = "{:,.1f}"


METRICS = [
    Metric("size_mb", "corpus size (MB)", "{:,.2f}"),
    Metric("profiles", "profiles / source files", "{}"),
    Metric("floor_read_mbps", "floor: read + UTF-8 decode (MB/s)"),
    Metric("floor_regex_mbps", "floor: one regex pass `^.*$` (MB/s)"),
    Metric("floor_split_mbps", "floor: `str.splitlines()` (MB/s)"),
    Metric("extract_mbps", "extraction, in-process, 1 core (MB/s)"),
    Metric("extract_vs_floor", "extraction time ÷ regex-floor time (×)"),
    Metric("extract_s", "extraction (s)", "{:,.2f}"),
    Metric("rows", "rows extracted (all tables)", "{:,.0f}"),
    Metric("pandera_rows_s", "pandera + rules, `check_tables` (rows/s)", "{:,.0f}"),
    Metric("checks_s", "`check_tables` wall (s)", "{:,.2f}"),
    Metric("checks_cpu_s", "`check_tables` CPU, all threads (s)", "{:,.2f}"),
    Metric("checks_first_rows_s", "`check_tables`, first call on the corpus (rows/s)", "{:,.0f}"),
    Metric("frictionless_rows_s", "Frictionless, `validate_package_files` (rows/s)", "{:,.0f}"),
    Metric("frictionless_s", "Frictionless (s)", "{:,.2f}"),
    Metric("e2e_s", "`atlas run` end to end (s)", "{:,.2f}"),
    Metric("e2e_cpu_s", "`atlas run` CPU, whole process tree (s)", "{:,.2f}"),
    Metric("rss_peak_mb", "peak RSS, largest process (MB)", "{:,.0f}"),
    Metric("rss_tree_mb", "peak RSS, whole process tree, sampled (MB)", "{:,.0f}"),
    Metric("rerun_s", "re-run after one changed file (s)", "{:,.2f}"),
    Metric("rerun_cpu_s", "re-run CPU, whole process tree (s)", "{:,.2f}"),
    Metric("rerun_rss_tree_mb", "re-run peak RSS, whole process tree (MB)", "{:,.0f}"),
    Metric("load", "load average (1 min) during the column", "{}"),
]


@dataclass(frozen=True)
class Target:
    """A target of issues 11 (extraction) and 15: ``metric`` compared with ``limit`` on the corpora ``columns``."""

    metric: str
    op: str  # ">=" or "<="
    limit: float
    columns: tuple[str, ...]
    text: str

    def ok(self, value: float) -> bool:
        return value >= self.limit if self.op == ">=" else value <= self.limit

    def off_by(self, value: float) -> float:
        """How far ``value`` misses the limit, as a factor (> 1 when missed)."""
        if value <= 0:
            return float("inf")
        return self.limit / value if self.op == ">=" else value / self.limit


# extraction: issue 7 (extraction has its own issue); the rest: issue 15
TARGETS = [
    Target("extract_mbps", ">=", 40, ("1000×",), "1000× ≥ 40 MB/s"),
    Target("extract_vs_floor", "<=", 25, ("1000×",), "1000× ≤ 25×"),
    Target("pandera_rows_s", ">=", 400_000, ("1000×",), "1000× ≥ 400k rows/s"),
    Target("e2e_s", "<=", 3.5, (SAMPLE,), "sample ≤ 3.5 s"),
    Target("e2e_s", "<=", 20, ("1000×",), "1000× ≤ 20 s"),
    Target("rss_tree_mb", "<=", 1024, ("1000×",), "1000× ≤ 1 GB"),
    Target("rerun_s", "<=", 8, ("1000×",), "1000× ≤ 8 s"),
]


@dataclass
class Column:
    name: str
    path: Path
    size_bytes: int = 0
    files: int = 0
    profiles: int | None = None
    values: dict[str, float | str] = field(default_factory=dict)
    runs: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    copies: int | None = None  # N of an N× corpus (None: the real sample)
    skipped: str | None = None  # why the whole column was not measured (budget, memory)
    one_pass_s: float | None = None  # seconds of one run of each measurement (the budget's estimate)


def _fmt(metric: Metric, value: float | str | None, skipped: str | None = None) -> str:
    if value is None:
        return "skipped" if skipped else "—"
    if isinstance(value, str):
        return value
    return metric.fmt.format(value)


def target_status(columns: list[Column]) -> dict[str, list[dict]]:
    """For each metric, its targets with the measured value and whether it is met."""
    out: dict[str, list[dict]] = {}
    names = {c.name: c for c in columns}
    for t in TARGETS:
        for col in t.columns:
            c = names.get(col)
            value = c.values.get(t.metric) if c else None
            status = None if not isinstance(value, int | float) else t.ok(value)
            off = None if status is None or status else round(t.off_by(value), 2)  # type: ignore[arg-type]
            out.setdefault(t.metric, []).append(
                {"target": t.text, "column": col, "value": value, "met": status, "missed_by": off}
            )
    return out


def _target_text(entries: list[dict]) -> str:
    return "; ".join(dict.fromkeys(e["target"] for e in entries))


def _met_text(entries: list[dict]) -> str:
    parts = []
    for e in entries:
        if e["met"] is None:
            parts.append(f"{e['column']}: not measured")
        elif e["met"]:
            parts.append(f"{e['column']}: yes")
        else:
            parts.append(f"{e['column']}: NO ({e['missed_by']:.1f}× off)")
    return "; ".join(parts)


def render_markdown(columns: list[Column]) -> str:
    status = target_status(columns)
    head = ["metric", *[c.name for c in columns], "target (issues 11, 15)", "met?"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * len(columns) + ["---", "---"]) + "|"]
    for m in METRICS:
        cells = [m.label]
        for c in columns:
            if m.key == "profiles":
                cells.append("skipped" if c.skipped else f"{c.profiles if c.profiles is not None else '?'} / {c.files}")
            else:
                cells.append(_fmt(m, c.values.get(m.key), c.skipped))
        entries = status.get(m.key, [])
        cells.append(_target_text(entries))
        cells.append(_met_text(entries) if entries else "")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_rich(columns: list[Column]) -> None:
    from rich.console import Console
    from rich.table import Table

    status = target_status(columns)
    table = Table(title="Geneva Digital Atlas benchmarks (medians)")
    table.add_column("metric")
    for c in columns:
        table.add_column(c.name, justify="right")
    table.add_column("target (issues 11, 15)")
    table.add_column("met?")
    for m in METRICS:
        row = [m.label]
        for c in columns:
            if m.key == "profiles":
                row.append("skipped" if c.skipped else f"{c.profiles if c.profiles is not None else '?'} / {c.files}")
            else:
                row.append(_fmt(m, c.values.get(m.key), c.skipped))
        entries = status.get(m.key, [])
        row += [_target_text(entries), _met_text(entries) if entries else ""]
        table.add_row(*row)
    Console().print(table)


def missing_cells(columns: list[Column]) -> list[str]:
    """One line per column and reason: which cells are empty and why."""
    out = []
    for c in columns:
        if c.skipped:
            out.append(f"{c.name} / every cell: {c.skipped}")
            continue
        by_reason: dict[str, list[str]] = {}
        for key, why in c.errors.items():
            by_reason.setdefault(why, []).append(key)
        out += [f"{c.name} / {', '.join(keys)}: {why}" for why, keys in by_reason.items()]
    return out


# --------------------------------------------------------------------------- corpora


def corpus_fingerprint(seed: int, files: int) -> str:
    h = hashlib.sha256()
    h.update((HERE / "make_corpus.py").read_bytes())
    for p in sorted((REPO / "sources").glob("*.txt")):
        h.update(p.read_bytes())
    h.update(f"{seed}:{files}".encode())
    return h.hexdigest()[:16]


def ensure_corpus(n: int, seed: int, files: int, root: Path = CORPORA) -> tuple[Path, dict]:
    """The cached N× corpus (made again when the generator, the sample or the options change)."""
    name = f"n{n}-s{seed}-f{files}"
    folder, marker = root / name, root / f"{name}.json"
    fp = corpus_fingerprint(seed, files)
    if marker.exists() and folder.is_dir():
        info = json.loads(marker.read_text())
        if info.get("fingerprint") == fp:
            return folder, info
    if folder.exists():
        shutil.rmtree(folder)
    stats = make_corpus.make_corpus(n, folder, seed=seed, files=files)
    info = {"copies": n, "seed": seed, "files": stats.files, "profiles": stats.profiles,
            "bytes": stats.bytes, "seconds": round(stats.seconds, 2), "fingerprint": fp}
    marker.write_text(json.dumps(info, indent=2) + "\n")
    print(f"  made {name}: {stats.profiles} profiles, {stats.bytes / MB:.1f} MB in {stats.seconds:.1f} s")
    return folder, info


# --------------------------------------------------------------------------- measurements


def _guard(col: Column, keys: str | list[str], fn: Callable[[], None]) -> None:
    """Run one measurement; on failure record why under each of its cells and carry on."""
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - a benchmark cell must never stop the run
        why = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"[:300]
        for key in [keys] if isinstance(keys, str) else keys:
            col.errors.setdefault(key, why)
        if os.environ.get("BENCH_DEBUG"):
            traceback.print_exc()
        print(f"    ! {col.name}: {why}")


class NotAvailable(Exception):
    """The code a cell measures does not exist (yet)."""


LOAD_AT_START: list[float] = []


@dataclass
class Budget:
    """Seconds the whole run may take (``--budget``), and the seconds one pass over the current
    corpus took (the first run of each measurement), from which the next corpus's cost is estimated."""

    seconds: float = 900.0
    started: float = field(default_factory=time.perf_counter)
    one_pass: float = 0.0

    def left(self) -> float:
        return self.seconds - (time.perf_counter() - self.started)


BUDGET = Budget()


def runs(repeat: int):
    """Up to ``repeat`` run indices: the first always, each further one only while the whole run's
    budget has room for one more run as long as the last."""
    last = 0.0
    for i in range(max(1, repeat)):
        if i and BUDGET.left() < last:
            print(f"    (budget: {i} run(s) instead of {repeat}, {BUDGET.left():.0f} s of {BUDGET.seconds:.0f} s left)")
            return
        t0 = time.perf_counter()
        yield i
        last = time.perf_counter() - t0
        if i == 0:
            BUDGET.one_pass += last


def _median(col: Column, key: str, values: list[float]) -> float:
    col.runs[key] = [round(v, 4) for v in values]
    return statistics.median(values)


class one_core:
    """Pin this process (and what it starts) to one CPU while measuring 'on one core'."""

    def __enter__(self):
        self.saved = None
        if hasattr(os, "sched_getaffinity"):
            self.saved = os.sched_getaffinity(0)
            os.sched_setaffinity(0, {min(self.saved)})
        return self

    def __exit__(self, *exc):
        if self.saved is not None:
            os.sched_setaffinity(0, self.saved)


def measure_floor(col: Column, repeat: int) -> None:
    fl = floor.measure([col.path], repeat=max(3, repeat))
    col.values["floor_read_mbps"] = fl.read_decode_mbps
    col.values["floor_regex_mbps"] = fl.regex_mbps
    col.values["floor_split_mbps"] = fl.splitlines_mbps
    col.values["_floor_regex_s"] = fl.regex_s


_WARM: set[str] = set()  # measurements that had their untimed warm-up call in this process


def _warm_once(key: str, fn: Callable[[], object]) -> None:
    """One untimed call before the first timed one: imports, compiled schemas and caches are
    one-time costs (the end-to-end figure includes them), not throughput."""
    if key not in _WARM:
        fn()
        _WARM.add(key)


def measure_extraction(col: Column, repeat: int):
    from pipeline.extract import extract_paths

    _warm_once("extract", lambda: extract_paths([REPO / "sources"]))
    times, result = [], None
    with one_core():
        for _ in runs(repeat):
            result = None
            gc.collect()
            t0 = time.perf_counter()
            result = extract_paths([col.path])
            times.append(time.perf_counter() - t0)
    seconds = _median(col, "extract_s", times)
    col.values["extract_s"] = seconds
    col.values["extract_mbps"] = col.size_bytes / seconds / MB
    if "_floor_regex_s" in col.values:
        col.values["extract_vs_floor"] = seconds / col.values["_floor_regex_s"]
    tables = getattr(result, "tables", {}) or {}
    col.values["rows"] = float(sum(len(df) for df in tables.values()))
    if col.profiles is None and "organizations" in tables:
        col.profiles = len(tables["organizations"])
    return result


def measure_pandera(col: Column, extraction, repeat: int) -> None:
    """``check_tables`` on the extracted tables: wall and CPU seconds (``process_time`` counts every
    thread of this process, polars' too); the first call on a corpus judges its new words (cold)."""
    from pipeline.validate.checks import check_tables

    if extraction is None:
        raise NotAvailable("n/a (no extraction to check)")
    tables = extraction.tables
    _warm_once("pandera", lambda: check_tables(extract_sample().tables))
    times, cpu = [], []
    for _ in runs(repeat):
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        check_tables(tables)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    rows = sum(len(df) for df in tables.values())
    col.values["checks_s"] = _median(col, "pandera_s", times)
    col.values["checks_cpu_s"] = _median(col, "checks_cpu_s", cpu)
    col.values["pandera_rows_s"] = rows / col.values["checks_s"]
    col.values["checks_first_rows_s"] = rows / times[0]


def extract_sample():
    from pipeline.extract import extract_paths

    return extract_paths([REPO / "sources"])


def _csv_rows(path: Path) -> int:
    """Data rows of a CSV file (quoted fields may span lines, so the csv module counts)."""
    import csv

    with path.open(newline="", encoding="utf-8-sig") as fh:
        return max(0, sum(1 for _ in csv.reader(fh)) - 1)


def measure_frictionless(col: Column, extraction, work: Path, repeat: int) -> None:
    """Frictionless on the ``<table>.csv`` files ``write_tables`` writes for this extraction."""
    from pipeline.extract import write_tables
    from pipeline.validate.frictionless_check import validate_package_files

    if extraction is None:
        raise NotAvailable("n/a (no extraction to write and validate)")
    folder = work / "tables"
    write_tables(extraction, folder)
    rows = sum(_csv_rows(folder / f"{name}.csv") for name in extraction.tables if (folder / f"{name}.csv").exists())
    _warm_once("frictionless", lambda: validate_package_files(folder))
    times = []
    for _ in runs(repeat):
        gc.collect()
        t0 = time.perf_counter()
        validate_package_files(folder)
        times.append(time.perf_counter() - t0)
    col.values["frictionless_s"] = _median(col, "frictionless_s", times)
    col.values["frictionless_rows_s"] = rows / col.values["frictionless_s"]
    shutil.rmtree(folder, ignore_errors=True)


# ----- subprocesses: wall time, peak RSS of the largest process (wait4) and of the whole tree


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(b")") + 2 :].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def _tree_rss(root: int, *, skip_root: bool = False) -> int:
    """The RSS of ``root`` and all its descendants (without ``root`` itself: ``skip_root``)."""
    page = os.sysconf("SC_PAGE_SIZE")
    kids, todo, total = _children_map(), [root], 0
    while todo:
        pid = todo.pop()
        if skip_root and pid == root:
            todo.extend(kids.get(pid, []))
            continue
        try:
            with open(f"/proc/{pid}/statm", "rb") as fh:
                total += int(fh.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            pass
        todo.extend(kids.get(pid, []))
    return total


@dataclass(frozen=True)
class ProcRun:
    seconds: float
    returncode: int
    max_rss_mb: float
    tree_rss_mb: float
    stderr_tail: str
    stdout_tail: str = ""
    log_dir: Path | None = None
    cpu_s: float = 0.0  # user + system seconds of the process and every descendant it waited for


def run_measured(cmd: list[str], log_dir: Path, timeout: float, sample_every: float = 0.2) -> ProcRun:
    """Run ``cmd`` as a fresh process group, through ``launch.py`` (so its peak memory is its own,
    not this process's: see that module): wall time, the command's peak RSS and CPU seconds
    (``wait4`` in the launcher, descendants included) and the sampled RSS of its whole tree."""
    log_dir.mkdir(parents=True, exist_ok=True)
    out_path, err_path, report = log_dir / "stdout.log", log_dir / "stderr.log", log_dir / "launch.json"
    report.unlink(missing_ok=True)
    launched = [sys.executable, "-S", str(HERE / "launch.py"), str(report), "--", *cmd]
    with out_path.open("wb") as out, err_path.open("wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(launched, cwd=REPO, stdout=out, stderr=err, start_new_session=True)
        tree_peak, next_sample = 0, 0.0
        while True:
            pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
            now = time.perf_counter()
            if pid == proc.pid:
                break
            if now - t0 > timeout:
                os.killpg(proc.pid, 9)
                os.wait4(proc.pid, 0)
                proc.returncode = -9
                raise TimeoutError(f"{' '.join(map(str, cmd[:2]))} did not finish in {timeout:.0f} s")
            if now >= next_sample:
                tree_peak = max(tree_peak, _tree_rss(proc.pid, skip_root=True))
                next_sample = now + sample_every
            time.sleep(0.01)
        seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    measured = json.loads(report.read_text()) if report.exists() else {"returncode": proc.returncode, "max_rss_kb": 0, "cpu_s": 0.0}
    tail = err_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
    out_tail = out_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
    max_rss = measured["max_rss_kb"] / 1024  # KiB on Linux
    return ProcRun(seconds, measured["returncode"], max_rss, max(tree_peak / 2**20, max_rss), "\n".join(tail),
                   "\n".join(out_tail), log_dir, measured["cpu_s"])


ATLAS_ARGS: list[str] = []  # extra `atlas run` options from --atlas-arg (e.g. --multiprocess)
def prepare_dagster_home(outputs: Path) -> None:
    """Create the corpus's own Dagster instance (``<outputs>/.dagster``: one instance per corpus)
    untimed, so that no timed run pays for its SQLite storage and the project's history is left alone."""
    code = ("import sys\nfrom pathlib import Path\nfrom pipeline.config import load_settings\n"
            "from pipeline.instance import instance_env, migrate_instance\n"
            "with instance_env(load_settings({'outputs': Path(sys.argv[1])})) as home:\n    migrate_instance(home)\n")
    try:
        subprocess.run([sys.executable, "-c", code, str(outputs)], cwd=REPO, capture_output=True, timeout=300, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"    ! could not prepare the instance of {outputs}: {exc}")


def _atlas_cmd(sources: Path, outputs: Path) -> list[str]:
    if not ATLAS.exists():
        raise NotAvailable(f"n/a ({ATLAS.relative_to(REPO)} does not exist)")
    return [str(ATLAS), "run", "--sources", str(sources), "--outputs", str(outputs), *ATLAS_ARGS]


FAILED_LOGS = CORPORA / "_failed-logs"


def _check(run: ProcRun, what: str) -> None:
    """Raise with the last line the process wrote; its logs are kept under ``_failed-logs/``."""
    if run.returncode == 0:
        return
    kept = ""
    if run.log_dir is not None and run.log_dir.exists():
        dst = FAILED_LOGS / f"{datetime.now():%H%M%S}-{run.log_dir.parent.name}-{run.log_dir.name}"
        shutil.copytree(run.log_dir, dst, dirs_exist_ok=True)
        kept = f" (logs: {dst.relative_to(REPO)})"
    last = (run.stderr_tail or run.stdout_tail or "no output").splitlines()[-1]
    raise RuntimeError(f"{what} exited {run.returncode}: {last}{kept}")


def link_copy(src: Path, dst: Path) -> Path:
    """A hard-linked copy of a corpus (edits must replace files, never write into them)."""
    if dst.exists():
        shutil.rmtree(dst)

    def link(a, b):
        try:
            os.link(a, b)
        except OSError:
            shutil.copy2(a, b)

    shutil.copytree(src, dst, copy_function=link)
    return dst


def measure_e2e(col: Column, work: Path, repeat: int, timeout: float) -> Path:
    """Fresh `atlas run` processes into fresh outputs; returns the last outputs folder."""
    times, peak, tree, cpu, last = [], [], [], [], None
    for i in runs(repeat):
        outputs = work / f"outputs-{i}"
        if outputs.exists():
            shutil.rmtree(outputs)
        prepare_dagster_home(outputs)
        run = run_measured(_atlas_cmd(col.path if col.name == SAMPLE else work / "sources", outputs),
                           work / f"log-e2e-{i}", timeout)
        _check(run, "atlas run")
        times.append(run.seconds)
        cpu.append(run.cpu_s)
        peak.append(run.max_rss_mb)
        tree.append(run.tree_rss_mb)
        if last is not None:
            shutil.rmtree(last, ignore_errors=True)
        last = outputs
    col.values["e2e_s"] = _median(col, "e2e_s", times)
    col.values["e2e_cpu_s"] = _median(col, "e2e_cpu_s", cpu)
    col.values["rss_peak_mb"] = max(peak)
    col.values["rss_tree_mb"] = max(tree)
    col.runs["rss_peak_mb"], col.runs["rss_tree_mb"] = peak, tree
    return last


def edit_one_value(sources: Path, round_: int) -> Path:
    """Change one value (an ``Established:`` year) in one file, replacing the file (not its link)."""
    files = sorted(sources.glob("*.txt"))
    target = files[len(files) // 2]
    text = target.read_text(encoding="utf-8")
    marker = "Established: "
    at = text.find(marker)
    if at < 0:
        raise RuntimeError(f"no '{marker}' line to edit in {target.name}")
    year_at = at + len(marker)
    year = int(text[year_at : year_at + 4])
    new = year + (1 if round_ % 2 == 0 else -1)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(text[:year_at] + str(new) + text[year_at + 4 :], encoding="utf-8")
    os.replace(tmp, target)
    return target


def measure_rerun(col: Column, work: Path, outputs: Path | None, repeat: int, timeout: float) -> None:
    if outputs is None:
        raise NotAvailable("n/a (needs a first `atlas run`, which did not run)")
    times, cpu, tree = [], [], []
    for i in runs(repeat):
        edit_one_value(work / "sources", i)
        run = run_measured(_atlas_cmd(work / "sources", outputs), work / f"log-rerun-{i}", timeout)
        _check(run, "atlas run (re-run)")
        times.append(run.seconds)
        cpu.append(run.cpu_s)
        tree.append(run.tree_rss_mb)
    col.values["rerun_s"] = _median(col, "rerun_s", times)
    col.values["rerun_cpu_s"] = _median(col, "rerun_cpu_s", cpu)
    col.values["rerun_rss_tree_mb"] = max(tree)


# --------------------------------------------------------------------------- driver


SKIP_KEYS = {
    "floor": ["floor_read_mbps", "floor_regex_mbps", "floor_split_mbps"],
    "extract": ["extract_mbps", "extract_vs_floor", "extract_s", "rows"],
    "pandera": ["pandera_rows_s", "checks_s", "checks_cpu_s", "checks_first_rows_s"],
    "frictionless": ["frictionless_rows_s", "frictionless_s"],
    "e2e": ["e2e_s", "e2e_cpu_s", "rss_peak_mb", "rss_tree_mb"],
    "rerun": ["rerun_s", "rerun_cpu_s", "rerun_rss_tree_mb"],
}


def measure_column(col: Column, args: argparse.Namespace) -> None:
    print(f"- {col.name}: {col.path.relative_to(REPO) if col.path.is_relative_to(REPO) else col.path}")
    load_before = os.getloadavg()[0]
    try:
        _measure_column(col, args)
    finally:
        col.values["load"] = f"{load_before:.1f} → {os.getloadavg()[0]:.1f}"


def _measure_column(col: Column, args: argparse.Namespace) -> None:
    skip = set(args.skip)
    col.values["size_mb"] = col.size_bytes / MB
    for name in sorted(skip):
        for key in SKIP_KEYS.get(name, []):
            col.errors.setdefault(key, f"skipped (--skip {name})")
    if "floor" not in skip:
        _guard(col, ["floor_read_mbps", "floor_regex_mbps", "floor_split_mbps"],
               lambda: measure_floor(col, args.repeat))
    extraction = None
    if "extract" not in skip:
        def _ex():
            nonlocal extraction
            extraction = measure_extraction(col, args.repeat)
        _guard(col, ["extract_mbps", "extract_vs_floor", "extract_s", "rows"], _ex)
    work = Path(tempfile.mkdtemp(prefix=f"work-{col.name.rstrip('×')}-", dir=CORPORA))
    try:
        if "pandera" not in skip:
            _guard(col, SKIP_KEYS["pandera"], lambda: measure_pandera(col, extraction, args.repeat))
        if "frictionless" not in skip:
            _guard(col, SKIP_KEYS["frictionless"], lambda: measure_frictionless(col, extraction, work, args.repeat))
        extraction = None
        gc.collect()
        if col.name != SAMPLE and not {"e2e", "rerun"} <= skip:
            _guard(col, [*SKIP_KEYS["e2e"], *SKIP_KEYS["rerun"]], lambda: link_copy(col.path, work / "sources"))
        outputs = None
        if "e2e" not in skip:
            def _e2e():
                nonlocal outputs
                outputs = measure_e2e(col, work, args.repeat, args.timeout)
            _guard(col, SKIP_KEYS["e2e"], _e2e)
        if "rerun" not in skip and col.name != SAMPLE:
            _guard(col, SKIP_KEYS["rerun"], lambda: measure_rerun(col, work, outputs, args.repeat, args.timeout))
    finally:
        if args.keep_work:
            print(f"    kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def build_columns(args: argparse.Namespace) -> list[Column]:
    """The sample's column and one column per size (each corpus is made when its turn comes)."""
    columns: list[Column] = []
    if args.sample:
        files = floor.corpus_files([REPO / "sources"])
        columns.append(Column(SAMPLE, REPO / "sources", sum(f.stat().st_size for f in files), len(files)))
    CORPORA.mkdir(parents=True, exist_ok=True)
    columns += [Column(f"{n}×", CORPORA / f"n{n}-s{args.seed}-f{args.files}", copies=n) for n in args.sizes]
    return columns


def mem_available_mb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def estimate_seconds(copies: int, measured: list[tuple[int, float]]) -> float:
    """What one pass over an N× corpus should cost (seconds, or MB), from the smaller ones: the line
    through the last two (fixed cost + cost per copy), or ∝ N from a single one (an overestimate
    while fixed costs dominate)."""
    (n1, s1) = measured[-1]
    if len(measured) < 2:
        return s1 * copies / n1
    (n0, s0) = measured[-2]
    slope = max((s1 - s0) / (n1 - n0), 0.0) if n1 != n0 else s1 / n1
    return s1 + slope * (copies - n1)


def why_skip(col: Column, done: list[Column]) -> str | None:
    """Why ``col`` should not be measured: its cost, scaled linearly from the last measured corpus,
    would overrun the budget, or its memory would not fit. None: measure it."""
    before = [c for c in done if c.copies and c.one_pass_s and not c.skipped]
    if not col.copies or not before:
        return None
    estimate = estimate_seconds(col.copies, [(c.copies, c.one_pass_s) for c in before])  # type: ignore[misc]
    if estimate > BUDGET.left():
        return (f"skipped: one pass estimated at {estimate:.0f} s (extrapolated from {', '.join(c.name for c in before[-2:])}), "
                f"{max(BUDGET.left(), 0):.0f} s of the {BUDGET.seconds:.0f} s budget left")
    peaks = [(c.copies, p) for c in before if (p := _peak_mb(c))]
    available = mem_available_mb()
    if peaks and available and (peak := estimate_seconds(col.copies, peaks)) > 0.6 * available:  # type: ignore[arg-type]
        return (f"skipped: peak memory estimated at {peak:,.0f} MB (extrapolated from {', '.join(c.name for c in before[-2:])}), "
                f"more than 60% of the {available:,.0f} MB available")
    return None


def _peak_mb(col: Column) -> float:
    return max((v for k in ("rss_peak_mb", "rss_tree_mb") if isinstance(v := col.values.get(k), int | float)), default=0.0)


def prepare_corpus(col: Column, args: argparse.Namespace) -> bool:
    """Make (or reuse) the corpus of ``col``; False when it could not be made (the reason is kept)."""
    if col.copies is None:
        return True
    try:
        folder, info = ensure_corpus(col.copies, args.seed, args.files)
    except (Exception, SystemExit) as exc:  # noqa: BLE001
        col.errors["size_mb"] = f"corpus not made: {exc}"
        return False
    col.path, col.size_bytes, col.files, col.profiles = folder, info["bytes"], info["files"], info["profiles"]
    return True


# --------------------------------------------------------------------------- the scaling curve

CURVE_SECONDS = [("extraction, 1 core", "extract_s"), ("check_tables (pandera + rules)", "checks_s"),
                 ("check_tables, CPU seconds (all threads)", "checks_cpu_s"),
                 ("Frictionless", "frictionless_s"), ("atlas run, end to end", "e2e_s"),
                 ("atlas run, CPU seconds (process tree)", "e2e_cpu_s"), ("re-run after one changed file", "rerun_s")]
CURVE_MEMORY = [("peak RSS, largest process", "rss_peak_mb"), ("peak RSS, whole process tree", "rss_tree_mb")]


def _series(columns: list[Column], key: str) -> tuple[list[float], list[float]]:
    points = [(c.size_bytes / MB, v) for c in columns if isinstance(v := c.values.get(key), int | float) and v > 0]
    return [x for x, _ in points], [y for _, y in points]


def plot_scaling(columns: list[Column], path: Path) -> Path:
    """Seconds and peak memory of each stage against corpus size (log–log), with a line ∝ size
    through the largest end-to-end point for reference; skipped corpora are named in the title."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    measured = [c for c in columns if c.copies and not c.skipped and c.size_bytes]
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(13, 5.2))
    for ax, curves, unit in ((ax_t, CURVE_SECONDS, "seconds"), (ax_m, CURVE_MEMORY, "MB")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        for label, key in curves:
            xs, ys = _series(measured, key)
            if xs:
                ax.plot(xs, ys, marker="." if "CPU" in label else "o", ls=":" if "CPU" in label else "-", label=label)
        anchor = _series(measured, "e2e_s" if unit == "seconds" else "rss_tree_mb")
        if len(anchor[0]) >= 2:  # a line ∝ size through the largest point, within the plotted values
            low, high = ax.get_ylim()
            x1, y1 = anchor[0][-1], anchor[1][-1]
            xs = [max(anchor[0][0], x1 * low / y1), x1]
            ax.plot(xs, [y1 * x / x1 for x in xs], ls="--", color="grey", lw=1, label="∝ corpus size")
            ax.set_ylim(low, high)
        ax.set_xlabel("corpus size (MB of source text)")
        ax.set_ylabel(unit)
        ax.grid(True, which="both", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    for c in measured:
        ax_t.annotate(c.name, (c.size_bytes / MB, ax_t.get_ylim()[0]), textcoords="offset points", xytext=(0, 4), ha="center",
                      fontsize=8, color="dimgrey")
    ax_t.set_title("time per stage (median of the runs)")
    ax_m.set_title("peak memory of `atlas run`")
    skipped = ", ".join(c.name for c in columns if c.skipped)
    load = f"load average {LOAD_AT_START[0]:.1f} → {os.getloadavg()[0]:.1f}" if LOAD_AT_START else ""
    fig.suptitle(f"Geneva Digital Atlas pipeline: scaling ({datetime.now():%Y-%m-%d}, {os.cpu_count()} CPUs, {load})"
                 + (f"\nnot measured: {skipped} (see the table)" if skipped else ""), fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_json(columns: list[Column], args: argparse.Namespace, path: Path, started: float) -> None:
    payload = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 1),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                    "loadavg_start": LOAD_AT_START, "loadavg_end": list(os.getloadavg())},
        "options": {"sizes": args.sizes, "repeat": args.repeat, "seed": args.seed, "files": args.files,
                    "sample": args.sample, "skip": sorted(args.skip), "budget_s": args.budget, "atlas_args": args.atlas_arg},
        "metrics": [{"key": m.key, "label": m.label} for m in METRICS],
        "columns": [
            {"name": c.name, "path": str(c.path.relative_to(REPO)) if c.path.is_relative_to(REPO) else str(c.path),
             "bytes": c.size_bytes, "files": c.files, "profiles": c.profiles,
             "values": {k: v for k, v in c.values.items() if not k.startswith("_")},
             "runs": c.runs, "missing": c.errors, "skipped": c.skipped, "one_pass_s": c.one_pass_s}
            for c in columns
        ],
        "targets": target_status(columns),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="Benchmarks and scaling curve of issues 7, 11 and 15 (see benchmarks/README.md).")
    ap.add_argument("--sizes", default=None, help=f"comma-separated N× corpora (default {DEFAULT_SIZES})")
    ap.add_argument("--repeat", type=int, default=None, help="runs per figure, median (default 3)")
    ap.add_argument("--quick", action="store_true", help="sizes 1,100 and 1 run each unless given")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--files", type=int, default=100, help="source files per corpus (default 100)")
    ap.add_argument("--no-sample", dest="sample", action="store_false", help="skip the real sources/ column")
    ap.add_argument("--skip", default="", help="comma-separated: floor,extract,pandera,frictionless,e2e,rerun")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per `atlas run` (default 1800)")
    ap.add_argument("--budget", type=float, default=900,
                    help="seconds the whole run may take (default 900): fewer repeats, then larger corpora skipped")
    ap.add_argument("--plot", type=Path, default=PLOT, help="where to draw the scaling curve (PNG; '' for none)")
    ap.add_argument("--format", choices=["md", "rich"], default="md")
    ap.add_argument("--json", type=Path, default=RESULTS, help="where to write the table as JSON")
    ap.add_argument("--keep-work", action="store_true", help="keep the copied corpora and outputs")
    ap.add_argument("--atlas-arg", action="append", default=[], metavar="ARG",
                    help="extra option for `atlas run` (repeatable), e.g. --atlas-arg=--multiprocess")
    args = ap.parse_args(argv)
    sizes = args.sizes or ("1,100" if args.quick else DEFAULT_SIZES)
    args.sizes = [int(s) for s in sizes.split(",") if s.strip()]
    args.repeat = args.repeat or (1 if args.quick else 3)
    args.skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from pipeline.fsutil import configure_allocators

    configure_allocators()  # the in-process figures measure what `atlas` runs (see the module's scope)
    ATLAS_ARGS[:] = args.atlas_arg
    BUDGET.seconds, BUDGET.started = args.budget, time.perf_counter()
    started = BUDGET.started
    LOAD_AT_START[:] = os.getloadavg()
    print(f"benchmarks: sizes {args.sizes}, {args.repeat} run(s) per figure, {os.cpu_count()} CPUs, "
          f"load average {LOAD_AT_START[0]:.1f} (other work on the machine skews every figure)")
    columns = build_columns(args)
    for i, col in enumerate(columns):
        col.skipped = why_skip(col, columns[:i])
        if col.skipped:
            print(f"- {col.name}: {col.skipped}")
            continue
        t0 = time.perf_counter()
        if not prepare_corpus(col, args):
            continue
        BUDGET.one_pass = time.perf_counter() - t0  # making the corpus counts, once
        measure_column(col, args)
        col.one_pass_s = BUDGET.one_pass
        write_json(columns, args, args.json, started)  # partial results survive an interruption
    print()
    if args.format == "rich":
        render_rich(columns)
    else:
        print(render_markdown(columns))
    missing = missing_cells(columns)
    if missing:
        print("\nMissing cells:")
        for line in missing:
            print(f"- {line}")
    write_json(columns, args, args.json, started)
    print(f"\nwritten {args.json.relative_to(REPO) if args.json.is_relative_to(REPO) else args.json} "
          f"in {time.perf_counter() - started:.0f} s")
    if str(args.plot) not in ("", "."):
        _guard(Column("plot", args.plot), "plot", lambda: print(f"drawn {plot_scaling(columns, args.plot)}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
