"""Writing an extraction to a folder: one CSV per table, the findings and the sources read.

Scope: ``<table>.csv`` for every table of ``schemas/`` (through ``pipeline.csvio``), plus
``extraction_findings.json`` and ``sources.json`` so that ``atlas validate`` can run on the folder
alone. It must not validate or change any value.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from pipeline.csvio import write_csv
from pipeline.extract.model import Extraction
from pipeline.schemas import load_schemas


def write_tables(extraction: Extraction, out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {name: write_csv(extraction.tables[name], schema, out_dir / f"{name}.csv") for name, schema in load_schemas().items()}
    findings = sorted(extraction.findings, key=lambda f: f.sort_key())
    (out_dir / "extraction_findings.json").write_text(
        json.dumps([f.to_dict() for f in findings], ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    (out_dir / "sources.json").write_text(
        json.dumps([asdict(s) for s in extraction.sources], ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return written
