"""``atlas ui``: the Dagster webserver and daemon of one corpus, started together safely.

Scope: prepare the corpus's instance and create or migrate its storage once, in this process
(:mod:`pipeline.instance`), then start ``dagster-webserver`` and ``dagster-daemon run`` on the same
instance and code location, each in its own process group, with the corpus's configuration in
their environment (``ATLAS_*``, ``DAGSTER_HOME``); stop both when either ends, on Ctrl-C or on
SIGTERM. Starting them only after the migration is what keeps two processes from creating a fresh
SQLite schema at once. It must not run jobs itself.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.config import ConfigError, Settings
from pipeline.instance import instance_env, migrate_instance

CODE_LOCATION = "pipeline.definitions"
STOP_GRACE_SECONDS = 10.0


def _bin(name: str) -> str:
    """A console script of this environment (beside the running interpreter), else from PATH."""
    local = Path(sys.executable).with_name(name)
    return str(local) if local.exists() else name


@dataclass
class Services:
    """The webserver and the daemon of one corpus."""

    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def first_exited(self) -> tuple[str, int] | None:
        for name, proc in self.processes.items():
            code = proc.poll()
            if code is not None:
                return name, code
        return None

    def stop(self) -> None:
        """SIGTERM each process group, then SIGKILL what is left after a grace period."""
        for proc in self.processes.values():
            if proc.poll() is None:
                _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for proc in self.processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def start_services(settings: Settings, *, host: str = "127.0.0.1", port: int = 3000, log_dir: Path | None = None) -> Services:
    """Prepare and migrate the instance, then start the webserver and the daemon on it."""
    with instance_env(settings) as home:  # DAGSTER_HOME set: instance files may refer to it
        try:
            migrate_instance(home)
        except Exception as exc:  # noqa: BLE001 - any storage or configuration error, said plainly
            raise ConfigError(f"the Dagster instance {home} cannot be opened or migrated: {' '.join(str(exc).split())[:500]}") from None
    env = {**os.environ, **settings.env(), "DAGSTER_HOME": str(home)}
    commands = {
        "webserver": [_bin("dagster-webserver"), "-h", host, "-p", str(port), "-m", CODE_LOCATION],
        "daemon": [_bin("dagster-daemon"), "run", "-m", CODE_LOCATION],
    }
    services = Services()
    try:
        for name, command in commands.items():
            out = open(log_dir / f"{name}.log", "ab") if log_dir else None  # noqa: SIM115 - handed to the child
            services.processes[name] = subprocess.Popen(
                command, env=env, stdout=out, stderr=subprocess.STDOUT if out else None, start_new_session=True
            )
    except BaseException:
        services.stop()
        raise
    return services


def serve_ui(settings: Settings, *, host: str, port: int, say=print) -> int:  # noqa: ANN001 - a print-like callable
    """Start both, wait until one ends or the command is interrupted, stop both; the exit code."""
    services = start_services(settings, host=host, port=port)
    say(f"Dagster UI of this corpus on http://{host}:{port} (webserver and daemon; Ctrl-C stops both)")
    stopping = {"signal": False}

    def on_term(signum: int, frame: object) -> None:
        stopping["signal"] = True

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        while not stopping["signal"]:
            ended = services.first_exited()
            if ended:
                say(f"the {ended[0]} exited with code {ended[1]}; stopping the other")
                return 1
            time.sleep(0.5)
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        services.stop()
        signal.signal(signal.SIGTERM, previous)
