"""Bad input (issue 8): each case gives a clear finding (file, line, what is wrong), no exception,
and the good profiles of the same run are still extracted. Every rejected record is in the
`quarantine` table with its reason.
"""

from __future__ import annotations

import codecs
import os
import resource
import subprocess
import sys
import textwrap

import pandas as pd
import pytest
from conftest import REPO, make_profile, org, rules

GOOD = make_profile(name="Good Organisation", acronym="GOOD")  # 27 lines: a profile after GOOD + "\n" starts on line 29


def _findings(ex, rule):
    return [f for f in ex.findings if f.rule == rule]


def _quarantine(ex, source_file):
    q = ex.tables["quarantine"]
    return q[q["source_file"] == source_file].to_dict("records")


def _good_kept(ex):
    assert org(ex, "good")["name"] == "Good Organisation"
    assert len(ex.tables["social_media_accounts"].query("organization_id == 'good'")) == 1


def test_empty_file(extract_files):
    bom_only = {
        "bom.txt": codecs.BOM_UTF8,
        "bom-blank.txt": codecs.BOM_UTF8 + b"\r\n \r\n",
        "wide.txt": "\n \n".encode("utf-16"),
    }  # regression: no finding
    ex = extract_files({"empty.txt": b"", "blank.txt": b"\n  \n\t\n", "good.txt": GOOD, **bom_only})
    _good_kept(ex)
    for name in ("empty.txt", "blank.txt", *bom_only):
        (f,) = [f for f in _findings(ex, "file-empty") if f.source_file == name]
        assert f.severity == "error" and name in f.message
        (q,) = _quarantine(ex, name)
        assert q["rule"] == "file-empty" and "empty" in q["reason"]


def test_binary_file(extract_files):
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    ex = extract_files({"picture.txt": data, "good.txt": GOOD})
    _good_kept(ex)
    (f,) = _findings(ex, "file-binary")
    assert (f.source_file, f.source_line, f.severity) == ("picture.txt", 3, "error")  # the first NUL byte
    assert "not a text file" in f.message
    (q,) = _quarantine(ex, "picture.txt")
    assert q["rule"] == "file-binary"


def test_latin1_cp1252_file_is_decoded_with_a_warning(extract_files):
    text = make_profile(
        name="Fédération Numérique",
        acronym="FEDN",
        address="Case postale 12, CH-1211 Genève 2, Suisse",
        summary="La fédération « numérique » – depuis 1990.",
    )
    ex = extract_files({"latin.txt": text.encode("cp1252"), "good.txt": GOOD})
    _good_kept(ex)
    row = org(ex, "fedn")
    assert row["name"] == "Fédération Numérique" and row["city"] == "Geneva" and row["country_code"] == "CH"
    assert "« numérique » –" in row["summary"]
    (f,) = _findings(ex, "file-encoding-converted")
    assert (f.source_file, f.source_line, f.severity) == ("latin.txt", 1, "warning")
    assert next(s for s in ex.sources if s.path == "latin.txt").encoding == "cp1252"


