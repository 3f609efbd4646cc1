"""The one configuration (issue 14): flags > ATLAS_* environment > [tool.atlas.settings] > defaults,
read the same way by the CLI and the code location; the instance files in deploy/ are the ones
`atlas` writes; notices never raise."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO
from ops_support import free_port

from pipeline.config import ConfigError, load_settings
from pipeline.defs.build import build_defs
from pipeline.instance import POSTGRES_YAML, SQLITE_YAML, instance_yaml
from pipeline.notify import RunNotice, send_notice


def _pyproject(folder: Path, body: str) -> Path:
    (folder / "pyproject.toml").write_text("[tool.atlas.settings]\n" + body, encoding="utf-8")
    return folder


def test_precedence_flags_environment_pyproject_defaults(tmp_path: Path) -> None:
    _pyproject(tmp_path, 'outputs = "file-out"\nsources = "file-src"\nsensor_interval = 9\n')
    s = load_settings(environ={}, cwd=tmp_path)
    assert (s.outputs, s.sources, s.sensor_interval) == (tmp_path / "file-out", tmp_path / "file-src", 9)
    assert s.dagster_home == tmp_path / "file-out" / ".dagster" and s.cache == str(tmp_path / "file-out" / ".cache")
    assert "[tool.atlas.settings]" in s.origins["outputs"] and s.origins["executor"] == "default"
    s = load_settings(environ={"ATLAS_OUTPUTS": "/srv/env-out", "ATLAS_SENSOR_INTERVAL": "2"}, cwd=tmp_path)
    assert (s.outputs, s.sensor_interval, s.sources) == (Path("/srv/env-out"), 2, tmp_path / "file-src")
    assert s.origins["outputs"] == "environment ATLAS_OUTPUTS"
    s = load_settings({"outputs": Path("flag-out")}, environ={"ATLAS_OUTPUTS": "/srv/env-out"}, cwd=tmp_path)
    assert s.outputs == tmp_path / "flag-out" and s.origins["outputs"] == "flag"
    assert load_settings(environ={"DAGSTER_HOME": "/x/home"}, cwd=tmp_path).dagster_home == Path("/x/home")
    assert load_settings(environ={"DAGSTER_HOME": "/x", "ATLAS_DAGSTER_HOME": "/y"}, cwd=tmp_path).dagster_home == Path("/y")


def test_the_code_location_reads_the_same_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(_pyproject(tmp_path, 'schedule_cron = "15 3 * * *"\nwebhook_url = "http://127.0.0.1:9/x"\n'))
    monkeypatch.setenv("ATLAS_OUTPUTS", str(tmp_path / "env-out"))
    monkeypatch.setenv("ATLAS_SENSOR_INTERVAL", "5")
    defs = build_defs()
    assert defs.resolve_schedule_def("weekly_pipeline").cron_schedule == "15 3 * * *"
    assert defs.resolve_sensor_def("sources_changed").minimum_interval_seconds == 5
    assert defs.resolve_sensor_def("run_notices").default_status.value == "RUNNING"  # a webhook is configured
    resources = defs.resources
    assert resources["paths"].outputs == str(tmp_path / "env-out")
    assert resources["io_manager"].base_dir == str(tmp_path / "env-out" / ".io")


@pytest.mark.parametrize(
    ("environ", "words"),
    [
        ({"ATLAS_SENSOR_INTERVAL": "0"}, ("sensor_interval", "at least 1", "ATLAS_SENSOR_INTERVAL")),
        ({"ATLAS_INSTANCE": "mysql"}, ("instance", "sqlite, postgres")),
        ({"ATLAS_INSTANCE": "postgres"}, ("postgres_url",)),
        ({"ATLAS_WEBHOOK_URL": "file:///etc/passwd"}, ("webhook_url", "http(s) URL")),
    ],
)
def test_unusable_values_name_the_setting_and_its_origin(tmp_path: Path, environ: dict, words: tuple[str, ...]) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environ=environ, cwd=tmp_path)
    assert all(w in str(info.value) for w in words), str(info.value)


def test_unknown_pyproject_setting_is_refused(tmp_path: Path) -> None:
    _pyproject(tmp_path, 'output = "typo"\n')
    with pytest.raises(ConfigError, match=r"unknown setting\(s\) in \[tool.atlas.settings\]: output"):
        load_settings(environ={}, cwd=tmp_path)


def test_atlas_config_masks_the_database_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg2://dag:s3cret@db:5432/atlas"
    s = load_settings(environ={"ATLAS_INSTANCE": "postgres", "ATLAS_POSTGRES_URL": url}, cwd=tmp_path)
    shown = dict((name, value) for name, value, _, _ in s.rows())
    assert shown["postgres_url"] == "postgresql+psycopg2://dag:***@db:5432/atlas" and "s3cret" not in str(s.rows())


def test_deploy_instance_files_are_the_ones_atlas_writes() -> None:
    assert (REPO / "deploy" / "dagster.yaml").read_text(encoding="utf-8") == SQLITE_YAML == instance_yaml("sqlite")
    assert (REPO / "deploy" / "dagster-postgres.yaml").read_text(encoding="utf-8") == POSTGRES_YAML == instance_yaml("postgres")


def test_a_notice_to_a_closed_port_reports_and_never_raises() -> None:
    notice = RunNotice(status="failed", run_id="r1", job="atlas_pipeline", trigger="t", outputs="/o", reasons=["x"] * 20)
    delivered, detail = send_notice(f"http://127.0.0.1:{free_port()}/", notice, timeout=2)
    assert not delivered and "unreachable" in detail
    assert len(__import__("json").loads(notice.to_json())["reasons"]) == 10


def test_an_instance_file_that_refers_to_dagster_home_is_migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Instance files written by earlier versions (and Dagster's own examples) name DAGSTER_HOME;
    `atlas ui` migrates them with it set, and leaves the environment as it was."""
    from pipeline.instance import instance_env, migrate_instance

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = tmp_path / "out" / ".dagster"
    home.mkdir(parents=True)
    (home / "dagster.yaml").write_text("storage:\n  sqlite:\n    base_dir:\n      env: DAGSTER_HOME\n", encoding="utf-8")
    settings = load_settings({"outputs": tmp_path / "out"}, environ={}, cwd=tmp_path)
    with instance_env(settings) as prepared:
        migrate_instance(prepared)
    assert (home / "history" / "runs.db").is_file()
    import os

    assert "DAGSTER_HOME" not in os.environ
