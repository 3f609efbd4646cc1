"""Serve the built site locally with the standard library's http.server.

Scope: ``make_server`` (a threading HTTP server on 127.0.0.1 for the site folder, port 0 = any free
port; used by ``atlas serve`` and the browser tests) and ``serve_site`` (build if missing, then
serve until interrupted). Responses carry the same Content-Security-Policy as the pages plus
``nosniff``. It must not build pages itself or serve anything outside the site folder. Release files other than the site's own pages get a
stricter policy (sandboxed, no scripts).
"""

from __future__ import annotations

from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pipeline.site.build import CSP, build_site, site_dir
from pipeline.validate.report import filter_script

HOST = "127.0.0.1"


def file_csp() -> str:
    """The policy of release files (e.g. the validation report's HTML): sandboxed, styles, and no
    script but the report's own findings filter (its sha256, the hash the report's page declares)."""
    return f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src {filter_script()[1]}; sandbox allow-scripts"


class SiteHandler(SimpleHTTPRequestHandler):
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".md": "text/markdown; charset=utf-8",
        ".csv": "text/csv; charset=utf-8",
        ".json": "application/json",
        ".parquet": "application/vnd.apache.parquet",
        ".js": "text/javascript; charset=utf-8",
        ".css": "text/css; charset=utf-8",
        ".html": "text/html; charset=utf-8",
    }

    def end_headers(self) -> None:
        path = self.path.split("?", 1)[0].split("#", 1)[0].lstrip("/")
        own = path.startswith("static/") or "/" not in path  # the site's pages and assets
        self.send_header("Content-Security-Policy", CSP if own else file_csp())
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:  # quieter than the default
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)


def make_server(site: Path, port: int = 0, *, verbose: bool = False) -> ThreadingHTTPServer:
    """An HTTP server for the folder ``site`` on 127.0.0.1 (``server.server_address[1]`` is the port)."""
    server = ThreadingHTTPServer((HOST, port), partial(SiteHandler, directory=str(site)))
    server.verbose = verbose  # type: ignore[attr-defined]
    server.daemon_threads = True
    return server


def serve_site(outputs_dir: Path, *, port: int = 8000) -> None:
    site = site_dir(outputs_dir)
    if not (site / "index.html").is_file():
        build_site(outputs_dir)
    server = make_server(site, port, verbose=True)
    print(f"serving {site} on http://{HOST}:{server.server_address[1]}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
