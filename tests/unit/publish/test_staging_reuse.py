"""A candidate staged again takes over the previous candidate's files of the tables that did not
change (``pipeline.publish.reuse``), and only when that is safe; the result is the candidate a
from-scratch staging writes, byte for byte (the database: the same rows)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
from publish_support import base_rows
from publish_support import stage as stage_rows

from pipeline.fsutil import parse_sha256sums
from pipeline.publish.layout import STAGING_MANIFEST
from pipeline.publish.reuse import StagingManifest

DATABASE = "data/geneva-digital-atlas.duckdb"
# Texts whose bytes a reused candidate must share with a fresh one (the database is not
# byte-reproducible, see pipeline.publish.database; datapackage.json records its sha256).
COMPARED = ("changes.json", "CHANGELOG.md", "README.md", "CITATION.cff", "data-dictionary.csv")


def staged(outputs: Path, rows: dict, *, version: str = "v1", cache: bool = True):
    kwargs = {"cache_url": str(outputs.parent / f"{outputs.name}-cache"), "code_version": version} if cache else {}
    result = stage_rows(outputs, rows, **kwargs)
    assert result.publishable
    return result


def inodes(outputs: Path) -> dict[str, int]:
    data = outputs / "staging" / "data"
    return {f"data/{p.name}": p.stat().st_ino for p in data.iterdir()}


def changed_rows() -> dict:
    rows = base_rows()
    rows["organizations"][0]["established"] = 1991  # one value of one table
    return rows


def same_candidate(a: Path, b: Path) -> None:
    """The two candidates' data files and texts are the same bytes; their databases the same rows."""
    sa, sb = a / "staging", b / "staging"
    files = sorted(p.relative_to(sa).as_posix() for p in (sa / "data").iterdir() if p.suffix in (".csv", ".parquet"))
    assert files and files == sorted(p.relative_to(sb).as_posix() for p in (sb / "data").iterdir() if p.suffix in (".csv", ".parquet"))
    for rel in [*files, *COMPARED]:
        assert (sa / rel).read_bytes() == (sb / rel).read_bytes(), rel
    rows = []
    for folder in (sa, sb):
        con = duckdb.connect(str(folder / DATABASE), read_only=True)
        try:
            names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY table_name").fetchall()]
            rows.append({n: con.execute(f'SELECT * FROM "{n}"').fetchall() for n in names})
        finally:
            con.close()
    assert rows[0] == rows[1]


