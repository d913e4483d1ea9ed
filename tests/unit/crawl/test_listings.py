"""Listings the crawler reads itself: which lines are URLs, feed items and their dates, newest-first order."""

from __future__ import annotations

import pytest
from defusedxml.ElementTree import fromstring

from ophin.crawl.listings import _feed_entry, invalid_key, newest_first, url_problem
from ophin.crawl.sources import PAGINATED


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("http://[::1", "not a URL"),
        ("http://example.org/a\x00.mp4", "U+0000"),
        ("https://example.org/\u202eevil.mp4", "U+202E"),  # a bidi override hides what the URL says
        ("http://example.org:99999/a.mp4", "out of range"),
        ("http://example.org:port/a.mp4", "not a URL"),
        ("javascript:alert(1)", "scheme 'javascript'"),
        ("lecture.mp4", "scheme 'missing'"),
        ("http:///a.mp4", "no host"),
    ],
)
def test_url_problem_names_why_a_line_is_no_url(line: str, why: str) -> None:
    problem = url_problem(line)
    assert problem is not None and why in problem, problem


@pytest.mark.parametrize(
    "line", ["https://example.org/a.mp4", "http://[::1]:8080/v.mp4", "file:///srv/lectures/a.mp4"]
)
def test_url_problem_accepts_urls(line: str) -> None:
    assert url_problem(line) is None


def test_invalid_key_is_short_and_stable_whatever_the_line_holds() -> None:
    junk = "http://[::1" + "\x00" * 10_000
    assert invalid_key(junk) == invalid_key(junk) and len(invalid_key(junk)) < 64
    assert invalid_key(junk) != invalid_key("http://[::1")


def test_newest_first_orders_by_date_only_where_dates_differ() -> None:
    oldest_first = [{"url": "a", "timestamp": 1.0}, {"url": "b", "timestamp": 2.0}, {"url": "u"}]
    assert [e["url"] for e in newest_first(oldest_first)] == ["b", "a", "u"]
    same = [{"url": "a", "timestamp": 5.0}, {"url": "b", "timestamp": 5.0}, {"url": "c", "timestamp": 5.0}]
    assert newest_first(same) == same  # one date for all says nothing about order: as listed


def test_feed_entry_reads_rss_and_atom_items() -> None:
    rss = fromstring(
        "<item><title>Drusen</title><link>https://example.org/page</link>"
        "<enclosure url='/v/a.mp4' type='video/mp4'/><pubDate>Mon, 02 Nov 2026 09:00:00 GMT</pubDate>"
        "<duration>1:02:03</duration></item>"
    )
    entry = _feed_entry(rss, "https://example.org/feed.xml")
    assert entry is not None
    assert (entry["url"], entry["title"]) == ("https://example.org/v/a.mp4", "Drusen")
    assert entry["duration"] == 3723
    assert entry["timestamp"] == 1793610000.0
    atom = fromstring(
        "<entry xmlns='http://www.w3.org/2005/Atom'><title>OCT</title>"
        "<link rel='alternate' href='https://www.youtube.com/watch?v=abcdefghijk'/>"
        "<published>2026-11-03T10:00:00Z</published></entry>"
    )
    entry = _feed_entry(atom, "https://www.youtube.com/feeds/videos.xml")
    assert entry is not None and (entry["ie_key"], entry["id"]) == ("Youtube", "abcdefghijk")
    assert _feed_entry(fromstring("<item><title>no link</title></item>"), "https://example.org/") is None


def test_only_youtube_listings_count_as_paginated() -> None:
    assert "feed" not in PAGINATED and "urls" not in PAGINATED and "youtube_channel" in PAGINATED
