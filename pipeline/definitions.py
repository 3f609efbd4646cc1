"""The Dagster code location (``dagster dev``, ``dagster asset materialize -m pipeline.definitions``).

Scope: expose ``defs`` built by :func:`pipeline.defs.build.build_defs` for the default folders
(``ATLAS_SOURCES`` / ``ATLAS_OUTPUTS`` or ``sources/`` and ``outputs/`` of the working directory).
Everything else lives in ``pipeline/defs/``; this module must hold no logic.
"""

from __future__ import annotations

from pipeline.defs.build import build_defs

defs = build_defs()
