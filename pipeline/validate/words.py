"""Word-level detectors for text quality: look-alike letters from another script, words run together.

Scope: pure functions from one line of text to the suspicious words in it, with the reason. They
know nothing about tables, findings or sources (``pipeline.validate.text_rules`` does that), and
must not hold any word list of the sample: legitimate forms are recognised by their shape (URLs,
e-mail addresses, domain names, decimals, abbreviations such as "e.g.", camel-case brand names such
as "eBay" or "GitHub", acronyms with a suffix such as "NGOs") and lowercase words glued together
are found with an English word-frequency model (``wordsegment``) only when the split contains a
function word ("ofpartners" → "of partners"), which keeps real compounds ("cyberspace",
"policymakers", "multistakeholder") out.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import TypeGuard

from pipeline.fsutil import atomic_write_bytes
from pipeline.validate.scan import re2_class

log = logging.getLogger(__name__)

# Closed-class English words: a glued word is only reported when its split contains one of them.
FUNCTION_WORDS = frozenset(
    "a an the of in on at to for with by from and or nor is are was were be been has have had its "
    "as that this which will can not".split()
)
# Function words that also start or end real compounds ("onboard", "bylaw", "checkin", "inhouse"):
# a two-word split made only with one of these is not reported.
PARTICLES = frozenset("a an at by for in on to".split())
# Cyrillic and Greek letters that look like Latin ones (a lone one in a Latin line is a typo).
LOOKALIKES = frozenset("АВЕЅІЈКМНОРСТХУаеіјосрхуѕһԁԛԝ" "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧοϲ")
# Words at least this frequent in wordsegment's web corpus are words, not typos (typos such as
# "ofthe" or "aswell" stay well below).
COMMON_WORD_COUNT = 2_000_000
_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "COPTIC")


@dataclass(frozen=True)
class WordIssue:
    word: str  # the word as written
    start: int  # offset in the line
    detail: str  # what is wrong, for the message


@lru_cache(maxsize=8192)
def script_of(ch: str) -> str | None:
    """The script of a letter (first word of its Unicode name, for the scripts that have look-alikes)."""
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    for script in _SCRIPTS:
        if name.startswith(script):
            return script
    return "OTHER"


_WORD = re.compile(r"\w+")
_TOKEN = re.compile(r"\S+")  # the tokens str.split() gives: both split on the characters str.isspace accepts
_FOREIGN_LETTER = re.compile("[\u0370-\u03ff\u1f00-\u1fff\u0400-\u052f\u0530-\u058f\u13a0-\u13ff\u2c80-\u2cff]")


def mixed_script_screen() -> str:
    """A letter of the scripts :func:`mixed_script_words` looks for, as a column screen
    (:mod:`pipeline.validate.scan`): a text without one has no mixed-script word."""
    return re2_class(_FOREIGN_LETTER.pattern)


def mixed_script_words(line: str) -> list[WordIssue]:
    """Words that mix Latin letters with Cyrillic/Greek/... letters, or, in a Latin line, a look-alike
    letter standing alone or next to digits (e.g. a Cyrillic "С2" for "C2")."""
    if not _FOREIGN_LETTER.search(line):
        return []
    issues: list[WordIssue] = []
    counts = Counter(line)  # each distinct character's script looked up once
    latin_letters = sum(n for ch, n in counts.items() if script_of(ch) == "LATIN")
    other_letters = sum(n for ch, n in counts.items() if script_of(ch) not in (None, "LATIN"))
    mostly_latin = latin_letters > 2 * other_letters
    for m in _WORD.finditer(line):
        word = m.group()
        if word.isascii():
            continue  # ASCII letters are Latin: no letter of another script
        scripts = {script_of(ch) for ch in word} - {None}
        foreign = [ch for ch in word if script_of(ch) not in (None, "LATIN", "OTHER")]
        if not foreign:
            continue
        has_digit = any(ch.isdigit() for ch in word)
        lone_lookalike = mostly_latin and (has_digit or len(word) == 1) and all(ch in LOOKALIKES for ch in foreign)
        if "LATIN" in scripts or lone_lookalike:
            ch = foreign[0]
            detail = f"{ch!r} is U+{ord(ch):04X} {unicodedata.name(ch, '?')}"
            issues.append(WordIssue(word, m.start(), detail))
    return issues


# -- run-together words ---------------------------------------------------------------------------

# Tokens that are addresses, not words: URLs, e-mail, handles, domain names, paths.
_ADDRESS = re.compile(r"(?i)(?:[a-z][a-z0-9+.-]*://|www\.|@|/|\\|^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}$)")
_EDGE = "\"'‘’“”«»()[]{}<>.,;:!?…*"
_WORD_EDGE = "\"'‘’“”«».,;:!?…"  # stripped from a run-together token for the finding's value
_PUNCT_GLUE = re.compile(r"[a-z]{2,}[;,][A-Za-z]{2,}|[a-z]{2,}[.:?!][A-Z][a-z]+")
_PAREN_GLUE = re.compile(r"[A-Za-z][a-z]{2,}\((?=[A-Z]{2,}\))")
_LOWER_CAPITAL = re.compile(r"^([a-z]{2,})([A-Z][a-z]+)")
_LOWER_ACRONYM = re.compile(r"^([a-z]+)([A-Z]{2,})")
_ACRONYM_LOWER = re.compile(r"^([A-Z]{2,})([a-z]+)$")
_DIGIT_WORD = re.compile(r"\d([a-z]{4,})")
_ALPHA = re.compile(r"[^\W\d_]+")
_SEPARATORS = re.compile(r"[-–—/’']")
_LOWER = "abcdefghijklmnopqrstuvwxyz"


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "atlas"


# The word model cache: wordsegment's parsed tables as JSON, validated on read (never code).
TABLES_FORMAT = "geneva-digital-atlas/wordsegment-tables/1"
Tables = tuple[dict[str, float], dict[str, float]]


@cache
def _segmenter():
    """wordsegment's segmenter with its unigram/bigram tables loaded (on first use only).

    Parsing wordsegment's text tables takes ~0.6 s per process; the parsed tables are cached as a
    JSON file in the user cache dir (``$XDG_CACHE_HOME/atlas``), keyed by the size and
    modification time of the text tables, so later processes load them in about half that. The
    file is data, validated on read (:func:`read_tables`): one that is missing, unreadable or not
    exactly what :func:`encode_tables` writes is a miss, and the tables are parsed as before.
    """
    import wordsegment

    seg = wordsegment.Segmenter()
    sources = [Path(seg.UNIGRAMS_FILENAME), Path(seg.BIGRAMS_FILENAME)]
    try:
        stamp = "-".join(f"{s.stat().st_size}.{s.stat().st_mtime_ns}" for s in sources)
        cached: Path | None = _cache_dir() / f"wordsegment-{stamp}.json"
    except OSError:
        stamp, cached = "", None
    tables = read_tables(cached, stamp) if cached is not None else None
    if tables is None:
        tables = (seg.parse(seg.UNIGRAMS_FILENAME), seg.parse(seg.BIGRAMS_FILENAME))
        if cached is not None:
            _write_atomically(cached, encode_tables(stamp, tables))
    seg.unigrams.update(tables[0])
    seg.bigrams.update(tables[1])
    seg.total = seg.TOTAL
    seg.limit = seg.LIMIT
    return seg


def encode_tables(stamp: str, tables: Tables) -> bytes:
    """The cache file's bytes: the format tag, the text tables' stamp and both tables."""
    doc = {"format": TABLES_FORMAT, "sources": stamp, "unigrams": tables[0], "bigrams": tables[1]}
    return json.dumps(doc, ensure_ascii=False, allow_nan=False).encode("utf-8")


def read_tables(path: Path, stamp: str) -> Tables | None:
    """The tables of the cache file at ``path``, or None (a miss) unless it is exactly what
    :func:`encode_tables` writes for ``stamp``: a JSON object with this format tag and stamp and
    two non-empty objects of word → positive finite count."""
    try:
        doc = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:  # unreadable, not UTF-8, not JSON
        log.info("word model cache %s not used: %s", path, exc)
        return None
    if not isinstance(doc, dict) or doc.get("format") != TABLES_FORMAT or doc.get("sources") != stamp:
        log.info("word model cache %s not used: not this format or these tables", path)
        return None
    unigrams, bigrams = doc.get("unigrams"), doc.get("bigrams")
    if not (_counts(unigrams) and _counts(bigrams)):
        log.info("word model cache %s not used: a table is not word → count", path)
        return None
    return unigrams, bigrams


def _counts(table: object) -> TypeGuard[dict[str, float]]:
    """A non-empty JSON object of positive finite numbers (its keys are strings by JSON)."""
    return isinstance(table, dict) and bool(table) and all(type(v) is float and 0.0 < v < math.inf for v in table.values())


def _write_atomically(path: Path, data: bytes) -> None:
    try:
        atomic_write_bytes(path, data, durable=False)
    except OSError as exc:  # no cache: the next process parses the tables again
        log.info("word model cache not written to %s: %s", path, exc)


@lru_cache(maxsize=200_000)
def glued_split(word: str) -> tuple[str, ...] | None:
    """``("of", "partners")`` for "ofpartners"; None when the word is not two or more words glued
    with a function word between or around them. The model's answers are remembered across
    processes (:class:`_Verdicts`): a word judged once is not judged again."""
    if len(word) < 5 or not (word.islower() or (word[0].isupper() and word[1:].islower())):
        return None
    if not word.isascii():
        return None
    return _verdicts().get(word, _model_split)


def _model_split(word: str) -> tuple[str, ...] | None:
    ws = _segmenter()
    low = word.lower()
    if ws.unigrams.get(low, 0) >= COMMON_WORD_COUNT:
        return None  # a common word in its own right
    parts = tuple(ws.segment(low))
    if len(parts) < 2 or "".join(parts) != low:
        return None
    function = [p for p in parts if p in FUNCTION_WORDS]
    if not function:
        return None
    if len(parts) == 2 and (word[0].isupper() or all(p in PARTICLES for p in function)):
        return None  # capitalised two-part splits are usually proper names
    if any(len(p) < 3 for p in parts if p not in FUNCTION_WORDS):
        return None
    return parts


class _Verdicts:
    """The word model's answers (word → split or None), kept in the user cache dir beside the
    model's tables (``$XDG_CACHE_HOME/atlas/word-verdicts-<key>.json``; the key hashes this module,
    wordsegment's version and its tables), so a new process does not load the model (~0.5 s) nor
    judge again words an earlier run judged. The file is JSON, checked on read (anything else is
    ignored and rewritten); at most :data:`MAX_KNOWN` answers are kept."""

    MAX_KNOWN = 1_000_000

    def __init__(self, path: Path | None):
        self.path = path
        self.known: dict[str, tuple[str, ...] | None] = self._read() if path is not None else {}
        self.fresh: dict[str, tuple[str, ...] | None] = {}

    def _read(self) -> dict[str, tuple[str, ...] | None]:
        assert self.path is not None
        try:
            data = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return {}
        verdicts = data.get("verdicts") if isinstance(data, dict) else None
        if not isinstance(verdicts, dict):
            return {}
        out: dict[str, tuple[str, ...] | None] = {}
        for word, split in verdicts.items():
            if split is None:
                out[word] = None
            elif isinstance(split, list) and all(isinstance(p, str) for p in split):
                out[word] = tuple(split)
            else:
                return {}  # not ours: ignored, rewritten on save
        return out

    def get(self, word: str, judge) -> tuple[str, ...] | None:
        if word in self.known:
            return self.known[word]
        found = self.known[word] = self.fresh[word] = judge(word)
        return found

    def save(self) -> None:
        """Add this process's new answers to the file (what another process wrote meanwhile is kept)."""
        if self.path is None or not self.fresh:
            return
        merged = {**self._read(), **self.fresh}
        if len(merged) > self.MAX_KNOWN:
            merged = dict(self.fresh)
        data = json.dumps({"verdicts": {w: None if s is None else list(s) for w, s in merged.items()}}, separators=(",", ":"))
        _write_atomically(self.path, data.encode("utf-8"))
        self.fresh = {}


