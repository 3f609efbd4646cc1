"""Frozen row-wise reference of the data-quality rules (the implementation before issue 15).

Scope: a test oracle, not pipeline code. It is a verbatim copy of ``pipeline/validate/`` locate.py,
scan.py, words.py, lines.py, text_rules.py, cells.py, crosstable.py and ``check_tables`` of checks.py
as they were before the rules became columnar (issue 15), joined into one module; only the imports
between those modules were removed. ``tests/unit/validate/test_columnar_equivalence.py`` compares
the serialised findings of :func:`check_tables` here with ``pipeline.validate.checks.check_tables``.
Do not "fix" anything here: it defines what the columnar rules must reproduce byte for byte.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache, partial
from itertools import accumulate

import pandas as pd

from pipeline.csvio import FORMULA_PREFIXES
from pipeline.findings import Finding, excerpt_of
from pipeline.schemas import load_schemas
from pipeline.validate.schema_check import pandera_findings

# ------------------------------ pipeline/validate/locate.py ------------------------------

ORG_KEY = "organization_id"
FILE_COLUMN = "source_file"
LINE_COLUMNS = ("source_line", "source_line_start")


_PLAIN_TYPES = (str, int, bool)  # values of these exact types are never missing and already plain


def is_missing(value: object) -> bool:
    if type(value) in _PLAIN_TYPES:
        return False
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def plain(value: object) -> object:
    """A JSON-friendly scalar (numpy/pandas scalars → int/float/bool/str, NA → None)."""
    if type(value) in _PLAIN_TYPES:
        return value
    if is_missing(value):
        return None
    if hasattr(value, "item"):
        try:
            return value.item()  # numpy scalar
        except (ValueError, AttributeError):
            pass
    if isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


@dataclass(frozen=True)
class Place:
    key: dict[str, object] | None
    source_file: str | None
    source_line: int | None


class Locator:
    """Answers "which key, file and line?" for rows of ``tables`` (positional row numbers).

    Column values are read once per table and column (as plain Python values, on first use), so
    each :meth:`place` is a few list look-ups rather than pandas indexing."""

    def __init__(self, tables: Mapping[str, pd.DataFrame]):
        self.tables = tables
        self.schemas = load_schemas()
        self._org_files: dict[str, str] = {}
        self._values: dict[tuple[str, str], list[object] | None] = {}
        self._lengths: dict[str, int] = {}
        self._key_columns: dict[str, list[str]] = {}
        for df in tables.values():
            if ORG_KEY in df.columns and FILE_COLUMN in df.columns:
                for org, path in zip(df[ORG_KEY].tolist(), df[FILE_COLUMN].tolist(), strict=True):
                    if not is_missing(org) and not is_missing(path):
                        self._org_files.setdefault(str(org), str(path))

    def org_file(self, organization_id: object) -> str | None:
        return None if is_missing(organization_id) else self._org_files.get(str(organization_id))

    def values(self, table: str, column: str) -> list[object] | None:
        """The values of ``table.column`` as plain Python values (:func:`plain`: missing → None),
        read once and shared by every rule (None when there is no such table or column)."""
        return self._column(table, column) if table in self.tables else None

    def _column(self, table: str, column: str) -> list[object] | None:
        """The plain values of ``table.column`` (None when there is no such column)."""
        if (table, column) in self._values:
            return self._values[(table, column)]
        df = self.tables[table]
        values = [plain(v) for v in df[column].tolist()] if column in df.columns else None
        self._values[(table, column)] = values
        return values

    def _length(self, table: str) -> int | None:
        n = self._lengths.get(table)
        if n is None:
            df = self.tables.get(table)
            if df is None:
                return None
            n = self._lengths[table] = len(df)
        return n

    def key(self, table: str, row: int) -> dict[str, object] | None:
        cols = self._key_columns.get(table)
        if cols is None:
            df = self.tables[table]
            pk = self.schemas[table].primary_key if table in self.schemas else []
            cols = self._key_columns[table] = [c for c in pk if c in df.columns]
        if not cols or not 0 <= row < len(self.tables[table]):
            return None
        return {c: self._column(table, c)[row] for c in cols}  # type: ignore[index]

    def place(self, table: str, row: int | None, column: str | None = None, line_offset: int | None = None) -> Place:
        """Key, file and line of ``row``; with ``column`` + ``line_offset``, of that line of the cell."""
        n = self._length(table)
        if n is None or row is None or not 0 <= row < n:
            return Place(None, None, None)

        def get(c: str) -> object:
            values = self._column(table, c)
            return None if values is None else values[row]

        source_file = get(FILE_COLUMN)
        if source_file is None:
            source_file = self.org_file(get(ORG_KEY))
        line = None
        if column is not None and line_offset is not None:
            first = get(f"{column}_source_line")
            if isinstance(first, int):
                line = first + line_offset
        if line is None:
            for c in LINE_COLUMNS:
                value = get(c)
                if isinstance(value, int):
                    line = value
                    break
        return Place(self.key(table, row), source_file, line)


# ------------------------------ pipeline/validate/scan.py ------------------------------

class JoinedColumn:
    """The values of one column ("" for a missing value) joined by ``"\\n"``."""

    def __init__(self, values: Sequence[object]):
        self.texts = [v if type(v) is str else "" if is_missing(v) else str(v) for v in values]
        self.joined = "\n".join(self.texts)
        # offset of each row in ``joined``
        self.starts = list(accumulate(map((1).__add__, map(len, self.texts[:-1])), initial=0)) if self.texts else []

    def row_at(self, pos: int) -> int:
        return bisect_right(self.starts, pos) - 1

    def _next_start(self, row: int) -> int:
        return self.starts[row + 1] if row + 1 < len(self.starts) else len(self.joined) + 1

    def rows_with(self, needle: str) -> set[int]:
        """Rows whose value contains ``needle``."""
        rows: set[int] = set()
        pos = self.joined.find(needle)
        while pos != -1:
            row = self.row_at(pos)
            rows.add(row)
            pos = self.joined.find(needle, self._next_start(row))
        return rows

    def rows_with_ascii_nocase(self, needle: str) -> set[int]:
        """Rows whose value contains ``needle`` (ASCII lowercase letters) in any mix of ASCII case.
        (``bytes.lower`` changes only ASCII letters and is much faster than ``str.lower``.)"""
        encoded = needle.encode()
        return {row for row, text in enumerate(self.texts) if encoded in text.encode("utf-8", "surrogatepass").lower()}

    def rows_starting_with(self, prefixes: tuple[str, ...]) -> set[int]:
        """Rows whose value starts with one of ``prefixes``."""
        return {row for row, text in enumerate(self.texts) if text.startswith(prefixes)}

    def rows_matching(self, pattern: re.Pattern[str]) -> set[int]:
        """Rows in which a search for ``pattern`` in the joined text starts a match."""
        rows: set[int] = set()
        m = pattern.search(self.joined)
        while m is not None:
            row = self.row_at(m.start())
            rows.add(row)
            m = pattern.search(self.joined, self._next_start(row))
        return rows


# -- the same screens in Arrow (RE2): see :func:`re2_class`, :func:`re2_space` -------------------


def re2_class(python_class: str) -> str:
    """A Python character class of literal characters and ranges ("[a-z…]") in RE2 syntax."""
    body = python_class[1:-1]
    return "[" + "".join("-" if ch == "-" and 0 < i < len(body) - 1 else f"\\x{{{ord(ch):x}}}" for i, ch in enumerate(body)) + "]"


@cache
def re2_space() -> str:
    """``re``'s ``\\s`` (every character ``str.isspace`` accepts) as an RE2 class. Unicode has no
    whitespace outside the Basic Multilingual Plane, so only that is scanned (a few ms, once)."""
    return "[" + "".join(f"\\x{{{c:x}}}" for c in range(0x10000) if chr(c).isspace()) + "]"


def arrow_strings(series: object):  # -> pyarrow.Array | None
    """``series`` as an Arrow string array, or None when Arrow cannot take it (then screen in Python)."""
    import pyarrow as pa

    try:
        arr = pa.array(series, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError, UnicodeError):
        return None
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type) else None


def arrow_rows(arr, re2_pattern: str) -> set[int]:
    """Rows of the Arrow string array ``arr`` in which ``re2_pattern`` matches (nulls never)."""
    import pyarrow.compute as pc

    hits = pc.match_substring_regex(arr, re2_pattern).fill_null(False).to_numpy(zero_copy_only=False)
    return {int(i) for i in hits.nonzero()[0]}


# ------------------------------ pipeline/validate/words.py ------------------------------

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


_FOREIGN_LETTER = re.compile("[\u0370-\u03ff\u1f00-\u1fff\u0400-\u052f\u0530-\u058f\u13a0-\u13ff\u2c80-\u2cff]")


def mixed_script_screen_re2() -> str:
    """:func:`mixed_script_rows` as an RE2 pattern for Arrow."""
    return re2_class(_FOREIGN_LETTER.pattern)


def mixed_script_rows(column: JoinedColumn) -> set[int]:
    """Rows of ``column`` with a letter of the scripts :func:`mixed_script_words` looks for (a screen)."""
    return column.rows_matching(_FOREIGN_LETTER)


def mixed_script_words(line: str) -> list[WordIssue]:
    """Words that mix Latin letters with Cyrillic/Greek/... letters, or, in a Latin line, a look-alike
    letter standing alone or next to digits (e.g. a Cyrillic "С2" for "C2")."""
    if not _FOREIGN_LETTER.search(line):
        return []
    issues: list[WordIssue] = []
    latin_letters = sum(1 for ch in line if script_of(ch) == "LATIN")
    other_letters = sum(1 for ch in line if script_of(ch) not in (None, "LATIN"))
    mostly_latin = latin_letters > 2 * other_letters
    for m in re.finditer(r"\w+", line):
        word = m.group()
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
_PUNCT_GLUE = re.compile(r"[a-z]{2,}[;,][A-Za-z]{2,}|[a-z]{2,}[.:?!][A-Z][a-z]+")
_PAREN_GLUE = re.compile(r"[A-Za-z][a-z]{2,}\((?=[A-Z]{2,}\))")
_LOWER_CAPITAL = re.compile(r"^([a-z]{2,})([A-Z][a-z]+)")
_LOWER_ACRONYM = re.compile(r"^([a-z]+)([A-Z]{2,})")
_ACRONYM_LOWER = re.compile(r"^([A-Z]{2,})([a-z]+)$")
_DIGIT_WORD = re.compile(r"\d([a-z]{4,})")
_ALPHA = re.compile(r"[^\W\d_]+")


@cache
def _segmenter():
    """wordsegment's segmenter with its unigram/bigram tables parsed from its own text files (the
    oracle reads no cache: the pipeline's word model cache is tested against this parse)."""
    import wordsegment

    seg = wordsegment.Segmenter()
    seg.load()
    return seg


