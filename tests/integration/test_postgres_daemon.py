"""The production profile, end to end (issue 14): a private PostgreSQL (Debian's package, run as
the ``postgres`` user), the instance on ``dagster-postgres`` with the ``QueuedRunCoordinator``, the
code location served over gRPC (``dagster api grpc``), ``dagster-daemon run`` and the webserver.

The ``sources_changed`` sensor is turned on through the GraphQL API with a 1-second interval set by
configuration (``ATLAS_SENSOR_INTERVAL``); a profile file dropped into the empty sources folder
makes the daemon launch a run that stages a new candidate; a bad file dropped next makes a run
that fails, and the reason (file:line of the error) is read back through the GraphQL API; the
``run_notices`` sensor posts the blocked run to a local webhook. Everything started here is torn
down by finalizers (process groups, ``pg_ctl stop``). Bounded: every wait has a deadline.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import SAMPLE
from ops_support import BAD_PROFILE, ProcessGroup, Receiver, clean_env, free_port, graphql
from pg_support import PostgresServer, new_server

from pipeline.config import load_settings
from pipeline.instance import instance_env, migrate_instance

pytestmark = pytest.mark.slow
LOCATION = "geneva_digital_atlas"
BIN = Path(sys.executable).parent
DEADLINE = 170.0  # seconds for the whole scenario once the services are up


@pytest.fixture
def postgres() -> Iterator[PostgresServer]:
    server = new_server()
    try:
        server.start()
        yield server
    finally:
        server.stop()


def _wait(what: str, check: Callable[[], object], until: float, services: ProcessGroup) -> object:
    while time.monotonic() < until:
        for name, proc in services.procs.items():
            assert proc.poll() is None, f"{name} exited ({proc.returncode}) while waiting for {what}\n{services.tail()}"
        try:
            value = check()
        except (OSError, AssertionError, KeyError, TypeError):
            value = None
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}\n{services.tail()}")


RUNS = """{ runsOrError { ... on Runs { results { runId status tags { key value } } } } }"""
START_SENSOR = """mutation($s: SensorSelector!) { startSensor(sensorSelector: $s) {
  __typename ... on Sensor { sensorState { status } } ... on PythonError { message } } }"""
FAILURE = """query($id: ID!) { logsForRun(runId: $id) { ... on EventConnection { events {
  __typename ... on MessageEvent { message }
  ... on ExecutionStepFailureEvent { stepKey error { message } failureMetadata { description } } } } } }"""


def _runs(port: int) -> list[dict]:
    return graphql(port, RUNS)["runsOrError"]["results"]


def _sensor_runs(port: int, status: str) -> list[dict]:
    return [r for r in _runs(port) if r["status"] == status and {"key": "dagster/sensor_name", "value": "sources_changed"} in r["tags"]]


def test_daemon_sensor_runs_on_postgres_and_failure_reasons_reach_graphql(tmp_path: Path, postgres: PostgresServer) -> None:
    sources, outputs, home = tmp_path / "sources", tmp_path / "outputs", tmp_path / "home"
    sources.mkdir()
    with Receiver() as hook:
        env = clean_env(
            ATLAS_SOURCES=str(sources),
            ATLAS_OUTPUTS=str(outputs),
            ATLAS_DAGSTER_HOME=str(home),
            DAGSTER_HOME=str(home),
            ATLAS_INSTANCE="postgres",
            ATLAS_POSTGRES_URL=postgres.url,
            ATLAS_SENSOR_INTERVAL="1",
            ATLAS_WEBHOOK_URL=hook.url,
        )
        settings = load_settings(environ=env, cwd=tmp_path)
        with instance_env(settings) as prepared:  # dagster.yaml (postgres, queued runs) + schema, once
            migrate_instance(prepared)
        instance_yaml = (home / "dagster.yaml").read_text()
        assert "QueuedRunCoordinator" in instance_yaml and "postgres_url" in instance_yaml
        grpc_port, web_port = free_port(), free_port()
        workspace = f"load_from:\n  - grpc_server:\n      host: 127.0.0.1\n      port: {grpc_port}\n      location_name: {LOCATION}\n"
        (tmp_path / "workspace.yaml").write_text(workspace, encoding="utf-8")
        services = ProcessGroup(tmp_path)
        try:
            code = [str(BIN / "dagster"), "api", "grpc", "-m", "pipeline.definitions", "-h", "127.0.0.1", "-p", str(grpc_port)]
            services.start("code", code, env, tmp_path)
            services.start("daemon", [str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"], env, tmp_path)
            web = [str(BIN / "dagster-webserver"), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(web_port)]
            services.start("webserver", web, env, tmp_path)
            until = time.monotonic() + DEADLINE

            def loaded() -> bool:
                query = "{ workspaceOrError { ... on Workspace { locationEntries { loadStatus locationOrLoadError { __typename } } } } }"
                (entry,) = graphql(web_port, query)["workspaceOrError"]["locationEntries"]
                return entry["loadStatus"] == "LOADED" and entry["locationOrLoadError"]["__typename"] == "RepositoryLocation"

            _wait("the code location to load", loaded, until, services)
            repos = graphql(web_port, "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }")
            (repo,) = repos["repositoriesOrError"]["nodes"]
            selector = {"repositoryLocationName": repo["location"]["name"], "repositoryName": repo["name"], "sensorName": "sources_changed"}
            turned = graphql(web_port, START_SENSOR, {"s": selector})["startSensor"]
            assert turned["__typename"] == "Sensor" and turned["sensorState"]["status"] == "RUNNING", turned

            shutil.copy(SAMPLE, sources / SAMPLE.name)  # a new profile file
            (good,) = _wait("a successful run launched by the daemon", lambda: _sensor_runs(web_port, "SUCCESS"), until, services)
            status = json.loads((outputs / "staging" / "candidate.json").read_text(encoding="utf-8"))
            assert status["publishable"] and status["run_id"] == good["runId"]  # the candidate this run staged
            assert {"key": "atlas/trigger", "value": "sources_changed"} in good["tags"]

            (sources / "late-addition.txt").write_text(BAD_PROFILE, encoding="utf-8")  # a bad file
            (bad,) = _wait("the failed run of the bad file", lambda: _sensor_runs(web_port, "FAILURE"), until, services)
            events = graphql(web_port, FAILURE, {"id": bad["runId"]})["logsForRun"]["events"]
            failures = [e for e in events if e["__typename"] == "ExecutionStepFailureEvent"]
            assert [f["stepKey"] for f in failures] == ["release_candidate"]
            reason = failures[0]["failureMetadata"]["description"]
            assert reason.startswith("blocked: 1 error(s)") and "late-addition.txt:13" in reason and "section-repeated" in reason
            assert json.loads((outputs / "staging" / "candidate.json").read_text(encoding="utf-8"))["run_id"] == good["runId"]  # kept

            notice = _wait("the webhook notice of the blocked run", lambda: hook.received, until, services)[0]
            assert notice["status"] == "blocked" and notice["run_id"] == bad["runId"] and notice["candidate_kept"] == status["version"]
        finally:
            services.stop()