@cache
def _verdicts() -> _Verdicts:
    import hashlib
    from importlib.metadata import version

    try:
        import wordsegment

        stamp = "-".join(f"{s.stat().st_size}.{s.stat().st_mtime_ns}"
                         for s in (Path(wordsegment.Segmenter.UNIGRAMS_FILENAME), Path(wordsegment.Segmenter.BIGRAMS_FILENAME)))
        key = hashlib.sha256(f"{Path(__file__).read_bytes()!r}{version('wordsegment')}{stamp}".encode()).hexdigest()[:16]
    except (OSError, ImportError):
        return _Verdicts(None)
    return _Verdicts(_cache_dir() / f"word-verdicts-{key}.json")


def save_verdicts() -> None:
    """Keep the word model's new answers for later processes (see :class:`_Verdicts`)."""
    _verdicts().save()


def run_together_words(line: str, *, use_model: bool = True) -> list[WordIssue]:
    """Words run together in ``line``: missing space after punctuation ("Chile;Peru"), a
    lowercase word glued to a capitalised one ("developmentThe"), a function word glued to an
    acronym ("onDNS", "NGOis"), a number glued to a word ("50countries"), a word glued to a
    parenthesis ("Forum(ABC)") and, with ``use_model``, lowercase words glued together."""
    if _screen(use_model).clean(line):
        return []
    issues: list[WordIssue] = []
    for m in _TOKEN.finditer(line):
        raw = m.group()
        if found := _token_issue(raw, use_model):
            issues.append(WordIssue(raw.strip(_WORD_EDGE) or raw, m.start(), found))
    return issues


