from __future__ import annotations

import pytest

from ophin.acquisition.license import (
    FAMILIES,
    LicenseDecision,
    LicenseEvidence,
    LicensePolicy,
    decide,
    license_family,
    normalise_license,
)

SPELLINGS = [
    # Creative Commons URLs: scheme, www, trailing slash, jurisdiction ports, deeds, legal code.
    ("https://creativecommons.org/licenses/by/4.0/", "CC-BY-4.0"),
    ("http://creativecommons.org/licenses/by/4.0", "CC-BY-4.0"),
    ("https://www.creativecommons.org/licenses/by-sa/4.0/deed.en", "CC-BY-SA-4.0"),
    ("http://creativecommons.org/licenses/by/3.0/us/", "CC-BY-3.0"),
    ("https://creativecommons.org/licenses/by-nc-sa/2.5/es/deed.es", "CC-BY-NC-SA-2.5"),
    ("https://creativecommons.org/licenses/by-nc-nd/4.0/legalcode", "CC-BY-NC-ND-4.0"),
    ("HTTPS://CreativeCommons.org/licenses/BY-ND/2.0/", "CC-BY-ND-2.0"),
    ("https://creativecommons.org/licenses/by/", "CC-BY"),
    ("https://creativecommons.org/publicdomain/zero/1.0/", "CC0-1.0"),
    ("http://creativecommons.org/publicdomain/mark/1.0/", "PDM-1.0"),
    # Short names and SPDX ids.
    ("CC BY 4.0", "CC-BY-4.0"),
    ("CC-BY-SA-4.0", "CC-BY-SA-4.0"),
    ("cc by-nc 4", "CC-BY-NC-4.0"),
    ("CC BY-NC-ND/4.0", "CC-BY-NC-ND-4.0"),
    ("CC BY-SA 3.0 IGO", "CC-BY-SA-3.0"),
    ("Licence: CC BY-NC 4.0.", "CC-BY-NC-4.0"),
    ("CC BY", "CC-BY"),
    ("cc-by-sa", "CC-BY-SA"),
    ("CC\u2011BY\u2011SA 4.0", "CC-BY-SA-4.0"),  # non-breaking hyphens, as word processors paste them
    # Long names, as deeds, Vimeo and PeerTube write them.
    ("Creative Commons Attribution 4.0 International", "CC-BY-4.0"),
    ("Attribution-ShareAlike 4.0 International", "CC-BY-SA-4.0"),
    ("Creative Commons Attribution-NonCommercial-NoDerivatives 4.0", "CC-BY-NC-ND-4.0"),
    ("Creative Commons Attribution-NoDerivs 3.0", "CC-BY-ND-3.0"),
    ("Creative Commons Attribution-Non-Commercial-Share Alike 2.0", "CC-BY-NC-SA-2.0"),
    ("Licensed under a Creative Commons Attribution 3.0 Unported License.", "CC-BY-3.0"),
    ("Creative Commons Attribution-ShareAlike", "CC-BY-SA"),
    ("Attribution - Non Commercial - Share Alike", "CC-BY-NC-SA"),
    # YouTube, as yt-dlp and the Data API spell it: its CC option is CC BY 3.0.
    ("Creative Commons Attribution license (reuse allowed)", "CC-BY-3.0"),
    ("creativeCommon", "CC-BY-3.0"),
    ("youtube", "YouTube-Standard"),
    ("Standard YouTube License", "YouTube-Standard"),
    # Public domain.
    ("CC0", "CC0-1.0"),
    ("CC0 1.0 Universal", "CC0-1.0"),
    ("Public Domain Dedication", "CC0-1.0"),
    ("Public domain", "PDM-1.0"),
    ("Public Domain Mark 1.0", "PDM-1.0"),
    # Reserved.
    ("All rights reserved", "All-Rights-Reserved"),
    ("© 2021 American Academy of Ophthalmology", "All-Rights-Reserved"),
    ("Copyright 2019 Example Eye Hospital", "All-Rights-Reserved"),
    # Wrapped in markup, as pages and feeds deliver them.
    ('<a rel="license" href="https://creativecommons.org/licenses/by-nc/4.0/">CC BY-NC</a>', "CC-BY-NC-4.0"),
    ("<b>CC</b> BY-NC-SA 4.0", "CC-BY-NC-SA-4.0"),
    ("<p>Licensed <em>CC&nbsp;BY&nbsp;4.0</em></p>", "CC-BY-4.0"),
    ("&lt;a href=&quot;http://creativecommons.org/licenses/by/4.0/&quot;&gt;x&lt;/a&gt;", "CC-BY-4.0"),
    ("**CC BY-SA 4.0** © 2020 Someone", "CC-BY-SA-4.0"),  # CC words win over the copyright line
]


