"""The word model's answers are kept across processes as checked JSON, and give the same findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.validate import words

WORDS = ["ofpartners", "cyberspace", "policymakers", "Inthe", "withthe", "multistakeholder"]


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "verdicts.json"


def test_answers_are_written_and_read_back_the_same(store: Path) -> None:
    first = words._Verdicts(store)
    answers = {w: first.get(w, words._model_split) for w in WORDS}
    assert answers["ofpartners"] == ("of", "partners") and answers["cyberspace"] is None
    first.save()
    document = json.loads(store.read_text(encoding="utf-8"))
    assert set(document["verdicts"]) == set(WORDS)

    def refuse(word: str):
        raise AssertionError(f"{word} was judged again")

    again = words._Verdicts(store)
    assert {w: again.get(w, refuse) for w in WORDS} == answers


@pytest.mark.parametrize("content", [b"{broken", b'{"verdicts": {"ofpartners": 7}}', b"[1, 2]", b'{"verdicts": []}'])
def test_a_damaged_store_is_ignored_and_rewritten(store: Path, content: bytes) -> None:
    store.write_bytes(content)
    verdicts = words._Verdicts(store)
    assert verdicts.known == {}
    assert verdicts.get("ofpartners", words._model_split) == ("of", "partners")
    verdicts.save()
    assert json.loads(store.read_text(encoding="utf-8")) == {"verdicts": {"ofpartners": ["of", "partners"]}}


def test_saving_keeps_what_another_process_added(store: Path) -> None:
    a, b = words._Verdicts(store), words._Verdicts(store)
    a.get("ofpartners", words._model_split)
    b.get("cyberspace", words._model_split)
    a.save()
    b.save()
    assert set(json.loads(store.read_text(encoding="utf-8"))["verdicts"]) == {"ofpartners", "cyberspace"}