@lru_cache(maxsize=200_000)
def glued_split(word: str) -> tuple[str, ...] | None:
    """``("of", "partners")`` for "ofpartners"; None when the word is not two or more words glued
    with a function word between or around them."""
    if len(word) < 5 or not (word.islower() or (word[0].isupper() and word[1:].islower())):
        return None
    if not word.isascii():
        return None
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


def run_together_words(line: str, *, use_model: bool = True) -> list[WordIssue]:
    """Words run together in ``line``: missing space after punctuation ("Chile;Peru"), a
    lowercase word glued to a capitalised one ("developmentThe"), a function word glued to an
    acronym ("onDNS", "NGOis"), a number glued to a word ("50countries"), a word glued to a
    parenthesis ("Forum(ABC)") and, with ``use_model``, lowercase words glued together."""
    if _screen(use_model).clean(line):
        return []
    issues: list[WordIssue] = []
    for m in re.finditer(r"\S+", line):
        raw = m.group()
        if found := _token_issue(raw, use_model):
            issues.append(WordIssue(raw.strip("\"'‘’“”«».,;:!?…") or raw, m.start(), found))
    return issues


def run_together_tokens(line: str, tokens: set[str], *, use_model: bool = True) -> list[WordIssue]:
    """:func:`run_together_words` of ``line`` when its run-together tokens are known to be among
    ``tokens`` (as :func:`glued_tokens` of its text answers): only those are looked at."""
    issues: list[WordIssue] = []
    for m in re.finditer(r"\S+", line):
        raw = m.group()
        if raw in tokens and (found := _token_issue(raw, use_model)):
            issues.append(WordIssue(raw.strip("\"'‘’“”«».,;:!?…") or raw, m.start(), found))
    return issues


