"""The crawler's pure parts: archive keys, filters, backoff, per-host spacing, failure classes, sources."""

from __future__ import annotations

import re

import pytest
from yt_dlp.utils import smuggle_url

from ophin.acquisition.errors import (
    AcquireError,
    GeoBlocked,
    RateLimited,
    SignInRequired,
    TooLarge,
    VideoUnavailable,
    classify,
)
from ophin.crawl.archive import candidate_key, entry_url
from ophin.crawl.filters import CrawlFilters
from ophin.crawl.politeness import HostThrottle, backoff_s, host_of
from ophin.crawl.sources import SourceSpec, listing_target, taxonomy_sources
from ophin.db.crawl_models import Source
from ophin.knowledge.taxonomy import taxonomy_queries
from ophin.settings import CrawlSettings
from tests.support.recorded_youtube import CC_LECTURE, LIVE, SHORT, load


@pytest.fixture(scope="module")
def flat() -> dict[str, dict]:
    return {e["id"]: e for e in load("search_flat.json")["entries"]}


# candidate_key


def test_candidate_key_keys_youtube_entries_by_id(flat: dict[str, dict]) -> None:
    assert candidate_key(flat[CC_LECTURE]) == f"youtube {CC_LECTURE}"
    assert candidate_key(load(f"videos/{CC_LECTURE}.json")) == f"youtube {CC_LECTURE}"  # a probe's info
    assert flat[SHORT]["url"].startswith("https://www.youtube.com/shorts/")
    assert candidate_key(flat[SHORT]) == f"youtube {SHORT}"
    assert entry_url(flat[SHORT]) == f"https://www.youtube.com/watch?v={SHORT}"


def test_candidate_key_keys_generic_entries_by_canonical_url() -> None:
    entry = {
        "ie_key": "Generic",
        "id": "lecture1",
        "url": "HTTPS://Retina.Example.org:443/v/lecture1.mp4?utm_source=rss",
    }
    assert candidate_key(entry) == "url https://retina.example.org/v/lecture1.mp4"
    assert candidate_key({"_type": "url", "url": "https://retina.example.org/v/lecture1.mp4"}) == (
        "url https://retina.example.org/v/lecture1.mp4"
    )


def test_candidate_key_strips_a_smuggled_fragment() -> None:
    url = "https://retina.example.org/v/lecture1.mp4"
    smuggled = smuggle_url(url, {"guid": "item-7", "to_generic": True})
    assert "#__youtubedl_smuggle=" in smuggled
    assert candidate_key({"ie_key": "Generic", "id": "lecture1", "url": smuggled}) == f"url {url}"


def test_candidate_key_does_not_collide_two_sites_files_of_one_name() -> None:
    a = {"extractor_key": "Generic", "id": "lecture1", "webpage_url": "https://a.example.org/lecture1.mp4"}
    b = {"extractor_key": "Generic", "id": "lecture1", "webpage_url": "https://b.example.net/lecture1.mp4"}
    assert candidate_key(a) != candidate_key(b)


def test_candidate_key_refuses_an_entry_with_neither_id_nor_url() -> None:
    with pytest.raises(ValueError):
        candidate_key({"_type": "url", "title": "nothing to key"})


# CrawlFilters.reject


@pytest.mark.parametrize(
    ("meta", "rule"),
    [
        ({"live_status": "is_live"}, "live"),
        ({"live_status": "is_upcoming"}, "live"),
        ({"live_status": "post_live"}, "live"),
        ({"is_live": True}, "live"),
        ({"age_limit": 18}, "age_restricted"),
        ({"duration": 10}, "duration"),
        ({"duration": 5 * 3600}, "duration"),
        ({"language": "de"}, "language"),
        ({"filesize": 3 * 2**30}, "too_large"),
        ({"filesize_approx": 3 * 2**30}, "too_large"),
    ],
)
def test_reject_refuses_each_rules_bad_case(meta: dict, rule: str) -> None:
    filters = CrawlFilters(max_filesize_bytes=2 * 2**30)
    got = filters.reject({"duration": 1834, **meta})
    assert got is not None and got[0] == rule and got[1]


