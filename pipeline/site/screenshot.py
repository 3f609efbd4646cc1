"""Screenshots of the site (index, latest release page, candidate review) for notes and docs.

Scope: serve ``OUTPUTS/site`` on a free local port (building it first if missing) and save
full-page PNGs with Playwright driving Debian's Chromium (never a downloaded browser) into
``OUTPUTS/screenshots/``. Run as ``python -m pipeline.site.screenshot OUTPUTS``. It must not change
the site or the releases.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from pipeline.site.build import build_site, site_dir
from pipeline.site.collect import read_releases
from pipeline.site.serve import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch(playwright):  # noqa: ANN001, ANN201 - Playwright's own types
    """Debian's Chromium through Playwright (tests use the same launcher)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def take_screenshots(outputs_dir: Path, *, width: int = 1280) -> list[Path]:
    from playwright.sync_api import sync_playwright  # a dev dependency: only this tool needs it

    site = site_dir(outputs_dir)
    if not (site / "index.html").is_file():
        build_site(outputs_dir)
    releases = read_releases(outputs_dir)
    pages = [("index", "index.html")]
    if releases:
        pages.append((f"release-{releases[0].version}", releases[0].page))
    pages.append(("review", "review.html"))
    out_dir = outputs_dir / "screenshots"
    out_dir.mkdir(parents=True, exist_ok=True)
    server = make_server(site, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    shots = []
    try:
        with sync_playwright() as p:
            browser = launch(p)
            try:
                page = browser.new_page(viewport={"width": width, "height": 900})
                for name, url in pages:
                    page.goto(base + url)
                    path = out_dir / f"{name}.png"
                    page.screenshot(path=str(path), full_page=True)
                    shots.append(path)
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return shots


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m pipeline.site.screenshot OUTPUTS", file=sys.stderr)
        return 2
    outputs = Path(args[0])
    if not outputs.is_dir():
        print(f"error: {outputs} is not a folder", file=sys.stderr)
        return 2
    for path in take_screenshots(outputs):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
