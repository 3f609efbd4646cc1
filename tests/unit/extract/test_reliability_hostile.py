"""Hostile text, as far as extraction and CSV go (HTML escaping is the renderers' job):

- markup stays verbatim in the data;
- cells starting with = + - @ are written to CSV with a leading apostrophe and read back raw;
- nothing in a source file name or profile text can make `write_tables` write outside its folder.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
from conftest import make_profile, org

from pipeline.csvio import guard_cell, read_csv, unguard_cell
from pipeline.extract import extract_paths, write_tables
from pipeline.schemas import load_schemas, schema

MARKUP_BODY = """Digital activities

<script>alert("x")</script> runs <b>bold</b> &amp; <img src=x onerror=alert(1)> programmes.

Digital policy issues

Cybersecurity

Text with <a href="javascript:alert(1)">a link</a>.

Social media channels

Twitter @<svg/onload=alert(1)>
"""


def test_markup_stays_verbatim_in_tables_and_csv(extract_files, tmp_path):
    ex = extract_files(
        {
            "m.txt": make_profile(
                name="<i>Markup</i> Organisation",
                acronym="MKP",
                summary="Summary with <iframe src=//evil></iframe> inside.",
                body=MARKUP_BODY,
            )
        }
    )
    row = org(ex, "mkp")
    assert row["name"] == "<i>Markup</i> Organisation"
    assert row["summary"] == "Summary with <iframe src=//evil></iframe> inside."
    s = ex.tables["sections"].set_index("section_id")
    assert (
        s.loc["digital-activities", "text"] == '<script>alert("x")</script> runs <b>bold</b> &amp; <img src=x onerror=alert(1)> programmes.'
    )
    assert s.loc["digital-policy-issues/cybersecurity", "text"] == 'Text with <a href="javascript:alert(1)">a link</a>.'
    assert list(ex.tables["social_media_accounts"]["handle"]) == ["<svg/onload=alert(1)>"]
    write_tables(ex, tmp_path / "out")
    back = read_csv(tmp_path / "out" / "sections.csv", schema("sections")).set_index("section_id")
    assert back.loc["digital-activities", "text"] == s.loc["digital-activities", "text"]
    assert "&lt;" not in (tmp_path / "out" / "organizations.csv").read_text(encoding="utf-8")


FORMULAS = ['=HYPERLINK("http://evil","x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)"]


def test_formula_cells_are_guarded_in_csv_and_read_back_raw(extract_files, tmp_path):
    body = "Digital activities\n\n" + "\n\n".join(f"{v} is a cell." for v in FORMULAS) + "\n\nSocial media channels\n\nTwitter @=cmd\n"
    ex = extract_files({"f.txt": make_profile(name="=Formula Organisation", acronym="FML", summary="=1+1 is the summary.", body=body)})
    row = org(ex, "fml")
    assert row["name"] == "=Formula Organisation" and row["summary"] == "=1+1 is the summary."  # raw in the data
    out = tmp_path / "out"
    write_tables(ex, out)
    raw = (out / "organizations.csv").read_text(encoding="utf-8")
    assert "'=Formula Organisation" in raw and "'=1+1 is the summary." in raw
    assert ",=Formula" not in raw and "\n=" not in raw
    back = read_csv(out / "organizations.csv", schema("organizations"))
    assert back.loc[0, "name"] == "=Formula Organisation" and back.loc[0, "summary"] == "=1+1 is the summary."
    sections = read_csv(out / "sections.csv", schema("sections")).set_index("section_id")
    assert sections.loc["digital-activities", "text"].split("\n")[0] == f"{FORMULAS[0]} is a cell."
    assert "'=HYPERLINK" in (out / "sections.csv").read_text(encoding="utf-8")
    acc = read_csv(out / "social_media_accounts.csv", schema("social_media_accounts"))
    assert list(acc["handle"]) == ["=cmd"]
    for name in load_schemas():  # every written cell: no cell starts a formula
        for rec in csv.reader(io.StringIO((out / f"{name}.csv").read_text(encoding="utf-8"))):
            assert not any(cell.startswith(("=", "+", "@")) for cell in rec), (name, rec)


@pytest.mark.parametrize("value", [*FORMULAS, "'quoted'", "plain", "", "'", "it's"])
def test_guard_round_trip(value):
    assert unguard_cell(guard_cell(value)) == value


def test_guard_round_trip_of_a_value_that_already_starts_with_the_guard():
    assert unguard_cell(guard_cell("'=x")) == "'=x"


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_no_path_from_names_or_text_escapes_the_out_folder(tmp_path):
    src = tmp_path / "a" / "sources"
    (src / "..").resolve().mkdir(parents=True, exist_ok=True)
    src.mkdir(parents=True)
    hostile = make_profile(
        name="../../../../etc/passwd",
        acronym="../../escape",
        body="Digital activities\n\nText.\n\n../../../x\n\nMore text.\n\nSocial media channels\n\nTwitter @../../../../tmp/pwned\n",
    )
    (src / "%2e%2e%2f..%2fevil.txt").write_text(hostile, encoding="utf-8")
    (src / "sub").mkdir()
    (src / "sub" / "organizations.csv").write_text(make_profile(acronym="SUBDIR"), encoding="utf-8")
    (src / "\n=evil name.txt").write_text(make_profile(acronym="NLN"), encoding="utf-8")
    (src / "..hidden.txt").write_text(make_profile(acronym="HIDDEN"), encoding="utf-8")  # dot-files are skipped
    before = _tree(tmp_path)
    out = tmp_path / "a" / "out"
    ex = extract_paths([src])
    written = write_tables(ex, out)
    ids = set(ex.tables["organizations"]["organization_id"])
    assert ids == {"escape", "subdir", "nln"}  # slugs: no slash, no dot
    assert all(Path(p).resolve().parent == out.resolve() for p in written.values())
    new = _tree(tmp_path) - before
    assert new == {"a/out"} | {f"a/out/{p}" for p in os.listdir(out)}
    assert all("/" not in p and p.endswith((".csv", ".json")) for p in os.listdir(out))
    sources = {s.path for s in ex.sources}
    assert sources == {"%2e%2e%2f..%2fevil.txt", "sub/organizations.csv", "\n=evil name.txt"}
    back = read_csv(out / "organizations.csv", schema("organizations"))
    assert set(back["source_file"]) == sources  # the newline and '=' in the name survive the CSV round trip