def glued_tokens(text: str, *, use_model: bool = True) -> set[str]:
    """The whitespace-delimited tokens of ``text`` (any number of lines) that are run together: a
    fast screen, so :func:`run_together_words` need only be called on the lines holding one."""
    return _screen(use_model).bad_in(text)


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
        tokens = text.split()
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
        return f"no space after {g.group()[len(re.match(r'[a-z]+', g.group()).group())]!r}"
    if _PAREN_GLUE.search(raw):
        return "no space before the parenthesis"
    for part in re.split(r"[-–—/’']", raw.strip(_EDGE)):
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


# ------------------------------ pipeline/validate/lines.py ------------------------------

BULLET = re.compile(r"^\s*(?:[•▪◦‣●○■□➢➤►✓✔·*–—-]\s*|(?:\(?\d{1,2}|\(?[a-z]|\(?(?:ii|iii|iv|vi|vii|viii|ix))[.)]\s+)\S")
_LABEL_ITEM = re.compile(r"^\s*(?P<label>[^\s:][^:]{0,60}):\s+\S")
SHORT_LINE = 80


def is_bullet(line: str) -> bool:
    return bool(BULLET.match(line))


def is_label_item(line: str) -> bool:
    m = _LABEL_ITEM.match(line)
    return bool(m) and len(m.group("label").split()) <= 6 and not line.rstrip().endswith(":")


def is_list_intro(line: str) -> bool:
    text = line.strip()
    return text.endswith(":") and len(text) > 1 and not re.search(r"\d:$", text)


def _next_nonblank(lines: list[str], start: int) -> int | None:
    for j in range(start, len(lines)):
        if lines[j].strip():
            return j
    return None


def list_follows(lines: list[str], intro: int) -> bool | None:
    """True when a list starts after line ``intro``; None when the text ends there (the caller
    decides: sub-headings may be the list); False otherwise."""
    j = _next_nonblank(lines, intro + 1)
    if j is None:
        return None
    first = lines[j]
    if is_bullet(first):
        return True
    k = _next_nonblank(lines, j + 1)
    second = lines[k] if k is not None else None
    if is_label_item(first) and second is not None and (is_label_item(second) or is_bullet(second)):
        return True
    short = lambda s: len(s.strip()) <= SHORT_LINE and not is_list_intro(s)  # noqa: E731
    return second is not None and short(first) and short(second)


def lists_missing(lines: list[str], *, has_subheadings: bool) -> list[int]:
    """0-based lines that end with ``:`` and are not followed by a list."""
    missing = []
    for i, line in enumerate(lines):
        if not is_list_intro(line):
            continue
        follows = list_follows(lines, i)
        if follows is False or (follows is None and not has_subheadings):
            missing.append(i)
    return missing