def test_undecidable_8bit_file_is_an_error(extract_files):
    data = make_profile(acronym="UND").encode() + b"\n\x81\x8d\x8f\x90 bytes that are not text in any common encoding\n"
    ex = extract_files({"odd.txt": data, "good.txt": GOOD})
    _good_kept(ex)
    (f,) = _findings(ex, "file-encoding-unknown")
    assert f.source_file == "odd.txt" and f.source_line == 29 and f.severity == "error"
    assert [q["rule"] for q in _quarantine(ex, "odd.txt")] == ["file-encoding-unknown"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom_is_decoded(extract_files, encoding):
    text = make_profile(name="Union Numérique", acronym="UNUM")
    data = (
        text.encode("utf-16")
        if encoding == "utf-16"
        else (codecs.BOM_UTF16_LE if encoding.endswith("le") else codecs.BOM_UTF16_BE) + text.encode(encoding)
    )
    ex = extract_files({"wide.txt": data, "good.txt": GOOD})
    _good_kept(ex)
    assert org(ex, "unum")["name"] == "Union Numérique"
    (f,) = _findings(ex, "file-encoding-converted")
    assert f.source_file == "wide.txt" and "UTF-16" in f.message


def test_crlf_and_bom_give_no_finding_and_the_same_records(extract_files):
    text = make_profile()
    lf = extract_files({"p.txt": text}, folder="lf")
    crlf = extract_files({"p.txt": codecs.BOM_UTF8 + text.replace("\n", "\r\n").encode()}, folder="crlf")
    assert [f.to_dict() for f in crlf.findings] == [f.to_dict() for f in lf.findings]
    assert not [f for f in crlf.findings if f.rule.startswith("file-")]
    for name in lf.tables:
        assert lf.tables[name].equals(crlf.tables[name]), name


def test_profile_cut_off_inside_its_header(extract_files):
    """A page cut off inside its header keeps its organisation (issue 11: no record lost); the value
    the file ends in the middle of ("Rue du") is nulled and kept in the quarantine, a warning says so."""
    cut = "Cut Organisation\n\nAcronym: CUT\n\nEstablished: 1999\n\nAddress: Rue du"
    ex = extract_files({"a.txt": GOOD + "\n" + cut, "b.txt": cut + "\n\n" + make_profile(name="Next Organisation", acronym="NEXT")})
    _good_kept(ex)
    assert org(ex, "next")["source_line_start"] == 9  # the profile after the cut one is intact
    cuts = _findings(ex, "profile-truncated")
    assert sorted((f.source_file, f.source_line) for f in cuts) == [("a.txt", 35), ("b.txt", 7)]
    assert all("ends inside its header" in f.message and f.severity == "warning" for f in cuts)
    rows = ex.tables["organizations"].query("organization_id == 'cut'")
    assert list(rows["source_file"]) == ["a.txt"] and list(rows["established"]) == [1999]  # b.txt's copy is a repeat
    assert pd.isna(rows["address"].iloc[0])  # a.txt ends inside the Address line
    (q,) = _quarantine(ex, "a.txt")
    cell = (q["organization_id"], q["table"], q["column"], q["value"])
    assert (q["rule"], q["source_line_start"], *cell) == ("profile-truncated", 35, "cut", "organizations", "address", "Rue du")
    assert not any(f.severity == "error" for f in ex.findings if f.source_file == "a.txt")


def test_missing_name_is_kept_with_a_warning(extract_files):
    ex = extract_files({"a.txt": GOOD + "\n" + make_profile(name=None, acronym="NONAME")})
    _good_kept(ex)
    row = org(ex, "noname")
    assert row["name"] is None and row["source_line_start"] == 29
    (f,) = _findings(ex, "missing-name")
    assert (f.source_file, f.source_line, f.severity) == ("a.txt", 29, "warning")


def test_missing_acronym_is_kept_with_id_from_name(extract_files):
    ex = extract_files({"a.txt": GOOD + "\n" + make_profile(name="Nameonly Institute", acronym=None)})
    _good_kept(ex)
    assert org(ex, "nameonly-institute")["acronym"] is None
    (f,) = _findings(ex, "missing-acronym")
    assert (f.source_file, f.source_line) == ("a.txt", 29)


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("20006", "established-impossible"),
        ("0999", "established-impossible"),
        ("2999", "established-impossible"),
        ("1", "established-impossible"),
        ("soon", "established-unparseable"),
    ],
)
def test_impossible_year_is_nulled_and_the_record_kept(extract_files, value, rule):
    """Issue 11: one bad field never costs the record. The year is published empty, the value is
    kept in the quarantine with its organisation, table and column, and a warning names file and line."""
    ex = extract_files({"a.txt": GOOD + "\n" + make_profile(acronym="YEAR", established=value)})
    _good_kept(ex)
    (f,) = _findings(ex, rule)
    assert (f.source_file, f.source_line, f.severity, f.column, f.value) == ("a.txt", 33, "warning", "established", value)
    row = org(ex, "year")
    assert row["established"] is None and row["established_source"] is None
    assert (row["name"], row["website"], row["city"]) == ("Example Organisation", "https://example.org/", "Geneva")  # the rest is published
    assert len(ex.tables["sections"].query("organization_id == 'year'")) == 4
    (q,) = _quarantine(ex, "a.txt")
    assert (q["rule"], q["source_line_start"], q["source_line_end"], q["name"]) == (rule, 33, 33, "Example Organisation")
    assert (q["organization_id"], q["table"], q["column"], q["value"]) == ("year", "organizations", "established", value)
    assert value.lstrip("0") in q["reason"] or "not a year" in q["reason"]
    assert not any(f.severity == "error" for f in ex.findings)


@pytest.mark.parametrize(
    "website",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "ftp://example.org",
        "not a url",
        "https://example.org/a b",
    ],
)
def test_non_http_website_is_nulled_and_the_record_kept(extract_files, website):
    ex = extract_files({"a.txt": GOOD + "\n" + make_profile(acronym="JS", website=website)})
    _good_kept(ex)
    (f,) = _findings(ex, "website-scheme")
    assert (f.source_file, f.source_line, f.severity, f.column, f.value) == ("a.txt", 37, "warning", "website", website)
    assert org(ex, "js")["website"] is None and org(ex, "js")["established"] == 1990
    (q,) = _quarantine(ex, "a.txt")
    assert (q["rule"], q["organization_id"], q["column"], q["value"]) == ("website-scheme", "js", "website", website)
    assert website not in set(ex.tables["organizations"]["website"].dropna())


