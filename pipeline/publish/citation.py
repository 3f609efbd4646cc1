"""``CITATION.cff``: the machine-readable citation of a release (Citation File Format 1.2.0).

Scope: render the dataset's citation from the release configuration (``[tool.atlas]``: title,
description, homepage, keywords, licences, contributors, sources) and the release's version and
release time, and the one-line human citation the README and the site show. Authors are the
contributors whose role is ``author``, else ``publisher``, else every contributor, as entities; the
original publications are ``references``. It must not invent metadata: everything comes from the
configuration.
"""

from __future__ import annotations

import yaml

from pipeline.config import ReleaseConfig

CITATION_NAME = "CITATION.cff"
CFF_VERSION = "1.2.0"


def citation_authors(config: ReleaseConfig) -> list[str]:
    """The names a citation credits (see the module docstring)."""
    people = [dict(c) for c in config.contributors if c.get("title")]
    for role in ("author", "publisher"):
        names = [c["title"] for c in people if c.get("role") == role]
        if names:
            return names
    return [c["title"] for c in people] or [config.title]


def citation_text(config: ReleaseConfig, version: str, created: str) -> str:
    """The citation in words, naming the version and the release date."""
    where = f" {config.homepage}" if config.homepage else ""
    authors = "; ".join(citation_authors(config))
    return f"{authors} ({created[:4]}). *{config.title}* (version {version}, released {created[:10]}) [Data set].{where}"


def citation_cff(config: ReleaseConfig, version: str, created: str) -> str:
    """The ``CITATION.cff`` text of a release."""
    data: dict = {
        "cff-version": CFF_VERSION,
        "message": "If you use this dataset, please cite it using the metadata from this file.",
        "type": "dataset",
        "title": config.title,
        "version": version,
        "date-released": created[:10],
        "abstract": " ".join(config.description.split()),
        "authors": [{"name": name} for name in citation_authors(config)],
    }
    licences = [str(lic["name"]) for lic in config.licenses if lic.get("name")]
    if licences:
        data["license"] = licences[0] if len(licences) == 1 else licences
    if config.homepage:
        data["url"] = config.homepage
    if config.keywords:
        data["keywords"] = list(config.keywords)
    references = [
        {"type": "database", "title": s["title"], "authors": [{"name": s["title"]}], **({"url": s["path"]} if s.get("path") else {})}
        for s in config.sources
        if s.get("title")
    ]
    if references:
        data["references"] = references
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000, default_flow_style=False)
