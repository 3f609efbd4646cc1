"""The report's fast paths give the bytes of their plain definitions, on generated findings.

``report_dict`` (entries without a model each) equals ``_build_report(...).to_dict()`` and its JSON
the project's ``json.dumps`` layout; ``render_items`` equals ``item_html(finding_view(...))``;
``md_texts`` equals ``md_text`` one by one; ``sorted_entries`` equals ``sorted(key=_order)``;
``split_lines`` equals ``decode(...).splitlines()``; and the site, built in the process that wrote
the report (from what the writer remembered), equals the site built from the files alone.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from conftest import SAMPLE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from publish_support import stage_extraction

from pipeline.extract import extract_paths
from pipeline.findings import RULES, Finding
from pipeline.fsutil import is_plain, json_chunks, sha256_bytes
from pipeline.markdown import md_text, md_texts
from pipeline.site import collect
from pipeline.site.build import build_site
from pipeline.validate import report as report_module
from pipeline.validate.excerpts import SourceLines, split_lines
from pipeline.validate.findings_list import finding_view, item_html, render_items
from pipeline.validate.report import _build_report, _order, finding_dict, report_dict, sorted_entries

# Text that exercises every escape: HTML, Markdown, YAML indicators, line breaks of every kind,
# invisible and non-ASCII characters.
PIECES = [*"ab Z9:#'\"<>&*_[]|~!`-é…\n\r\t\x0b\x85\u2028\u00ad", "  ", "- ", ": ", "null", "flagged"]
TEXT = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)
SCALAR = st.one_of(st.none(), TEXT, st.integers(-3, 3), st.booleans(), st.floats(allow_nan=False, allow_infinity=False, width=32))
FILES = ["a.txt", "b&c.txt", "missing.txt"]
LINES = [f"line {i} <b>{'é' * (i % 3)}</b> flagged & more" for i in range(1, 13)]


def _resolution() -> st.SearchStrategy[dict | None]:
    keys = st.sampled_from(["correction", "editor", "date", "old_value", "new_value", "severity", "reason"])
    return st.one_of(st.none(), st.dictionaries(keys, st.one_of(st.none(), TEXT, st.integers(0, 9), st.booleans()), max_size=7))


@st.composite
def findings(draw: st.DrawFn) -> Finding:
    rule = draw(st.sampled_from(sorted(RULES)))
    key = draw(
        st.one_of(
            st.none(),
            st.fixed_dictionaries({"organization_id": st.sampled_from(["acme", "b<o>", ""])}, optional={"section_id": SCALAR, "n": SCALAR}),
        )
    )
    status = draw(st.sampled_from(["open", "open", "corrected"]))
    return Finding(
        rule=rule,
        message=draw(TEXT),
        severity=draw(st.sampled_from([None, "error", "warning", "info"])),
        table=draw(st.sampled_from([None, "sections", "organizations", "footnotes", "nowhere"])),
        key=key,
        column=draw(st.sampled_from([None, "text", "heading", "summary", "name", "section_id"])),
        value=draw(st.one_of(st.none(), TEXT, st.sampled_from(["flagged", "é"]))),
        source_file=draw(st.sampled_from([None, *FILES])),
        source_line=draw(st.one_of(st.none(), st.integers(-3, 14))),
        excerpt=draw(st.one_of(st.none(), TEXT, st.just("some flagged text"))),
        status=status,
        resolution=draw(_resolution()) if status == "corrected" else None,
    )


def _sources(folder: Path) -> dict:
    folder.mkdir(exist_ok=True)
    records = []
    for name, text in (("a.txt", "\n".join(LINES) + "\n"), ("b&c.txt", "x\r\ny\x0bz\u2028flagged\n\n" + "\n".join(LINES))):
        data = text.encode("utf-8")
        (folder / name).write_bytes(data)
        records.append({"path": name, "sha256": sha256_bytes(data)})
    records.append({"path": "missing.txt", "sha256": "00" * 32})
    return {"sources_dir": str(folder), "sources": records, "created": "2026-11-30T10:00:00Z", "ratio": 0.5}


def _context(sources: SourceLines | None, entry: dict) -> list:
    return sources.context(entry["source_file"], entry["source_line"]) if sources and entry["source_file"] else []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(findings(), max_size=12), st.booleans())
def test_the_report_dict_and_its_json_are_the_models(tmp_path: Path, found: list[Finding], floats_in_context: bool) -> None:
    context = _sources(tmp_path / "src")
    if not floats_in_context:
        del context["ratio"]
    expected = _build_report(found, context, report_module.sources_of(context)).to_dict()
    report, plain, contexts = report_dict(found, context, report_module.sources_of(context), contexts=True)
    assert report == expected and json.dumps(report) == json.dumps(expected)  # same values, types and order
    assert not plain or is_plain(report)
    assert b"".join(json_chunks(report, plain=plain or None)) == (json.dumps(expected, indent=2, ensure_ascii=False) + "\n").encode()
    sources = report_module.sources_of(context)
    assert contexts == [_context(sources, e) for e in report["findings"]]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(findings(), max_size=12), st.sampled_from([None, "2026-11-30"]), st.booleans())
def test_the_items_are_those_of_the_plain_definition(tmp_path: Path, found: list[Finding], day: str | None, read_before: bool) -> None:
    context = _sources(tmp_path / "src")
    sources = report_module.sources_of(context)
    entries = [finding_dict(f) for f in found]
    for entry in entries[::2]:
        entry["excerpt_span"] = None  # some centred on the page, as for an older report
    for entry in entries[1::2]:
        report_module._centre(entry, sources)
    contexts = [_context(sources, e) for e in entries]
    expected = "".join(item_html(finding_view(e, sources, day=day)) for e in entries)
    assert "".join(render_items(entries, sources, day=day, contexts=contexts if read_before else None)) == expected


@given(st.lists(st.one_of(TEXT, SCALAR), max_size=20))
def test_markdown_escaped_in_one_pass_is_escaped_one_by_one(values: list[object]) -> None:
    assert md_texts(values) == [md_text(v) for v in values]


@st.composite
def ties(draw: st.DrawFn) -> Finding:
    """Findings that often share the head of the order (severity … column) and differ after it."""
    return Finding(
        rule=draw(st.sampled_from(["empty-section", "placeholder-text"])),
        message=draw(st.sampled_from(["m", "n", ""])),
        table="sections",
        key=draw(st.one_of(st.none(), st.fixed_dictionaries({"organization_id": st.sampled_from(["a", "b"]), "n": st.integers(0, 2)}))),
        column="text",
        value=draw(st.sampled_from([None, "x", "y", ""])),
        source_file=draw(st.sampled_from([None, "a.txt"])),
        source_line=draw(st.sampled_from([None, 1])),
    )


@given(st.lists(findings(), max_size=25) | st.lists(ties(), max_size=25))
def test_sorting_by_the_head_then_ties_is_the_whole_sort(found: list[Finding]) -> None:
    entries = [finding_dict(f) for f in found]
    assert sorted_entries(entries) == sorted(entries, key=_order)


BYTES = [b"a", b"\n", b"\r", b"\xc3\xa9", b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9", b"\xe2\x80", b"\xc2", b"\xff", b"\x1d", b"\x0c"]


@given(st.binary(max_size=60) | st.lists(st.sampled_from(BYTES)).map(b"".join))
def test_split_lines_are_those_of_the_decoded_text(data: bytes) -> None:
    expected = data.decode("utf-8", errors="replace").splitlines()
    lines = split_lines(data)
    assert len(lines) == len(expected) and list(lines) == expected and lines[-1:] == expected[-1:]


def test_the_source_context_of_a_file_with_newlines_only(tmp_path: Path) -> None:
    data = ("\n".join(LINES) + "\nlast without newline").encode()
    (tmp_path / "a.txt").write_bytes(data)
    sources = SourceLines([tmp_path], {"a.txt": sha256_bytes(data)})
    every = data.decode().splitlines()
    for line in range(0, len(every) + 2):
        lo, hi = max(1, line - 2), min(len(every), line + 2)
        expected = [(n, every[n - 1], n == line) for n in range(lo, hi + 1)] if 1 <= line <= len(every) else []
        assert sources.context("a.txt", line) == expected
        assert sources.line("a.txt", line) == (every[line - 1] if 1 <= line <= len(every) else None)


def _site_files(site: Path) -> dict[str, bytes]:
    built = re.compile(rb"Static site built [^.]*\.")  # the build's minute
    return {p.relative_to(site).as_posix(): built.sub(b"", p.read_bytes()) for p in sorted(site.rglob("*")) if p.is_file()}


def test_the_site_built_by_the_writing_process_is_the_site_built_from_the_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sources, outputs = tmp_path / "sources", tmp_path / "outputs"
    sources.mkdir()
    (sources / SAMPLE.name).write_bytes(SAMPLE.read_bytes())
    stage_extraction(extract_paths([sources]), outputs, context={"sources_dir": str(sources)})
    reads: list[str] = []
    real = collect.read_artifact

    def counted(model: type, path: Path) -> object:
        reads.append(model.__name__)
        return real(model, path)

    monkeypatch.setattr(collect, "read_artifact", counted)
    remembered = _site_files(build_site(outputs))
    assert "Report" not in reads  # the writer's memo served: report.json was neither validated nor loaded
    report_module._WRITTEN.clear()
    assert _site_files(build_site(outputs)) == remembered and "Report" in reads
    assert b'<li class="finding ' in remembered["review.html"]


# -- the report written in cached pieces (pipeline.validate.report_pieces) ---------------------------


def _whole(found: list[Finding], context: dict) -> dict[str, bytes]:
    """The three files as one whole render makes them (the report's plain composition)."""
    sources = report_module.sources_of(context)
    report, plain, contexts = report_dict(found, context, sources, contexts=True)
    data = b"".join(json_chunks(report, plain=plain or None))
    html = "".join(report_module.html_stream(report, sources, report_sha256=sha256_bytes(data), contexts=contexts))
    return {"json": data, "md": report_module.markdown_of(report).encode(), "html": html.encode()}


def _written(found: list[Finding], out: Path, context: dict, cache: Path | None = None) -> dict[str, bytes]:
    paths = report_module.write_report(found, out, context=context, cache_url=str(cache) if cache else None, code_version="t")
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.json", "report.md"]  # no temp file left
    return {kind: Path(p).read_bytes() for kind, p in paths.items()}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(findings(), max_size=15))
