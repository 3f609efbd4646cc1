"""Social-media accounts: every `Platform @handle` line under the social-media heading.

Covers the sample's four profiles with accounts (blank lines between them or not, the misspelt
"Social medial channels", a heading with a footnote marker) and synthetic edge cases.
"""

from __future__ import annotations

from conftest import make_profile, rules

SAMPLE_ACCOUNTS = {
    ("unidir", "Facebook", "unidirgeneva", 55),
    ("unidir", "Instagram", "un_disarmresearch", 57),
    ("unidir", "LinkedIn", "UNIDIR", 59),
    ("unidir", "Twitter", "UNIDIR", 61),
    ("unidir", "YouTube", "UNIDIR-the UN Institute for Disarmament Research", 63),
    # no blank lines between the lines
    ("igf", "Facebook", "IGF – Internet Governance Forum", 250),
    ("igf", "Instagram", "intgovforum", 251),
    ("igf", "Twitter", "intgovforum", 252),
    ("igf", "YouTube", "Internet Governance Forum (IGF)", 253),
    # under the misspelt heading "Social medial channels"
    ("wto", "Facebook", "WorldTradeOrganization", 319),
    ("wto", "Flickr", "WorldTradeOrganization", 321),
    ("wto", "Instagram", "worldtradeorganization", 323),
    ("wto", "Twitter", "wto", 325),
    ("wto", "YouTube", "WorldTradeOrganization", 327),
    # under "Social media channels (2)"
    ("itu", "Facebook", "ITU", 889),
    ("itu", "Flickr", "ITU pictures", 891),
    ("itu", "Instagram", "ituofficial", 893),
    ("itu", "LinkedIn", "International Telecommunication Union", 895),
    ("itu", "Podcast", "ITUPodcasts", 897),
    ("itu", "TikTok", "itu", 899),
    ("itu", "Twitter", "ITU", 901),
    ("itu", "YouTube", "itutelecommunication", 903),
}


def test_all_sample_accounts(sample):
    t = sample.tables["social_media_accounts"]
    got = set(zip(t["organization_id"], t["platform"], t["handle"], t["source_line"], strict=True))
    assert got == SAMPLE_ACCOUNTS


def test_misspelt_social_heading_is_reported_and_kept(sample):
    (f,) = [f for f in sample.findings if f.rule == "misspelt-heading"]
    assert f.source_line == 317 and f.value == "Social medial channels"
    s = sample.tables["sections"]
    row = s[(s["organization_id"] == "wto") & (s["heading"] == "Social medial channels")].iloc[0]
    assert row["canonical_heading"] == "Social media channels" and row["level"] == 1


def test_handles_without_at_sign_and_with_spaces(extract_files):
    body = "Social media channels\n\nTwitter @ exo_org\nLinkedIn @Example Organisation Ltd\nMastodon @exo@social.example\n"
    ex = extract_files({"a.txt": make_profile(body=body)})
    t = ex.tables["social_media_accounts"]
    got = dict(zip(t["platform"], t["handle"], strict=True))
    assert got == {"Twitter": "exo_org", "LinkedIn": "Example Organisation Ltd", "Mastodon": "exo@social.example"}
    assert list(t.sort_values("source_line")["source_line"]) == [17, 18, 19]


def test_unparsed_line_under_social_heading_is_reported(extract_files):
    body = "Social media channels\n\nTwitter @exo\n\nFollow us everywhere\n"
    ex = extract_files({"a.txt": make_profile(body=body)})
    assert list(ex.tables["social_media_accounts"]["handle"]) == ["exo"]
    (f,) = [f for f in ex.findings if f.rule == "social-line-unparsed"]
    assert (f.source_file, f.source_line) == ("a.txt", 19)


def test_duplicate_account_kept_once(extract_files):
    body = "Social media channels\n\nTwitter @exo\nTwitter @exo\n"
    ex = extract_files({"a.txt": make_profile(body=body)})
    assert len(ex.tables["social_media_accounts"]) == 1


def test_account_line_outside_social_section_is_recorded_with_info(extract_files):
    body = "Digital activities\n\nSome text.\n\nTwitter @exo\n"
    ex = extract_files({"a.txt": make_profile(body=body)})
    assert list(ex.tables["social_media_accounts"]["handle"]) == ["exo"]
    assert "social-line-outside-social-section" in rules(ex)


def test_bulleted_and_colon_account_lines(extract_files):
    """Regression: bulleted account lines under the heading were dropped without a finding."""
    body = "Social media channels\n\n• Twitter @exo\n  • Facebook @exofb\n- LinkedIn @exoli\nInstagram: @exoig\n"
    ex = extract_files({"a.txt": make_profile(body=body)})
    t = ex.tables["social_media_accounts"].sort_values("source_line")
    assert list(zip(t["platform"], t["handle"], t["source_line"], strict=True)) == [
        ("Twitter", "exo", 17),
        ("Facebook", "exofb", 18),
        ("LinkedIn", "exoli", 19),
        ("Instagram", "exoig", 20),
    ]
    assert "social-line-unparsed" not in rules(ex)


def test_prose_under_social_heading_is_reported_not_dropped(extract_files):
    body = "Social media channels\n\nTwitter @exo\n\nFollow us on these platforms for news.\n\nFacebook: https://facebook.com/exo\n"
    ex = extract_files({"a.txt": make_profile(body=body)})
    assert list(ex.tables["social_media_accounts"]["handle"]) == ["exo"]
    lines = sorted(f.source_line for f in ex.findings if f.rule == "social-line-unparsed")
    assert lines == [19, 21]