@pytest.mark.parametrize(
    "meta",
    [
        {},
        {"duration": None, "language": None, "age_limit": None, "live_status": None, "filesize": None},
        {"live_status": "was_live", "duration": 3600},
        {"live_status": "not_live", "is_live": False, "age_limit": 0, "duration": 30, "language": "en-GB"},
        {"language": "EN"},
        {"duration": 4 * 3600},
    ],
)
def test_reject_passes_unknowns_and_good_values(meta: dict) -> None:
    assert CrawlFilters(max_filesize_bytes=2 * 2**30).reject(meta) is None


def test_reject_follows_its_settings() -> None:
    lenient = CrawlFilters(skip_live=False, max_age_limit=18, languages=(), min_duration_s=0)
    assert (
        lenient.reject({"live_status": "is_live", "age_limit": 18, "language": "de", "duration": 5}) is None
    )
    assert CrawlFilters().reject({"filesize": 10**12}) is None  # no size cap given
    filters = CrawlFilters.from_settings(CrawlSettings(languages=" EN, de ,", min_duration_s=60), 100)
    assert filters.languages == ("en", "de") and filters.max_filesize_bytes == 100 * 2**20
    assert filters.reject({"duration": 45})[0] == "duration"


def test_reject_judges_the_recorded_listing_by_what_it_shows(flat: dict[str, dict]) -> None:
    verdicts = {vid: CrawlFilters().reject(entry) for vid, entry in flat.items()}
    assert verdicts.pop(LIVE)[0] == "live" and verdicts.pop(SHORT)[0] == "duration"
    assert set(verdicts.values()) == {None}  # a flat entry holds no age limit or language: the probe tells


# backoff_s


def test_backoff_s_doubles_from_the_base_and_caps() -> None:
    assert [backoff_s(a, 2.0, 60.0) for a in range(1, 8)] == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert backoff_s(0, 2.0, 60.0) == 2.0


def test_backoff_s_honours_retry_after() -> None:
    assert backoff_s(1, 2.0, 60.0, retry_after_s=120.0) == 120.0  # the host's word beats the cap
    assert backoff_s(4, 2.0, 60.0, retry_after_s=3.0) == 16.0
    assert backoff_s(1, 2.0, 60.0, retry_after_s=None) == 2.0


# HostThrottle


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_host_throttle_waits_the_rest_of_the_interval_per_host() -> None:
    clock = _Clock()
    throttle = HostThrottle(1.0, sleep=clock.sleep, clock=clock)
    throttle.wait("https://a.example.org/1")
    assert clock.sleeps == []  # a host's first request goes at once
    clock.now += 0.25
    throttle.wait("https://a.example.org/2")
    assert clock.sleeps == [0.75]
    clock.now += 5
    throttle.wait("https://A.example.org/3")
    assert clock.sleeps == [0.75]  # the interval has passed
    throttle.wait("https://a.example.org/4", interval_s=5.0)
    assert clock.sleeps == [0.75, 5.0]


def test_host_throttle_does_not_wait_across_hosts() -> None:
    clock = _Clock()
    throttle = HostThrottle(10.0, sleep=clock.sleep, clock=clock)
    for url in ("https://a.example.org/x", "https://b.example.org/x", "http://127.0.0.1:8000/x"):
        throttle.wait(url)
    assert clock.sleeps == []


def test_host_throttle_counts_a_search_against_youtube() -> None:
    clock = _Clock()
    throttle = HostThrottle(1.0, sleep=clock.sleep, clock=clock)
    throttle.wait("ytsearch20:diabetic retinopathy")
    throttle.wait(f"https://www.youtube.com/watch?v={CC_LECTURE}")
    assert host_of("ytsearch20:x") == "www.youtube.com" and clock.sleeps == [1.0]


# classify


