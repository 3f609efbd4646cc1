"""Serve the built site locally with the standard library's http.server.

Scope: ``make_server`` (a threading HTTP server on 127.0.0.1 for the site folder, port 0 = any free
port; used by ``atlas serve`` and the browser tests) and ``serve_site`` (build if missing, then
serve until interrupted). Responses carry the same Content-Security-Policy as the pages plus
``nosniff``; release files other than the site's own pages get a stricter policy (sandboxed, no
scripts). It serves only regular files inside the site folder: a path through a symbolic link
(even one planted inside the site), a hidden file, a device or a pipe is a 404, and a folder is
served only by its ``index.html``, never listed. So ``/releases/latest/datapackage.json`` (a real
folder) is served, and a link to ``/etc/passwd`` is not. It must not build pages itself.
"""

from __future__ import annotations

import email.utils
import os
import stat
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

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

    def send_head(self) -> BinaryIO | None:
        """Open the regular file the request names (or a folder's ``index.html``); 404 otherwise."""
        target = self._resolve(self.translate_path(self.path))
        if target is not None and stat.S_ISDIR(os.stat(target).st_mode):
            if not urlsplit(self.path).path.endswith("/"):
                self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                self.send_header("Location", urlsplit(self.path)._replace(path=urlsplit(self.path).path + "/").geturl())
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            target = self._resolve(os.path.join(target, "index.html"))
        if target is None:
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        return self._open(target)

    def _resolve(self, fs_path: str) -> str | None:
        """``fs_path`` when it lies in the site folder with no symbolic link, hidden name or special
        file on the way; None otherwise."""
        root = os.path.realpath(self.directory)
        rel = os.path.relpath(os.path.abspath(fs_path), os.path.abspath(self.directory))
        if rel.startswith("..") or any(part.startswith(".") for part in Path(rel).parts if part != "."):
            return None
        candidate = os.path.normpath(os.path.join(root, rel))
        try:
            mode = os.lstat(candidate).st_mode
        except OSError:
            return None
        if os.path.realpath(candidate) != candidate or not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            return None
        return candidate

    def _open(self, path: str) -> BinaryIO | None:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        f = os.fdopen(fd, "rb")
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            f.close()
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-type", self.guess_type(path))
        self.send_header("Content-Length", str(info.st_size))
        self.send_header("Last-Modified", email.utils.formatdate(info.st_mtime, usegmt=True))
        self.end_headers()
        return f

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        """Folders are never listed."""
        self.send_error(HTTPStatus.NOT_FOUND, "File not found")
        return None

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