def test_unchanged_tables_are_taken_over_and_the_candidate_equals_a_fresh_one(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    staged(outputs, base_rows())
    before = inodes(outputs)
    staged(outputs, changed_rows())
    after = inodes(outputs)
    assert after["data/sections.csv"] == before["data/sections.csv"]  # linked, not written again
    assert after["data/sections.parquet"] == before["data/sections.parquet"]
    assert after["data/organizations.csv"] != before["data/organizations.csv"]  # the changed table is written
    assert after["data/organizations.parquet"] != before["data/organizations.parquet"]
    assert after[DATABASE] != before[DATABASE]  # holds the changed table: built again
    staged(tmp_path / "fresh", changed_rows(), cache=False)
    same_candidate(outputs, tmp_path / "fresh")
    staging = outputs / "staging"
    manifest = StagingManifest.read(staging / STAGING_MANIFEST)
    assert set(manifest.tables) >= {"organizations", "sections"}
    assert STAGING_MANIFEST not in parse_sha256sums((staging / "SHA256SUMS").read_text(encoding="utf-8"))


def test_a_candidate_staged_again_unchanged_takes_over_every_file(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    staged(outputs, base_rows())
    before = inodes(outputs)
    staged(outputs, base_rows())
    assert inodes(outputs) == before  # the database too: no table changed


def test_a_file_edited_since_is_written_again(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    staged(outputs, base_rows())
    sections = outputs / "staging" / "data" / "sections.csv"
    st = sections.stat()
    data = bytearray(sections.read_bytes())
    data[-2:-1] = b"X" if data[-2:-1] != b"X" else b"Y"  # same size, same inode, time put back
    with sections.open("r+b") as f:
        f.write(data)
    os.utime(sections, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (sections.stat().st_ino, sections.stat().st_size, sections.stat().st_mtime_ns) == (st.st_ino, st.st_size, st.st_mtime_ns)
    staged(outputs, changed_rows())
    assert sections.stat().st_ino != st.st_ino
    staged(tmp_path / "fresh", changed_rows(), cache=False)
    same_candidate(outputs, tmp_path / "fresh")


def test_another_code_version_or_outputs_folder_writes_everything(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    staged(outputs, base_rows())
    before = inodes(outputs)
    staged(outputs, base_rows(), version="v2")  # other code: nothing taken over
    after = inodes(outputs)
    assert not set(before.items()) & set(after.items())
    moved = tmp_path / "moved"
    outputs.rename(moved)  # the same files (inodes), recorded for another outputs folder
    before = inodes(moved)
    staged(moved, base_rows(), version="v2")
    assert not set(before.items()) & set(inodes(moved).items())


def test_a_staging_without_a_readable_manifest_writes_everything(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    staged(outputs, base_rows())
    (outputs / "staging" / STAGING_MANIFEST).write_text('{"format": "something else"}', encoding="utf-8")
    before = inodes(outputs)
    staged(outputs, base_rows())
    assert not set(before.items()) & set(inodes(outputs).items())
    stage_rows(outputs, base_rows())  # no cache given: no manifest read, none written
    assert not (outputs / "staging" / STAGING_MANIFEST).exists()


# -- the Frictionless check of the written files --------------------------------------------------


def check_digests_of(rows: dict, places: tuple = ("organizations", ["organization_id", "source_file"])) -> dict[str, str]:
    from publish_support import frames

    from pipeline.publish.arrow import arrow_table
    from pipeline.publish.datapackage import published_schemas
    from pipeline.publish.reuse import check_digests, table_digest

    tables = published_schemas()
    data = frames(rows)
    arrows = {t.name: arrow_table(t.frame(data[t.name]), t) for t in tables}
    digests = {name: table_digest(a) for name, a in arrows.items()}
    return check_digests(arrows, digests, {t.name: t.foreign_keys for t in tables}, places)


def test_a_file_is_checked_again_when_what_its_check_reads_changed() -> None:
    base = check_digests_of(base_rows())
    value = check_digests_of(changed_rows())  # a value no key or place depends on
    assert {n for n in base if base[n] != value[n]} == {"organizations"}
    renamed = base_rows()
    renamed["organizations"][1]["organization_id"] = "beta-two"  # the key the other tables' rows reference
    files_only = ("organizations", ["source_file"])  # places that do not read the key: only the foreign key can tell
    keys, before = check_digests_of(renamed, files_only), check_digests_of(base_rows(), files_only)
    assert keys["sections"] != before["sections"]  # same sections rows, but their foreign key reads the organisations' keys
    moved = base_rows()
    moved["organizations"][1]["source_file"] = "other.txt"  # where a finding about beta's rows points
    places = check_digests_of(moved)
    assert places["sections"] != base["sections"]  # sections are located through their organisation's file


def bad_sections(rows: dict) -> dict:
    rows["sections"][0]["section_id"] = "Digital Activities!"  # breaks the column's pattern: only Frictionless checks it
    return rows


def test_only_changed_files_are_checked_again_and_a_bad_row_is_caught_either_way(tmp_path: Path, monkeypatch) -> None:
    import pipeline.validate.written as written

    checked: list[list[str]] = []
    real = written.validate_written

    def recording(folder, frames, written_rows=None, tables=None, **kwargs):
        checked.append(list(tables or []))
        return real(folder, frames, written_rows, tables, **kwargs)

    monkeypatch.setattr(written, "validate_written", recording)
    outputs = tmp_path / "outputs"
    assert stage_rows(outputs, base_rows(), real_check=True, cache_url=str(tmp_path / "cache"), code_version="v1").publishable
    again = stage_rows(outputs, changed_rows(), real_check=True, cache_url=str(tmp_path / "cache"), code_version="v1")
    assert again.publishable and checked[-1] == ["organizations"]  # the other files' findings are the previous check's
    fresh = stage_rows(tmp_path / "fresh", changed_rows(), real_check=True)
    assert [f.to_dict() for f in again.frictionless] == [f.to_dict() for f in fresh.frictionless]
    same_candidate(outputs, tmp_path / "fresh")

    def sections_flagged(result) -> bool:
        return any(f.table == "sections" and f.severity == "error" for f in result.frictionless)

    bad = stage_rows(outputs, bad_sections(base_rows()), real_check=True, cache_url=str(tmp_path / "cache"), code_version="v1")
    assert not bad.publishable and sections_flagged(bad)  # the changed table
    still = stage_rows(outputs, bad_sections(changed_rows()), real_check=True, cache_url=str(tmp_path / "cache"), code_version="v1")
    assert not still.publishable and sections_flagged(still)  # unchanged since the blocked run: not since the candidate
    wrong = changed_rows()
    wrong["organizations"][0]["established"] = 2500  # breaks the column's maximum
    late = stage_rows(outputs, wrong, real_check=True, cache_url=str(tmp_path / "cache"), code_version="v1")
    assert not late.publishable and any(f.table == "organizations" for f in late.frictionless)
    assert "sections" not in checked[-1]  # its findings were taken over: the staged candidate's sections are fine


def _spy_updates(monkeypatch) -> list[bool]:
    """What each attempt to bring the previous database up to date returned."""
    from pipeline.publish import candidate

    used: list[bool] = []
    real = candidate.update_database

    def spy(*args: object) -> bool:
        used.append(real(*args))  # type: ignore[arg-type]
        return used[-1]

    monkeypatch.setattr(candidate, "update_database", spy)
    return used


def test_a_changed_database_is_the_previous_one_brought_up_to_date(tmp_path: Path, monkeypatch) -> None:
    from pipeline.fsutil import sha256_file

    used = _spy_updates(monkeypatch)
    outputs = tmp_path / "outputs"
    staged(outputs, base_rows())
    previous = outputs / "staging" / DATABASE
    digest = sha256_file(previous)
    os.link(previous, tmp_path / "release.duckdb")  # as a release (or anything else) might share the file
    staged(outputs, changed_rows())
    assert used == [True]
    assert sha256_file(tmp_path / "release.duckdb") == digest  # never written through the link
    staged(tmp_path / "fresh", changed_rows(), cache=False)
    same_candidate(outputs, tmp_path / "fresh")


def test_a_previous_database_edited_in_place_is_not_brought_up_to_date(tmp_path: Path, monkeypatch) -> None:
    used = _spy_updates(monkeypatch)
    outputs = tmp_path / "outputs"
    staged(outputs, base_rows())
    database = outputs / "staging" / DATABASE
    st = database.stat()
    with database.open("r+b") as f:  # one byte changed, size, inode and time kept
        f.seek(st.st_size // 2)
        byte = f.read(1)
        f.seek(st.st_size // 2)
        f.write(bytes([byte[0] ^ 1]))
    os.utime(database, ns=(st.st_atime_ns, st.st_mtime_ns))
    staged(outputs, changed_rows())
    assert used == [False]  # its bytes are not those recorded: built whole
    staged(tmp_path / "fresh", changed_rows(), cache=False)
    same_candidate(outputs, tmp_path / "fresh")


def _held_database(monkeypatch, events: list[str]):
    """Hold the database's update until the report step begins (``events`` records the order)."""
    import threading

    from pipeline.publish import candidate

    gate = threading.Event()
    real = candidate.update_database

    def held(*args: object) -> bool:
        gate.wait(5)
        events.append("database")
        return real(*args)  # type: ignore[arg-type]

    def hook(step: str) -> None:
        if step == "report":
            events.append("report")
            gate.set()

    monkeypatch.setattr(candidate, "update_database", held)
    return hook


def report_files(outputs: Path) -> dict[str, bytes]:
    folder = outputs / "staging" / "validation"
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_the_report_written_while_the_database_is_updated_is_a_fresh_candidates(tmp_path: Path, monkeypatch) -> None:
    outputs, events = tmp_path / "outputs", []
    staged(outputs, base_rows())
    hook = _held_database(monkeypatch, events)
    assert stage_rows(outputs, changed_rows(), cache_url=str(tmp_path / "outputs-cache"), code_version="v1", hook=hook).publishable
    assert events == ["report", "database"]  # the report did not wait for the database
    staged(tmp_path / "fresh", changed_rows(), cache=False)
    same_candidate(outputs, tmp_path / "fresh")
    assert report_files(outputs) == report_files(tmp_path / "fresh")


def test_a_finding_of_the_descriptor_check_is_in_the_report_written_early(tmp_path: Path, monkeypatch) -> None:
    from pipeline.findings import Finding
    from pipeline.publish import candidate

    outputs, events = tmp_path / "outputs", []
    staged(outputs, base_rows())
    hook = _held_database(monkeypatch, events)
    found = Finding("placeholder-text", "a descriptor finding", severity="warning")
    monkeypatch.setattr(candidate, "validate_descriptor", lambda path: [found])
    result = stage_rows(outputs, changed_rows(), cache_url=str(tmp_path / "outputs-cache"), code_version="v1", hook=hook)
    assert result.publishable and events == ["report", "database", "report"]  # written again after the check
    assert "a descriptor finding" in (outputs / "staging" / "validation" / "report.json").read_text(encoding="utf-8")
