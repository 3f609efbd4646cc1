"""Every rule of the catalogue fires on an input that breaks it and stays quiet on the nearest input
that does not (issue 16).

``CASES`` maps each rule of ``pipeline.findings.RULES`` to a *stage* of the real pipeline and two
inputs: a trigger and a quiet near-miss. A case holds data only: the stage runs the pipeline's own
code (extraction, the in-memory checks, validation of written files, the extraction cache, the
staging of a failed run), so a trigger passes only when the pipeline itself reports the rule. The
meta-test fails when a rule has no case (or a case names no rule), so a new rule needs both tests.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from conftest import make_profile

from pipeline.extract import extract_file, extract_paths, write_tables
from pipeline.extract.cache import SourceEntry, cache_key, entry_path, read_or_extract, store
from pipeline.findings import RULES, Finding

Files = dict[str, str | bytes]
Setup = Callable[[Path], list[Path]]  # builds sources under a folder, returns the paths to extract
Edit = Callable[[dict[str, pd.DataFrame]], None]
GOOD = make_profile(name="Good Organisation", acronym="GOOD")
GENEVA = "Rue de l'Exemple 1, CH-1211 Geneva 2, Switzerland"


@dataclass(frozen=True)
class Input:
    """What a stage is given: source files (or a setup of the sources folder), and for the checks an
    edit of the extracted tables (as an editor's CSV or a pipeline bug would leave them)."""

    files: Files = field(default_factory=dict)
    setup: Setup | None = None
    edit: Edit | None = None
    cache_entry: bytes | None = None  # what the first file's extraction cache entry is overwritten with
    failure: str | None = None  # the reason a step of the run raised
    corrections: str | None = None  # the editors' corrections file (sources/corrections.yaml)


@dataclass(frozen=True)
class Outcome:
    findings: list[Finding]
    processed: int  # files read, rows checked: proof the stage ran on something


@dataclass(frozen=True)
class Case:
    stage: str
    trigger: Input
    quiet: Input


def _sources(tmp: Path, given: Input) -> list[Path]:
    src = tmp / "sources"
    src.mkdir(parents=True, exist_ok=True)
    for name, content in given.files.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return given.setup(src) if given.setup else [src]


def _extract(tmp: Path, given: Input) -> Outcome:
    ex = extract_paths(_sources(tmp, given))
    return Outcome(ex.findings, len(ex.sources))


def _checks(tmp: Path, given: Input) -> Outcome:
    """The in-memory checks of a run (pandera, data-quality rules, cross-table) on the extraction."""
    from pipeline.validate.checks import check_tables

    ex = extract_paths(_sources(tmp, given))
    tables = {name: frame.copy() for name, frame in ex.tables.items()}
    if given.edit:
        given.edit(tables)
    return Outcome(check_tables(tables, today=dt.date(2026, 1, 1)), sum(len(t) for t in tables.values()))


def _folder(tmp: Path, given: Input) -> Outcome:
    """`atlas validate` on the folder `atlas extract` writes, its CSV files edited first."""
    from pipeline.validate import validate_folder

    ex = extract_paths(_sources(tmp, given))
    out = tmp / "tables"
    write_tables(ex, out)
    if given.edit:
        tables = {p.stem: pd.read_csv(p, dtype=str, keep_default_na=False) for p in out.glob("*.csv")}
        given.edit(tables)
        for name, frame in tables.items():
            frame.to_csv(out / f"{name}.csv", index=False)
    report = validate_folder(out)
    findings = [Finding(f.rule, f.message, severity=f.severity, source_file=f.source_file) for f in report.findings]
    return Outcome(findings, len(ex.tables["organizations"]))


def _cache(tmp: Path, given: Input) -> Outcome:
    """The extraction cache of a run: each file stored, its entry then rewritten by ``edit``'s bytes."""
    (src,) = _sources(tmp, given)
    url, files = str(tmp / "cache"), []
    for path in sorted(src.iterdir()):
        entry = SourceEntry.of(path, path.name)
        key = cache_key("catalogue", entry.rel, entry.sha256)
        store(url, key, extract_file(path, path.name))
        files.append((entry, key))
    if given.cache_entry is not None:
        Path(str(entry_path(url, files[0][1]))).write_bytes(given.cache_entry)
    extractions, findings = read_or_extract(url, files)
    return Outcome(findings, len(extractions))


def _staging(tmp: Path, given: Input) -> Outcome:
    """The staging step of a run: a failed run (a step raised) or a good one, read back from its report."""
    from pipeline.publish.candidate import stage, stage_failure

    outputs = tmp / "outputs"
    if given.failure is not None:
        stage_failure(outputs, step="extracted_records", reason=given.failure, source_file="a.txt")
        report = outputs / "blocked" / "validation" / "report.json"
    else:
        ex = extract_paths(_sources(tmp, given))
        stage(ex.tables, outputs, sources=ex.sources, findings=ex.findings)
        report = outputs / "staging" / "validation" / "report.json"
    doc = json.loads(report.read_text(encoding="utf-8"))
    return Outcome([Finding(f["rule"], f["message"], severity=f["severity"]) for f in doc["findings"]], 1)


def _corrected(tmp: Path, given: Input) -> Outcome:
    """`atlas extract` with the editors' corrections file of the sources folder applied."""
    from pipeline.corrections.apply import apply_corrections

    (src,) = _sources(tmp, given)
    (src / "corrections.yaml").write_text(given.corrections or "corrections: []\n", encoding="utf-8")
    ex = apply_corrections(extract_paths([src]), src / "corrections.yaml", sources_dir=src)
    return Outcome(ex.findings, len(ex.sources))


STAGES: dict[str, Callable[[Path, Input], Outcome]] = {
    "extract": _extract,
    "checks": _checks,
    "folder": _folder,
    "cache": _cache,
    "staging": _staging,
    "corrections": _corrected,
}


# -- inputs ----------------------------------------------------------------------------------------


def _profile(**kw: object) -> Files:
    return {"a.txt": make_profile(**kw)}  # type: ignore[arg-type]


def _body(body: str, **kw: object) -> Files:
    return _profile(body=body, **kw)


def _links(**links: str) -> Setup:
    def setup(src: Path) -> list[Path]:
        (src / "good.txt").write_text(GOOD, encoding="utf-8")
        for name, target in links.items():
            (src / name.replace("_", ".")).symlink_to(target)
        return [src]

    return setup


def _fifo(src: Path) -> list[Path]:
    os.mkfifo(src / "pipe.txt")
    return [src]


def _plain_pipe(src: Path) -> list[Path]:
    (src / "pipe.txt").write_text(GOOD.replace("GOOD", "PIPE"), encoding="utf-8")
    return [src]


def _two_folders(same_name: bool) -> Setup:
    def setup(src: Path) -> list[Path]:
        for folder, acronym in (("one", "ONE"), ("two", "TWO")):
            (src / folder).mkdir()
            name = "a.txt" if same_name else f"{folder}.txt"
            (src / folder / name).write_text(make_profile(acronym=acronym), encoding="utf-8")
        return [src / "one", src / "two"]

    return setup


def _outside(src: Path) -> list[Path]:
    (src / "good.txt").write_text(GOOD, encoding="utf-8")
    outside = src.parent / "outside.txt"
    outside.write_text(make_profile(acronym="OUT"), encoding="utf-8")
    (src / "link.txt").symlink_to(outside)
    return [src]


def _fix(column: str = "established", organization: str = "good", **fields: str) -> str:
    """A corrections file of one entry on the GOOD profile's organisations row."""
    given = {"organization": organization, "table": "organizations", "column": column, **fields}
    given |= {"reason": "Checked with the organisation.", "editor": "Jane Editor", "date": "2024-05-02"}
    return "corrections:\n" + "\n".join(("  - " if i == 0 else "    ") + f"{k}: {v}" for i, (k, v) in enumerate(given.items())) + "\n"


def _set(table: str, column: str, value: object, row: int = 0) -> Edit:
    def edit(tables: dict[str, pd.DataFrame]) -> None:
        tables[table].loc[row, column] = value

    return edit


SMART = "The “smart” city… it’s a café – with “quotes”."
LONG = "x" * 100_001
POLICY = "Digital policy issues\n\n{0}\n\nText on it.\n\n{1}\n\nMore text.\n"
NOTES = "Digital policy issues\n\nAccess (1)\n\nText on access.\n\n{0}\n\nText on security.\n\n{1}\n"

CASES: dict[str, Case] = {
    # -- input files --------------------------------------------------------------------------------
    "file-unreadable": Case("extract", Input(setup=_links(loop="loop")), Input(setup=_links(alias_txt="good.txt"))),
    "file-empty": Case("extract", Input({"e.txt": b"\n \n", "g.txt": GOOD}), Input({"e.txt": "\n" + GOOD, "g.txt": GOOD})),
    "file-binary": Case("extract", Input({"b.txt": GOOD + "\x00\n"}), Input({"b.txt": GOOD + "0\n"})),
    "file-encoding-unknown": Case(
        "extract",
        Input({"w.txt": make_profile(address=GENEVA, summary="It’s the organisation’s work.").encode("cp1252")}),
        Input({"w.txt": make_profile(address=GENEVA, summary="It’s the organisation’s work.").encode("utf-8")}),
    ),
    "file-encoding-converted": Case(
        "extract", Input({"m.txt": make_profile(summary=SMART).encode("mac_roman")}), Input({"m.txt": make_profile(summary=SMART)})
    ),
    "file-name-clash": Case("extract", Input(setup=_two_folders(True)), Input(setup=_two_folders(False))),
    "file-outside-sources": Case("extract", Input(setup=_outside), Input(setup=_links(inside_txt="good.txt"))),
    "file-not-regular": Case("extract", Input({"g.txt": GOOD}, setup=_fifo), Input({"g.txt": GOOD}, setup=_plain_pipe)),
    "file-skipped": Case("extract", Input({".draft.txt": GOOD, "g.txt": GOOD}), Input({"draft.txt": GOOD, "g.txt": GOOD})),
    "run-failed": Case("staging", Input({"a.txt": GOOD}, failure="Not a directory (ENOTDIR): outputs/.cache"), Input({"a.txt": GOOD})),
    "cache-entry-invalid": Case(
        "cache", Input({"a.txt": GOOD}, cache_entry=b'{"format": "geneva-digital-atlas/extract-cache/1", "key": 3}'), Input({"a.txt": GOOD})
    ),
    "line-too-long": Case("extract", Input({"a.txt": GOOD + LONG + "\n"}), Input({"a.txt": GOOD + LONG[1:] + "\n"})),
    "text-before-first-profile": Case("extract", Input({"a.txt": "A stray line of another page.\n\n" + GOOD}), Input({"a.txt": GOOD})),
    "no-profiles": Case("extract", Input({"a.txt": "Just some prose with no header.\n", "g.txt": GOOD}), Input({"g.txt": GOOD})),
    # -- profile header -----------------------------------------------------------------------------
    "profile-unidentifiable": Case("extract", Input(_profile(name=None, acronym=None)), Input(_profile(name=None, acronym="ANON"))),
    "profile-truncated": Case(
        "extract",
        Input({"a.txt": GOOD + "\nCut Organisation\n\nAcronym: CUT\n\nAddress: Rue du"}),
        Input({"a.txt": GOOD + "\n" + make_profile(name="Cut Organisation", acronym="CUT")}),
    ),
    "name-too-long": Case("extract", Input(_profile(name="N" * 10_000)), Input(_profile(name="Named Organisation"))),
    "missing-name": Case("extract", Input(_profile(name=None)), Input(_profile())),
    "missing-acronym": Case("extract", Input(_profile(acronym=None)), Input(_profile())),
    "missing-header-field": Case("extract", Input(_profile(website=None)), Input(_profile())),
    "duplicate-header-field": Case(
        "extract", Input({"a.txt": GOOD.replace("Acronym: GOOD", "Acronym: GOOD\n\nAcronym: GOOD")}), Input({"a.txt": GOOD})
    ),
    "unknown-header-field": Case(
        "extract", Input({"a.txt": GOOD.replace("Acronym: GOOD", "Acronym: GOOD\n\nMotto: Digital for all")}), Input({"a.txt": GOOD})
    ),
    "established-unparseable": Case("extract", Input(_profile(established="soon")), Input(_profile(established="1990"))),
    "established-impossible": Case("extract", Input(_profile(established="20006")), Input(_profile(established="2006"))),
    "established-qualified": Case("extract", Input(_profile(established="c. 1950")), Input(_profile(established="1950"))),
    "established-from-summary": Case(
        "extract",
        Input(_profile(established=None, summary="The organisation was established in 1995.")),
        Input(_profile(established="1995", summary="The organisation was established in 1995.")),
    ),
    "website-scheme": Case("extract", Input(_profile(website="ftp://example.org/")), Input(_profile(website="https://example.org/"))),
    "website-not-https": Case("checks", Input(_profile(website="http://example.org/")), Input(_profile(website="https://example.org/"))),
    "address-unparsed": Case("extract", Input(_profile(address="Somewhere over the rainbow")), Input(_profile())),
    "stakeholder-group-unknown": Case("extract", Input(_profile(group="Friendly aliens")), Input(_profile(group="Civil society"))),
    "duplicate-organization": Case(
        "extract",
        Input({"a.txt": make_profile(acronym="TWICE"), "b.txt": make_profile(acronym="TWICE", website="https://other.example/")}),
        Input({"a.txt": make_profile(acronym="TWICE"), "b.txt": make_profile(name="Other Organisation", acronym="OTHER")}),
    ),
    "duplicate-organization-same": Case(
        "extract",
        Input({"a.txt": make_profile(acronym="TWICE"), "b.txt": make_profile(acronym="TWICE")}),
        Input({"a.txt": make_profile(acronym="TWICE"), "b.txt": make_profile(name="Other Organisation", acronym="OTHER")}),
    ),
    # -- structure ------------------------------------------------------------------------------------
    "misspelt-heading": Case(
        "extract", Input(_body("Digital activites\n\nText of the section.\n")), Input(_body("Digital activities\n\nText of the section.\n"))
    ),
    "variant-heading": Case(
        "extract",
        Input(_body("Data and digital activities\n\nText of the section.\n")),
        Input(_body("Digital activities\n\nText of the section.\n")),
    ),
    "unmapped-issue-heading": Case(
        "extract",
        Input(_body(POLICY.format("Underwater basket weaving", "Access"))),
        Input(_body(POLICY.format("Cybersecurity", "Access"))),
    ),
    "empty-section": Case(
        "checks",
        Input(_body("Digital activities\n\nDigital tools\n\nA tool.\n")),
        Input(_body("Digital activities\n\nA programme.\n\nDigital tools\n\nA tool.\n")),
    ),
    "list-intro-without-list": Case(
        "checks",
        Input(_body("Digital activities\n\nThe programmes include:\n\nNothing follows as a list here.\n")),
        Input(_body("Digital activities\n\nThe programmes include:\n\n• Training\n\n• Research\n")),
    ),
    "placeholder-text": Case(
        "checks",
        Input(_body("Digital activities\n\nTODO: describe the programmes.\n")),
        Input(_body("Digital activities\n\nThe programmes are described.\n")),
    ),
    "social-line-outside-social-section": Case(
        "extract",
        Input(_body("Digital activities\n\nText.\n\nTwitter @exo\n")),
        Input(_body("Digital activities\n\nText.\n\nSocial media channels\n\nTwitter @exo\n")),
    ),
    "social-line-unparsed": Case(
        "extract",
        Input(_body("Social media channels\n\nTwitter @exo\n\nFollow us on our website for news\n")),
        Input(_body("Social media channels\n\nTwitter @exo\n")),
    ),
    "unknown-social-platform": Case(
        "extract", Input(_body("Social media channels\n\nFriendster @exo\n")), Input(_body("Social media channels\n\nTwitter @exo\n"))
    ),
    "duplicate-section-id": Case(
        "extract",
        Input(_body("Digital activities\n\nText.\n\nProjects\n\nOne.\n\nProjects\n\nTwo.\n")),
        Input(_body("Digital activities\n\nText.\n\nProjects\n\nOne.\n\nPartners\n\nTwo.\n")),
    ),
    "duplicate-issue": Case(
        "extract", Input(_body(POLICY.format("Cybersecurity", "Cyber security"))), Input(_body(POLICY.format("Cybersecurity", "Access")))
    ),
    "section-repeated": Case(
        "extract",
        Input(_body("Digital activities\n\nOne.\n\nDigital tools\n\nA tool.\n\nDigital activities\n\nTwo.\n")),
        Input(_body("Digital activities\n\nOne.\n\nDigital tools\n\nA tool.\n")),
    ),
    # -- footnotes ----------------------------------------------------------------------------------
    "footnote-undefined": Case(
        "extract",
        Input(_body(NOTES.format("Cybersecurity (2)", "1 – Access is called ‘reach’."))),
        Input(_body(NOTES.format("Cybersecurity (2)", "1 – Access is called ‘reach’.\n\n2 – Security is called ‘safety’."))),
    ),
    "footnote-uncited": Case(
        "extract",
        Input(_body(NOTES.format("Cybersecurity", "1 – Access is called ‘reach’.\n\n2 – Security is called ‘safety’."))),
        Input(_body(NOTES.format("Cybersecurity (2)", "1 – Access is called ‘reach’.\n\n2 – Security is called ‘safety’."))),
    ),
    "footnote-cited-twice": Case(
        "extract",
        Input(_body(NOTES.format("Cybersecurity (1)", "1 – Access is called ‘reach’."))),
        Input(_body(NOTES.format("Cybersecurity", "1 – Access is called ‘reach’."))),
    ),
    "footnote-issue-mismatch": Case(
        "extract",
        Input(_body(NOTES.format("Cybersecurity", "1 – The issue of cybersecurity is addressed as ‘safety’."))),
        Input(_body(NOTES.format("Cybersecurity", "1 – The issue of access is addressed as ‘reach’."))),
    ),
    "footnote-duplicate-number": Case(
        "extract",
        Input(_body(NOTES.format("Cybersecurity", "1 – Access is called ‘reach’.\n\n1 – Access again."))),
        Input(_body(NOTES.format("Cybersecurity", "1 – Access is called ‘reach’."))),
    ),
    # -- text quality ---------------------------------------------------------------------------------
    "mixed-script-word": Case(
        "checks",
        Input(_body("Digital activities\n\nThe \u0421ybersecurity programme.\n")),
        Input(_body("Digital activities\n\nThe Cybersecurity programme.\n")),
    ),
    "run-together-words": Case(
        "checks",
        Input(_body("Digital activities\n\nThe work ofpartners in the region.\n")),
        Input(_body("Digital activities\n\nThe work of partners in the region.\n")),
    ),
    "spreadsheet-formula": Case(
        "checks", Input(_profile(summary='=HYPERLINK("https://evil.example")')), Input(_profile(summary="HYPERLINK is a function."))
    ),
    "markup-in-text": Case(
        "checks", Input(_profile(summary="The <b>bold</b> organisation.")), Input(_profile(summary="The bold organisation."))
    ),
    "control-characters": Case(
        "checks", Input(_profile(summary="The organisation\x07 works.")), Input(_profile(summary="The organisation works."))
    ),
    # -- schema / cross-table -------------------------------------------------------------------------
    "schema": Case("checks", Input(_profile(), edit=_set("organizations", "organization_id", "Not An Id!")), Input(_profile())),
    "schema-published-file": Case("folder", Input(_profile(), edit=_set("organizations", "established", "nineteen")), Input(_profile())),
    "established-in-future": Case("checks", Input(_profile(), edit=_set("organizations", "established", 2090)), Input(_profile())),
    "foreign-key": Case("checks", Input(_profile(), edit=_set("sections", "organization_id", "ghost")), Input(_profile())),
    # -- editors' corrections -----------------------------------------------------------------------
    "corrections-file-invalid": Case(
        "corrections",
        Input({"g.txt": GOOD}, corrections="corrections: [unclosed\n"),
        Input({"g.txt": GOOD}, corrections=_fix(value="1991")),
    ),
    "correction-invalid": Case(
        "corrections",
        Input({"g.txt": GOOD}, corrections=_fix(value="1991").replace("    editor: Jane Editor\n", "")),
        Input({"g.txt": GOOD}, corrections=_fix(value="1991")),
    ),
    "correction-stale": Case(
        "corrections",
        Input({"g.txt": GOOD}, corrections=_fix("name", source_value="Bad Organisation", replace="Fine Organisation")),
        Input({"g.txt": GOOD}, corrections=_fix("name", source_value="Good Organisation", replace="Fine Organisation")),
    ),
    "correction-rejected": Case(
        "corrections", Input({"g.txt": GOOD}, corrections=_fix(value="1")), Input({"g.txt": GOOD}, corrections=_fix(value="1991"))
    ),
    "correction-unneeded": Case(
        "corrections", Input({"g.txt": GOOD}, corrections=_fix(value="1990")), Input({"g.txt": GOOD}, corrections=_fix(value="1991"))
    ),
}


def test_every_rule_of_the_catalogue_has_a_trigger_and_a_quiet_case() -> None:
    assert sorted(set(RULES) - set(CASES)) == [], "rules without a trigger and a no-trigger case: add them to CASES"
    assert sorted(set(CASES) - set(RULES)) == [], "cases of rules the catalogue no longer has"
    assert {case.stage for case in CASES.values()} <= set(STAGES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_the_rule_fires_on_its_trigger(rule: str, tmp_path: Path) -> None:
    case = CASES[rule]
    outcome = STAGES[case.stage](tmp_path, case.trigger)
    fired = [f for f in outcome.findings if f.rule == rule]
    assert outcome.processed > 0 and fired, f"{rule} not reported; found {sorted({f.rule for f in outcome.findings})}"
    assert all(f.severity == RULES[rule].severity for f in fired)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_the_rule_stays_quiet_on_the_near_miss(rule: str, tmp_path: Path) -> None:
    case = CASES[rule]
    outcome = STAGES[case.stage](tmp_path, case.quiet)
    assert outcome.processed > 0
    assert rule not in {f.rule for f in outcome.findings}, [f.message for f in outcome.findings if f.rule == rule]
