"""The worker side of the Frictionless checks: validate one resource of a package in this process.

Scope: one function a process pool runs, kept in a module that imports nothing but Frictionless, so
a pool started with ``forkserver`` (or ``spawn``) holds small workers that do not inherit the
parent's tables. It must not import the rest of the pipeline.
"""

from __future__ import annotations

from typing import Any

LIMIT_ERRORS = 1_000_000_000


def validate_resource(source: dict[str, Any] | str, basepath: str | None, name: str, limit_errors: int = LIMIT_ERRORS) -> dict:
    """Validate the resource ``name`` of the package ``source`` (a descriptor with paths relative to
    ``basepath``, or the path of a ``datapackage.json``); its report as a plain descriptor."""
    from frictionless import Package

    package = Package(source, basepath=basepath) if isinstance(source, dict) else Package(source)
    return package.get_resource(name).validate(limit_errors=limit_errors).to_descriptor()