# -- placeholders ---------------------------------------------------------------------------------

_MARKERS = re.compile(r"\b(?:TODO|TBC|TBD|FIXME|XXX+)\b|(?i:lorem ipsum)|(?i:\[(?:insert|add|to be|tbc|tbd|todo|check|\?)[^\]]*\])")
_WHOLE_LINE_BODY = r"(?:\[\s*(?:\.\.\.|…)\s*\]|\.\.\.|…|\?+|n/?a|tbc|tbd|todo|to be (?:completed|confirmed|added|written))[.!]?"
_WHOLE_LINE = re.compile(r"(?i)^" + _WHOLE_LINE_BODY + "$")
# Screens for :func:`placeholder_rows` (each may match more than the rule; never less): a reason
# needs a "?", a whole placeholder line ("?"..., "...", "…", "[...]" or one of the words below) or a
# match of _MARKERS, which holds "[", "TODO", "TBC", "TBD", "FIXME" or "XXX", or "orem" once lowercased.
_PLACEHOLDER_NEEDS = ("?", "...", "…", "[", "TODO", "TBC", "TBD", "FIXME", "XXX")
_PLACEHOLDER_WORD = r"\s*(?i:n/?a|tbc|tbd|todo|to be )"
_WORD_AT_START = re.compile(_PLACEHOLDER_WORD)
_WORD_AT_LINE = re.compile(r"\n" + _PLACEHOLDER_WORD)  # a literal first character: a fast scan
_ANY_LIST_INTRO = re.compile(r"(?m):\s*$")
_SENTENCE_BREAK = re.compile(r"[.!?]\s+\S")
_QUOTES = "\"'‘’“”«»"


def placeholder_rows(column: JoinedColumn) -> set[int]:
    """Rows of ``column`` (texts of several lines) in which some line may have a
    :func:`placeholder_reason`: a screen that may answer more rows, never fewer."""
    rows: set[int] = set()
    for needle in _PLACEHOLDER_NEEDS:
        rows |= column.rows_with(needle)
    rows |= column.rows_with_ascii_nocase("orem")  # "lorem ipsum": re's IGNORECASE folds no other letter to o, r, e, m
    if column.texts and _WORD_AT_START.match(column.texts[0]):
        rows.add(0)
    rows.update(column.row_at(m.end() - 1) for m in _WORD_AT_LINE.finditer(column.joined))
    return rows


def placeholder_screen_re2() -> str:
    """:func:`placeholder_rows` as one RE2 pattern for Arrow (matches at least where it does)."""
    ws = re2_space()
    needles = "|".join(re.escape(n).replace("…", "\\x{2026}") for n in _PLACEHOLDER_NEEDS)
    return f"{needles}|(?i:orem)|(?m:^{ws}*(?i:n/?a|tbc|tbd|todo|to be ))"


def list_intro_screen_re2() -> str:
    """:func:`list_intro_rows` as one RE2 pattern for Arrow (matches at least where it does)."""
    return f"(?m::{re2_space()}*$)"


def list_intro_rows(column: JoinedColumn) -> set[int]:
    """Rows of ``column`` in which some line may be a list introduction (a screen before :func:`lists_missing`)."""
    return column.rows_matching(_ANY_LIST_INTRO)


def placeholder_reason(line: str) -> str | None:
    """Why ``line`` reads as editorial placeholder text, or None."""
    text = line.strip()
    if not text:
        return None
    if _WHOLE_LINE.match(text):
        return "placeholder line"
    if m := _MARKERS.search(text):
        return f"editorial marker {m.group()!r}"
    if (
        text.endswith("?")
        and not is_bullet(text)
        and text[0] not in _QUOTES
        and not _SENTENCE_BREAK.search(text[:-1])
        and len(text.split()) <= 25
    ):
        return "a whole line that is a question (a note to the editor?)"
    return None


def heading_placeholder_reason(heading: str, *, names_known_heading: bool) -> str | None:
    """Why a heading reads as an editorial note: a marker, or a known heading left with a ``?``."""
    text = heading.strip()
    if _WHOLE_LINE.match(text) or _MARKERS.search(text):
        return "placeholder heading"
    if names_known_heading and text.endswith("?"):
        return "known heading left with a question mark"
    return None


# ------------------------------ pipeline/validate/text_rules.py ------------------------------

# Prose columns of the data contract that editors write (checked by the text-quality rules).
PROSE_COLUMNS: dict[str, tuple[str, ...]] = {
    "organizations": ("summary",),
    "sections": ("heading", "text"),
    "footnotes": ("text",),
}
SECTIONS = "sections"


@dataclass(eq=False)  # one per text value: a plain class keeps making a hundred thousand of them cheap
class Cell:
    table: str
    row: int
    column: str
    text: str  # the value; its lines are split only for the cells a rule looks at

    @cached_property
    def lines(self) -> list[str]:
        return self.text.split("\n")


def _values(tables: Mapping[str, pd.DataFrame], table: str, column: str, locator: Locator | None) -> list[object] | None:
    """The values of ``table.column``, read through ``locator`` (shared by the rules) when it reads these tables."""
    df = tables.get(table)
    if df is None or column not in df.columns:
        return None
    if locator is not None and locator.tables.get(table) is df:
        return locator.values(table, column)
    return df[column].tolist()


