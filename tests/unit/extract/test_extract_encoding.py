"""Encodings and line ends: a CRLF + BOM copy extracts exactly like the LF copy; determinism."""

from __future__ import annotations

import codecs
import os
import subprocess
import unicodedata
from pathlib import Path

from conftest import ATLAS, REPO, SAMPLE, make_profile, org

from pipeline.corrections.apply import apply_corrections
from pipeline.extract import extract_paths, write_tables
from pipeline.extract.reader import decode, normalise

NAME = "geneva-digital-atlas-2022.txt"


def _outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "sources.json"}


def test_crlf_bom_copy_extracts_exactly_like_lf(tmp_path, sample_text):
    assert "\r" not in sample_text
    lf, crlf = tmp_path / "lf", tmp_path / "crlf"
    lf.mkdir(), crlf.mkdir()
    (lf / NAME).write_bytes(sample_text.encode("utf-8"))
    (crlf / NAME).write_bytes(codecs.BOM_UTF8 + sample_text.replace("\n", "\r\n").encode("utf-8"))
    a, b = extract_paths([lf]), extract_paths([crlf])
    assert not [f for f in b.findings if f.rule.startswith("file-")]
    assert [f.to_dict() for f in a.findings] == [f.to_dict() for f in b.findings]
    write_tables(a, tmp_path / "out-lf")
    write_tables(b, tmp_path / "out-crlf")
    out_a, out_b = _outputs(tmp_path / "out-lf"), _outputs(tmp_path / "out-crlf")
    assert len(out_a) >= 10 and out_a == out_b  # every CSV + extraction_findings.json byte-identical
    assert b.sources[0].encoding == "utf-8" and b.sources[0].line_count == a.sources[0].line_count


def test_cr_only_line_ends(extract_files):
    text = make_profile()
    ex = extract_files({"mac.txt": text.replace("\n", "\r"), "unix.txt": text.replace("EXO", "UNX")})
    mac, unix = org(ex, "exo"), org(ex, "unx")
    assert (mac["source_line_start"], mac["source_line_end"]) == (unix["source_line_start"], unix["source_line_end"])


def test_normalise_nbsp_nfc_zero_width():
    text = "Cafe\u0301\u00a0Digital\u200b policy\r\nnext\rline"
    assert normalise(text) == "Caf\u00e9 Digital policy\nnext\nline"
    assert unicodedata.is_normalized("NFC", normalise(text))


def test_decode_bom_variants():
    text = "Name\n\nAcronym: ÉTÉ\n"
    assert decode(codecs.BOM_UTF8 + text.encode(), "a")[:2] == (text, "utf-8")
    assert decode(codecs.BOM_UTF8 + text.encode(), "a")[2] == []
    for enc in ("utf-16", "utf-32"):
        got, name, findings = decode(text.encode(enc), "a")
        assert got == text and name == enc and [f.rule for f in findings] == ["file-encoding-converted"]


def test_deterministic_across_processes(tmp_path):
    """A run in this process and one in a subprocess with another hash seed write identical files
    (both through the corrections step ``atlas extract`` applies)."""
    here = apply_corrections(extract_paths([SAMPLE.parent]), SAMPLE.parent / "corrections.yaml", sources_dir=SAMPLE.parent)
    write_tables(here, tmp_path / "here")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    proc = subprocess.run(
        [str(ATLAS), "extract", str(SAMPLE.parent), "--out", str(tmp_path / "there")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    here, there = ({p.name: p.read_bytes() for p in (tmp_path / d).iterdir()} for d in ("here", "there"))
    assert {"organizations.csv", "quarantine.csv", "extraction_findings.json", "sources.json"} <= set(here)
    assert here == there
