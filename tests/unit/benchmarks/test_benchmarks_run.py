"""The benchmark driver (benchmarks/run.py, floor.py) measures and reports what it says it does."""

from __future__ import annotations

import sys

from conftest import REPO, load_benchmark

run = load_benchmark("run")
floor = load_benchmark("floor")


def test_floor_measures_the_bytes_of_every_txt_file(tmp_path):
    (tmp_path / "a.txt").write_text("line one\n\nline two\n" * 1000, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_bytes("\ufeffé\n".encode() * 500)
    (tmp_path / "ignored.csv").write_text("x\n", encoding="utf-8")
    fl = floor.measure([tmp_path], repeat=1)
    assert fl.files == 2
    assert fl.bytes == (tmp_path / "a.txt").stat().st_size + (tmp_path / "sub" / "b.txt").stat().st_size
    assert fl.regex_mbps > 0 and fl.splitlines_mbps > 0 and fl.read_decode_mbps > 0


def _columns(e2e_sample: float, e2e_1000: float | None, extract: float):
    sample = run.Column(run.SAMPLE, REPO / "sources", 127_000, 1, 6)
    sample.values.update({"e2e_s": e2e_sample, "extract_mbps": extract})
    big = run.Column("1000×", REPO, 127_000_000, 100, 6000)
    big.values["extract_mbps"] = extract
    if e2e_1000 is not None:
        big.values["e2e_s"] = e2e_1000
    else:
        big.errors["e2e_s"] = "n/a (not importable: pipeline.cli)"
    return [sample, big]


def test_targets_are_judged_on_their_own_corpus():
    status = run.target_status(_columns(e2e_sample=3.0, e2e_1000=75.0, extract=45.0))
    e2e = {e["column"]: e["met"] for e in status["e2e_s"]}
    assert e2e == {run.SAMPLE: True, "1000×": False}
    assert [e["missed_by"] for e in status["e2e_s"]] == [None, 3.75]  # 75 s against 20 s
    extract = {e["column"]: e["met"] for e in status["extract_mbps"]}
    assert extract == {"1000×": True}  # 45 MB/s against 40
    pandera = {e["column"]: e["met"] for e in status["pandera_rows_s"]}
    assert pandera == {"1000×": None}  # not measured here: no verdict


def test_table_prints_targets_beside_values_and_why_cells_are_missing():
    cols = _columns(e2e_sample=7.5, e2e_1000=None, extract=20.0)
    table = run.render_markdown(cols)
    row = next(ln for ln in table.splitlines() if ln.startswith("| `atlas run` end to end"))
    assert "7.50" in row and "sample ≤ 3.5 s; 1000× ≤ 20 s" in row
    assert "sample: NO (2.1× off)" in row and "1000×: not measured" in row
    assert "| extraction, in-process, 1 core (MB/s) | 20.0 | 20.0 | 1000× ≥ 40 MB/s | 1000×: NO (2.0× off) |" in table
    assert run.missing_cells(cols) == ["1000× / e2e_s: n/a (not importable: pipeline.cli)"]


def test_a_failing_measurement_leaves_a_reason_not_a_traceback():
    col = run.Column("1×", REPO)

    def boom():
        raise ValueError("no such table\nsecond line")

    run._guard(col, ["pandera_rows_s"], boom)
    assert col.errors == {"pandera_rows_s": "ValueError: no such table"}


def test_editing_a_linked_copy_leaves_the_cached_corpus_alone(tmp_path):
    src = tmp_path / "corpus"
    src.mkdir()
    for i in range(3):
        (src / f"atlas-{i:03d}.txt").write_text(f"Name {i}\n\nAcronym: A{i}\n\nEstablished: 1990\n", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in src.iterdir()}
    work = run.link_copy(src, tmp_path / "work" / "sources")
    edited = run.edit_one_value(work, 0)
    assert edited.read_text(encoding="utf-8").count("Established: 1991") == 1
    assert {p.name: p.read_bytes() for p in src.iterdir()} == before
    run.edit_one_value(work, 1)
    assert edited.read_text(encoding="utf-8").count("Established: 1990") == 1


def test_run_measured_reports_time_exit_code_and_peak_memory(tmp_path):
    code = "b = bytearray(150 * 2**20); import sys; sys.stderr.write('done\\n'); sys.exit(3)"
    res = run.run_measured([sys.executable, "-c", code], tmp_path / "log", timeout=60)
    assert res.returncode == 3
    assert res.max_rss_mb >= 150
    assert res.tree_rss_mb >= res.max_rss_mb
    assert res.stderr_tail == "done"
    assert res.seconds > 0  # measured (the timeout only stops a hang)


def test_a_corpus_that_would_overrun_the_budget_is_skipped_and_the_table_says_so(monkeypatch):
    small = run.Column("10×", REPO, 1_290_000, 60, 60, copies=10, one_pass_s=6.0)
    mid = run.Column("100×", REPO, 12_900_000, 100, 600, copies=100, one_pass_s=24.0)
    big = run.Column("1000×", REPO, copies=1000)
    assert run.estimate_seconds(1000, [(10, 6.0), (100, 24.0)]) == 24.0 + 0.2 * 900  # fixed cost + cost per copy
    assert run.estimate_seconds(1000, [(100, 24.0)]) == 240.0  # one point: ∝ size
    monkeypatch.setattr(run, "BUDGET", run.Budget(seconds=1000.0))
    assert run.why_skip(big, [small, mid]) is None
    monkeypatch.setattr(run, "BUDGET", run.Budget(seconds=100.0))
    big.skipped = run.why_skip(big, [small, mid])
    assert big.skipped and "204 s" in big.skipped and "budget" in big.skipped
    table = run.render_markdown([small, mid, big])
    assert table.splitlines()[2].endswith("| skipped |  |  |")
    assert run.missing_cells([big]) == [f"1000× / every cell: {big.skipped}"]


def test_repeats_stop_when_the_budget_has_no_room_for_another_run(monkeypatch):
    import time

    monkeypatch.setattr(run, "BUDGET", run.Budget(seconds=0.3))
    done = []
    for i in run.runs(5):
        time.sleep(0.2)
        done.append(i)
    assert done == [0]  # 0.1 s left after the first run of 0.2 s: no second run
    assert 0.2 <= run.BUDGET.one_pass < 0.3


def test_scaling_curve_is_drawn(tmp_path):
    cols = []
    for n, mb, e2e, rss in ((1, 0.13, 4.0, 380), (10, 1.3, 4.6, 440), (100, 12.9, 7.1, 1476)):
        c = run.Column(f"{n}×", REPO, int(mb * 1e6), copies=n)
        c.values.update({"e2e_s": e2e, "extract_s": mb / 20, "checks_s": mb / 50 + 0.1, "rss_peak_mb": rss, "rss_tree_mb": rss * 1.1})
        cols.append(c)
    cols.append(run.Column("1000×", REPO, copies=1000, skipped="skipped: budget"))
    path = run.plot_scaling(cols, tmp_path / "scaling.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000


def test_the_benchmark_measures_with_the_allocators_atlas_runs_with(monkeypatch, tmp_path):
    """``atlas`` and every Dagster step call ``configure_allocators`` (Arrow's system pool): the
    in-process figures are measured the same way; an allocator the caller chose is kept."""
    import os

    from pipeline import fsutil

    monkeypatch.setattr(run, "build_columns", lambda args: [])
    for given, expected in [(None, "system"), ("mimalloc", "mimalloc")]:
        monkeypatch.setattr(os, "environ", dict(os.environ))  # restored after the test
        os.environ.pop(fsutil.ARROW_POOL_ENV, None)
        if given:
            os.environ[fsutil.ARROW_POOL_ENV] = given
        assert run.main(["--sizes", "1", "--json", str(tmp_path / "latest.json"), "--plot", ""]) == 0
        assert os.environ[fsutil.ARROW_POOL_ENV] == expected