@pytest.mark.parametrize(("text", "expected"), SPELLINGS)
def test_normalise_license_maps_real_world_spellings(text: str, expected: str) -> None:
    assert normalise_license(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "MIT OpenCourseWare",  # a bare word inside a sentence is no SPDX id ("MIT" alone is)
        "Creative Commons",  # which one?
        "Some rights reserved",
        "Attribution required",
        "Copyright (c) 2020, CC licence",  # CC words, but no licence named: not All-Rights-Reserved either
        "CC BY-ND-SA",  # no such licence
        "https://creativecommons.org/licenses/sampling+/1.0/",
        "<script>CC BY 4.0</script>",
    ],
)
def test_normalise_license_names_nothing_for_vague_or_unknown_text(text: str) -> None:
    assert normalise_license(text) is None


def test_license_family_drops_the_version() -> None:
    assert license_family("CC-BY-SA-4.0") == "CC-BY-SA"
    assert license_family("CC-BY-2.5") == "CC-BY"
    assert license_family("CC0-1.0") == "CC0"
    assert license_family("PDM-1.0") == "PDM"
    assert license_family("CC-BY") == "CC-BY"
    assert license_family("YouTube-Standard") == "YouTube-Standard"
    assert license_family("All-Rights-Reserved") == "All-Rights-Reserved"


def ev(value: str, origin: str = "yt-dlp", field: str = "license") -> LicenseEvidence:
    return LicenseEvidence(value=value, field=field, origin=origin)


DEFAULT = LicensePolicy()


def test_evidence_is_stored_as_plain_bounded_text() -> None:
    item = ev("<b>CC BY</b>\u202e 4.0 " + "x " * 400)
    assert item.value.startswith("CC BY 4.0 x") and len(item.value) <= 300 and "\u202e" not in item.value
    assert item.as_json() == {"value": item.value, "field": "license", "origin": "yt-dlp", "url": None}


def test_evidence_refuses_an_unknown_origin() -> None:
    with pytest.raises(ValueError, match="origin 'vimeo'"):
        ev("CC BY", origin="vimeo")


def test_decide_accepts_a_redistributable_licence_and_says_where_it_read_it() -> None:
    decision = decide([ev("Creative Commons Attribution license (reuse allowed)")], DEFAULT)
    assert decision.accepted and decision.license == "CC-BY-3.0"
    assert decision.reason == "CC-BY-3.0 allows redistribution of derivatives (yt-dlp license)"


@pytest.mark.parametrize(
    ("value", "license"),
    [
        ("CC BY-NC 4.0", "CC-BY-NC-4.0"),
        ("CC BY-ND 4.0", "CC-BY-ND-4.0"),
        ("CC BY-NC-ND 4.0", "CC-BY-NC-ND-4.0"),
        ("CC BY-NC-SA 4.0", "CC-BY-NC-SA-4.0"),
    ],
)
def test_decide_rejects_nc_and_nd_by_default(value: str, license: str) -> None:
    decision = decide([ev(value)], DEFAULT)
    assert not decision.accepted and decision.license == license
    assert decision.reason == f"{license} is not in the licence policy (allowed: CC-BY, CC-BY-SA, CC0, PDM)"


def test_decide_accepts_nc_when_the_policy_allows_its_family() -> None:
    policy = LicensePolicy.from_names("CC-BY, cc-by-nc", accept_unknown=False)
    decision = decide([ev("CC BY-NC 4.0")], policy)
    assert decision.accepted and decision.reason == "CC-BY-NC-4.0 is allowed by the policy (yt-dlp license)"
    assert not decide([ev("CC BY-SA 4.0")], policy).accepted  # and only the families it names


def test_decide_rejects_youtube_standard_and_all_rights_reserved() -> None:
    assert not decide([ev("youtube", "youtube-data-api", "status.license")], DEFAULT).accepted
    assert not decide([ev("© 2020 Clinic")], DEFAULT).accepted


def test_decide_rejects_unknown_by_default_and_says_what_it_saw() -> None:
    decision = decide([ev("see our website", "page", "meta[name=license]")], DEFAULT)
    assert decision == LicenseDecision(
        False,
        None,
        "no licence stated (unrecognised: 'see our website' (page meta[name=license]))",
        (ev("see our website", "page", "meta[name=license]"),),
    )
    assert decide([], DEFAULT).reason == "no licence stated"


