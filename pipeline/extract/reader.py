"""Finding and decoding source files.

Scope: turn the SOURCE arguments (files or folders) into a sorted list of readable files with the
path each is known by (relative to the folder given), refusing links that lead outside it; decode
bytes to text (UTF-8 with or without BOM, UTF-16/32 with BOM; 8-bit text as Windows-1252 or Mac
Roman only where exactly one reading is plausible (``legacy``), else refused naming the bytes; in a
file that is otherwise UTF-8, only the stray bytes are read as Windows-1252), normalise line ends,
NFC and non-breaking spaces. Problems become findings, never exceptions. It must not parse profiles.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import stat
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import CORRECTIONS_NAME
from pipeline.extract import legacy
from pipeline.extract.model import SourceFile
from pipeline.findings import Finding

# Spaces that are not U+0020 but mean one (NBSP, narrow NBSP, figure space, ...), and zero-width
# characters. Replaced one by one with str.replace: str.translate with a dict is ~20x slower here.
_SPACE_LIKE = "\u00a0\u2007\u202f\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200a\u3000"
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CP1252_OK = set("€‚„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ\u00a0¡¢£¤¥¦§¨©ª«¬\u00ad®¯°±²³´µ¶·¸¹º»¼½¾¿")


@dataclass(frozen=True)
class SourceText:
    source: SourceFile
    text: str  # normalised: LF line ends, NFC, plain spaces


def discover(paths: list[Path], *, exclude: Iterable[Path] = ()) -> tuple[list[tuple[Path, str]], list[Finding]]:
    """Files to read as (path, name relative to the folder given), sorted by name; plus findings.

    Only regular files are read. Everything else under a folder gets a finding naming it and is
    never opened (a named pipe would block the run): hidden files and folders, pipes, sockets and
    devices, links to folders (info or warning); links that lead outside the folder, and links
    that cannot be followed (a loop, a missing target), are errors. The editors' corrections file
    is never a profile source: ``corrections.yaml`` at the top of a folder given (its default place)
    and the files of ``exclude`` (the configured one) are skipped."""
    found: dict[str, Path] = {}
    findings: list[Finding] = []
    skipped = {p.resolve() for p in exclude} | {(p / CORRECTIONS_NAME).resolve() for p in paths if p.is_dir()}
    for given in paths:
        if given.is_dir():
            root = given.resolve()
            for path, rel in _walk(given, findings):
                if _kind(path, rel, root, findings) == "file" and path.resolve() not in skipped:
                    _add(found, rel, path, findings)
        elif os.path.lexists(given):
            if _kind(given, given.name, None, findings) == "file":
                _add(found, given.name, given, findings)
        else:
            findings.append(Finding("file-unreadable", f"{given}: no such file or folder", source_file=str(given)))
    return [(p, rel) for rel, p in sorted(found.items())], findings


def _walk(folder: Path, findings: list[Finding], prefix: str = "") -> Iterator[tuple[Path, str]]:
    """Every entry under ``folder`` (not following links), sorted, with its name relative to it;
    hidden entries are reported once (a hidden folder as a whole) and not entered."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        findings.append(
            Finding("file-unreadable", f"{prefix or folder}: folder cannot be listed: {_cause(exc)}", source_file=prefix or str(folder))
        )
        return
    for entry in entries:
        rel = f"{prefix}{entry.name}"
        if entry.name.startswith("."):
            what = "folder" if entry.is_dir(follow_symlinks=False) else "file"
            findings.append(Finding("file-skipped", f"{rel} is a hidden {what}; not read", source_file=rel))
        elif entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path), findings, rel + "/")
        else:
            yield Path(entry.path), rel


_SPECIAL = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _kind(path: Path, rel: str, root: Path | None, findings: list[Finding]) -> str:
    """'file' when ``path`` is (a link inside ``root`` to) a regular file; else '' with a finding."""
    link = path.is_symlink()
    try:
        if link:
            target = path.resolve(strict=True)
            if root is not None and not target.is_relative_to(root):
                findings.append(
                    Finding("file-outside-sources", f"{rel} is a link to {target}, outside the sources folder; refused", source_file=rel)
                )
                return ""
        mode = path.stat().st_mode
    except (OSError, RuntimeError) as exc:  # RuntimeError: a link loop (Python 3.11's resolve)
        what = "is a link that cannot be followed" if link else "cannot be read"
        findings.append(Finding("file-unreadable", f"{rel} {what}: {_cause(exc)}", source_file=rel))
        return ""
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        findings.append(
            Finding("file-skipped", f"{rel} is a link to a folder; not followed (its files are read where they are)", source_file=rel)
        )
        return ""
    what = next((name for test, name in _SPECIAL if test(mode)), "not a regular file")
    findings.append(Finding("file-not-regular", f"{rel} is {what}, not a regular file; not read", source_file=rel))
    return ""