def prose_cells(tables: Mapping[str, pd.DataFrame], locator: Locator | None = None) -> Iterator[Cell]:
    for table, columns in PROSE_COLUMNS.items():
        df = tables.get(table)
        if df is None:
            continue
        for column in columns:
            values = _values(tables, table, column, locator)
            if values is None:
                continue
            for row, value in enumerate(values):
                if not is_missing(value) and (text := str(value)) and not text.isspace():
                    yield Cell(table, row, column, text)


class Screens:
    """Which prose cells may hold a mixed-script word, a placeholder or a list introduction,
    screened column-wide (:mod:`pipeline.validate.scan`) so the rules look line by line only at those."""

    def __init__(self, tables: Mapping[str, pd.DataFrame], locator: Locator | None = None):
        self._rows: dict[tuple[str, str, str], set[int]] = {}
        for table, columns in PROSE_COLUMNS.items():
            for column in columns:
                df = tables.get(table)
                if df is None or column not in df.columns:
                    continue
                arr = arrow_strings(df[column])  # Arrow's RE2 kernels, else the same screens in Python
                if arr is not None:
                    self._rows[("mixed", table, column)] = arrow_rows(arr, mixed_script_screen_re2())
                    self._rows[("placeholder", table, column)] = arrow_rows(arr, placeholder_screen_re2())
                    self._rows[("intro", table, column)] = arrow_rows(arr, list_intro_screen_re2())
                    continue
                joined = JoinedColumn(_values(tables, table, column, locator) or [])
                self._rows[("mixed", table, column)] = mixed_script_rows(joined)
                self._rows[("placeholder", table, column)] = placeholder_rows(joined)
                self._rows[("intro", table, column)] = list_intro_rows(joined)

    def may(self, kind: str, cell: Cell) -> bool:
        return self.may_row(kind, cell.table, cell.column, cell.row)

    def may_row(self, kind: str, table: str, column: str, row: int) -> bool:
        rows = self._rows.get((kind, table, column))
        return rows is None or row in rows


def _finding(rule: str, message: str, cell: Cell, i: int, locator: Locator, value: str | None) -> Finding:
    place = locator.place(cell.table, cell.row, cell.column, i)
    return Finding(rule, message, table=cell.table, key=place.key, column=cell.column, value=value,
                   source_file=place.source_file, source_line=place.source_line, excerpt=excerpt_of(cell.lines[i]))


def word_findings(tables: Mapping[str, pd.DataFrame], locator: Locator, *, cells: Sequence[Cell] | None = None,
                  screens: Screens | None = None) -> list[Finding]:
    """``mixed-script-word`` and ``run-together-words`` on every line of the prose columns.

    Each cell is screened as a whole first (:class:`Screens`, one set of tokens), so only the
    lines of the few suspicious cells are examined one by one."""
    screens = screens or Screens(tables, locator)
    out: list[Finding] = []
    for cell in prose_cells(tables, locator) if cells is None else cells:
        mixed = screens.may("mixed", cell)
        glued = glued_tokens(cell.text)
        if not (mixed or glued):
            continue
        for i, line in enumerate(cell.lines):
            if mixed:
                for w in mixed_script_words(line):
                    out.append(_finding("mixed-script-word", f"word {w.word!r} mixes scripts: {w.detail}", cell, i, locator, w.word))
            if glued and not glued.isdisjoint(line.split()):
                for w in run_together_tokens(line, glued):
                    out.append(_finding("run-together-words", f"words run together in {w.word!r}: {w.detail}", cell, i, locator, w.word))
    return out


def _children(tables: Mapping[str, pd.DataFrame], locator: Locator | None = None) -> set[tuple[object, object]]:
    parents = _values(tables, SECTIONS, "parent_section_id", locator)
    if parents is None:
        return set()
    orgs = _values(tables, SECTIONS, "organization_id", locator)
    if orgs is None:
        raise KeyError("organization_id")
    return {(org, parent) for org, parent in zip(orgs, parents, strict=True) if not is_missing(parent)}


SectionRow = tuple[int, dict, bool]
# The columns of ``sections`` the section-level rules read.
_SECTION_FIELDS = ("organization_id", "section_id", "heading", "canonical_heading", "text")


def _section_rows(tables: Mapping[str, pd.DataFrame], locator: Locator | None = None) -> Iterator[SectionRow]:
    """(row, record of :data:`_SECTION_FIELDS`, has child sections) for every section."""
    sections = tables.get(SECTIONS)
    if sections is None or sections.empty:
        return
    parents = _children(tables, locator)
    columns = [c for c in _SECTION_FIELDS if c in sections.columns]
    for row, values in enumerate(zip(*(_values(tables, SECTIONS, c, locator) for c in columns), strict=True)):
        rec = dict(zip(columns, values, strict=True))
        yield row, rec, (rec.get("organization_id"), rec.get("section_id")) in parents


