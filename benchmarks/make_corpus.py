"""Make a synthetic benchmark corpus from the real sample profiles (issue 7).

Scope: read ``sources/*.txt``, split it into profiles (a profile starts at its name line, the line
before the ``Acronym:`` / ``Established:`` / ``Address:`` / ``Website:`` / ``Stakeholder group:``
header block), and write N copies of the sample with distinct organisation names and acronyms and
small text variations, spread over ``--files`` source files. The format and the defects of the
sample (misspelt headings, footnote markers, a Cyrillic letter, NBSP, curly quotes, list
introductions without a list, placeholder questions, words run together) are kept: only prose
paragraphs are reordered, and sentences carrying a defect or a footnote marker are never dropped.

It must NOT import ``pipeline`` (the corpus must not depend on the code it measures), touch
``sources/`` or use anything outside the standard library. Deterministic for a seed: profile k of
copy c is rendered from its own random stream, so it reads the same whatever N is.

    python benchmarks/make_corpus.py 1000 --out benchmarks/corpora/n1000 [--seed 7] [--files 100]
"""

from __future__ import annotations

import argparse
import math
import random
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SOURCES = REPO / "sources"

HEADER_RE = re.compile(r"^(Acronym|Established|Address|Website|Stakeholder group)\s*:", re.I)
ESTABLISHED_RE = re.compile(r"^(Established\s*:\s*)(\d{4})\b")
SOCIAL_RE = re.compile(r"^([A-Z][A-Za-z]*) @(.+)$")
FOOTNOTE_RE = re.compile(r"^\d+\s*[-–]")
MARKER_RE = re.compile(r"\(\d+\)")
SENTENCE_SPLIT_RE = re.compile(r"(?<=[a-z0-9)’”%][.!?])(\s+)(?=[A-Z‘“])")
RUN_TOGETHER_RE = re.compile(r"[A-Za-z]{18,}")
WORD_RE = re.compile(r"[A-Za-z]+")

# Sentences with one of these are never dropped: they carry a defect the extractor must cope with.
PROTECTED_CHARS = frozenset("\u00a0") | frozenset(chr(c) for c in range(0x0400, 0x0500))

CONSONANTS = "BDFGHJKLMNPRSTVZ"
VOWELS = "AEIOU"
SYLLABLES = [c + v for c in CONSONANTS for v in VOWELS]  # 80 pronounceable syllables
NAME_ENDINGS = "LNRSX"  # a name word is 3 syllables + one of these: never equal to an acronym
KINDS = (
    "Institute", "Council", "Forum", "Union", "Centre", "Organisation", "Agency", "Foundation",
    "Alliance", "Network", "Observatory", "Commission", "Programme", "Secretariat",
)
TOPICS = (
    "for Digital Cooperation", "on Trade and Technology", "for Disarmament Research",
    "on Internet Governance", "for Human Rights", "for Telecommunication Standards",
    "on Data and Development", "for Cybersecurity Studies", "on Emerging Technologies",
    "for Digital Inclusion", "on Science and Innovation", "for Online Participation",
)
HANDLE_SUFFIXES = ("_hq", "official", "_geneva", "news", "_int")
MAX_ACRONYMS = 4  # acronym slots per profile (primary + alternates) in the id space


@dataclass
class Profile:
    """One sample profile, pre-analysed once so that each copy renders by cheap joins."""

    name: str | None
    acronyms: list[str]
    lines: list[str]
    blank_after: int = 1  # blank lines before the next profile, as in the sample
    established_line: int | None = None
    established_year: int | None = None
    year_lines: list[int] = field(default_factory=list)  # "Founded in 1980" style mentions
    social_lines: list[int] = field(default_factory=list)
    website_line: int | None = None
    runs: list[list[int]] = field(default_factory=list)  # shufflable paragraph runs
    editable: list[int] = field(default_factory=list)  # paragraphs with >= 2 sentences


@dataclass(frozen=True)
class CorpusStats:
    files: int
    profiles: int
    bytes: int
    seconds: float


# --------------------------------------------------------------------------- reading the sample


def read_sample(sources: Path) -> str:
    """All ``*.txt`` of the sources folder (or one file), BOM and CRLF normalised, one text."""
    paths = sorted(sources.glob("*.txt")) if sources.is_dir() else [sources]
    if not paths:
        raise SystemExit(f"make_corpus: no .txt files in {sources}")
    texts = []
    for p in paths:
        text = p.read_bytes().decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
        texts.append(text.rstrip("\n") + "\n")
    return "\n".join(texts)