def run_together_issues(tokens: set[str], *, use_model: bool = True) -> dict[str, tuple[str, str]]:
    """(word, detail) of each run-together token of ``tokens`` (a vocabulary: distinct
    whitespace-free tokens), by token: a line's :func:`run_together_words`, without the offsets,
    are those of its ``str.split()`` tokens found here, in their order."""
    return {raw: (raw.strip(_WORD_EDGE) or raw, _token_issue(raw, use_model))  # type: ignore[misc]
            for raw in glued_among(tokens, use_model=use_model)}


def glued_among(tokens: set[str], *, use_model: bool = True) -> set[str]:
    """The tokens of ``tokens`` (a vocabulary: distinct whitespace-free tokens) that are run
    together; each token is judged once per process, whatever the number of its occurrences."""
    return _screen(use_model).bad_among(tokens)


class _TokenScreen:
    """Which whitespace-delimited tokens have a run-together issue, remembered across calls.

    ``str.split()`` and the regex ``\\S+`` split on the same whitespace, so a text none of whose
    tokens is in :attr:`bad` has no run-together words. Set operations keep this in C: a text
    whose tokens are all known to be :attr:`good` costs one look-up per token, and only tokens
    never seen before go through :func:`_token_issue`."""

    MAX_KNOWN = 2_000_000  # forget past this many distinct tokens (long-lived processes)

    def __init__(self, use_model: bool):
        self.use_model = use_model
        self.good: set[str] = set()
        self.bad: set[str] = set()

    def bad_in(self, text: str) -> set[str]:
        """The tokens of ``text`` that have an issue."""
        return self.bad_among_tokens(text.split())

    def bad_among_tokens(self, tokens: list[str]) -> set[str]:
        """The tokens of ``tokens`` (a text's ``str.split()``) that have an issue."""
        if self.good.issuperset(tokens):
            return set()
        if len(self.good) + len(self.bad) > self.MAX_KNOWN:
            self.good, self.bad = set(), set()
        found = set(tokens) - self.good
        for token in found - self.bad:
            if not _token_issue(token, self.use_model):
                self.good.add(token)
            else:
                self.bad.add(token)
        return found & self.bad

    def bad_among(self, tokens: set[str]) -> set[str]:
        """The tokens of ``tokens`` (distinct tokens, no whitespace) that have an issue."""
        if len(self.good) + len(self.bad) > self.MAX_KNOWN:
            self.good, self.bad = set(), set()
        for token in tokens - self.good - self.bad:
            if not _token_issue(token, self.use_model):
                self.good.add(token)
            else:
                self.bad.add(token)
        return tokens & self.bad

    def clean(self, text: str) -> bool:
        return not self.bad_in(text)


