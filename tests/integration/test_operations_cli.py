"""The ``atlas`` command as an operator and an editor use it, run as a subprocess (issues 14 and 16).

Every command reads the one configuration (flags > ATLAS_* > [tool.atlas.settings] > defaults) and
names the folders it uses; a blocked run never costs the good candidate, and publishing right
after it says which candidate it would publish; an outputs folder that cannot be written gives a
clear message naming the path, never a traceback (tested through paths no one can write, even
root: a file where the folder should be, a folder where the lock file should be, a read-only
tmpfs when the machine allows mounting one).
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import ATLAS
from ops_support import atlas, clean_env, corpus, free_port, tmpfs

pytestmark = pytest.mark.slow


def test_every_command_honours_atlas_outputs_and_atlas_sources(tmp_path: Path) -> None:
    work = tmp_path / "work"  # the working directory: its default sources/ and outputs/ must stay unused
    work.mkdir()
    src = corpus(tmp_path / "corpus")
    out = tmp_path / "corpus" / "out"
    env = clean_env(ATLAS_SOURCES=str(src), ATLAS_OUTPUTS=str(out))

    shown = atlas("config", cwd=work, env=env)
    assert shown.returncode == 0, shown.stderr
    lines = {line.split()[0]: line for line in shown.stdout.splitlines() if line.strip()}
    assert str(out) in lines["outputs"] and "environment ATLAS_OUTPUTS" in lines["outputs"]
    assert str(src) in lines["sources"] and str(out / ".dagster") in lines["dagster_home"]

    calls = {
        "extract": ("extract",),
        "run": ("run",),
        "review": ("review",),
        "publish": ("publish", "--accept-warnings", "--reviewer", "ops-test"),
        "releases": ("releases",),
        "site": ("site",),
    }
    results = {name: atlas(*args, cwd=work, env=env) for name, args in calls.items()}
    for name, result in results.items():
        assert result.returncode == 0, f"{name}: {result.stdout}\n{result.stderr}"
        assert str(out) in result.stderr + result.stdout, f"{name} does not name the outputs folder it uses"
        assert "Traceback" not in result.stderr, name
    assert (out / "extract" / "organizations.csv").is_file()
    assert (out / "releases" / "1.0.0" / "datapackage.json").is_file() and "1.0.0" in results["releases"].stdout
    assert (out / ".dagster" / "dagster.yaml").is_file() and (out / "site" / "index.html").is_file()

    serve = subprocess.Popen(
        [str(ATLAS), "serve", "--port", str(free_port())], cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        first = serve.stdout.readline()  # "serving <site> on http://..."
        assert f"serving {out / 'site'}" in first
    finally:
        serve.send_signal(signal.SIGINT)
        serve.wait(timeout=20)
    assert not (work / "outputs").exists() and not (work / "sources").exists() and not (work / ".dagster").exists()


def test_flags_beat_the_environment_which_beats_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.atlas.settings]\noutputs = "from-file"\nsensor_interval = 7\nwebhook_url = "http://127.0.0.1:9/x"\n', encoding="utf-8"
    )
    env = clean_env(ATLAS_SENSOR_INTERVAL="3")
    rows = {line.split()[0]: line for line in atlas("config", cwd=tmp_path, env=env).stdout.splitlines() if line.strip()}
    assert str(tmp_path / "from-file") in rows["outputs"] and "[tool.atlas.settings]" in rows["outputs"]
    assert " 3 " in rows["sensor_interval"] and "ATLAS_SENSOR_INTERVAL" in rows["sensor_interval"]
    rows = {
        line.split()[0]: line for line in atlas("config", "--outputs", "flagged", cwd=tmp_path, env=env).stdout.splitlines() if line.strip()
    }
    assert str(tmp_path / "flagged") in rows["outputs"] and "flag" in rows["outputs"]
    bad = atlas("config", cwd=tmp_path, env=clean_env(ATLAS_SENSOR_INTERVAL="soon"))
    assert bad.returncode == 2 and "sensor_interval" in bad.stderr and "ATLAS_SENSOR_INTERVAL" in bad.stderr


def test_a_good_candidate_survives_a_later_blocked_run_and_publish_says_so(tmp_path: Path) -> None:
    src = corpus(tmp_path)
    env = clean_env()
    assert atlas("run", cwd=tmp_path, env=env).returncode == 0
    staged = (tmp_path / "outputs" / "staging" / "candidate.json").read_text(encoding="utf-8")
    corpus(tmp_path, bad=True)  # a bad file dropped later
    blocked = atlas("run", cwd=tmp_path, env=env)
    assert blocked.returncode == 1 and "late-addition.txt:13" in blocked.stdout and "earlier candidate" in blocked.stdout
    assert (tmp_path / "outputs" / "staging" / "candidate.json").read_text(encoding="utf-8") == staged  # never lost
    assert (tmp_path / "outputs" / "blocked" / "validation" / "report.html").is_file()

    review = atlas("review", cwd=tmp_path, env=env)
    assert review.returncode == 1, review.stdout  # the latest run is blocked
    assert "LATEST RUN BLOCKED" in review.stdout and "EARLIER candidate 1.0.0" in review.stdout

    refused = atlas("publish", "--accept-warnings", "--reviewer", "ed", cwd=tmp_path, env=env)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    message = " ".join(refused.stderr.split())
    assert "the latest run" in message and "was blocked by 1 error(s)" in message and "late-addition.txt:13" in message
    assert "EARLIER candidate 1.0.0" in message and "--earlier-candidate" in message
    assert not (tmp_path / "outputs" / "releases").exists()

    done = atlas("publish", "--accept-warnings", "--reviewer", "ed", "--earlier-candidate", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert "Published" in done.stdout and "note:" in done.stderr
    published = (tmp_path / "outputs" / "releases" / "1.0.0" / "data" / "organizations.csv").read_text(encoding="utf-8")
    assert "Broken Example Institute" not in published  # the earlier, good candidate
    assert src.is_dir()


def test_publish_after_a_failed_run_says_the_run_failed(tmp_path: Path) -> None:
    corpus(tmp_path)
    env = clean_env()
    assert atlas("run", cwd=tmp_path, env=env).returncode == 0
    shutil.rmtree(tmp_path / "outputs" / ".cache")
    (tmp_path / "outputs" / ".cache").write_text("not a folder\n", encoding="utf-8")  # the extraction step fails
    failed = atlas("run", cwd=tmp_path, env=env)
    assert failed.returncode == 1 and "Not a directory" in failed.stdout and ".cache" in failed.stdout
    status = json.loads((tmp_path / "outputs" / "blocked" / "candidate.json").read_text(encoding="utf-8"))
    assert status["status"] == "failed" and status["failed_step"] == "extracted_records"
    refused = atlas("publish", "--reviewer", "ed", "--accept-warnings", cwd=tmp_path, env=env)
    message = " ".join(refused.stderr.split())
    assert refused.returncode == 1 and "failed in step extracted_records" in message and "EARLIER candidate 1.0.0" in message


@pytest.mark.parametrize("command", [("run",), ("publish", "--reviewer", "ed"), ("site",)])
def test_an_outputs_path_that_is_a_file_gives_a_clear_message(tmp_path: Path, command: tuple[str, ...]) -> None:
    corpus(tmp_path)
    blocker = tmp_path / "outputs"
    blocker.write_text("not a folder\n", encoding="utf-8")  # no one can create a folder here, not even root
    result = atlas(*command, cwd=tmp_path, env=clean_env())
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert f"{blocker}" in result.stderr and "not a folder" in result.stderr


@pytest.mark.parametrize("command", [("run",), ("publish", "--reviewer", "ed")])
def test_a_lock_that_cannot_be_created_gives_a_clear_message(tmp_path: Path, command: tuple[str, ...]) -> None:
    corpus(tmp_path)
    (tmp_path / "outputs" / ".lock").mkdir(parents=True)  # the lock file cannot be opened, even by root
    result = atlas(*command, cwd=tmp_path, env=clean_env())
    assert result.returncode == 2, result.stdout + result.stderr
    text = " ".join((result.stderr + result.stdout).split())
    assert "Traceback" not in text
    assert f"the outputs folder {tmp_path / 'outputs'} cannot be used" in text and "writable folder" in text


@pytest.mark.parametrize("command", [("run",), ("publish", "--reviewer", "ed"), ("site",)])
def test_a_read_only_outputs_folder_gives_a_clear_message(tmp_path: Path, command: tuple[str, ...]) -> None:
    corpus(tmp_path)
    with tmpfs(tmp_path / "outputs", "1m", read_only=True) as mounted:
        if not mounted:
            pytest.skip("this machine does not allow mounting a read-only tmpfs (the file-in-the-way tests cover the message)")
        env = clean_env(ATLAS_DAGSTER_HOME=str(tmp_path / "home"))
        result = atlas(*command, cwd=tmp_path, env=env)
    text = " ".join((result.stderr + result.stdout).split())
    assert result.returncode == 2, text
    assert "Traceback" not in text and str(tmp_path / "outputs") in text and "Read-only file system" in text
    time.sleep(0)  # keep the mount's lifetime explicit above