def _is_prose(line: str) -> bool:
    return (
        len(line) >= 80
        and line.rstrip().endswith(".")
        and not line[:1].isspace()
        and not FOOTNOTE_RE.match(line)
    )


def split_profiles(text: str) -> list[Profile]:
    """Split the sample at each name line (the last non-blank line before a header block)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    starts: list[int] = []
    i = 0
    while i < len(lines):
        if HEADER_RE.match(lines[i]):
            prev = i - 1
            while prev >= 0 and not lines[prev].strip():
                prev -= 1
            is_name = prev >= 0 and len(lines[prev]) < 150 and not lines[prev].rstrip().endswith(".")
            starts.append(prev if is_name and not HEADER_RE.match(lines[prev]) else i)
            i += 1  # skip the rest of this header block
            while i < len(lines) and (not lines[i].strip() or HEADER_RE.match(lines[i])):
                i += 1
        else:
            i += 1
    if not starts:
        raise SystemExit("make_corpus: no profile header (Acronym:/Established:/...) in the sample")
    bounds = starts + [len(lines)]
    return [_analyse(lines[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]


def _analyse(lines: list[str]) -> Profile:
    blank_after = 0
    while lines and not lines[-1].strip():
        lines, blank_after = lines[:-1], blank_after + 1
    name = None if HEADER_RE.match(lines[0]) else lines[0].strip()
    prof = Profile(name=name, acronyms=[], lines=list(lines), blank_after=max(1, blank_after))
    for idx, line in enumerate(lines):
        m = HEADER_RE.match(line)
        if m and m.group(1).lower() == "acronym" and not prof.acronyms:
            value = line.split(":", 1)[1].strip()
            prof.acronyms = [a.strip() for a in value.split(",") if a.strip()][:MAX_ACRONYMS]
        elif m and m.group(1).lower() == "website":
            prof.website_line = idx
        em = ESTABLISHED_RE.match(line)
        if em and prof.established_line is None:
            prof.established_line, prof.established_year = idx, int(em.group(2))
        if SOCIAL_RE.match(line):
            prof.social_lines.append(idx)
    if prof.established_year is not None:
        year_re = re.compile(
            rf"\b(?:Founded|Established|founded|established)\b[^.]{{0,40}}?\b{prof.established_year}\b"
        )
        prof.year_lines = [
            i for i, ln in enumerate(lines) if i != prof.established_line and year_re.search(ln)
        ]
    # Runs of prose paragraphs separated by single blank lines (no heading in between), not
    # followed by a bullet list (the last one could be its introduction).
    run: list[int] = []
    for idx, line in enumerate(lines):
        nxt = next((ln for ln in lines[idx + 1 :] if ln.strip()), "")
        ok = _is_prose(line) and not nxt.lstrip().startswith("•") and idx not in prof.year_lines
        if ok and run and idx == run[-1] + 2 and not lines[idx - 1].strip():
            run.append(idx)
        elif ok:
            if len(run) >= 2:
                prof.runs.append(run)
            run = [idx]
        elif line.strip():
            if len(run) >= 2:
                prof.runs.append(run)
            run = []
    if len(run) >= 2:
        prof.runs.append(run)
    prof.editable = [
        i for i, ln in enumerate(lines) if _is_prose(ln) and len(_sentences(ln)) >= 2
    ]
    return prof


def _sentences(line: str) -> list[str]:
    """Sentences with their trailing whitespace attached (so ''.join gives the line back)."""
    parts = SENTENCE_SPLIT_RE.split(line)
    return [parts[i] + (parts[i + 1] if i + 1 < len(parts) else "") for i in range(0, len(parts), 2)]


def _protected(sentence: str) -> bool:
    return (
        any(ch in PROTECTED_CHARS for ch in sentence)
        or bool(MARKER_RE.search(sentence))
        or bool(RUN_TOGETHER_RE.search(sentence))
    )


# --------------------------------------------------------------------------- synthetic identities


def _affine(seed: int, label: str, space: int) -> tuple[int, int]:
    rng = random.Random(f"{seed}:{label}")
    a = rng.randrange(1, space)
    while math.gcd(a, space) != 1:
        a = rng.randrange(1, space)
    return a, rng.randrange(space)


def _word(n: int, syllables: int) -> str:
    out = []
    for _ in range(syllables):
        n, r = divmod(n, len(SYLLABLES))
        out.append(SYLLABLES[r])
    return "".join(out)


class Identities:
    """Distinct pronounceable acronyms and names for the g-th organisation of the corpus.

    Acronyms are CV syllables (``KOTAMI``); name words are CV syllables plus a final consonant
    (``Velorun``), so a name word never equals an acronym. Both come from an affine permutation of
    the syllable space: distinct for distinct indices, independent of N.
    """

    def __init__(self, seed: int, organisations: int, reserved: set[str]):
        need = organisations * MAX_ACRONYMS
        self.syllables = 3 if len(SYLLABLES) ** 3 >= need else 4
        self.space = len(SYLLABLES) ** self.syllables
        self.acr = _affine(seed, "acronym", self.space)
        self.nam = _affine(seed, "name", self.space)
        self.seed = seed
        self.reserved = {w.upper() for w in reserved}

    def acronym(self, org: int, slot: int) -> str:
        a, b = self.acr
        word = _word((a * (org * MAX_ACRONYMS + slot) + b) % self.space, self.syllables)
        return word + "X" if word in self.reserved else word  # never a word of the sample

    def name(self, org: int) -> str:
        a, b = self.nam
        n = (a * org + b) % self.space
        word = _word(n, self.syllables) + NAME_ENDINGS[org % len(NAME_ENDINGS)]
        rng = random.Random(f"{self.seed}:name:{org}")
        return f"{word.capitalize()} {rng.choice(KINDS)} {rng.choice(TOPICS)}"


# --------------------------------------------------------------------------- rendering


class Renderer:
    """Render copy c of the sample: every org name/acronym mapped, small random variations."""

    def __init__(self, profiles: list[Profile], seed: int, copies: int):
        self.profiles = profiles
        self.seed = seed
        words = set(WORD_RE.findall("\n".join("\n".join(p.lines) for p in profiles)))
        self.ids = Identities(seed, copies * len(profiles), words)
        # keys: ("n", j) for the name of profile j, ("a", j, slot) for its acronyms
        keys: dict[str, tuple] = {}
        for j, p in enumerate(profiles):
            if p.name:
                keys.setdefault(p.name, ("n", j))
            for s, a in enumerate(p.acronyms):
                keys.setdefault(a, ("a", j, s))
        self.keys = keys
        alternatives = sorted(keys, key=len, reverse=True)
        self.pattern = (
            re.compile("(" + "|".join(rf"\b{re.escape(k)}\b" for k in alternatives) + ")")
            if alternatives
            else None
        )
        # Lower-case acronyms are replaced only in website and social lines (URLs and handles).
        self.lower = {a.lower(): ("a", j, s) for j, p in enumerate(profiles)
                      for s, a in enumerate(p.acronyms) if a.isalpha()}
        # (anchored: a handle or host name that starts with the acronym, e.g. ``@unidirgeneva``)
        alternation = "|".join(re.escape(k) for k in sorted(self.lower, key=len, reverse=True))
        self.lower_re = re.compile(rf"^({alternation})", re.I) if self.lower else None
        self.host_re = re.compile(rf"(?<=[/.])({alternation})(?=[./])") if self.lower else None
        self.pieces = [[self._split(ln) for ln in p.lines] for p in profiles]

    def _split(self, line: str) -> list:
        if self.pattern is None:
            return [line]
        parts = self.pattern.split(line)
        for i in range(1, len(parts), 2):
            parts[i] = self.keys[parts[i]]
        return parts

    def _value(self, key: tuple, copy: int) -> str:
        org = copy * len(self.profiles) + key[1]
        return self.ids.name(org) if key[0] == "n" else self.ids.acronym(org, key[2])

    def _join(self, parts: list, copy: int) -> str:
        if len(parts) == 1:
            return parts[0]
        return "".join(p if i % 2 == 0 else self._value(p, copy) for i, p in enumerate(parts))

    def _handle(self, line: str, copy: int, j: int, rng: random.Random) -> str:
        m = SOCIAL_RE.match(line)
        platform, handle = m.group(1), m.group(2)
        new = self._join(self._split(handle), copy)
        if self.lower_re is not None:
            new = self.lower_re.sub(
                lambda mm: _same_case(mm.group(0), self._value(self.lower[mm.group(0).lower()], copy)),
                new,
                count=1,
            )
        if new == handle:  # nothing of the org in it: prefix the synthetic name word
            word = self.ids.name(copy * len(self.profiles) + j).split()[0]
            new = (word.lower() if handle[:1].islower() else word) + handle
        if " " not in new and rng.random() < 0.3:
            new += rng.choice(HANDLE_SUFFIXES)
        return f"{platform} @{new}"

    def render(self, copy: int, j: int) -> str:
        prof, pieces = self.profiles[j], self.pieces[j]
        rng = random.Random(f"{self.seed}:{copy}:{j}")
        out = [self._join(parts, copy) for parts in pieces]
        # 1. established year (and the summary sentence that repeats it)
        if prof.established_line is not None:
            old = prof.established_year
            new = min(2022, max(1800, old + rng.randint(-5, 5)))
            out[prof.established_line] = ESTABLISHED_RE.sub(
                lambda m: m.group(1) + str(new), out[prof.established_line], count=1
            )
            for i in prof.year_lines:
                out[i] = re.sub(rf"\b{old}\b", str(new), out[i], count=1)
        # 2. handles and website
        for i in prof.social_lines:
            out[i] = self._handle(prof.lines[i], copy, j, rng)
        if prof.website_line is not None and self.host_re is not None:
            w = prof.website_line
            out[w] = self.host_re.sub(
                lambda mm: self._value(self.lower[mm.group(0)], copy).lower(), out[w]
            )
        # 3. drop or duplicate a sentence in a few paragraphs
        if prof.editable:
            for i in rng.sample(prof.editable, min(len(prof.editable), rng.randint(0, 3))):
                sents = _sentences(out[i])
                free = [k for k, s in enumerate(sents) if not _protected(s)]
                if not free:
                    continue
                k = rng.choice(free)
                if len(sents) >= 3 and rng.random() < 0.5:
                    del sents[k]
                    sents[-1] = sents[-1].rstrip()
                else:
                    first = sents[k] if sents[k][-1:].isspace() else sents[k] + " "
                    sents[k : k + 1] = [first, sents[k]]
                out[i] = "".join(sents)
        # 4. reorder the paragraphs of some runs (within one section, blank-line spacing kept)
        for run in prof.runs:
            if rng.random() < 0.25:
                order = [out[i] for i in run]
                rng.shuffle(order)
                for i, text in zip(run, order, strict=True):
                    out[i] = text
        return "\n".join(out)


def _same_case(original: str, replacement: str) -> str:
    if original.islower():
        return replacement.lower()
    if original.isupper():
        return replacement.upper()
    return replacement.capitalize()


# --------------------------------------------------------------------------- corpus


def make_corpus(
    copies: int,
    out: Path,
    *,
    seed: int = 7,
    files: int = 100,
    sources: Path = DEFAULT_SOURCES,
    overwrite: bool = False,
) -> CorpusStats:
    """Write ``copies`` copies of the sample into ``out``; returns what was written."""
    if copies < 1:
        raise SystemExit("make_corpus: N must be >= 1")
    t0 = time.perf_counter()
    profiles = split_profiles(read_sample(sources))
    out.mkdir(parents=True, exist_ok=True)
    existing = list(out.iterdir())
    if existing:
        if not overwrite:
            raise SystemExit(f"make_corpus: {out} is not empty (use --overwrite to replace its .txt files)")
        for p in existing:
            if p.suffix == ".txt" and p.is_file():
                p.unlink()
    renderer = Renderer(profiles, seed, copies)
    total = copies * len(profiles)
    nfiles = max(1, min(files, total))
    width = max(3, len(str(nfiles - 1)))
    written = 0
    for f in range(nfiles):
        lo, hi = f * total // nfiles, (f + 1) * total // nfiles
        chunks = []
        for g in range(lo, hi):
            copy, j = divmod(g, len(profiles))
            chunks.append(renderer.render(copy, j))
            chunks.append("\n" * (1 + profiles[j].blank_after) if g < hi - 1 else "\n")
        data = "".join(chunks).encode("utf-8")
        (out / f"atlas-{f:0{width}d}.txt").write_bytes(data)
        written += len(data)
    return CorpusStats(nfiles, total, written, time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("copies", type=int, metavar="N", help="copies of the sample (6 profiles each)")
    ap.add_argument("--out", type=Path, required=True, help="output folder (created)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--files", type=int, default=100, help="source files to spread over (default 100)")
    ap.add_argument("--sources", type=Path, default=DEFAULT_SOURCES, help="sample file or folder")
    ap.add_argument("--overwrite", action="store_true", help="replace the .txt files already in --out")
    args = ap.parse_args(argv)
    stats = make_corpus(
        args.copies, args.out, seed=args.seed, files=args.files, sources=args.sources,
        overwrite=args.overwrite,
    )
    print(
        f"{stats.profiles} profiles in {stats.files} files, {stats.bytes:,} bytes "
        f"({stats.bytes / 1e6:.1f} MB) → {args.out} in {stats.seconds:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