def test_no_name_and_no_acronym_is_an_error(extract_files):
    ex = extract_files({"a.txt": GOOD + "\n" + make_profile(name=None, acronym=None)})
    _good_kept(ex)
    (f,) = _findings(ex, "profile-unidentifiable")
    assert (f.source_file, f.source_line, f.severity) == ("a.txt", 29, "error")
    (q,) = _quarantine(ex, "a.txt")
    assert q["rule"] == "profile-unidentifiable" and q["source_line_start"] == 29
    assert len(ex.tables["organizations"]) == 1


def test_same_organisation_in_two_files_with_conflicting_values(extract_files):
    ex = extract_files(
        {
            "a.txt": make_profile(acronym="DUP", established="1990"),
            "b.txt": make_profile(acronym="DUP", established="1991"),
            "good.txt": GOOD,
        }
    )
    _good_kept(ex)
    row = org(ex, "dup")
    assert (row["source_file"], row["established"]) == ("a.txt", 1990)  # the first (by file name) is kept
    (f,) = _findings(ex, "duplicate-organization")
    assert (f.source_file, f.source_line, f.severity) == ("b.txt", 1, "error")
    assert "a.txt:1" in f.message and "1990" in f.message and "1991" in f.message
    (q,) = _quarantine(ex, "b.txt")
    assert q["rule"] == "duplicate-organization" and "conflicting" in q["reason"]
    # the second copy's rows are not published either
    assert set(ex.tables["social_media_accounts"]["organization_id"]) == {"dup", "good"}
    assert len(ex.tables["sections"].query("organization_id == 'dup'")) == 4


def test_same_organisation_twice_with_same_values_is_info(extract_files):
    ex = extract_files({"a.txt": make_profile(acronym="TWICE"), "b.txt": make_profile(acronym="TWICE")})
    assert org(ex, "twice")["source_file"] == "a.txt"
    assert [f.severity for f in _findings(ex, "duplicate-organization-same")] == ["info"]
    assert [q["rule"] for q in _quarantine(ex, "b.txt")] == ["duplicate-organization"]