def test_decide_accepts_unknown_only_with_accept_unknown() -> None:
    decision = decide([], LicensePolicy(accept_unknown=True))
    assert decision.accepted and decision.license is None
    assert decision.reason == "licence unknown; accepted by policy (accept_unknown)"
    # accept_unknown does not let a stated, disallowed licence through.
    assert not decide([ev("CC BY-NC 4.0")], LicensePolicy(accept_unknown=True)).accepted


def test_decide_ignores_unrecognised_items_beside_a_recognised_one() -> None:
    evidence = [ev("see website", "page", "meta[name=license]"), ev("CC BY 4.0", "feed", "dc:rights")]
    decision = decide(evidence, DEFAULT)
    assert decision.accepted and decision.license == "CC-BY-4.0"


def test_decide_rejects_conflicting_families_naming_both() -> None:
    evidence = [
        ev("https://creativecommons.org/licenses/by/4.0/", "page", "link[rel=license]"),
        ev("All rights reserved", "yt-dlp", "license"),
    ]
    decision = decide(evidence, DEFAULT)
    assert not decision.accepted
    assert decision.reason == (
        "conflicting licence evidence: CC-BY-4.0 (page link[rel=license])"
        " vs All-Rights-Reserved (yt-dlp license)"
    )
    assert decision.license == "All-Rights-Reserved"  # what the most authoritative source says
    assert decision.evidence == tuple(evidence)


def test_decide_rejects_two_allowed_families_that_disagree() -> None:
    # Both are allowed, but a source that says SA where another says BY is wrong about one of them.
    evidence = [ev("CC BY 4.0", "feed", "media:license"), ev("CC BY-SA 4.0", "page", "a[rel=license]")]
    decision = decide(evidence, DEFAULT)
    assert not decision.accepted and decision.reason.startswith("conflicting licence evidence: CC-BY-4.0")


def test_decide_takes_the_highest_precedence_when_only_the_version_differs() -> None:
    evidence = [
        ev("CC BY 4.0", "container", "container:copyright"),
        ev("CC BY 2.0", "page", "link[rel=license]"),
        ev("creativeCommon", "youtube-data-api", "status.license"),
        ev("CC BY", "feed", "media:license"),
    ]
    decision = decide(evidence, DEFAULT)
    assert decision.accepted and decision.license == "CC-BY-3.0"
    assert decision.reason.endswith("(youtube-data-api status.license)")


@pytest.mark.parametrize(
    ("top", "below"),
    [("youtube-data-api", "yt-dlp"), ("yt-dlp", "feed"), ("feed", "page"), ("page", "container")],
)
def test_decide_precedence_follows_origin_order(top: str, below: str) -> None:
    # Given in either order, the higher origin's version wins.
    evidence = [ev("CC BY 4.0", below, "x"), ev("CC BY 2.0", top, "y")]
    assert decide(evidence, DEFAULT).license == "CC-BY-2.0"
    assert decide(evidence[::-1], DEFAULT).license == "CC-BY-2.0"


def test_decision_as_json_holds_the_evidence() -> None:
    got = decide([ev("CC0")], DEFAULT).as_json()
    assert got["accepted"] is True and got["license"] == "CC0-1.0"
    assert got["evidence"] == [{"value": "CC0", "field": "license", "origin": "yt-dlp", "url": None}]


def test_policy_from_names_parses_any_case_and_refuses_unknown_families() -> None:
    assert LicensePolicy.from_names(" cc0 , PDM,CC-BY ", accept_unknown=True) == LicensePolicy(
        frozenset({"CC0", "PDM", "CC-BY"}), True
    )
    with pytest.raises(ValueError) as refused:
        LicensePolicy.from_names("CC-BY, CC-BY-4.0, GPL", accept_unknown=False)
    assert "['CC-BY-4.0', 'GPL']" in str(refused.value)
    assert ", ".join(FAMILIES) in str(refused.value)
    with pytest.raises(ValueError, match="no licence families given"):
        LicensePolicy.from_names(" , ", accept_unknown=False)
    with pytest.raises(ValueError, match="unknown licence families"):
        LicensePolicy(allowed=frozenset({"CC-BY-4.0"}))


def test_default_policy_allows_exactly_the_redistributable_families() -> None:
    assert DEFAULT.allowed == {"CC0", "PDM", "CC-BY", "CC-BY-SA"} and not DEFAULT.accept_unknown
