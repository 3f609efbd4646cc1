"""Shared fixtures for the extraction and reliability tests: the sample, and tiny synthetic profiles.

Keep this small: only what several test modules need.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sources" / "geneva-digital-atlas-2022.txt"
ATLAS = REPO / ".venv" / "bin" / "atlas"

_BODY = """Digital activities

{acronym} runs programmes on digital policy.

Digital policy issues

Cybersecurity

{acronym} works on cybersecurity.

Social media channels

Twitter @{handle}
"""


def make_profile(
    name: str | None = "Example Organisation",
    acronym: str | None = "EXO",
    established: str | None = "1990",
    address: str | None = "Rue de l'Exemple 1, CH-1211 Genève 2, Switzerland",
    website: str | None = "https://example.org/",
    group: str | None = "Civil society",
    summary: str | None = "The organisation works on digital policy.",
    body: str | None = None,
) -> str:
    """A well-formed profile in the atlas format; pass None to leave a line out."""
    parts = [name] if name is not None else []
    for label, value in (
        ("Acronym", acronym),
        ("Established", established),
        ("Address", address),
        ("Website", website),
        ("Stakeholder group", group),
    ):
        if value is not None:
            parts.append(f"{label}: {value}")
    if summary is not None:
        parts.append(summary)
    tag = acronym or name or "x"
    handle = "".join(c for c in tag.lower() if c.isalnum()) or "x"
    parts.append(body if body is not None else _BODY.format(acronym=tag, handle=handle))
    return "\n\n".join(p.rstrip("\n") for p in parts) + "\n"


@pytest.fixture(scope="session")
def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def sample():
    """The sample's extraction (shared: do not mutate its frames)."""
    from pipeline.extract import extract_paths

    return extract_paths([SAMPLE.parent])


@pytest.fixture
def extract_files(tmp_path: Path):
    """Write {name: str | bytes} into a fresh sources folder and extract it."""
    from pipeline.extract import extract_paths

    def run(files: dict[str, str | bytes], folder: str = "sources"):
        src = tmp_path / folder
        src.mkdir(exist_ok=True)
        for name, content in files.items():
            path = src / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return extract_paths([src])

    return run


def rules(extraction, source_file: str | None = None) -> set[str]:
    return {f.rule for f in extraction.findings if source_file is None or f.source_file == source_file}


def org(extraction, organization_id: str) -> dict:
    frame = extraction.tables["organizations"]
    rows = frame[frame["organization_id"] == organization_id]
    assert len(rows) == 1, f"{organization_id!r}: {len(rows)} rows"
    return {k: (None if pd.api.types.is_scalar(v) and pd.isna(v) else v) for k, v in rows.iloc[0].to_dict().items()}


def load_benchmark(name: str):
    """Import ``benchmarks/<name>.py`` (the folder is not a package) once per session."""
    import importlib.util
    import sys

    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright (no downloaded browser), one per browser-test module."""
    from playwright.sync_api import sync_playwright

    from pipeline.site.screenshot import CHROMIUM, launch

    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} missing: apt-get install -y chromium"
    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()