_BIG_LINE_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from pipeline.extract import extract_paths
    ex = extract_paths([Path(sys.argv[1])])
    rules = sorted({f.rule for f in ex.findings})
    ids = sorted(ex.tables["organizations"]["organization_id"])
    print(",".join(rules), ",".join(ids))
    """
)


def test_five_megabyte_line_without_newline(tmp_path):
    """Extraction of 5 MB lines says what they are and keeps the good file. Run in a subprocess with
    a deadline and an address-space cap that only stop a hang or a runaway from taking the machine
    down; how fast and how big is measured by benchmarks/reliability.py, not asserted here."""
    src = tmp_path / "sources"
    src.mkdir()
    chunk = "Lorem ipsum (1) France, dolor sit amet <b>x</b> Germany @handle: "
    (src / "noise.txt").write_bytes((chunk * (5_000_000 // len(chunk) + 1))[:5_000_000].encode())
    (src / "header-then-noise.txt").write_bytes(
        ("Acronym: LONG\n\nEstablished: 1990\n\n" + chunk * (5_000_000 // len(chunk)))[:5_000_000].encode()
    )
    (src / "good.txt").write_text(GOOD, encoding="utf-8")

    def limit() -> None:  # 4 GB of address space at most (a runaway copy fails instead of swapping)
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))

    proc = subprocess.run(
        [sys.executable, "-c", _BIG_LINE_SCRIPT, str(src)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,  # only against a hang
        preexec_fn=limit,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    found, ids = proc.stdout.split()
    assert {"line-too-long", "no-profiles"} <= set(found.split(","))
    assert ids.split(",") == ["good", "long"]


def test_thousands_of_profiles_in_one_file(extract_files):
    n = 2000
    text = "".join(make_profile(name=f"Organisation Number {i}", acronym=f"ORG{i}", body="Digital activities\n\nText.\n") for i in range(n))
    ex = extract_files({"many.txt": text})
    o = ex.tables["organizations"]
    assert len(o) == n and o["organization_id"].is_unique and len(ex.tables["quarantine"]) == 0
    last = o[o["organization_id"] == f"org{n - 1}"].iloc[0]
    assert last["source_line_end"] == text.count("\n")
    assert len(ex.tables["sections"]) == n


def test_symlinks_pointing_outside_sources_are_refused(tmp_path):
    from pipeline.extract import extract_paths

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(make_profile(acronym="SECRET"), encoding="utf-8")
    src = tmp_path / "sources"
    src.mkdir()
    (src / "good.txt").write_text(GOOD, encoding="utf-8")
    (src / "link.txt").symlink_to(outside / "secret.txt")
    (src / "linkdir").symlink_to(outside, target_is_directory=True)
    (src / "passwd.txt").symlink_to("/etc/passwd")
    (src / "inside.txt").symlink_to(src / "good.txt")  # inside the folder: allowed
    (src / "loop").symlink_to(src, target_is_directory=True)  # a loop: not followed, no hang
    ex = extract_paths([src])
    assert set(ex.tables["organizations"]["organization_id"]) == {"good"}
    refused = sorted(f.source_file for f in _findings(ex, "file-outside-sources"))
    assert refused == ["link.txt", "linkdir", "passwd.txt"]
    assert all(f.severity == "error" and "outside the sources folder" in f.message for f in _findings(ex, "file-outside-sources"))
    assert "secret" not in " ".join(s.path for s in ex.sources)


def test_every_rejected_record_is_quarantined_with_its_reason(extract_files):
    files = {
        "good.txt": GOOD,
        "empty.txt": b"",
        "binary.txt": b"\x00\x01\x02",
        "year.txt": make_profile(acronym="Y1", established="20006"),
        "js.txt": make_profile(acronym="JS1", website="javascript:alert(1)"),
        "anon.txt": make_profile(name=None, acronym=None),
        "cut.txt": "Cut Org\n\nAcronym: CUT\n",
        "prose.txt": "Just some prose with no header.\n",
        "stray.txt": "A stray line before.\n\n" + make_profile(acronym="STRAY"),
    }
    ex = extract_files(files)
    q = ex.tables["quarantine"]
    got = dict(zip(q["source_file"], q["rule"], strict=True))
    assert got == {
        "empty.txt": "file-empty",
        "binary.txt": "file-binary",
        "year.txt": "established-impossible",
        "js.txt": "website-scheme",
        "anon.txt": "profile-unidentifiable",
        "prose.txt": "no-profiles",
        "stray.txt": "text-before-first-profile",
    }
    assert q["reason"].notna().all() and (q["reason"].str.len() > 10).all()
    fields = q[q["column"].notna()]
    assert dict(zip(fields["organization_id"], fields["column"], strict=True)) == {"y1": "established", "js1": "website"}  # per field
    assert set(ex.tables["organizations"]["organization_id"]) == {"good", "stray", "y1", "js1", "cut"}
    errors = {f.source_file for f in ex.findings if f.severity == "error"}
    assert errors == {"empty.txt", "binary.txt", "anon.txt", "prose.txt"}
    assert "text-before-first-profile" in rules(ex, "stray.txt") and "profile-truncated" in rules(ex, "cut.txt")


def test_same_acronym_twice_in_one_file_with_a_junk_name(extract_files):
    """Regression (fuzz): a second profile whose name line has no letters got the id 'dup-'."""
    text = (
        make_profile(name="Duplicate Organisation", acronym="DUP") + "\n" + make_profile(name="\u0090 –", acronym="DUP", established="1991")
    )
    ex = extract_files({"a.txt": text})
    assert list(ex.tables["organizations"]["organization_id"]) == ["dup"]
    (f,) = _findings(ex, "duplicate-organization")
    assert (f.source_file, f.source_line, f.severity) == ("a.txt", 29, "error")
    assert [q["rule"] for q in _quarantine(ex, "a.txt")] == ["duplicate-organization"]


def test_same_acronym_with_different_names_gets_a_distinct_id(extract_files):
    text = make_profile(name="First Organisation", acronym="SAME") + "\n" + make_profile(name="Second Organisation", acronym="SAME")
    ex = extract_files({"a.txt": text})
    assert sorted(ex.tables["organizations"]["organization_id"]) == ["same", "same-second-organisation"]
    (f,) = _findings(ex, "duplicate-organization")
    assert f.severity == "warning" and f.source_line == 29
    accounts = ex.tables["social_media_accounts"]
    assert dict(zip(accounts["source_line"], accounts["organization_id"], strict=True)) == {27: "same", 55: "same-second-organisation"}


def test_long_footnote_blocks_are_read_whole(extract_files):
    """Regression: footnote continuation lines and long numbered lists were quadratic (minutes);
    their cost is measured by benchmarks/reliability.py, what they give is checked here."""
    continued = make_profile(acronym="CONT") + "\n1 – A note that goes on\n" + "and on with more words in the continuation line\n" * 40_000
    numbered = make_profile(acronym="NUMB") + "\n" + "".join(f"{i} – item {i}\n" for i in range(1, 20_001)) + "\nA Heading At The End\n"
    ex = extract_files({"continued.txt": continued, "numbered.txt": numbered})
    notes = ex.tables["footnotes"]
    (text,) = notes[notes["organization_id"] == "cont"]["text"]
    assert text.startswith("A note that goes on and on with") and text.count("continuation line") == 40_000
    assert {"cont", "numb"} <= set(ex.tables["organizations"]["organization_id"])


@pytest.mark.parametrize("bom", ["", "utf-8-sig", "utf-16"])
def test_nul_characters_mean_binary_with_or_without_bom(extract_files, bom):
    """Regression: after a UTF-8 byte-order mark, NUL bytes were accepted (without one: binary)."""
    text = make_profile(acronym="NUL") + "\nA line with a \x00 NUL.\n"
    data = text.encode(bom or "utf-8")
    ex = extract_files({"nul.txt": data, "good.txt": GOOD})
    _good_kept(ex)
    (f,) = _findings(ex, "file-binary")
    assert (f.source_file, f.source_line) == ("nul.txt", 29)
    assert [q["rule"] for q in _quarantine(ex, "nul.txt")] == ["file-binary"]


def test_non_latin_acronym_and_name(extract_files):
    """Regression: a Cyrillic acronym was read as no acronym, and a profile with no Latin letters
    at all was quarantined with no finding."""
    ex = extract_files(
        {
            "a.txt": make_profile(name="Организация Пример", acronym="ОП"),
            "b.txt": make_profile(name="Latin Named Organisation", acronym="ЛНО"),
            "good.txt": GOOD,
        }
    )
    _good_kept(ex)
    (f,) = _findings(ex, "profile-unidentifiable")
    assert (f.source_file, f.source_line, f.severity) == ("a.txt", 3, "error")
    assert "ОП" in f.message and "Latin letters" in f.message
    (q,) = _quarantine(ex, "a.txt")
    assert q["rule"] == "profile-unidentifiable" and q["name"] == "Организация Пример"
    row = org(ex, "latin-named-organisation")
    assert row["acronym"] == "ЛНО"
    assert "missing-acronym" not in rules(ex)


def test_two_folders_with_the_same_file_name(tmp_path):
    """Regression: `atlas extract dir1 dir2` with a.txt in both silently dropped the second."""
    from pipeline.extract import extract_paths

    for folder, acronym in (("one", "ONE"), ("two", "TWO")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "a.txt").write_text(make_profile(acronym=acronym), encoding="utf-8")
    ex = extract_paths([tmp_path / "one", tmp_path / "two", tmp_path / "one" / "a.txt"])
    assert list(ex.tables["organizations"]["organization_id"]) == ["one"]
    (f,) = _findings(ex, "file-name-clash")  # the same file given twice is no clash
    assert f.severity == "error" and f.source_file == "a.txt" and "two/a.txt" in f.message


def test_utf8_file_with_a_stray_latin1_byte(extract_files, sample_text):
    """Regression: one Latin-1 byte in a UTF-8 file made the whole file decode as cp1252, turning
    every ’ of the sample into â€™. Now only the stray byte is read as cp1252, with a warning."""
    data = sample_text.encode("utf-8")
    at = data.index(b"UNCTAD also works to facilitate")
    ex = extract_files(
        {
            "mixed.txt": data[:at] + b"Caf\xe9: " + data[at:],
            "garbled.txt": make_profile(acronym="GRB").encode() + b"\x81\x8d \xe2\x80\x99\n",
        }
    )
    (f,) = [f for f in _findings(ex, "file-encoding-converted")]
    assert (f.source_file, f.source_line, f.severity) == ("mixed.txt", 79, "warning")
    assert len(ex.tables["organizations"]) == 6
    summary = org(ex, "unctad")["summary"]
    assert "Café: UNCTAD also works" in summary and "â€" not in summary
    assert "UNIDIR’s" in org(ex, "unidir")["summary"] or "UNIDIR’s" in "".join(ex.tables["sections"]["text"].dropna())
    (g,) = _findings(ex, "file-encoding-unknown")  # undefined cp1252 bytes next to UTF-8: not certain
    assert (g.source_file, g.source_line) == ("garbled.txt", 28)
