"""The Dagster layer: assets, checks, resources, jobs, schedule and sensor that wire the plain modules.

Scope: ``build_defs`` (in :mod:`pipeline.defs.build`) assembles a ``Definitions`` for given source
and output folders; ``pipeline.definitions`` exposes the default one as ``defs``. Modules here only
call ``pipeline.extract``, ``pipeline.validate`` and ``pipeline.publish`` and turn what they return
into Dagster events and metadata. They must not parse profiles, judge data or lay out releases, and
nothing heavy is imported before a definition is built.
"""

from __future__ import annotations

__all__ = ["build_defs"]


def __getattr__(name: str):
    if name == "build_defs":
        from pipeline.defs.build import build_defs

        return build_defs
    raise AttributeError(name)
