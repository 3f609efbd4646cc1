"""`atlas extract` as a user runs it: exit codes and messages, never a traceback; odd file names.

The error cases run in process (typer's CliRunner parses the same argv; fast); the odd-file-name
case runs the installed `atlas` script in a subprocess, as a user would.
"""

from __future__ import annotations

import subprocess
from types import SimpleNamespace

from conftest import ATLAS, REPO, SAMPLE, make_profile
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.csvio import read_csv
from pipeline.schemas import schema


def _atlas(*args: str) -> SimpleNamespace:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    proc = SimpleNamespace(returncode=result.exit_code, stdout=result.stdout, stderr=result.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr[-3000:]
    return proc


def _atlas_process(*args: str, cwd=REPO) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(ATLAS), *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr[-3000:]
    return proc


def test_missing_folder(tmp_path):
    proc = _atlas("extract", str(tmp_path / "no-such-folder"), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "no such file or folder" in proc.stderr and "no-such-folder" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_empty_folder(tmp_path):
    (tmp_path / "src").mkdir()
    proc = _atlas("extract", str(tmp_path / "src"), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "no source files found" in proc.stderr


def test_folder_of_only_bad_files(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "empty.txt").write_bytes(b"")
    (src / "binary.txt").write_bytes(b"\x00\xff" * 50)
    (src / "prose.txt").write_text("Only prose, no profile.\n", encoding="utf-8")
    # an impossible year alone no longer blocks (issue 11): a profile with neither name nor acronym does
    (src / "anon.txt").write_text(make_profile(name=None, acronym=None), encoding="utf-8")
    out = tmp_path / "out"
    proc = _atlas("extract", str(src), "--out", str(out))
    assert proc.returncode == 1
    assert "no profile could be extracted" in proc.stderr and "extraction_findings.json" in proc.stderr
    q = read_csv(out / "quarantine.csv", schema("quarantine"))
    assert sorted(q["source_file"]) == ["anon.txt", "binary.txt", "empty.txt", "prose.txt"]  # the reasons are kept
    assert "4 error" in proc.stdout


def test_sample_summary_lines(tmp_path):
    proc = _atlas("extract", str(SAMPLE.parent), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert "organizations" in proc.stdout and "       6 rows" in proc.stdout
    assert "0 error" in proc.stdout


def test_odd_file_names(tmp_path):
    """Spaces, unicode and leading dashes in names: in a folder, and given directly after `--`."""
    src = tmp_path / "src dir"
    src.mkdir()
    names = {"with space.txt": "SPACE", "ünïcødé – 文字.txt": "UNI", "-dash.txt": "DASH", "--help.txt": "HELP"}
    for name, acronym in names.items():
        (src / name).write_text(make_profile(acronym=acronym), encoding="utf-8")
    out = tmp_path / "out"
    proc = _atlas_process("extract", "--out", str(out), "--", str(src))
    assert proc.returncode == 0, proc.stderr
    o = read_csv(out / "organizations.csv", schema("organizations"))
    assert dict(zip(o["source_file"], o["acronym"], strict=True)) == names

    # a file whose name starts with a dash, given relative to the working directory
    proc = _atlas_process("extract", "--out", str(tmp_path / "out2"), "--", "-dash.txt", "--help.txt", cwd=src)
    assert proc.returncode == 0, proc.stderr
    o = read_csv(tmp_path / "out2" / "organizations.csv", schema("organizations"))
    assert sorted(o["source_file"]) == ["--help.txt", "-dash.txt"]  # written as '-dash.txt (formula guard), read back raw


def test_out_is_a_file(tmp_path):
    (tmp_path / "afile").write_text("x")
    proc = _atlas("extract", str(SAMPLE.parent), "--out", str(tmp_path / "afile"))
    assert proc.returncode != 0 and "afile" in proc.stderr


def test_out_below_a_file_is_a_message_not_a_traceback(tmp_path):
    """Regression (issue 16): an --out nobody can create (a file where its parent folder should be)
    was a NotADirectoryError traceback in `atlas extract` and `atlas validate`."""
    (tmp_path / "afile").write_text("x")
    proc = _atlas("extract", str(SAMPLE.parent), "--out", str(tmp_path / "afile" / "tables"))
    assert proc.returncode == 2 and "the tables cannot be written to" in proc.stderr and "Not a directory" in proc.stderr
    assert _atlas("extract", str(SAMPLE.parent), "--out", str(tmp_path / "tables")).returncode == 0
    proc = _atlas("validate", str(tmp_path / "tables"), "--out", str(tmp_path / "afile" / "report"))
    assert proc.returncode == 2 and "the report cannot be written to" in proc.stderr and "afile" in proc.stderr


def test_validate_on_a_folder_without_the_tables_reports_them_missing(tmp_path):
    """Regression (issue 16): a folder that `atlas extract` did not write was a KeyError traceback."""
    (tmp_path / "half").mkdir()
    assert _atlas("extract", str(SAMPLE.parent), "--out", str(tmp_path / "tables")).returncode == 0
    (tmp_path / "half" / "organizations.csv").write_bytes((tmp_path / "tables" / "organizations.csv").read_bytes())
    for folder, missing in ((tmp_path / "half", "sections.csv"), (tmp_path, "organizations.csv")):
        proc = _atlas("validate", str(folder))
        assert proc.returncode == 1, proc.stdout + proc.stderr
        report = (folder / "report.md").read_text(encoding="utf-8")
        assert f"{missing} is missing from the tables folder" in report


def test_serve_on_a_port_in_use_is_a_message(tmp_path):
    import socket

    from ops_support import clean_env, corpus

    corpus(tmp_path)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [str(ATLAS), "serve", "--port", str(port)], cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=300
        )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert f"on port {port}: Address already in use" in " ".join(proc.stderr.split())
