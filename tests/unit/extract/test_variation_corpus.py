"""The variation corpus (issue 11): generated layout variants of the sample's profiles, with the
expected value of every field known by construction (``tests/fuzz/variants.py``).

Properties over 10,400 generated profiles (four seeds × 26 files × 100 profiles, several
profiles per file as on real pages): every field written in a header is extracted with its
value; no profile is lost and none is invented; the top-level sections, policy issues and
accounts written are found; nothing raises and no error is reported. The long run:
``tests/fuzz/run_variants.py`` (see tests/fuzz/README.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzz.variants import check, sample_profiles, write_batch

from pipeline.extract import extract_paths

FILES, PER_FILE = 26, 100


def test_the_generator_reads_the_sample():
    profiles = sample_profiles()
    assert len(profiles) == 6
    assert all(p.name and set(p.header) == {"acronym", "established", "address", "website", "stakeholder_group"} for p in profiles)
    assert sum(len(p.accounts) for p in profiles) == 22


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_every_written_field_is_extracted_and_no_profile_is_lost(tmp_path: Path, seed: int):
    batch = write_batch(seed, FILES, PER_FILE)
    assert len(batch.expected) == FILES * PER_FILE
    for name, text in batch.files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    extraction = extract_paths([tmp_path])
    problems = list(check(extraction, batch))
    assert problems == [], f"{len(problems)} problems; first: {problems[:3]}"
