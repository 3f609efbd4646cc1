"""The static release site: browse releases, download their files, read a candidate's report.

Scope: turn what is under an outputs folder (``releases/``, ``staging/``) into plain HTML pages under
``outputs/site/`` that any web server can serve, with every script and style inside the folder, and
serve that folder locally. Modules: ``collect`` (read releases and the candidate into plain
records), ``charts`` (inline SVG), ``markdown`` (the small Markdown subset of changelogs),
``build`` (render and place files), ``serve`` (http.server), ``screenshot`` (Playwright screenshots
for the docs). It must not change releases or the candidate, validate data, or compute versions;
no work happens at import time.
"""

from __future__ import annotations

from pathlib import Path


def build_site(outputs_dir: Path) -> Path:
    """(Re)build ``outputs_dir/site`` and return its path."""
    from pipeline.site.build import build_site as _build

    return _build(Path(outputs_dir))


def serve_site(outputs_dir: Path, *, port: int = 8000) -> None:
    """Serve ``outputs_dir/site`` on http://127.0.0.1:PORT until interrupted (builds it if missing)."""
    from pipeline.site.serve import serve_site as _serve

    _serve(Path(outputs_dir), port=port)


__all__ = ["build_site", "serve_site"]
