"""One Dagster instance per corpus (issue 14): two corpora run side by side keep separate run
histories and asset catalogues; an instance is never reused for another corpus; ``atlas ui``
migrates a new instance once and then starts the webserver and the daemon together, and both
load (the race a fresh SQLite instance used to lose)."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import dagster as dg
import pytest
from conftest import ATLAS
from ops_support import atlas, clean_env, corpus, free_port

pytestmark = pytest.mark.slow


def _runs(home: Path) -> list[dg.DagsterRun]:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        return list(instance.get_runs())


def _releases(home: Path) -> list[str]:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = instance.fetch_materializations(dg.AssetKey("release"), limit=10).records
        return [r.asset_materialization.metadata["version"].value for r in records]


def test_two_corpora_side_by_side_keep_separate_histories(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    corpus(a)
    corpus(b, bad=True)
    env = clean_env()
    assert atlas("run", cwd=a, env=env).returncode == 0
    assert atlas("run", cwd=b, env=env).returncode == 1
    assert atlas("run", cwd=a, env=env).returncode == 0
    assert atlas("publish", "--accept-warnings", "--reviewer", "ed", cwd=a, env=env).returncode == 0
    runs_a, runs_b = _runs(a / "outputs" / ".dagster"), _runs(b / "outputs" / ".dagster")
    assert len(runs_a) == 2 and len(runs_b) == 1
    assert {r.tags["atlas/outputs"] for r in runs_a} == {str(a / "outputs")}
    assert {r.tags["atlas/outputs"] for r in runs_b} == {str(b / "outputs")}
    assert [r.status for r in runs_b] == [dg.DagsterRunStatus.FAILURE]
    assert _releases(a / "outputs" / ".dagster") == ["1.0.0"] and _releases(b / "outputs" / ".dagster") == []


def test_an_instance_is_never_reused_for_another_corpus(tmp_path: Path) -> None:
    corpus(tmp_path)
    shared = tmp_path / "shared-home"
    assert atlas("run", cwd=tmp_path, env=clean_env(DAGSTER_HOME=str(shared))).returncode == 0
    other = atlas("run", "--outputs", str(tmp_path / "other"), cwd=tmp_path, env=clean_env(DAGSTER_HOME=str(shared)))
    assert other.returncode == 2 and "Traceback" not in other.stderr
    message = " ".join(other.stderr.split())
    assert f"records the runs of the corpus in {tmp_path / 'outputs'}" in message and "one instance per corpus" in message
    assert len(_runs(shared)) == 1


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["data"]


def test_atlas_ui_starts_webserver_and_daemon_together_on_a_new_instance(tmp_path: Path) -> None:
    corpus(tmp_path)
    out = tmp_path / "corpus-out"
    port = free_port()
    env = clean_env(ATLAS_OUTPUTS=str(out), ATLAS_SOURCES=str(tmp_path / "sources"))
    ui = subprocess.Popen([str(ATLAS), "ui", "--port", str(port)], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline, loaded, daemons = time.monotonic() + 150, None, None
        while time.monotonic() < deadline and ui.poll() is None:
            time.sleep(2)
            try:
                data = _graphql(
                    port,
                    "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus"
                    " locationOrLoadError { __typename ... on PythonError { message } } } } }"
                    " instance { daemonHealth { allDaemonStatuses { daemonType healthy required } } } }",
                )
            except OSError:
                continue
            loaded = data["workspaceOrError"]["locationEntries"]
            daemons = data["instance"]["daemonHealth"]["allDaemonStatuses"]
            if loaded and all(e["loadStatus"] == "LOADED" for e in loaded) and all(d["healthy"] for d in daemons if d["required"]):
                break
        assert ui.poll() is None, ui.stdout.read().decode() if ui.stdout else ""
        assert loaded and [e["locationOrLoadError"]["__typename"] for e in loaded] == ["RepositoryLocation"], loaded
        assert daemons and all(d["healthy"] for d in daemons if d["required"]), daemons  # the daemon runs, heartbeating
        assert (out / ".dagster" / "dagster.yaml").is_file() and (out / ".dagster" / "atlas-corpus.json").is_file()
    finally:
        ui.send_signal(signal.SIGTERM)
        try:
            ui.wait(timeout=30)
        except subprocess.TimeoutExpired:
            ui.kill()
    log = ui.stdout.read().decode() if ui.stdout else ""
    assert "alembic" not in log.lower() and "more than one head" not in log, log[-2000:]
    assert ui.returncode == 0, log[-2000:]