def list_intro_findings(tables: Mapping[str, pd.DataFrame], locator: Locator, *, cells: Sequence[Cell] | None = None,
                        sections: Sequence[SectionRow] | None = None, screens: Screens | None = None) -> list[Finding]:
    """``list-intro-without-list``: a line (or heading) ending in ``:`` with no list after it."""
    sections = list(_section_rows(tables, locator)) if sections is None else sections
    screens = screens or Screens(tables, locator)
    subheaded = {row: has for row, _, has in sections}
    out: list[Finding] = []
    for cell in prose_cells(tables, locator) if cells is None else cells:
        if cell.column == "heading" or not screens.may("intro", cell):
            continue
        has_subheadings = cell.table == SECTIONS and subheaded.get(cell.row, False)
        for i in lists_missing(cell.lines, has_subheadings=has_subheadings):
            out.append(_finding("list-intro-without-list", "line ends with ':' but no list follows", cell, i, locator,
                                cell.lines[i].strip()))
    # a heading that ends with ':' introduces its text: the text must start with a list
    for row, rec, has_children in sections:
        if not screens.may_row("intro", SECTIONS, "heading", row):
            continue
        heading = rec.get("heading")
        if is_missing(heading) or not is_list_intro(str(heading)):
            continue
        text = rec.get("text")
        lines = [str(heading)] + ([] if is_missing(text) else str(text).split("\n"))
        follows = list_follows(lines, 0)
        if follows is False or (follows is None and not has_children):
            place = locator.place(SECTIONS, row)
            out.append(Finding("list-intro-without-list", "heading ends with ':' but no list follows", table=SECTIONS, key=place.key,
                               column="heading", value=str(heading), source_file=place.source_file, source_line=place.source_line,
                               excerpt=excerpt_of(str(heading))))
    return out


def placeholder_findings(tables: Mapping[str, pd.DataFrame], locator: Locator, *, cells: Sequence[Cell] | None = None,
                         sections: Sequence[SectionRow] | None = None, screens: Screens | None = None) -> list[Finding]:
    """``placeholder-text``: editorial notes, markers and questions left in headings and text."""
    screens = screens or Screens(tables, locator)
    out: list[Finding] = []
    for cell in prose_cells(tables, locator) if cells is None else cells:
        if cell.column == "heading" or not screens.may("placeholder", cell):
            continue
        for i, line in enumerate(cell.lines):
            if reason := placeholder_reason(line):
                out.append(_finding("placeholder-text", f"placeholder text: {reason}", cell, i, locator, line.strip()))
    for row, rec, _ in _section_rows(tables, locator) if sections is None else sections:
        if not screens.may_row("placeholder", SECTIONS, "heading", row):
            continue
        heading = rec.get("heading")
        if is_missing(heading):
            continue
        known = not is_missing(rec.get("canonical_heading"))
        if reason := heading_placeholder_reason(str(heading), names_known_heading=known):
            place = locator.place(SECTIONS, row)
            out.append(Finding("placeholder-text", f"placeholder text: {reason}", table=SECTIONS, key=place.key, column="heading",
                               value=str(heading), source_file=place.source_file, source_line=place.source_line,
                               excerpt=excerpt_of(str(heading))))
    return out


def empty_section_findings(tables: Mapping[str, pd.DataFrame], locator: Locator, *,
                           sections: Sequence[SectionRow] | None = None) -> list[Finding]:
    """``empty-section``: a heading with no text and no sub-headings."""
    out: list[Finding] = []
    for row, rec, has_children in _section_rows(tables, locator) if sections is None else sections:
        text = rec.get("text")
        if has_children or (not is_missing(text) and not str(text).isspace() and str(text)):
            continue
        place = locator.place(SECTIONS, row)
        heading = "" if is_missing(rec.get("heading")) else str(rec["heading"])
        out.append(Finding("empty-section", f"section {heading!r} has no text and no sub-headings", table=SECTIONS, key=place.key,
                           column="text", value=heading, source_file=place.source_file, source_line=place.source_line,
                           excerpt=excerpt_of(heading)))
    return out


def text_findings(tables: Mapping[str, pd.DataFrame], locator: Locator) -> list[Finding]:
    cells = list(prose_cells(tables, locator))  # split into lines once for every rule
    sections = list(_section_rows(tables, locator))  # and the sections table read once
    screens = Screens(tables, locator)  # and each prose column scanned once per screen
    return [
        *word_findings(tables, locator, cells=cells, screens=screens),
        *list_intro_findings(tables, locator, cells=cells, sections=sections, screens=screens),
        *placeholder_findings(tables, locator, cells=cells, sections=sections, screens=screens),
        *empty_section_findings(tables, locator, sections=sections),
    ]


# ------------------------------ pipeline/validate/cells.py ------------------------------

MARKUP = re.compile(
    r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>"  # tags
    r"|\bon[a-z]{3,}\s*=\s*[\"'`]?"  # event handlers: onerror=, onclick=
    r"|\bjavascript\s*:"  # script URLs
    r"|&(?:[a-zA-Z]{2,8}|#\d{2,5}|#x[0-9a-fA-F]{2,4});"  # character entities
)
# C0/C1 controls except tab and newline, plus invisible format characters (Cf) such as U+200B,
# U+FEFF and the bidirectional overrides U+202A-U+202E / U+2066-U+2069, and U+00AD soft hyphen.
_CONTROL_CLASS = "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]"
CONTROL = re.compile(_CONTROL_CLASS)
_LOOKALIKE_SCRIPTS = "[\u0370-\u03ff\u1f00-\u1fff\u0400-\u052f\u0530-\u058f\u13a0-\u13ff\u2c80-\u2cff]"


