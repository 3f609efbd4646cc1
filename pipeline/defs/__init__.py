"""The Dagster layer: assets, checks, resources, jobs, schedule and sensor that wire the plain modules.

Scope: ``pipeline.defs.build.build_defs`` assembles a ``Definitions`` for given source and output
folders; ``pipeline.definitions`` exposes the default one as ``defs``. Modules here only call
``pipeline.extract``, ``pipeline.validate`` and ``pipeline.publish`` and turn what they return into
Dagster events and metadata. They must not parse profiles, judge data, stage files or lock.
"""
