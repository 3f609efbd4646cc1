"""Mentions (issue 11): one Aho-Corasick pass per profile finds countries and the corpus's
organisations, whole words only, the longest name first, however many organisations share their
first words; a country inside an organisation's name still counts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.extract.combine import combine
from pipeline.extract.mentions import mentions


def _org(oid: str, name: str, acronym: str | None = None) -> dict:
    return {"organization_id": oid, "name": name, "acronym": acronym, "alternate_acronyms": None}


def test_thousands_of_organisations_sharing_their_first_words():
    orgs = [_org(f"o{i}", f"United Nations Office for Example Matters {i}", f"UNX{i}") for i in range(3000)]
    orgs.append(_org("writer", "Writer Institute", "WRI"))
    text = (
        "WRI works with the United Nations Office for Example Matters 2999 and UNX17, "
        "with the United Nations Office for Example Matters (no number), and with UNX170000."
    )
    countries, named = mentions(orgs, [("writer", text, 40), ("writer", "A second line naming UNX5 and Kenya.", 42)])
    got = sorted((r["mentioned_organization_id"], r["mention"], r["source_line"]) for r in named)
    assert got == [("o17", "UNX17", 40), ("o2999", "United Nations Office for Example Matters 2999", 40), ("o5", "UNX5", 42)]
    assert [(r["country_code"], r["source_line"]) for r in countries] == [("KE", 42)]


def test_a_country_inside_an_organisation_name_is_a_country_mention_too():
    orgs = [_org("pmk", "Permanent Mission of Kenya", "PMK"), _org("writer", "Writer Institute", "WRI")]
    countries, named = mentions(
        orgs, [("writer", "WRI met the Permanent Mission of Kenya.", 7), ("pmk", "The Permanent Mission of Kenya hosts events.", 9)]
    )
    assert [(r["organization_id"], r["mentioned_organization_id"]) for r in named] == [("writer", "pmk")]  # not itself
    assert sorted((r["organization_id"], r["country_code"], r["mention"]) for r in countries) == [
        ("pmk", "KE", "Kenya"),
        ("writer", "KE", "Kenya"),
    ]


def test_whole_words_only_and_flexible_spacing():
    orgs = [_org("gip", "Geneva Internet Platform – Digital Watch", "GIP"), _org("w", "Writer", "WRX")]
    text = (
        "GIPS is not GIP; so is Côte d'Ivoire and Nigerian is not Niger.\nThe Geneva Internet Platform Digital Watch names GIP twice: GIP."
    )
    countries, named = mentions(orgs, [("w", text, 1)])
    assert sorted((r["mention"], r["source_line"]) for r in named) == [
        ("GIP", 1),
        ("Geneva Internet Platform Digital Watch", 2),
    ]  # one row per line
    assert sorted((r["country_code"], r["mention"]) for r in countries) == [("CI", "Côte d'Ivoire"), ("NE", "Niger")]


def test_combine_of_no_files_has_every_table():
    ex = combine([])
    assert len(ex.tables["country_mentions"]) == 0 and len(ex.tables["organization_mentions"]) == 0


_WORDS = ["Kenya", "Côte d'Ivoire", "Niger", "WRI", "Writer Institute", "Permanent Mission of Kenya", "PMK", "é", "’", "x", "\n", " ", "."]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["writer", "pmk"]), st.lists(st.sampled_from(_WORDS), max_size=12)), max_size=6))
def test_blocks_given_as_utf8_bytes_give_the_same_mentions_as_text(parts):
    """A block may come as its UTF-8 bytes (as a table holds it): decoded only where a mention is
    kept, with the same rows, mentions, lines and order as the same block given as text."""
    orgs = [_org("pmk", "Permanent Mission of Kenya", "PMK"), _org("writer", "Writer Institute", "WRI")]
    blocks = [(oid, "".join(words), 10 * i + 1) for i, (oid, words) in enumerate(parts)]
    as_bytes = [(oid, text.encode(), line) if i % 2 == 0 else (oid, text, line) for i, (oid, text, line) in enumerate(blocks)]
    assert mentions(orgs, as_bytes) == mentions(orgs, blocks)