def test_the_report_written_in_cached_pieces_is_the_whole_render(tmp_path: Path, found: list[Finding]) -> None:
    context = _sources(tmp_path / "src")
    cache = tmp_path / "cache"
    expected = _whole(found, context)
    assert _written(found, tmp_path / "plain", context) == expected
    assert _written(found, tmp_path / "cold", context, cache) == expected  # rendered, stored
    assert _written(found, tmp_path / "warm", context, cache) == expected  # taken from the cache


def _two_files() -> list[Finding]:
    out = []
    for file in ("a.txt", "b&c.txt"):
        for line, severity in ((2, "error"), (5, "warning"), (9, "warning"), (11, "info")):
            out.append(Finding("placeholder-text", f"{file} {line}", severity=severity, table="sections", column="text",
                               key={"organization_id": "acme", "section_id": line}, value="flagged", source_file=file,
                               source_line=line, excerpt="some flagged text"))
    return out


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> list[list[dict]]:
    """The segments rendered (not taken from the cache) while the fixture's test runs."""
    calls: list[list[dict]] = []
    real = report_module.render_segment

    def spy(chunk: list[dict], *args: object) -> object:
        calls.append(chunk)
        return real(chunk, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(report_module, "render_segment", spy)
    return calls


def test_a_change_in_one_file_renders_only_that_files_pieces(tmp_path: Path, rendered: list[list[dict]]) -> None:
    context, cache, found = _sources(tmp_path / "src"), tmp_path / "cache", _two_files()
    _written(found, tmp_path / "1", context, cache)
    assert len(rendered) == 6  # three blocks (error, warning, info) in each of two files
    rendered.clear()
    found[1] = Finding(**{**found[1].to_dict(), "message": "changed"})  # a.txt's warning at line 5
    assert _written(found, tmp_path / "2", context, cache) == _whole(found, context)
    assert [(e["source_file"], e["severity"]) for chunk in rendered for e in chunk] == [("a.txt", "warning")] * 2
    rendered.clear()
    context["created"] = "2026-12-01T08:00:00Z"  # another day: the correction entries' date changes every item
    assert _written(found, tmp_path / "3", context, cache) == _whole(found, context)
    assert len(rendered) == 6


def test_a_tampered_or_broken_cache_entry_is_not_used(tmp_path: Path, rendered: list[list[dict]]) -> None:
    context, cache, found = _sources(tmp_path / "src"), tmp_path / "cache", _two_files()
    _written(found, tmp_path / "1", context, cache)
    entries = sorted(cache.rglob("*.json"))
    assert len(entries) == 6
    tampered = json.loads(entries[0].read_bytes())
    tampered["pieces"]["html"] = tampered["pieces"]["html"].replace("flagged", "FORGED")
    tampered["pieces"]["json"] = tampered["pieces"]["json"].replace("flagged", "FORGED")
    entries[0].write_text(json.dumps(tampered))  # a valid entry, edited by hand: its digest no longer matches
    entries[1].write_bytes(entries[1].read_bytes()[:-40])  # cut short
    rendered.clear()
    written = _written(found, tmp_path / "2", context, cache)
    assert written == _whole(found, context) and b"FORGED" not in written["json"] + written["html"]
    assert len(rendered) == 2
    rendered.clear()
    _written(found, tmp_path / "3", context, cache)
    assert rendered == []  # both entries were replaced


def test_a_source_file_changed_since_the_run_is_not_shown_from_the_cache(tmp_path: Path, rendered: list[list[dict]]) -> None:
    context, cache, found = _sources(tmp_path / "src"), tmp_path / "cache", _two_files()
    first = _written(found, tmp_path / "1", context, cache)
    assert b'<span class="ln">' in first["html"]
    edited = tmp_path / "src" / "edited.tmp"
    edited.write_text("\n".join(f"edited {line}" for line in LINES), encoding="utf-8")
    os.replace(edited, tmp_path / "src" / "a.txt")  # the run recorded the old sha256: its lines are no longer shown
    rendered.clear()
    written = _written(found, tmp_path / "2", context, cache)
    assert written == _whole(found, context) and written != first
    assert {e["source_file"] for chunk in rendered for e in chunk} == {"a.txt"}


def test_the_cache_keeps_the_pieces_of_the_last_report_only(tmp_path: Path, rendered: list[list[dict]]) -> None:
    """The key holds the day and the code: pieces a later report does not use are deleted when it is
    written, so a daily run does not add a whole report's pieces to the cache each day."""
    context, cache, found = _sources(tmp_path / "src"), tmp_path / "cache", _two_files()
    _written(found, tmp_path / "1", context, cache)
    first = {p.name for p in cache.rglob("*.json")}
    assert len(first) == 6
    found[1] = Finding(**{**found[1].to_dict(), "message": "changed"})
    _written(found, tmp_path / "2", context, cache)
    second = {p.name for p in cache.rglob("*.json")}
    assert len(second) == 6 and len(first - second) == 1  # a.txt's warning block replaced; the other five kept
    context["created"] = "2026-12-02T08:00:00Z"  # another day: every piece is new
    rendered.clear()
    _written(found, tmp_path / "3", context, cache)
    third = {p.name for p in cache.rglob("*.json")}
    assert len(rendered) == 6 and len(third) == 6 and not third & second
    rendered.clear()
    _written(found, tmp_path / "4", context, cache)
    assert rendered == []  # what the last report used is still there
