"""Resources: where the sources, outputs, extraction cache and Dagster IO live.

Scope: the ``AtlasPaths`` resource (tests and ``atlas run`` swap the folders through it) and the
IO manager (pickles under a local folder or any fsspec/UPath URL such as ``s3://bucket/atlas/io``),
plus the lock helper the staging steps use. Nothing here reads sources or writes outputs itself.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg

# Set by ``pipeline.run`` while it holds the outputs lock, so the steps it runs (in this process
# or in the multiprocess executor's children) do not try to take it a second time.
LOCK_HELD_ENV = "ATLAS_OUTPUTS_LOCK_HELD"


class AtlasPaths(dg.ConfigurableResource):
    """The folders of one corpus. ``cache`` and the IO base may be object-store URLs (UPath)."""

    sources: str
    outputs: str
    cache: str = ""  # default: <outputs>/.cache

    @property
    def sources_dir(self) -> Path:
        return Path(self.sources)

    @property
    def outputs_dir(self) -> Path:
        return Path(self.outputs)

    @property
    def cache_url(self) -> str:
        return self.cache or str(Path(self.outputs) / ".cache")


def io_base(outputs: Path) -> str:
    """Where step outputs are pickled: ``ATLAS_IO_BASE`` (any UPath URL) or ``<outputs>/.io``."""
    return os.environ.get("ATLAS_IO_BASE") or str(outputs / ".io")


def io_manager(outputs: Path) -> dg.ConfigurableIOManagerFactory:
    """Dagster's UPath-based pickle IO manager: local folder here, ``s3://``/``gs://`` on a cluster."""
    return dg.FilesystemIOManager(base_dir=io_base(outputs))


@contextlib.contextmanager
def step_lock(outputs: Path, command: str) -> Iterator[None]:
    """Hold the outputs lock for a step that writes ``staging/``, unless our caller already holds it."""
    held = os.environ.get(LOCK_HELD_ENV)
    if held and Path(held) == outputs.resolve():
        yield
        return
    from pipeline.publish.lock import LockHeld, outputs_lock

    try:
        with outputs_lock(outputs, command):
            yield
    except LockHeld as exc:
        raise dg.Failure(description=str(exc)) from None
