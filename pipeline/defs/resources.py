"""Resources: where the sources, outputs, extraction cache and Dagster IO live, and the outputs lock.

Scope: ``AtlasPaths`` (tests and ``atlas run`` swap the folders through it), ``OutputsLock`` (the
steps that write the outputs folder hold ``outputs/.lock`` through it, unless the process that
launched the run holds it for the whole run, as ``atlas run`` does and says in this resource's
config) and the IO manager (``pipeline.defs.io``: UPath-based, a local folder or any fsspec URL
such as ``s3://bucket/atlas/io``; tables as Parquet, the rest as JSON, no pickles). Nothing here reads sources or writes outputs itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from pipeline.config import CORRECTIONS_NAME
from pipeline.fsutil import configure_allocators, freeze_long_lived
from pipeline.publish.lock import LockHeld, LockUnavailable, outputs_lock


class AtlasPaths(dg.ConfigurableResource):
    """The folders of one corpus. ``cache`` and the IO base may be object-store URLs (UPath)."""

    sources: str
    outputs: str
    cache: str = ""  # default: <outputs>/.cache
    corrections: str = ""  # the editors' corrections file; default: <sources>/corrections.yaml

    @property
    def sources_dir(self) -> Path:
        return Path(self.sources)

    @property
    def corrections_path(self) -> Path:
        return Path(self.corrections) if self.corrections else Path(self.sources) / CORRECTIONS_NAME

    @property
    def outputs_dir(self) -> Path:
        return Path(self.outputs)

    @property
    def cache_url(self) -> str:
        return self.cache or str(Path(self.outputs) / ".cache")

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        configure_allocators()  # every process that runs a step (daemon-launched runs too)
        freeze_long_lived()  # the imported code is not walked by every full collection of the run


class OutputsLock(dg.ConfigurableResource):
    """One run or publish at a time per outputs folder (``pipeline.publish.lock``)."""

    outputs: str
    held_by_launcher: bool = False  # True when the launching process holds the lock for the whole run

    @contextlib.contextmanager
    def hold(self, command: str) -> Iterator[None]:
        """Hold the lock for a step that writes the outputs folder; a busy folder fails the step
        with the holder's name."""
        if self.held_by_launcher:
            yield
            return
        try:
            with outputs_lock(Path(self.outputs), command):
                yield
        except (LockHeld, LockUnavailable) as exc:
            raise dg.Failure(description=str(exc)) from None


def io_manager(base: str) -> dg.ConfigurableIOManagerFactory:
    """The UPath-based IO manager of ``pipeline.defs.io`` (tables as Parquet, the rest as JSON) on
    ``base`` (setting ``io_base``: ``<outputs>/.io`` by default; ``s3://``/``gs://`` on a cluster)."""
    from pipeline.defs.io import AtlasIOManagerFactory

    return AtlasIOManagerFactory(base_dir=base)