def _cause(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return "a link loop" if "loop" in str(exc).lower() else str(exc)


def _add(found: dict[str, Path], rel: str, path: Path, findings: list[Finding]) -> None:
    """Record ``path`` under ``rel`` unless another file already has that name (reported)."""
    other = found.get(rel)
    if other is None:
        found[rel] = path
    elif other.resolve() != path.resolve():
        findings.append(Finding("file-name-clash", f"{path} has the same name ({rel}) as {other}; only the first is read", source_file=rel))


Decoded = tuple[str | None, str, list[Finding]]  # (text or None, encoding name, findings)


def decode(data: bytes, rel: str) -> Decoded:
    """Bytes → (text or None, encoding name, findings)."""
    if not data.strip():
        return None, "", [Finding("file-empty", f"{rel} is empty", source_file=rel)]
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode_with_bom(data, rel, encoding)
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        return None, "", [Finding("file-binary", f"{rel} contains NUL bytes: not a text file", source_file=rel, source_line=line)]
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError as exc:
        return _decode_not_utf8(data, rel, exc.start)


def _decode_with_bom(data: bytes, rel: str, encoding: str) -> Decoded:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        message = f"{rel} starts with a {encoding} byte-order mark but is not valid {encoding} near byte {exc.start}"
        return None, encoding, [Finding("file-encoding-unknown", message, source_file=rel, source_line=line)]
    text = text.removeprefix("\ufeff")
    if not text.strip():  # a byte-order mark and nothing else (or only blanks)
        return None, encoding, [Finding("file-empty", f"{rel} is empty", source_file=rel)]
    if "\x00" in text:  # as without a byte-order mark: a NUL character means not a text file
        line = text.count("\n", 0, text.index("\x00")) + 1
        return None, encoding, [Finding("file-binary", f"{rel} contains NUL bytes: not a text file", source_file=rel, source_line=line)]
    converted = Finding("file-encoding-converted", f"{rel} is {encoding.upper()} (byte-order mark); decoded", source_file=rel)
    return text, encoding.replace("-sig", ""), [] if encoding == "utf-8-sig" else [converted]


def _decode_not_utf8(data: bytes, rel: str, bad: int) -> Decoded:
    """Bytes that are not valid UTF-8 from offset ``bad``: mostly UTF-8 with stray bytes, or 8-bit text."""
    line = data[:bad].count(b"\n") + 1
    if _UTF8_MULTIBYTE.search(data):
        # Mostly UTF-8 with stray bytes (a paste from a Latin-1 source): decoding the whole file as
        # cp1252 would garble every UTF-8 character ("’" → "â€™"); only the stray bytes are.
        mixed = _decode_mixed(data)
        if mixed is not None:
            text, lines = mixed
            where = ", ".join(map(str, lines[:5])) + (" …" if len(lines) > 5 else "")
            message = f"{rel} is UTF-8 except for bytes on line(s) {where}, read as Windows-1252/Latin-1: check those lines"
            return text, "utf-8", [Finding("file-encoding-converted", message, source_file=rel, source_line=lines[0])]
        message = f"{rel} is UTF-8 with invalid bytes that no other encoding explains; the first at {legacy.where(data, bad)}"
        return None, "", [Finding("file-encoding-unknown", message, source_file=rel, source_line=line)]
    return _decode_8bit(data, rel, line)


def _decode_8bit(data: bytes, rel: str, line: int) -> Decoded:
    """Windows-1252 or Mac Roman, when exactly one reading is plausible (``legacy.decide``); else refused
    with the bytes that decided it."""
    verdict = legacy.decide(data)
    chosen = verdict.encoding
    if chosen is None:
        return None, "", [_refusal(data, rel, line, verdict)]
    why = ""
    for codec, name in legacy.CANDIDATES:
        if codec == chosen:
            continue
        if codec not in verdict.readings:
            why = f"; it is not {name} (undefined or control bytes)"
        elif (d := verdict.doubts[codec]) is not None:
            why = f"; read as {name} it would give {legacy.context(verdict.readings[codec], d.offset)!r} ({d.reason})"
        else:  # the same text either way
            why = f" (the same text as {name})"
    message = f"{rel} is not UTF-8 (first non-UTF-8 byte on line {line}); decoded as {legacy.NAMES[chosen]}{why}: check the text"
    return verdict.readings[chosen], chosen, [Finding("file-encoding-converted", message, source_file=rel, source_line=line)]


def _refusal(data: bytes, rel: str, line: int, verdict: legacy.Verdict) -> Finding:
    """``file-encoding-unknown`` naming the bytes each reading stumbles on, or, when both read
    plausibly, the first bytes they read differently."""
    parts = []
    for codec, name in legacy.CANDIDATES:
        if codec not in verdict.readings:
            parts.append(f"not {name} (undefined or control bytes)")
        elif (d := verdict.doubts[codec]) is not None:
            text = verdict.readings[codec]
            parts.append(f"as {name}, {legacy.where(data, d.offset)} read {legacy.context(text, d.offset)!r}: {d.reason}")
    spots = [d.offset for d in verdict.doubts.values() if d is not None]
    if len(verdict.readings) == 2 and not spots:  # both plausible, and they differ
        at = legacy.first_difference(verdict.readings)
        read = " or ".join(f"{legacy.context(t, at)!r} ({legacy.NAMES[c]})" for c, t in verdict.readings.items())
        parts.append(f"it reads plausibly but differently as Windows-1252 and Mac Roman, e.g. {legacy.where(data, at)} read {read}")
        spots = [at]
    first = data[: min(spots)].count(b"\n") + 1 if spots else line
    detail = "; ".join(parts)
    message = f"{rel} is not UTF-8 and no 8-bit encoding is certain: {detail}. Re-save the file as UTF-8"
    return Finding("file-encoding-unknown", message, source_file=rel, source_line=first)


_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)