@cache
def _screen(use_model: bool) -> _TokenScreen:
    return _TokenScreen(use_model)


@lru_cache(maxsize=200_000)
def _token_issue(raw: str, use_model: bool) -> str | None:
    """What is run together in one whitespace-delimited token, or None (cached: tokens repeat)."""
    core = raw.strip(_EDGE)
    if core.isascii() and core.isalpha() and (core.islower() or core[1:].islower()):
        # a plain word ("policy", "(Policy),"), at most wrapped in edge punctuation: no address,
        # glue after punctuation, case change, separator or digit for the checks below to find,
        # so only the model can find something (the same answer as the checks below)
        if use_model and (split := glued_split(core)):
            return "reads as " + repr(" ".join(split))
        return None
    if _ADDRESS.search(raw.strip(_EDGE)):
        return None
    if g := _PUNCT_GLUE.search(raw):
        glue = g.group()
        return f"no space after {glue[len(glue) - len(glue.lstrip(_LOWER))]!r}"  # the character after the lowercase run
    if _PAREN_GLUE.search(raw):
        return "no space before the parenthesis"
    for part in _SEPARATORS.split(raw.strip(_EDGE)):
        if found := _part_issue(part, use_model):
            return found
    return None


def _part_issue(part: str, use_model: bool) -> str | None:
    """What is run together in one part of a token (between hyphens, slashes, apostrophes), or None."""
    if (g := _LOWER_CAPITAL.match(part)) or ((g := _LOWER_ACRONYM.match(part)) and g.group(1) in FUNCTION_WORDS):
        return f"{g.group(1)!r} glued to {g.group(2)!r}"
    if (g := _ACRONYM_LOWER.match(part)) and g.group(2) in FUNCTION_WORDS:
        return f"{g.group(1)!r} glued to {g.group(2)!r}"
    if g := _DIGIT_WORD.search(part):
        return f"number glued to {g.group(1)!r}"
    if use_model:
        for a in _ALPHA.finditer(part):
            if split := glued_split(a.group()):
                return "reads as " + repr(" ".join(split))
    return None
