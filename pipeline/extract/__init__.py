"""Extraction: raw atlas profile text → typed records with provenance.

Scope: the public entry points. ``extract_file`` reads one source file on its own (so a changed
file can be re-extracted alone); ``combine`` assembles files into the corpus tables;
``extract_paths`` does both for files or folders; ``write_tables`` writes the CSVs and the
extraction findings. Validation beyond what parsing itself notices lives in ``pipeline.validate``.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.extract.combine import combine
from pipeline.extract.model import Extraction, FileExtraction, SourceFile
from pipeline.extract.profile import parse_file
from pipeline.extract.reader import discover, read_source
from pipeline.findings import Finding
from pipeline.vocab import load_vocabulary

__all__ = ["Extraction", "FileExtraction", "SourceFile", "combine", "discover", "extract_file", "extract_paths", "write_tables"]


@contextmanager
def paused_gc() -> Iterator[None]:
    """Extraction allocates millions of small acyclic rows; the cyclic garbage collector would walk
    them again and again (20% of the time) and finds nothing to free. Paused, then restored."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def extract_file(path: Path, rel: str) -> FileExtraction:
    """One source file → its rows and findings; never raises on bad content."""
    with paused_gc():
        return _extract_file(path, rel)


def _extract_file(path: Path, rel: str) -> FileExtraction:
    src, findings = read_source(path, rel)
    if src is None:  # unreadable: nothing to record but the finding
        return FileExtraction(SourceFile(rel, "", 0, "unknown", 0), {"quarantine": [_whole_file(rel, 0, findings)]}, findings)
    if not src.text:
        return FileExtraction(src.source, {"quarantine": [_whole_file(rel, src.source.line_count, findings)]} if findings else {}, findings)
    parsed = parse_file(src.text, rel, load_vocabulary())
    return FileExtraction(src.source, parsed.rows, findings + parsed.findings)


def _whole_file(rel: str, line_count: int, findings: list[Finding]) -> dict:
    first = findings[0] if findings else None
    return {
        "source_file": rel,
        "source_line_start": 1,
        "source_line_end": max(line_count, 1),
        "name": None,
        "rule": first.rule if first else "file-unreadable",
        "reason": first.message if first else "unreadable",
        "excerpt": None,
    }


def extract_paths(paths: list[Path], *, exclude: list[Path] | None = None) -> Extraction:
    """Every file of ``paths`` (files or folders; ``exclude``: files that are not profile sources)."""
    files, findings = discover(paths, exclude=exclude or ())
    with paused_gc():
        result = combine(_extract_file(path, rel) for path, rel in files)
    result.findings[:0] = findings
    return result


def write_tables(extraction: Extraction, out_dir: Path) -> dict[str, Path]:
    from pipeline.extract.write import write_tables as _write

    return _write(extraction, out_dir)