def _decode_mixed(data: bytes) -> tuple[str, list[int]] | None:
    """UTF-8 line by line, a failing line's invalid bytes read as cp1252 letters/punctuation (linear);
    (text, numbers of the lines repaired), or None when a byte is not a plausible cp1252 character."""
    out: list[str] = []
    repaired: list[int] = []
    for number, raw in enumerate(data.split(b"\n"), 1):
        try:
            out.append(raw.decode("utf-8"))
            continue
        except UnicodeDecodeError:
            pass
        try:
            out.append(_STRAY.sub(_stray_as_cp1252, raw.decode("utf-8", "surrogateescape")))
        except ValueError:  # UnicodeDecodeError is a ValueError
            return None
        repaired.append(number)
    return "\n".join(out), repaired


_STRAY = re.compile("[\udc80-\udcff]+")  # bytes that surrogateescape could not decode as UTF-8


def _stray_as_cp1252(m: re.Match[str]) -> str:
    chars = bytes(ord(c) - 0xDC00 for c in m.group()).decode("cp1252")
    if not all(c.isalpha() or c in _CP1252_OK for c in chars):
        raise ValueError(chars)
    return chars


def normalise(text: str) -> str:
    """LF line ends, NFC, non-breaking and other special spaces → plain space, zero-width removed."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.isascii():
        for ch in _SPACE_LIKE:
            if ch in text:
                text = text.replace(ch, " ")
        for ch in _ZERO_WIDTH:
            if ch in text:
                text = text.replace(ch, "")
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


def read_source(path: Path, rel: str) -> tuple[SourceText | None, list[Finding]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [Finding("file-unreadable", f"{rel}: {exc.strerror or exc}", source_file=rel)]
    digest = hashlib.sha256(data).hexdigest()
    text, encoding, findings = decode(data, rel)
    if text is None:
        src = SourceFile(rel, digest, len(data), encoding or "unknown", data.count(b"\n") + (not data.endswith(b"\n")))
        return SourceText(src, ""), findings
    text = normalise(text)
    line_count = text.count("\n") + (0 if text.endswith("\n") else 1)
    return SourceText(SourceFile(rel, digest, len(data), encoding, line_count), text), findings