def _string_columns(table_name: str, df: pd.DataFrame) -> list[str]:
    table = load_schemas()[table_name]
    return [f["name"] for f in table.fields if f.get("type", "string") == "string" and f["name"] in df.columns]


# Characters a control-character or mixed-script finding needs (one class: one scan of the text).
_SUSPECT_CHARS = re.compile(_CONTROL_CLASS)
_SUSPECT_CHARS_OR_LOOKALIKE = re.compile(_CONTROL_CLASS[:-1] + _LOOKALIKE_SCRIPTS[1:])
# Every match of MARKUP contains one of these (tags "<", entities "&", handlers "=", script URLs).
_MARKUP_NEEDS = ("<", "&", "=", "javascript")


def _candidates(values: Sequence[object], *, lookalikes: bool) -> list[int]:
    """Rows whose value may hold a finding: starts like a formula, or contains markup, a control
    character or (with ``lookalikes``) a letter of a look-alike script; in row order.

    The same rows as searching each value for ``formula | MARKUP | control | look-alike`` with
    ``re``, found column-wide (:class:`pipeline.validate.scan.JoinedColumn`): one scan for the
    suspect characters, one per formula prefix and one per substring markup needs, so only the values around a hit are looked at
    one by one."""
    column = JoinedColumn(values)
    texts = column.texts
    rows = column.rows_starting_with(FORMULA_PREFIXES)
    rows |= column.rows_matching(_SUSPECT_CHARS_OR_LOOKALIKE if lookalikes else _SUSPECT_CHARS)
    for needle in _MARKUP_NEEDS:
        rows |= {row for row in column.rows_with(needle) if row not in rows and MARKUP.search(texts[row])}
    return sorted(rows)


@cache
def _re2_markup() -> str:
    """An RE2 pattern that matches wherever :data:`MARKUP` does (and a little more): ``\\b`` dropped,
    ``\\s`` spelt out, ``\\d`` widened to "not ';'"."""
    ws = re2_space()
    return (
        rf"</?[A-Za-z][A-Za-z0-9-]*(?:{ws}[^<>]*)?/?>"
        rf"|on[a-z]{{3,}}{ws}*="
        rf"|javascript{ws}*:"
        r"|&(?:[a-zA-Z]{2,8}|#[^;]{2,5}|#x[0-9a-fA-F]{2,4});"
    )


