"""Stable latest addresses on the site (and from a plain `cp -r` copy of it), `atlas serve` serving only
regular files inside the site, the integrity check of `atlas site`, and the version comparison."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import ATLAS
from publish_support import base_rows, publish_as_editor, stage
from site_support import shared_outputs

from pipeline.site.build import build_site
from pipeline.site.serve import make_server


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_outputs(tmp_path_factory)


class Served:
    def __init__(self, folder: Path) -> None:
        self.server = make_server(folder, 0)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.base + path) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, b""

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def copied_site(outputs: Path, tmp_path: Path):
    """A plain recursive copy of outputs/site (what static hosting gets), served."""
    copy = tmp_path / "hosted"
    subprocess.run(["cp", "-r", str(outputs / "site"), str(copy)], check=True)
    served = Served(copy)
    yield copy, served
    served.close()


def test_the_site_has_no_symlink_anywhere(outputs: Path) -> None:
    site = outputs / "site"
    assert not [p for p in site.rglob("*") if p.is_symlink()]
    assert (site / "releases" / "latest").is_dir()


def test_latest_addresses_answer_from_a_plain_copy(outputs: Path, copied_site) -> None:
    copy, served = copied_site
    latest = json.loads((outputs / "releases" / "latest.json").read_text(encoding="utf-8"))
    assert latest["version"] == "1.1.0" and latest["path"] == "1.1.0/" and latest["latest_path"] == "latest/"
    status, body = served.get("releases/latest/datapackage.json")
    assert status == 200 and json.loads(body)["version"] == "1.1.0"
    assert served.get("releases/latest.json")[1] == (outputs / "releases" / "latest.json").read_bytes()
    status, body = served.get(f"releases/{latest['latest_zip']['path']}")
    assert status == 200 and body == (outputs / "releases" / latest["zip"]["path"]).read_bytes()
    for rel in latest["files"]:  # every file of the latest release at its stable address
        status, body = served.get(f"releases/latest/{rel}")
        assert status == 200 and body == (outputs / "releases" / "1.1.0" / rel).read_bytes(), rel
    status, page = served.get("latest.html")
    assert status == 200 and b"releases/latest/data/organizations.csv" in page and b'Release <span class="version">1.1.0</span>' in page
    for href in ("releases/latest/data/geneva-digital-atlas.duckdb", "releases/geneva-digital-atlas-latest.zip", "diff.html"):
        assert f'href="{href}"'.encode() in page or href == "diff.html"
        assert served.get(href)[0] == 200, href


def test_latest_in_outputs_releases_is_a_real_folder_that_follows_new_releases(tmp_path: Path) -> None:
    out = tmp_path / "out"
    stage(out)
    publish_as_editor(out)
    rows = base_rows()
    rows["footnotes"].pop()
    stage(out, rows)
    publish_as_editor(out)
    latest = out / "releases" / "latest"
    assert latest.is_dir() and not latest.is_symlink()
    assert json.loads((latest / "datapackage.json").read_text(encoding="utf-8"))["version"] == "1.1.0"
    assert (out / "releases" / "geneva-digital-atlas-latest.zip").read_bytes() == (
        out / "releases" / "geneva-digital-atlas-1.1.0.zip"
    ).read_bytes()
    assert json.loads((out / "releases" / "latest.json").read_text(encoding="utf-8"))["version"] == "1.1.0"
    assert not list((out / "releases").glob(".tmp-*"))


# -- atlas serve: regular files inside the site only -------------------------------------------------


def test_serve_refuses_planted_symlinks_and_never_lists_folders(outputs: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(outputs / "site", site)
    (site / "passwd.txt").symlink_to("/etc/passwd")
    (site / "releases" / "etc").symlink_to("/etc", target_is_directory=True)
    (site / "inside.html").symlink_to(site / "index.html")  # even a link to a file of the site
    (site / ".hidden").write_text("secret", encoding="utf-8")
    os.mkfifo(site / "pipe")
    served = Served(site)
    try:
        assert served.get("passwd.txt")[0] == 404
        assert served.get("releases/etc/passwd")[0] == 404
        assert served.get("releases/etc/")[0] == 404
        assert served.get("inside.html")[0] == 404
        assert served.get(".hidden")[0] == 404
        assert served.get("pipe")[0] == 404
        assert served.get("%2e%2e/%2e%2e/%2e%2e/etc/passwd")[0] == 404
        for folder in ("releases/", "releases/latest/", "static/", "releases/1.0.0/data/"):
            status, body = served.get(folder)
            assert status == 404 and b"Directory listing" not in body, folder
        assert served.get("releases/latest")[0] == 404  # redirected to the folder, which is not listed
        status, body = served.get("")
        assert status == 200 and b"Releases" in body  # a folder's index.html is served
        assert served.get("releases/latest/datapackage.json")[0] == 200
    finally:
        served.close()


# -- integrity ---------------------------------------------------------------------------------------


def test_atlas_site_refuses_a_tampered_release_file_naming_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    stage(out)
    publish_as_editor(out)
    build_site(out)
    csv = out / "releases" / "1.0.0" / "data" / "organizations.csv"
    os.chmod(csv, 0o644)
    csv.write_bytes(csv.read_bytes().replace(b"Acme", b"Acne"))
    before = {p: p.read_bytes() for p in (out / "site").rglob("*.html")}
    done = subprocess.run([str(ATLAS), "site", "--outputs", str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "releases/1.0.0/data/organizations.csv: checksum differs from SHA256SUMS" in done.stderr
    assert "Traceback" not in done.stderr
    assert {p: p.read_bytes() for p in (out / "site").rglob("*.html")} == before  # the site was not rebuilt


# -- compare versions --------------------------------------------------------------------------------


def test_diff_pages_show_records_added_removed_and_changed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    stage(out)
    publish_as_editor(out)  # 1.0.0
    rows = base_rows()
    rows["organizations"][0]["name"] = "Acme Digital <b>Institute</b>"
    rows["social_media_accounts"].pop()  # beta's LinkedIn removed
    stage(out, rows)
    publish_as_editor(out)  # 1.1.0
    rows["footnotes"].append({"organization_id": "beta", "number": 2, "text": "A new note.", "source_line": 79})
    stage(out, rows, source_text="profiles v3")
    publish_as_editor(out)  # 1.2.0
    site = build_site(out)
    pages = {p.name for p in site.glob("diff*.html")}
    assert pages == {"diff.html", "diff-1.0.0..1.1.0.html", "diff-1.0.0..1.2.0.html", "diff-1.1.0..1.2.0.html"}
    page = (site / "diff-1.0.0..1.2.0.html").read_text(encoding="utf-8")  # a direct diff across two releases
    assert 'Changes from <span class="version">1.0.0</span> to <span class="version">1.2.0</span>' in page
    assert "Removed records (1)" in page and "beta / LinkedIn / Beta Network" in page
    assert "Added records (1)" in page and "A new note." in page
    assert "Changed records (1)" in page
    assert "<del>Acme Digital Institute</del>" in page and "<ins>Acme Digital &lt;b&gt;Institute&lt;/b&gt;</ins>" in page
    assert "changed <code>profiles.txt</code>" in page  # source provenance
    picker = (site / "diff.html").read_text(encoding="utf-8")
    assert '<label for="diff-from">' in picker and '<label for="diff-to">' in picker
    assert picker.count('data-pair="') == 3 and 'href="diff-1.1.0..1.2.0.html"' in picker
    for name in pages:  # the accessibility patterns every page follows
        text = (site / name).read_text(encoding="utf-8")
        assert '<a class="skip-link" href="#main">' in text and '<main id="main"' in text and '<nav aria-label="Site">' in text
        assert "<table" not in text or "<th" in text
        assert "http://" not in text.split("<body>", 1)[1] and "https://" not in text.split("<body>", 1)[1]  # offline: no CDN
