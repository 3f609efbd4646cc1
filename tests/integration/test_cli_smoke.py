"""A smoke test of every ``atlas`` command (issue 16): its exit code and message on a normal call,
and on a bad argument (exit 2, a message, never a traceback).

The commands are enumerated from the Typer app, so a new command without an entry in ``NORMAL``
and ``BAD`` fails ``test_every_command_has_a_smoke_test``. The normal calls run in order on one
corpus (extract, validate, run, review, publish, releases, site, verify, serve, ui), each as the
operator types it, in a subprocess with a clean environment.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import typer
from conftest import ATLAS
from ops_support import atlas, clean_env, corpus, free_port

from pipeline.cli import app

pytestmark = pytest.mark.slow

# command → (arguments, expected exit code, text the output must hold); run in this order.
NORMAL: dict[str, tuple[tuple[str, ...], int, str]] = {
    "config": ((), 0, "outputs"),
    "extract": (("sources", "--out", "tables"), 0, "organizations                   6 rows"),
    "validate": (("tables",), 0, "errors 0, warnings"),
    "run": ((), 0, "staging"),
    "review": ((), 0, "Release candidate 1.0.0 (initial), publishable"),
    "publish": (("--accept-warnings", "--reviewer", "Smoke Test", "--note", "smoke"), 0, "1.0.0"),
    "releases": ((), 0, "1.0.0"),
    "site": ((), 0, "site"),
    "verify": (("outputs/releases/1.0.0",), 0, "the release is intact and valid"),
    "serve": (("--port", "{port}"), 0, "serving"),
    "ui": (("--port", "{port}"), 0, "dagster"),
}
# command → (a bad argument, text the message must hold). Exit 2, no traceback.
BAD: dict[str, tuple[tuple[str, ...], str]] = {
    "config": (("--colour",), "No such option: --colour"),
    "extract": (("no-such-folder",), "no such file or folder: no-such-folder"),
    "validate": (("no-such-folder",), "no-such-folder is not a folder"),
    "run": (("--sources", "no-such-folder"), "does not exist"),
    "review": (("--top", "many"), "Invalid value for '--top'"),
    "publish": (("--outputs", "a-file"), "is not a folder"),
    "releases": (("--outputs", "a-file"), "is not a folder"),
    "site": (("--outputs", "a-file"), "is not a folder"),
    "verify": ((), "Missing argument 'PATH_OR_URL'"),
    "serve": (("--port", "70000"), "Invalid value for '--port'"),
    "ui": (("--port", "0"), "Invalid value for '--port'"),
}
SERVERS = ("serve", "ui")


def _commands() -> set[str]:
    return set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_every_command_has_a_smoke_test() -> None:
    assert _commands() == set(NORMAL) == set(BAD)


def _server(args: list[str], cwd: Path, env: dict[str, str], url: str) -> tuple[int, str, bytes]:
    """Start a long-running command, fetch ``url`` once it answers, stop it with Ctrl-C (SIGINT) or
    SIGTERM; (exit code, its output, the page)."""
    proc = subprocess.Popen([str(ATLAS), *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    page = b""
    try:
        deadline = time.monotonic() + 180  # a deadline against a hang, not a speed requirement
        while time.monotonic() < deadline and proc.poll() is None and not page:
            time.sleep(1)
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    page = response.read()
            except OSError:
                continue
    finally:
        proc.send_signal(signal.SIGINT if args[0] == "serve" else signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    return proc.returncode, out.decode(errors="replace"), page


def test_every_command_on_a_normal_call(tmp_path: Path) -> None:
    corpus(tmp_path)
    env = {**clean_env(), "COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb"}
    for command, (args, code, says) in NORMAL.items():
        port = free_port()
        argv = [command, *(a.format(port=port) for a in args)]
        if command in SERVERS:
            url = f"http://127.0.0.1:{port}/" + ("index.html" if command == "serve" else "server_info")
            returncode, output, page = _server(argv, tmp_path, env, url)
            assert page, f"atlas {' '.join(argv)} never answered on {url}: {output[-2000:]}"
            if command == "serve":
                assert b"<html" in page.lower()
            else:
                assert "dagster_webserver_version" in json.loads(page)
        else:
            result = atlas(*argv, cwd=tmp_path, env=env, timeout=600)
            returncode, output = result.returncode, result.stdout + result.stderr
        assert returncode == code, f"atlas {' '.join(argv)} exited {returncode}: {output[-3000:]}"
        assert says in output and "Traceback" not in output, f"atlas {' '.join(argv)}: {output[-3000:]}"


@pytest.mark.parametrize("command", sorted(BAD))
def test_every_command_on_a_bad_argument(command: str, tmp_path: Path) -> None:
    corpus(tmp_path)
    (tmp_path / "a-file").write_text("not a folder\n", encoding="utf-8")
    args, says = BAD[command]
    result = atlas(command, *args, cwd=tmp_path, env=clean_env(), timeout=120)
    output = " ".join((result.stdout + result.stderr).replace("│", " ").split())
    assert result.returncode == 2, output
    assert says in output and "Traceback" not in output, output