def _arrow_candidates(series: pd.Series, *, lookalikes: bool) -> dict[int, str] | None:
    """:func:`_candidates` computed by Arrow's string kernels without converting the column to
    Python strings (row → value of each candidate); None when Arrow cannot take the column. Arrow
    (RE2) searches the suspect characters and a looser MARKUP; ``re`` then confirms MARKUP on the
    few values RE2 found."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = arrow_strings(series)
    if arr is None:
        return None
    rows = arrow_rows(arr, re2_class((_SUSPECT_CHARS_OR_LOOKALIKE if lookalikes else _SUSPECT_CHARS).pattern))
    for prefix in FORMULA_PREFIXES:
        rows.update(int(i) for i in pc.starts_with(arr, prefix).fill_null(False).to_numpy(zero_copy_only=False).nonzero()[0])
    maybe = sorted(arrow_rows(arr, _re2_markup()) - rows)
    maybe_values = arr.take(pa.array(maybe, type=pa.int64())).to_pylist() if maybe else []
    rows.update(row for row, value in zip(maybe, maybe_values, strict=True) if MARKUP.search(value))
    ordered = sorted(rows)
    values = arr.take(pa.array(ordered, type=pa.int64())).to_pylist() if ordered else []
    return dict(zip(ordered, values, strict=True))


def _control_names(text: str) -> str:
    names = []
    for ch in dict.fromkeys(CONTROL.findall(text)):
        names.append(f"U+{ord(ch):04X} {unicodedata.name(ch, 'control')}")
    return ", ".join(names)


def _emit(out: list[Finding], locator: Locator, table: str, column: str, rule: str, message: str, row: int,
          line_no: int | None, line: str, value: str) -> None:
    place = locator.place(table, row, column, line_no)
    out.append(Finding(rule, message, table=table, key=place.key, column=column, value=value,
                       source_file=place.source_file, source_line=place.source_line, excerpt=excerpt_of(line)))


def visible(text: str) -> str:
    """``text`` with each control character shown as ``⟨U+XXXX⟩`` (for excerpts)."""
    return CONTROL.sub(lambda m: f"⟨U+{ord(m.group()):04X}⟩", text)


def cell_findings(tables: Mapping[str, pd.DataFrame], locator: Locator) -> list[Finding]:
    schemas = load_schemas()
    out: list[Finding] = []
    for name, df in tables.items():
        if name not in schemas or not schemas[name].published or df.empty:
            continue
        prose = set(PROSE_COLUMNS.get(name, ()))
        for column in _string_columns(name, df):
            prose_column = column in prose
            emit = partial(_emit, out, locator, name, column)
            # screened in Arrow, only the candidate values read (else the same screen in Python)
            candidates = _arrow_candidates(df[column], lookalikes=not prose_column)
            if candidates is None:
                values = df[column].tolist()
                candidates = {row: values[row] for row in _candidates(values, lookalikes=not prose_column)}
            for row, raw in candidates.items():
                value = str(raw)
                if value.startswith(FORMULA_PREFIXES):
                    emit("spreadsheet-formula", f"{name}.{column} starts with {value[:1]!r}: a spreadsheet would run it as a formula",
                         row, 0, value.split("\n")[0], value[:80])
                for i, line in enumerate(value.split("\n")):
                    if m := MARKUP.search(line):
                        emit("markup-in-text", f"{name}.{column} contains markup {m.group()!r}; it is published as plain text",
                             row, i, line, m.group())
                    if CONTROL.search(line):
                        emit("control-characters", f"{name}.{column} contains control characters: {_control_names(line)}",
                             row, i, visible(line), _control_names(line))
                    if not prose_column:  # prose is checked line by line in text_rules
                        for w in mixed_script_words(line):
                            emit("mixed-script-word", f"{name}.{column}: word {w.word!r} mixes scripts: {w.detail}", row, i, line, w.word)
    return out


# ------------------------------ pipeline/validate/crosstable.py ------------------------------

ESTABLISHED = "established"
WEBSITE = "website"


def foreign_key_findings(tables: Mapping[str, pd.DataFrame], locator: Locator) -> list[Finding]:
    schemas = load_schemas()
    out: list[Finding] = []
    for name, df in tables.items():
        if name not in schemas:
            continue
        for fk in schemas[name].foreign_keys:
            fields = [fk["fields"]] if isinstance(fk["fields"], str) else list(fk["fields"])
            ref = fk["reference"]
            ref_name = ref.get("resource") or name  # "" means the same table
            ref_fields = [ref["fields"]] if isinstance(ref["fields"], str) else list(ref["fields"])
            parent = tables.get(ref_name)
            if any(f not in df.columns for f in fields):
                continue
            if parent is None or any(f not in parent.columns for f in ref_fields):
                out.append(Finding("foreign-key", f"{name}: foreign key ({', '.join(fields)}) refers to {ref_name}, which is missing",
                                   table=name, column=",".join(fields)))
                continue
            known = set(zip(*([plain(v) for v in parent[f].tolist()] for f in ref_fields), strict=True))
            for row, key in enumerate(zip(*([plain(v) for v in df[f].tolist()] for f in fields), strict=True)):
                if key in known or None in key:  # plain(v) is None exactly when v is missing
                    continue
                place = locator.place(name, row)
                shown = ", ".join(f"{f}={v!r}" for f, v in zip(fields, key, strict=True))
                out.append(Finding("foreign-key", f"{name}: {shown} has no matching row in {ref_name} ({', '.join(ref_fields)})",
                                   table=name, key=place.key, column=",".join(fields), value=", ".join(map(str, key)),
                                   source_file=place.source_file, source_line=place.source_line))
    return out


def _rows_with(tables: Mapping[str, pd.DataFrame], column: str):
    for name, df in tables.items():
        if column in df.columns:
            for row, value in enumerate(df[column].tolist()):
                if not is_missing(value):
                    yield name, row, plain(value)


def established_findings(tables: Mapping[str, pd.DataFrame], locator: Locator, *, today: dt.date | None = None) -> list[Finding]:
    year = (today or dt.date.today()).year
    out = []
    for name, row, value in _rows_with(tables, ESTABLISHED):
        if isinstance(value, int) and value > year:
            place = locator.place(name, row)
            out.append(Finding("established-in-future", f"year established {value} lies after {year}", table=name, key=place.key,
                               column=ESTABLISHED, value=str(value), source_file=place.source_file, source_line=place.source_line))
    return out


def website_findings(tables: Mapping[str, pd.DataFrame], locator: Locator) -> list[Finding]:
    out = []
    for name, row, value in _rows_with(tables, WEBSITE):
        if str(value).lower().startswith("http://"):
            place = locator.place(name, row)
            out.append(Finding("website-not-https", f"website {value!r} (header of the profile starting here) uses plain http",
                               table=name, key=place.key, column=WEBSITE,
                               value=str(value), source_file=place.source_file, source_line=place.source_line, excerpt=str(value)))
    return out


# ------------------------------ pipeline/validate/checks.py ------------------------------

def check_tables(tables: Mapping[str, pd.DataFrame], *, today: dt.date | None = None) -> list[Finding]:
    """Every finding about ``tables`` (name → frame as built by ``schema(name).frame``)."""
    frames = {name: df.reset_index(drop=True) for name, df in tables.items()}
    locator = Locator(frames)
    findings = [
        *pandera_findings(frames, locator),
        *foreign_key_findings(frames, locator),
        *established_findings(frames, locator, today=today),
        *website_findings(frames, locator),
        *cell_findings(frames, locator),
        *text_findings(frames, locator),
    ]
    return sorted(findings, key=Finding.sort_key)
