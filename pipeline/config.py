"""Project paths and release metadata.

Scope: where the project's folders are (schemas, vocabularies, sources, outputs) and the release
metadata read from ``[tool.atlas]`` in ``pyproject.toml``. ``schemas/``, ``vocabularies/`` and
``pyproject.toml`` are edited at the top of the repository; the wheel carries a copy of them in
``pipeline/contract/`` (``[tool.hatch.build.targets.wheel.force-include]``), which an installed
package reads. It must not parse profiles, validate or
write anything; the licence and publisher are never invented here, only read.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent  # the repository, in a source checkout
# The data contract: the copy inside an installed wheel, else the repository's own folders.
CONTRACT_DIR = PACKAGE_DIR / "contract" if (PACKAGE_DIR / "contract" / "schemas").is_dir() else PROJECT_ROOT
SCHEMAS_DIR = CONTRACT_DIR / "schemas"
VOCABULARIES_DIR = CONTRACT_DIR / "vocabularies"
PYPROJECT = CONTRACT_DIR / "pyproject.toml"
DEFAULT_SOURCES = Path("sources")
DEFAULT_OUTPUTS = Path("outputs")


@dataclass(frozen=True)
class ReleaseConfig:
    """Dataset-level metadata for ``datapackage.json`` and the release README."""

    name: str
    title: str
    description: str
    homepage: str | None = None
    keywords: tuple[str, ...] = ()
    licenses: tuple[dict, ...] = ()
    sources: tuple[dict, ...] = ()
    contributors: tuple[dict, ...] = ()
    extra: dict = field(default_factory=dict)


@cache
def release_config(pyproject: Path = PYPROJECT) -> ReleaseConfig:
    """Read ``[tool.atlas]``; raise ``ValueError`` naming the file when it is missing or has no licence."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    atlas = data.get("tool", {}).get("atlas")
    if not atlas:
        raise ValueError(f"{pyproject}: no [tool.atlas] table with the release metadata")
    if not atlas.get("licenses"):
        raise ValueError(f"{pyproject}: [tool.atlas] names no licence; a release needs one")
    known = {"name", "title", "description", "homepage", "keywords", "licenses", "sources", "contributors"}
    return ReleaseConfig(
        name=atlas["name"],
        title=atlas["title"],
        description=atlas["description"],
        homepage=atlas.get("homepage"),
        keywords=tuple(atlas.get("keywords", ())),
        licenses=tuple(atlas.get("licenses", ())),
        sources=tuple(atlas.get("sources", ())),
        contributors=tuple(atlas.get("contributors", ())),
        extra={k: v for k, v in atlas.items() if k not in known},
    )
