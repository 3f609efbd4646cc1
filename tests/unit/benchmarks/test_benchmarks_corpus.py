"""The synthetic benchmark corpus (benchmarks/make_corpus.py, issue 7) is what the benchmarks claim.

N copies of the sample: 6N profiles with distinct names and acronyms over the requested number of
files, deterministic for a seed, with the sample's defects present N times over, and extracting to
6N organisations with distinct ids.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from conftest import REPO, load_benchmark

SAMPLE = REPO / "sources"
CYRILLIC = re.compile(r"[\u0400-\u04ff]")




make_corpus = load_benchmark("make_corpus")


def _lines(folder: Path) -> list[str]:
    return [ln for p in sorted(folder.glob("*.txt")) for ln in p.read_text(encoding="utf-8").split("\n")]


def _sample_lines() -> list[str]:
    return make_corpus.read_sample(SAMPLE).split("\n")


def _profile_heads(lines: list[str]) -> list[tuple[str, str]]:
    """(name line, acronym value) of every profile: the last non-blank line before ``Acronym:``."""
    heads = []
    for i, ln in enumerate(lines):
        if ln.startswith("Acronym:"):
            j = i - 1
            while not lines[j].strip():
                j -= 1
            heads.append((lines[j].strip(), ln.split(":", 1)[1].strip()))
    return heads


@pytest.fixture(scope="module")
def corpus3(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("corpus3")
    make_corpus.make_corpus(3, out, seed=11, files=4)
    return out


def test_sample_splits_into_its_six_profiles():
    profiles = make_corpus.split_profiles(make_corpus.read_sample(SAMPLE))
    assert [p.acronyms for p in profiles] == [
        ["UNIDIR"], ["UNCTAD"], ["UNHRC"], ["IGF"], ["WTO"], ["ITU", "UIT"]
    ]
    assert profiles[0].name == "United Nations Institute for Disarmament Research"
    assert profiles[-1].name == "International Telecommunication Union"
    assert all(p.established_year for p in profiles)


def test_three_copies_give_18_profiles_with_distinct_names_and_acronyms(corpus3):
    files = sorted(corpus3.glob("*.txt"))
    assert len(files) == 4
    heads = _profile_heads(_lines(corpus3))
    assert len(heads) == 18
    names = [n for n, _ in heads]
    acronyms = [a.strip() for _, v in heads for a in v.split(",")]
    assert len(set(names)) == 18
    assert len(acronyms) == 21 and len(set(acronyms)) == 21  # ITU's copies keep an alternate
    sample_words = set(re.findall(r"[A-Za-z]+", "\n".join(_sample_lines())))
    assert not set(acronyms) & sample_words
    # every file holds profiles, none is empty
    assert all(p.read_text(encoding="utf-8").strip() for p in files)


def test_org_names_and_acronyms_of_the_sample_are_replaced_everywhere(corpus3):
    text = "\n".join(_lines(corpus3))
    for old in ("UNIDIR", "UNCTAD", "UNHRC", "WTO", "ITU", "UIT", "IGF",
                "International Telecommunication Union", "World Trade Organization"):
        assert not re.search(rf"\b{re.escape(old)}\b", text), old


def test_deterministic_for_a_seed(tmp_path, corpus3):
    again = tmp_path / "again"
    make_corpus.make_corpus(3, again, seed=11, files=4)
    first = {p.name: p.read_bytes() for p in corpus3.glob("*.txt")}
    assert first == {p.name: p.read_bytes() for p in again.glob("*.txt")}
    other = tmp_path / "other"
    make_corpus.make_corpus(3, other, seed=12, files=4)
    assert first != {p.name: p.read_bytes() for p in other.glob("*.txt")}


def test_defects_of_the_sample_are_kept_n_times(corpus3):
    sample, synthetic = _sample_lines(), _lines(corpus3)

    def count(pred, lines):
        return sum(1 for ln in lines if pred(ln))

    checks = {
        "cyrillic letter": lambda ln: bool(CYRILLIC.search(ln)),
        "nbsp": lambda ln: "\u00a0" in ln,
        "misspelt heading": lambda ln: ln == "Social medial channels",
        "marker heading": lambda ln: bool(re.fullmatch(r"[A-Z][^.]{0,60} \(\d+\)", ln)),
        "footnote": lambda ln: bool(re.match(r"\d+ ?[-–] ?\S", ln)),
        "placeholder question": lambda ln: ln.startswith("Any reference to"),
        "list intro": lambda ln: ln.rstrip().endswith(":") and len(ln) > 30,
        "bullet": lambda ln: ln.startswith("  •"),
        "social line": lambda ln: bool(re.match(r"[A-Z][A-Za-z]* @", ln)),
        "header": lambda ln: bool(re.match(r"(Acronym|Established|Address|Website|Stakeholder group):", ln)),
    }
    for what, pred in checks.items():
        n = count(pred, sample)
        assert n > 0, what
        assert count(pred, synthetic) == 3 * n, what
    # curly quotes survive too (a dropped sentence may take one with it)
    curly = count(lambda ln: "’" in ln, sample)
    assert 2.8 * curly <= count(lambda ln: "’" in ln, synthetic) <= 3.2 * curly


def test_text_varies_between_copies_but_size_stays_that_of_the_sample(corpus3):
    size = sum(p.stat().st_size for p in corpus3.glob("*.txt"))
    sample_size = sum(p.stat().st_size for p in SAMPLE.glob("*.txt"))
    assert 0.97 * 3 * sample_size <= size <= 1.05 * 3 * sample_size
    years = Counter(ln for ln in _lines(corpus3) if ln.startswith("Established:"))
    assert len(years) > 6  # years varied, not 3 copies of the sample's six
    assert all(1800 <= int(y.split(":")[1]) <= 2022 for y in years)
    prose = Counter(ln for ln in _lines(corpus3) if len(ln) > 200)
    assert any(c < 3 for c in prose.values())  # some paragraphs differ between copies


def test_one_copy_and_few_files(tmp_path):
    stats = make_corpus.make_corpus(1, tmp_path / "one", seed=1, files=100)
    assert (stats.profiles, stats.files) == (6, 6)
    stats = make_corpus.make_corpus(2, tmp_path / "two", seed=1, files=1)
    assert (stats.profiles, stats.files) == (12, 1)
    assert len(_profile_heads(_lines(tmp_path / "two"))) == 12


def test_refuses_a_folder_with_files_unless_overwrite(tmp_path):
    make_corpus.make_corpus(1, tmp_path, seed=1, files=2)
    with pytest.raises(SystemExit):
        make_corpus.make_corpus(1, tmp_path, seed=1, files=2)
    make_corpus.make_corpus(1, tmp_path, seed=1, files=3, overwrite=True)
    assert len(list(tmp_path.glob("*.txt"))) == 3


def test_extracting_three_copies_gives_18_organisations_with_distinct_ids(corpus3):
    from pipeline.extract import extract_paths

    extraction = extract_paths([corpus3])
    orgs = extraction.tables["organizations"]
    assert len(orgs) == 18
    assert orgs["organization_id"].is_unique
    acronyms = {v.split(",")[0].strip().lower() for _, v in _profile_heads(_lines(corpus3))}
    assert set(orgs["organization_id"]) == acronyms
    sample = extract_paths([SAMPLE])
    for table in ("sections", "footnotes", "social_media_accounts"):
        assert len(extraction.tables[table]) == 3 * len(sample.tables[table]), table
