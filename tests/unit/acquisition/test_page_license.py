from __future__ import annotations

import pytest

from ophin.acquisition.license import LicenseEvidence, LicensePolicy, decide
from ophin.acquisition.page_license import (
    MAX_FEED_BYTES,
    MAX_HTML_CHARS,
    license_from_feed,
    license_from_html,
)

PAGE = "https://eyes.example.org/lectures/cataract/index.html"
FEED = "https://eyes.example.org/feeds/videos.xml"
BY = "https://creativecommons.org/licenses/by/4.0/"


def page(value: str, field: str) -> LicenseEvidence:
    return LicenseEvidence(value=value, field=field, origin="page", url=PAGE)


def feed(value: str, field: str) -> LicenseEvidence:
    return LicenseEvidence(value=value, field=field, origin="feed", url=FEED)


def test_license_from_html_reads_link_anchor_and_meta_variants_in_page_order() -> None:
    html = f"""<html><head>
      <LINK REL="License" HREF="{BY}">
      <meta name="DC.rights" content="&copy; 2020 Eye Hospital">
      <meta name="dcterms.license" content="CC BY 4.0">
      <meta name="description" content="CC BY-NC 4.0 is not a licence statement here">
      <meta property="og:license" content="ignored">
    </head><body>
      <a rel="nofollow LICENSE external" href="https://creativecommons.org/licenses/by-sa/4.0/">CC BY-SA</a>
      <a rel="nofollow" href="https://creativecommons.org/licenses/by-nc/4.0/">not rel=license</a>
      <a rel="license" href="">empty href</a>
      <a rel="license" href="{BY}">the same link twice is one item</a>
    </body></html>"""
    assert license_from_html(html, PAGE) == [
        page(BY, "link[rel=license]"),
        page("© 2020 Eye Hospital", "meta[name=dc.rights]"),
        page("CC BY 4.0", "meta[name=dcterms.license]"),
        page("https://creativecommons.org/licenses/by-sa/4.0/", "a[rel=license]"),
        page(BY, "a[rel=license]"),
    ]


def test_license_from_html_resolves_relative_hrefs_against_the_page_and_base() -> None:
    assert license_from_html('<a rel="license" href="../../licence.html">terms</a>', PAGE) == [
        page("https://eyes.example.org/licence.html", "a[rel=license]")
    ]
    html = '<base href="https://cdn.example.net/site/"><link rel=license href="legal/cc-by.html">'
    assert license_from_html(html, PAGE) == [
        page("https://cdn.example.net/site/legal/cc-by.html", "link[rel=license]")
    ]


@pytest.mark.parametrize(
    "html",
    [
        f"<html><head><link rel=license href={BY}><title>unclosed",
        f"<div><p><b>nested <i>wrong</b></i><a rel='license' href='{BY}'>x</a",
        f"<!DOCTYPE html PUBLIC broken <![if !IE]> <a rel=license href='{BY}'>x</a> <![endif]> <? pi",
        f"<a rel=license href='{BY}'>x</a><!-- never closed <a rel=license href='/other'>",
        f"\x00\ufffd<a\nrel\n=\n'license'\nhref='{BY}'>x</a>&bogus; &#xZZ;",
    ],
)
def test_license_from_html_survives_broken_markup(html: str) -> None:
    got = license_from_html(html, PAGE)
    assert [e.value for e in got] == [BY]


def test_license_from_html_reads_at_most_two_megabytes() -> None:
    late = f"<a rel=license href='{BY}'>x</a>"
    assert license_from_html("x" * 100 + late, PAGE) != []
    assert license_from_html("x" * MAX_HTML_CHARS + late, PAGE) == []


RSS = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"
     xmlns:cc="http://web.resource.org/cc/" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
     xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:creativeCommons="http://backend.userland.com/creativeCommonsRssModule">
  <channel>
    <title>Cataract lectures</title>
    <link>https://eyes.example.org/</link>
    <cc:license rdf:resource="https://creativecommons.org/licenses/by-sa/4.0/"/>
    <item>
      <title>Own licence</title>
      <link>/lectures/1?utm_source=rss</link>
      <enclosure url="https://media.example.org/1.mp4" type="video/mp4" length="1"/>
      <media:license type="text/html" href="{BY}">Creative Commons Attribution 4.0</media:license>
    </item>
    <item>
      <title>Inherits the channel's</title>
      <link>https://eyes.example.org/lectures/2</link>
      <media:group><media:content url="https://media.example.org/2.mp4" medium="video"/></media:group>
    </item>
    <item>
      <title>Rights text only</title>
      <guid>no-url-here</guid>
      <enclosure url="3.mp4" type="video/mp4"/>
      <dc:rights>All rights reserved</dc:rights>
      <creativeCommons:license>http://creativecommons.org/licenses/by-nc/4.0/</creativeCommons:license>
    </item>
  </channel>