@pytest.mark.parametrize(
    ("message", "cls"),
    [
        (
            "[youtube] Xk9mP2rT4bQ: Unable to download API page: HTTP Error 429: Too Many Requests",
            RateLimited,
        ),
        ("Unable to download webpage: HTTP Error 503: Service Unavailable", RateLimited),
        ("Unable to download webpage: HTTP Error 404: Not Found", VideoUnavailable),
        (
            "[youtube] Xk9mP2rT4bQ: Video unavailable. This video has been removed by the uploader",
            VideoUnavailable,
        ),
        ("[generic] x: This video is not available from your location due to geo restriction", GeoBlocked),
        ("[youtube] Gc1Tb6Mh0Jy: The uploader has not made this video available in your country", GeoBlocked),
        (
            "[youtube] Pq8Zs2Dv4Nk: Private video. Sign in if you've been granted access to this video",
            VideoUnavailable,
        ),
        ("[youtube] Xk9mP2rT4bQ: This video is not available", VideoUnavailable),
        (
            "[youtube] Bv5Hn3Kz9Pe: Sign in to confirm your age. This video may be inappropriate for some "
            "users.",
            SignInRequired,
        ),
        ("[youtube] Bv5Hn3Kz9Pe: Sign in to confirm you're not a bot.", SignInRequired),
        ("File is larger than max-filesize (3000000000 bytes > 2147483648 bytes). Aborting.", TooLarge),
        ("Unsupported URL: https://example.org/page", AcquireError),
    ],
)
def test_classify_maps_messages_to_failure_classes(message: str, cls: type[AcquireError]) -> None:
    assert classify(message) is cls
    assert (
        cls(message).failure_class
        == {
            RateLimited: "rate_limited",
            VideoUnavailable: "unavailable",
            GeoBlocked: "geo_blocked",
            SignInRequired: "sign_in_required",
            TooLarge: "too_large",
            AcquireError: "error",
        }[cls]
    )


# SourceSpec, listing_target, taxonomy_sources


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"kind": "podcast", "target": "https://example.org/feed"}, "unknown source kind"),
        ({"kind": "feed", "target": "   "}, "needs a target"),
        ({"kind": "youtube_search", "target": "retina", "max_items": 0}, "at least 1"),
    ],
)
def test_source_spec_refuses_bad_specs(kwargs: dict, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        SourceSpec(**kwargs)


def test_source_spec_normalises_a_query_and_canonicalises_urls() -> None:
    spec = SourceSpec("youtube_search", "  diabetic   retinopathy\n\tophthalmology ", max_items=1)
    assert spec.normalised_target == "diabetic retinopathy ophthalmology"
    assert spec.id == SourceSpec("youtube_search", "diabetic retinopathy ophthalmology").id
    feed = SourceSpec("feed", "HTTPS://Example.org:443/feed.xml?utm_source=x&id=3#top")
    assert feed.normalised_target == "https://example.org/feed.xml?id=3"
    assert feed.id == SourceSpec("feed", "https://example.org/feed.xml?id=3").id
    assert feed.id != SourceSpec("page", "https://example.org/feed.xml?id=3").id  # the kind is in the id
    watch = SourceSpec("urls", f"https://youtu.be/{CC_LECTURE}?si=abc")
    assert watch.normalised_target == f"https://www.youtube.com/watch?v={CC_LECTURE}"


def test_listing_target_asks_yt_dlp_for_a_search_of_max_items() -> None:
    search = Source(kind="youtube_search", target="diabetic retinopathy ophthalmology", max_items=20)
    assert re.fullmatch(r"ytsearch(?:date)?20:diabetic retinopathy ophthalmology", listing_target(search))
    feed = Source(kind="feed", target="https://example.org/feed.xml", max_items=20)
    assert listing_target(feed) == "https://example.org/feed.xml"


def test_taxonomy_sources_makes_one_search_per_term() -> None:
    specs = taxonomy_sources(["modalities"], template="{term} ophthalmology", limit=5, max_items=20)
    terms = [q.term for q in taxonomy_queries(["modalities"], template="{term} ophthalmology", limit=5)]
    assert len(specs) == 5 and len({s.id for s in specs}) == 5
    assert [s.params for s in specs] == [{"taxonomy": "modalities", "term": t} for t in terms]
    for spec, term in zip(specs, terms, strict=True):
        assert (spec.kind, spec.target, spec.max_items) == ("youtube_search", f"{term} ophthalmology", 20)
        assert spec.name == f"modalities: {term}"
