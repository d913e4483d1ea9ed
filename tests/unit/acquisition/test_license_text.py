"""Licence statements as platforms and publishers write them, each with the gate's decision; and properties
that hold for any text (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ophin.acquisition.license import LicenseEvidence, LicensePolicy, decide, license_family
from ophin.acquisition.license_text import CC_HOSTS, read_license

DEFAULT = LicensePolicy()
LENIENT = LicensePolicy(accept_unknown=True)  # even here nothing denied or restricted gets through
OK, NO = True, False

# (statement, the licence id it reads as (None: none for sure), accepted by the default policy)
TABLE = [
    # Issue 22's breaks: each was accepted as CC-BY.
    ("NOT CC-BY; all rights reserved", None, NO),
    ("CC BY, no derivatives", "CC-BY-ND", NO),
    ("CC-BY (non-commercial use only)", "CC-BY-NC", NO),
    ("CC-BY-4.0-NC", "CC-BY-NC-4.0", NO),
    ("Public domain? No.", None, NO),
    ("https://evil.example/creativecommons.org/licenses/by/4.0/", None, NO),
    # YouTube (yt-dlp's info["license"], the Data API's status.license).
    ("Creative Commons Attribution license (reuse allowed)", "CC-BY-3.0", OK),
    ("creativeCommon", "CC-BY-3.0", OK),
    ("Standard YouTube License", "YouTube-Standard", NO),
    ("youtube", "YouTube-Standard", NO),
    # Vimeo and PeerTube labels.
    ("Attribution-ShareAlike", "CC-BY-SA", OK),
    ("Attribution-NonCommercial", "CC-BY-NC", NO),
    ("Attribution-NoDerivs", "CC-BY-ND", NO),
    ("Attribution-NonCommercial-NoDerivs", "CC-BY-NC-ND", NO),
    ("Attribution - Share Alike", "CC-BY-SA", OK),
    ("Attribution - Non Commercial - Share Alike", "CC-BY-NC-SA", NO),
    ("Attribution - Non Commercial - No Derivatives", "CC-BY-NC-ND", NO),
    ("Attribution", None, NO),  # Vimeo's bare label: which Attribution? unknown
    ("Public Domain Dedication", "CC0-1.0", OK),
    # Wikimedia Commons.
    ("CC BY-SA 4.0", "CC-BY-SA-4.0", OK),
    ("CC BY 3.0", "CC-BY-3.0", OK),
    ("CC BY-SA 3.0 de", "CC-BY-SA-3.0", OK),
    ("cc-by-sa-4.0", "CC-BY-SA-4.0", OK),
    ("Public domain", "PDM-1.0", OK),
    ("GFDL", None, NO),
    ("PD-self", None, NO),
    # archive.org licenseurl, every family and version.
    ("http://creativecommons.org/licenses/by/1.0/", "CC-BY-1.0", OK),
    ("http://creativecommons.org/licenses/by/2.0/", "CC-BY-2.0", OK),
    ("http://creativecommons.org/licenses/by/2.5/", "CC-BY-2.5", OK),
    ("http://creativecommons.org/licenses/by/3.0/", "CC-BY-3.0", OK),
    ("https://creativecommons.org/licenses/by/4.0/", "CC-BY-4.0", OK),
    ("https://creativecommons.org/licenses/by-sa/2.0/uk/", "CC-BY-SA-2.0", OK),
    ("https://creativecommons.org/licenses/by-sa/4.0/deed.fr", "CC-BY-SA-4.0", OK),
    ("https://creativecommons.org/licenses/by-nc/3.0/", "CC-BY-NC-3.0", NO),
    ("https://creativecommons.org/licenses/by-nd/4.0/legalcode", "CC-BY-ND-4.0", NO),
    ("http://creativecommons.org/licenses/by-nc-sa/2.5/", "CC-BY-NC-SA-2.5", NO),
    ("http://creativecommons.org/licenses/by-nc-nd/3.0/", "CC-BY-NC-ND-3.0", NO),
    ("http://creativecommons.org/licenses/by-nd-nc/1.0/", "CC-BY-NC-ND-1.0", NO),  # 1.0's own order
    ("https://www.creativecommons.org/licenses/by/4.0/", "CC-BY-4.0", OK),
    ("https://creativecommons.org/publicdomain/zero/1.0/", "CC0-1.0", OK),
    ("http://creativecommons.org/publicdomain/mark/1.0/", "PDM-1.0", OK),
    ("https://creativecommons.org/licenses/sampling+/1.0/", None, NO),
    # figshare and Zenodo.
    ("CC BY 4.0", "CC-BY-4.0", OK),
    ("CC0", "CC0-1.0", OK),
    ("cc-zero", "CC0-1.0", OK),
    ("Creative Commons Attribution 4.0 International", "CC-BY-4.0", OK),
    ("Creative Commons Attribution Non Commercial 4.0 International", "CC-BY-NC-4.0", NO),
    (
        "This work is licensed under a Creative Commons Attribution 4.0 International License.",
        "CC-BY-4.0",
        OK,
    ),
    # SPDX ids and expressions.
    ("CC-BY-4.0", "CC-BY-4.0", OK),
    ("CC-BY-SA-4.0", "CC-BY-SA-4.0", OK),
    ("CC0-1.0", "CC0-1.0", OK),
    ("CC-PDM-1.0", "PDM-1.0", OK),
    ("CC-BY-3.0-IGO", "CC-BY-3.0", OK),
    ("CC-BY-NC-SA-4.0", "CC-BY-NC-SA-4.0", NO),
    ("https://spdx.org/licenses/CC-BY-4.0.html", "CC-BY-4.0", OK),
    ("MIT", "MIT", NO),
    ("GPL-3.0-only", "GPL-3.0-only", NO),
    ("CC-BY-4.0 OR CC-BY-NC-4.0", None, NO),  # which one? unknown
    # Negations.
    ("This video is not CC BY", None, NO),
    ("No CC license", None, NO),
    ("Not licensed under Creative Commons", None, NO),
    ("CC BY 4.0? No.", None, NO),
    ("non-CC-BY", None, NO),
    ("This work is NOT in the public domain", None, NO),
    ("Creative Commons: no", None, NO),
    ("https://creativecommons.org/licenses/by/4.0/? No.", None, NO),
    # Restrictions beside an open licence.
    ("CC BY 4.0 - not for commercial use", "CC-BY-NC-4.0", NO),
    ("CC BY 4.0, all rights reserved", None, NO),
    ("CC BY \u2014 no reuse", None, NO),
    ("Attribution 4.0, educational use only", "CC-BY-NC-4.0", NO),
    ("CC0 but do not redistribute", None, NO),
    ("CC BY-SA 4.0. Do not modify.", None, NO),  # share-alike without derivatives: a contradiction
    ("CC BY 4.0. This video may not be reused without permission.", None, NO),
    ("Personal use only", "All-Rights-Reserved", NO),
    ("No reuse without written permission", "All-Rights-Reserved", NO),
    ("All rights reserved", "All-Rights-Reserved", NO),
    ("© 2021 American Academy of Ophthalmology. All Rights Reserved.", "All-Rights-Reserved", NO),
    # Not restrictions: CC's own words.
    ("Some rights reserved. CC BY 4.0", "CC-BY-4.0", OK),
    ("Licensed under CC BY 4.0, no changes were made", "CC-BY-4.0", OK),
    ("**CC BY-SA 4.0** © 2020 Someone", "CC-BY-SA-4.0", OK),
    # Junk and look-alikes.
    ("", None, NO),
    ("N/A", None, NO),
    ("see description", None, NO),
    ("Creative Commons", None, NO),
    ("CC BY 5.0", None, NO),  # no such version
    ("CC BY-ND-SA", None, NO),  # no such licence
    ("https://creativecommons.org.evil.example/licenses/by/4.0/", None, NO),
    ("https://creativecommons.org@evil.example/licenses/by/4.0/", None, NO),
    ("javascript:alert(1)//creativecommons.org/licenses/by/4.0/", None, NO),
    ("http://mirror.example/?u=https://creativecommons.org/licenses/by/4.0/", None, NO),
    ("<script>CC BY 4.0</script>", None, NO),
]


def ev(value: str, origin: str = "yt-dlp") -> LicenseEvidence:
    return LicenseEvidence(value=value, field="license", origin=origin)


def test_the_table_is_at_least_sixty_distinct_statements() -> None:
    assert len({text for text, _, _ in TABLE}) == len(TABLE) >= 60


@pytest.mark.parametrize(("text", "license", "accepted"), TABLE)
def test_read_license_table(text: str, license: str | None, accepted: bool) -> None:
    assert read_license(text).license == license
    decision = decide([ev(text)], DEFAULT)
    assert decision.accepted is accepted, decision.reason
    if not accepted:
        assert decision.reason  # one line saying why, stored on the candidate's row


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "NOT CC-BY; all rights reserved",
            "licence denied: 'NOT CC-BY; all rights reserved' (yt-dlp license)",
        ),
        ("Public domain? No.", "licence denied: 'Public domain? No.' (yt-dlp license) says not PDM-1.0"),
        (
            "CC BY, all rights reserved",
            "licence restricted: 'CC BY, all rights reserved' (yt-dlp license): CC-BY",
        ),
        ("CC BY, no derivatives", "CC-BY-ND is not in the licence policy"),
        ("CC-BY-4.0 OR CC-BY-NC-4.0", "licence unclear: 'CC-BY-4.0 OR CC-BY-NC-4.0' (yt-dlp license) names"),
    ],
)
def test_decide_says_why_it_refuses(text: str, reason: str) -> None:
    assert decide([ev(text)], DEFAULT).reason.startswith(reason)


def test_denied_and_restricted_statements_are_refused_even_when_unknown_is_accepted() -> None:
    for text in ("NOT CC-BY", "Public domain? No.", "CC BY, no reuse", "Personal use only"):
        assert not decide([ev(text)], LENIENT).accepted, text
    assert decide([ev("see description")], LENIENT).accepted  # unknown stays the policy's call


def test_a_denial_or_restriction_anywhere_refuses_beside_an_open_licence() -> None:
    open_feed = ev("https://creativecommons.org/licenses/by/4.0/", "feed")
    assert decide([open_feed], DEFAULT).accepted
    for text in ("NOT CC-BY", "all rights reserved", "CC BY but no derivatives", "CC BY or CC BY-SA"):
        assert not decide([open_feed, ev(text, "container")], DEFAULT).accepted, text


# --- properties -------------------------------------------------------------------------------------------

# One statement each ("Some rights reserved. CC BY 4.0" is two: "not" before it denies the first only).
OPEN = [t.rstrip(".") for t, _, accepted in TABLE if accepted and ". " not in t.rstrip(".")]
NEGATIONS = [
    "not {}",
    "NOT {}",
    "{}? No.",
    "no {}",
    "This video is not {}",
    "Not licensed under {}",
    "{}: no",
]
RESTRICTIONS = [
    "non-commercial",
    "NC",
    "not for commercial use",
    "no derivatives",
    "ND",
    "all rights reserved",
    "no reuse",
    "do not redistribute",
    "educational use only",
    "may not be copied without permission",
]
JOINS = ["{l}, {r}", "{l} ({r})", "{r}. {l}", "{l} - {r}", "{l}; {r}"]
# What each family lets a user of the release do; refused or unknown statements let nothing.
_PERMITS = {
    "CC0": {"commercial", "derivatives", "no-share-alike", "no-attribution"},
    "PDM": {"commercial", "derivatives", "no-share-alike", "no-attribution"},
    "CC-BY": {"commercial", "derivatives", "no-share-alike"},
    "CC-BY-SA": {"commercial", "derivatives"},
    "CC-BY-NC": {"derivatives", "no-share-alike"},
    "CC-BY-NC-SA": {"derivatives"},
    "CC-BY-ND": {"commercial", "no-share-alike"},
    "CC-BY-NC-ND": {"no-share-alike"},
}


def permits(text: str) -> set[str]:
    reading = read_license(text)
    if reading.license is None or reading.denied or reading.restricted:
        return set()
    return _PERMITS.get(license_family(reading.license), set())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_reading_never_crashes_on_random_text(text: str) -> None:
    reading = read_license(text)
    decide([ev(text)], DEFAULT)
    assert reading.license is None or not reading.denied


_PIECES = st.sampled_from(
    [w for t, _, _ in TABLE for w in t.split()] + ["(", ")", "?", "//", "<a href=", ">", "&amp;", "OR", "AND"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=12).map(" ".join))
def test_reading_never_crashes_on_shuffled_licence_words(text: str) -> None:
    decide([ev(text)], LENIENT)


@settings(deadline=None)  # the first example loads the SPDX index; a busy 2-core machine is slow
@given(st.sampled_from(OPEN), st.sampled_from(NEGATIONS))
def test_a_negated_licence_is_never_open(licence: str, template: str) -> None:
    text = template.format(licence)
    assert read_license(text).license is None, text
    assert not decide([ev(text)], LENIENT).accepted, text


# Every statement that names a licence, open or not ("Attribution" alone names none: with "- Non Commercial"
# it is PeerTube's CC BY-NC label, a licence where there was none).
NAMED = [t for t, license, _ in TABLE if license]


@settings(deadline=None)
@given(st.sampled_from(NAMED), st.sampled_from(RESTRICTIONS), st.sampled_from(JOINS))
def test_a_restriction_never_makes_a_licence_more_open(licence: str, restriction: str, join: str) -> None:
    text = join.format(l=licence, r=restriction)
    assert permits(text) <= permits(licence), text
    assert "commercial" not in permits(text) or "derivatives" not in permits(text), text
    assert not decide([ev(text)], DEFAULT).accepted, text


_HOST = st.from_regex(r"[a-z][a-z0-9-]{0,15}(\.[a-z][a-z0-9-]{0,15}){1,3}", fullmatch=True).filter(
    lambda h: h not in CC_HOSTS
)
_CC_PATHS = st.sampled_from(
    [
        "licenses/by/4.0/",
        "licenses/by-sa/3.0/",
        "licenses/by/2.0/uk/",
        "publicdomain/zero/1.0/",
        "publicdomain/mark/1.0/",
    ]
)
_ELSEWHERE = st.sampled_from(
    [
        "https://{h}/{p}",
        "https://{h}/creativecommons.org/{p}",
        "http://creativecommons.org.{h}/{p}",
        "https://creativecommons.org@{h}/{p}",
        "https://{h}/?next=https://creativecommons.org/{p}",
        "{h}/creativecommons.org/{p}",
        '<a rel="license" href="https://{h}/creativecommons.org/{p}">licence</a>',
    ]
)


@settings(deadline=None)
@given(_HOST, _CC_PATHS, _ELSEWHERE)
def test_a_cc_url_on_another_host_is_never_evidence(host: str, path: str, form: str) -> None:
    text = form.format(h=host, p=path)
    reading = read_license(text)
    assert reading.license is None and not reading.named, text
    assert not decide([ev(text)], DEFAULT).accepted