</rss>"""


def test_license_from_feed_reads_item_licences_and_inherits_the_channel_licence() -> None:
    got = license_from_feed(RSS.encode(), FEED)
    by_sa = feed("https://creativecommons.org/licenses/by-sa/4.0/", "cc:license")
    assert got.channel == [by_sa]
    own = [feed(BY, "media:license")]
    assert got.items == {
        "https://eyes.example.org/lectures/1": own,
        "https://media.example.org/1.mp4": own,
        "https://eyes.example.org/lectures/2": [by_sa],
        "https://media.example.org/2.mp4": [by_sa],
        "https://eyes.example.org/feeds/3.mp4": [
            feed("All rights reserved", "dc:rights"),
            feed("http://creativecommons.org/licenses/by-nc/4.0/", "creativeCommons:license"),
        ],
    }
    # Link and enclosure of one item share one list; lookups canonicalise the URL.
    assert got.items["https://eyes.example.org/lectures/1"] is got.items["https://media.example.org/1.mp4"]
    assert got.for_url("https://EYES.example.org/lectures/1?fbclid=x") == own
    assert got.for_url("https://eyes.example.org/lectures/unlisted") == [by_sa]
    # What the gate makes of them: own licence accepted, inherited accepted, contradictory item refused.
    policy = LicensePolicy()
    assert decide(got.for_url("https://media.example.org/1.mp4"), policy).license == "CC-BY-4.0"
    assert decide(got.for_url("https://media.example.org/2.mp4"), policy).license == "CC-BY-SA-4.0"
    assert not decide(got.for_url("https://eyes.example.org/feeds/3.mp4"), policy).accepted


def test_license_from_feed_keeps_channel_evidence_after_an_item_statement_it_cannot_read() -> None:
    xml = b"""<rss xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><dc:rights>CC0</dc:rights>
      <item><link>https://x.example/v</link><dc:rights>see website</dc:rights></item></channel></rss>"""
    got = license_from_feed(xml, FEED)
    assert got.items["https://x.example/v"] == [feed("see website", "dc:rights"), feed("CC0", "dc:rights")]


ATOM = f"""<?xml version="1.0" encoding="utf-16"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:yt="http://www.youtube.com/xml/schemas/2015">
  <title>Channel</title>
  <rights>Copyright 2024 Example Eye Institute</rights>
  <entry>
    <yt:videoId>dQw4w9WgXcQ</yt:videoId>
    <link rel="alternate" href="https://www.youtube.com/watch?v=dQw4w9WgXcQ"/>
    <link rel="license" href="{BY}"/>
  </entry>
  <entry>
    <link href="https://youtu.be/abcdefghijk"/>
    <link rel="enclosure" href="/media/b.mp4"/>
    <rights type="html">&lt;b&gt;CC BY-SA 4.0&lt;/b&gt;</rights>
  </entry>
  <entry><link href="https://eyes.example.org/c"/></entry>
</feed>"""


def test_license_from_feed_reads_atom_links_and_rights_in_any_encoding() -> None:
    got = license_from_feed(ATOM.encode("utf-16"), FEED)
    reserved = feed("Copyright 2024 Example Eye Institute", "atom:rights")
    assert got.channel == [reserved]
    assert got.items["https://www.youtube.com/watch?v=dQw4w9WgXcQ"] == [feed(BY, "atom:link[rel=license]")]
    assert got.items["https://www.youtube.com/watch?v=abcdefghijk"] == [feed("CC BY-SA 4.0", "atom:rights")]
    assert got.items["https://eyes.example.org/media/b.mp4"] == [feed("CC BY-SA 4.0", "atom:rights")]
    assert got.items["https://eyes.example.org/c"] == [reserved]


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<rss><channel><title>&lol2;</title></channel></rss>"""


@pytest.mark.parametrize(
    ("xml", "why"),
    [
        (BOMB.encode(), "DOCTYPE or ENTITY declaration"),
        (BOMB.encode("utf-16"), "DOCTYPE or ENTITY declaration"),  # invisible to a byte search
        (b'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "file:///etc/passwd"><rss/>', "DOCTYPE or ENTITY"),
        (b'<!DOCTYPE r [<!ENTITY x SYSTEM "http://169.254.169.254/">]><rss>&x;</rss>', "DOCTYPE or ENTITY"),
        # Not a declaration where XML allows one: malformed, refused all the same.
        (b"<rss><channel><!ENTITY x 'y'></channel></rss>", "not well-formed XML"),
        (b'<?xml version="1.0"?><!doctype rss><rss/>', "not well-formed XML"),
    ],
)
def test_license_from_feed_refuses_doctype_and_entity_declarations(xml: bytes, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        license_from_feed(xml, FEED)


def test_license_from_feed_refuses_oversize_and_malformed_documents() -> None:
    big = b"<rss><channel>" + b" " * MAX_FEED_BYTES + b"</channel></rss>"
    with pytest.raises(ValueError, match="over the 20971520-byte limit"):
        license_from_feed(big, FEED)
    with pytest.raises(ValueError, match="not well-formed XML"):
        license_from_feed(b"<rss><channel><item></channel>", FEED)
    at_limit = b"<rss><channel>" + b" " * (MAX_FEED_BYTES - 30) + b"</channel></rss>"
    assert len(at_limit) == MAX_FEED_BYTES and license_from_feed(at_limit, FEED).channel == []


def test_license_from_feed_accepts_doctype_text_inside_cdata() -> None:
    xml = b"""<rss xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><dc:rights>CC0</dc:rights>
      <description><![CDATA[<!DOCTYPE html><p>an HTML description</p>]]></description></channel></rss>"""
    assert license_from_feed(xml, FEED).channel == [feed("CC0", "dc:rights")]
