"""The word model cache (issue 16): wordsegment's parsed tables are kept as JSON, validated on
read; a file that is not exactly what the pipeline writes is a miss (the tables are parsed again),
never loaded as code, and the rules' answers are the same from a hit, a miss or no cache at all."""

from __future__ import annotations

import json
import marshal  # noqa: TID251 - only to write the hostile files the cache must refuse
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from pipeline.validate.words import TABLES_FORMAT, encode_tables, read_tables

TABLES = ({"of": 2.0, "partners": 1.5}, {"of partners": 1.0})

# In a fresh process (the segmenter is cached per process): load the model through the cache in
# $XDG_CACHE_HOME and print what the run-together rule answers, plus what the cache file holds.
_PROBE = """
import json, sys
from pathlib import Path
from pipeline.validate.words import glued_split, _segmenter
seg = _segmenter()
files = sorted(Path(sys.argv[1], "atlas").glob("wordsegment-*.json"))
doc = json.loads(files[0].read_bytes())
print(json.dumps({
    "splits": [glued_split(w) for w in ("ofpartners", "cyberspace", "inthe", "policymakers", "aswell")],
    "unigrams": len(seg.unigrams), "bigrams": len(seg.bigrams), "total": seg.total,
    "file_format": doc["format"], "file_unigrams": len(doc["unigrams"]),
}))
"""


def _probe(cache_home: Path) -> dict:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home), "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", _PROBE, str(cache_home)], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_a_table_file_reads_back_exactly(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    path.write_bytes(encode_tables("1.2-3.4", TABLES))
    assert read_tables(path, "1.2-3.4") == TABLES
    assert json.loads(path.read_bytes())["format"] == TABLES_FORMAT


def _doc(**fields: object) -> bytes:
    doc = {"format": TABLES_FORMAT, "sources": "1.2-3.4", "unigrams": TABLES[0], "bigrams": TABLES[1], **fields}
    return json.dumps({k: v for k, v in doc.items() if v is not None}).encode()


def _marshalled_code() -> bytes:
    return marshal.dumps(compile("open('pwned', 'w').write('x')", "evil", "exec"))


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(_marshalled_code(), id="marshal-code-object"),
        pytest.param(marshal.dumps(TABLES), id="marshal-tables"),
        pytest.param(b"\xff\xfe not utf-8", id="not-utf8"),
        pytest.param(encode_tables("1.2-3.4", TABLES)[:-7], id="truncated"),
        pytest.param(encode_tables("other-stamp", TABLES), id="other-stamp"),
        pytest.param(_doc(format="something/else"), id="foreign"),
        pytest.param(json.dumps([TABLES[0], TABLES[1]]).encode(), id="not-an-object"),
        pytest.param(_doc(unigrams={"of": "2"}), id="string-count"),
        pytest.param(_doc(unigrams={"of": -1.0}), id="negative"),
        pytest.param(_doc().replace(b"2.0", b"NaN"), id="nan"),
        pytest.param(_doc(unigrams={}), id="empty"),
        pytest.param(_doc(bigrams=None), id="missing-table"),
    ],
)
def test_anything_else_is_a_miss(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "w.json"
    path.write_bytes(content)
    assert read_tables(path, "1.2-3.4") is None
    assert read_tables(tmp_path / "absent.json", "1.2-3.4") is None


def test_rule_answers_are_the_same_from_a_miss_a_hit_and_a_planted_file(tmp_path: Path) -> None:
    """First run: no cache (parsed, then written as JSON). Second: a hit. Third: the file replaced by
    a marshalled code object and a stale marshal cache beside it: a miss, parsed again, nothing
    run, the file rewritten as valid JSON. The rule's answers are identical each time."""
    home = tmp_path / "cache"
    first = _probe(home)
    assert first["file_format"] == TABLES_FORMAT and first["file_unigrams"] == first["unigrams"] > 100_000
    assert first["splits"][0] == ["of", "partners"] and first["splits"][1] is None
    assert _probe(home) == first
    (cached,) = (home / "atlas").glob("wordsegment-*.json")
    cached.write_bytes(_marshalled_code())
    cached.with_suffix(".marshal").write_bytes(_marshalled_code())
    assert _probe(home) == first
    assert not (REPO / "pwned").exists() and not (home / "pwned").exists()
    assert json.loads(cached.read_bytes())["format"] == TABLES_FORMAT  # replaced by a good entry
