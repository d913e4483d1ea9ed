"""The crawler over YouTube as yt-dlp answers it, replayed (tests/support/recorded_youtube.py): each filter
rule, the licence gate, probes that fail, hostile metadata, rate-limit storms and the Data API's word."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from ophin.crawl.sources import SourceSpec, add_sources
from ophin.db.crawl_models import CrawlCandidate, CrawlRun, CrawlSighting
from ophin.db.session import session_scope
from ophin.orchestration.crawl_runs import CrawlReport, crawl
from ophin.services import Services
from tests.conftest import make_services
from tests.support.recorded_youtube import (
    AGE_RESTRICTED,
    API_CC,
    CC_LECTURE,
    GEO_BLOCKED,
    GERMAN,
    HOSTILE,
    LIVE,
    PRIVATE,
    QUERY,
    SHORT,
    STANDARD,
    RecordedVideoSource,
)

# Backoff starts at 30 s and doubles; `sleep` is a list's append, so no test waits for real.
CRAWL = {"request_interval_s": 0, "download_interval_s": 0, "backoff_s": 30.0, "max_backoff_s": 3600.0}
_INVISIBLE = "\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


@pytest.fixture
def recorded() -> RecordedVideoSource:
    return RecordedVideoSource()


@pytest.fixture
def svc(tmp_path: Path, db_url: str, transcriber, recorded: RecordedVideoSource) -> Services:  # noqa: ANN001
    svc = make_services(tmp_path, db_url, transcriber, license={}, crawl=CRAWL)
    svc.video_source = recorded
    return svc


def _add(svc: Services, *specs: SourceSpec) -> list[uuid.UUID]:
    with session_scope(svc.sessions) as session:
        return add_sources(session, list(specs), default_max_items=50)


def _discover(svc: Services, sleeps: list[float] | None = None) -> CrawlReport:
    return crawl(svc, download_pass=False, sleep=(sleeps if sleeps is not None else []).append)


def _candidates(svc: Services) -> dict[str, CrawlCandidate]:
    """Candidates by YouTube id."""
    with session_scope(svc.sessions) as session:
        rows = session.scalars(select(CrawlCandidate)).all()
        session.expunge_all()
    return {r.key.removeprefix("youtube "): r for r in rows}


def _run(svc: Services, run_id: uuid.UUID) -> CrawlRun:
    with session_scope(svc.sessions) as session:
        row = session.get(CrawlRun, run_id)
        session.expunge_all()
    return row


def _watch(video: str) -> str:
    return f"https://www.youtube.com/watch?v={video}"


def test_crawl_judges_each_recorded_case_by_its_own_rule(
    svc: Services, recorded: RecordedVideoSource
) -> None:
    _add(svc, SourceSpec("youtube_search", "  diabetic retinopathy\n  ophthalmology "))
    report = _discover(svc)
    assert report.status == "succeeded", report
    assert report.counts["new"] == 10 and report.counts["accepted"] == 2, report.counts
    c = _candidates(svc)
    assert set(c) == {
        LIVE,
        CC_LECTURE,
        API_CC,
        STANDARD,
        AGE_RESTRICTED,
        GERMAN,
        SHORT,
        HOSTILE,
        PRIVATE,
        GEO_BLOCKED,
    }
    assert all(row.key == f"youtube {vid}" and row.url == _watch(vid) for vid, row in c.items())

    cc = c[CC_LECTURE]
    assert (cc.status, cc.license, cc.license_ok, cc.failure_class) == ("accepted", "CC-BY-3.0", True, None)
    evidence = cc.license_evidence["evidence"]
    assert [(e["origin"], e["field"]) for e in evidence] == [("yt-dlp", "license")]
    assert evidence[0]["value"] == "Creative Commons Attribution license (reuse allowed)"
    assert (cc.upload_date, cc.language, cc.duration_s) == ("2026-11-01", "en", 1834)
    assert cc.channel == "Open Ophthalmology Lectures"

    # The standard licence: yt-dlp reads no License row, so the video states no licence at all.
    for vid in (STANDARD, API_CC):
        assert (c[vid].status, c[vid].license_ok) == ("rejected", False)
        assert c[vid].reason.startswith("no licence stated"), c[vid].reason
    assert c[LIVE].status == "rejected" and c[LIVE].reason == "live stream (is_live)"
    assert c[SHORT].status == "rejected" and c[SHORT].reason == "10 s is shorter than 30 s"
    assert c[AGE_RESTRICTED].status == "rejected" and c[AGE_RESTRICTED].reason == "age-restricted (18+)"
    assert c[GERMAN].status == "rejected" and c[GERMAN].reason == "language 'de' is not one of en"
    # Filter rejections come before the licence: a CC video refused for its age limit is no licence verdict.
    assert c[AGE_RESTRICTED].license_ok is None and c[GERMAN].license is None

    rejected = _run(svc, report.run_id).rejected
    for rule, count in {"live": 1, "duration": 1, "age_restricted": 1, "language": 1, "license": 2}.items():
        assert rejected.get(rule) == count, rejected
    # The flat listing already tells a live stream and a 10 s short: neither is probed.
    assert _watch(LIVE) not in recorded.probed and _watch(SHORT) not in recorded.probed
    assert _watch(AGE_RESTRICTED) in recorded.probed and _watch(GERMAN) in recorded.probed


def test_crawl_rejects_the_videos_whose_probe_fails(svc: Services) -> None:
    _add(svc, SourceSpec("youtube_search", QUERY))
    _discover(svc)
    c = _candidates(svc)
    private, geo = c[PRIVATE], c[GEO_BLOCKED]
    assert private.status == "rejected" and "Private video" in private.reason
    # Its message says "Sign in if you've been granted access", yet it is gone for everyone uninvited.
    assert private.failure_class == "unavailable"
    assert geo.status == "rejected"
    assert "has not made this video available in your country" in geo.reason
    assert geo.failure_class == "geo_blocked"
    for row in (private, geo):
        assert row.license is None and row.license_ok is None and row.upload_date is None
        assert row.title and row.next_attempt_at is None  # the listing's title; not retried


def test_crawl_stores_hostile_metadata_as_bounded_plain_text(svc: Services) -> None:
    _add(svc, SourceSpec("youtube_search", QUERY))
    _discover(svc)
    row = _candidates(svc)[HOSTILE]
    assert row.status == "accepted" and row.license == "CC-BY-3.0"
    assert row.title.startswith("Diabetic retinopathy OCT"), row.title[:80]
    assert 0 < len(row.title) <= 500 and 0 < len(row.channel) <= 300
    for text in (row.title, row.channel):
        assert not any(ch in text for ch in _INVISIBLE + "<>`\n")
        assert not any(bit in text for bit in ("&lt;", "&gt;", "**", "](", "script", "onerror"))


def test_crawl_again_stops_at_the_first_known_entry(svc: Services, recorded: RecordedVideoSource) -> None:
    older = [STANDARD, AGE_RESTRICTED, GERMAN, SHORT, HOSTILE, PRIVATE, GEO_BLOCKED]
    recorded.record_search(QUERY, older)
    # A listing its user declares newest first (a channel's uploads are; a search is by relevance).
    _add(svc, SourceSpec("youtube_search", QUERY, newest_first=True))
    first = _discover(svc)
    assert first.counts["new"] == 7
    probes = len(recorded.probed)

    recorded.record_search(QUERY, [LIVE, CC_LECTURE, API_CC, *older])  # three uploads since
    second = _discover(svc)
    assert (second.counts["new"], second.counts["known"], second.counts["seen"]) == (3, 1, 4), second.counts
    assert recorded.probed[probes:] == [_watch(CC_LECTURE), _watch(API_CC)]  # nothing old is probed again
    with session_scope(svc.sessions) as session:
        sightings = session.scalars(
            select(CrawlSighting).where(CrawlSighting.crawl_run_id == second.run_id)
        ).all()
        assert sorted(s.outcome for s in sightings) == ["accepted", "known", "rejected", "rejected"]
    assert _candidates(svc)[STANDARD].first_crawl_run_id == first.run_id

    third = _discover(svc)
    assert (third.counts.get("new", 0), third.counts["known"], third.counts["seen"]) == (0, 1, 1)
    assert len(recorded.probed) == probes + 2


def test_a_search_by_relevance_reads_its_window_and_judges_only_new_entries(
    svc: Services, recorded: RecordedVideoSource
) -> None:
    recorded.record_search(QUERY, [STANDARD, GERMAN])
    _add(svc, SourceSpec("youtube_search", QUERY))
    _discover(svc)
    probes = len(recorded.probed)
    recorded.record_search(QUERY, [GERMAN, CC_LECTURE, STANDARD])  # relevance order shifts
    again = _discover(svc)
    assert (again.counts["seen"], again.counts["new"], again.counts["known"]) == (3, 1, 2), again.counts
    assert recorded.probed[probes:] == [_watch(CC_LECTURE)]


def test_crawl_rides_out_a_rate_limit_storm_shorter_than_max_attempts(
    svc: Services, recorded: RecordedVideoSource
) -> None:
    recorded.record_search("retina lecture", [CC_LECTURE])
    _add(svc, SourceSpec("youtube_search", "retina lecture"))
    recorded.rate_limit(svc.settings.crawl.max_attempts - 1)
    sleeps: list[float] = []
    report = _discover(svc, sleeps)
    assert report.status == "succeeded" and report.counts["rate_limited"] == 2, report
    assert sleeps == [30.0, 60.0]  # backoff_s, doubled
    cc = _candidates(svc)[CC_LECTURE]
    assert (cc.status, cc.license, cc.failure_class) == ("accepted", "CC-BY-3.0", None)
    assert recorded.probed == [_watch(CC_LECTURE)] * 3


def test_crawl_leaves_a_candidate_pending_after_a_longer_storm_and_judges_it_next_time(
    svc: Services, recorded: RecordedVideoSource
) -> None:
    recorded.record_search("retina lecture", [CC_LECTURE])
    _add(svc, SourceSpec("youtube_search", "retina lecture"))
    attempts = svc.settings.crawl.max_attempts
    recorded.rate_limit(attempts + 1)  # outlasts this crawl's attempts by one
    sleeps: list[float] = []
    stormy = _discover(svc, sleeps)
    assert stormy.counts["rate_limited"] == attempts and sleeps == [30.0, 60.0]
    cc = _candidates(svc)[CC_LECTURE]
    assert (cc.status, cc.failure_class, cc.license) == ("discovered", "rate_limited", None)
    assert cc.next_attempt_at is not None and "rate-limited" in cc.reason
    assert stormy.status == "rate_limited" and "rate-limited" in stormy.error

    again = _discover(svc)  # before next_attempt_at: left alone
    assert _candidates(svc)[CC_LECTURE].status == "discovered" and again.counts.get("rate_limited", 0) == 0
    with session_scope(svc.sessions) as session:
        session.get(CrawlCandidate, cc.id).next_attempt_at = None  # time passes

    sleeps.clear()
    resumed = _discover(svc, sleeps)
    assert resumed.status == "succeeded" and resumed.counts["rate_limited"] == 1 and sleeps == [30.0]
    cc = _candidates(svc)[CC_LECTURE]
    assert (cc.status, cc.failure_class, cc.license, cc.next_attempt_at) == (
        "accepted",
        None,
        "CC-BY-3.0",
        None,
    )
    assert cc.first_crawl_run_id == stormy.run_id and cc.last_crawl_run_id == resumed.run_id
    assert cc.upload_date == "2026-11-01"


def _discover_with_api(
    tmp_path: Path,
    db_url: str,
    transcriber,  # noqa: ANN001
    recorded: RecordedVideoSource,
    videos: dict,
    query: str,
    state=None,  # noqa: ANN001
):  # noqa: ANN202
    """A discovery of one search with the fake Data API serving `videos` under key K."""
    from tests.support import youtube_api as fake

    with fake.serve_youtube_api(videos, "K", state=state) as base:
        svc = make_services(
            tmp_path,
            db_url,
            transcriber,
            license={"youtube_api_key": "K", "youtube_api_url": base},
            acquire={"allow_hosts": "127.0.0.1"},
            crawl=CRAWL,
        )
        svc.video_source = recorded
        _add(svc, SourceSpec("youtube_search", query))
        return svc, _discover(svc)


def test_crawl_with_the_data_api_accepts_on_its_licence_without_a_probe(
    tmp_path: Path, db_url: str, transcriber, recorded: RecordedVideoSource
) -> None:  # noqa: ANN001
    fake = pytest.importorskip("tests.support.youtube_api")
    videos = {
        API_CC: fake.video_resource("creativeCommon", title="Anti-VEGF for Diabetic Macular Oedema"),
        STANDARD: fake.video_resource("youtube", title="Diabetic Retinopathy Screening"),
    }
    state = fake.FakeApiState()
    recorded.record_search("anti-vegf", [API_CC, STANDARD])
    svc, report = _discover_with_api(tmp_path, db_url, transcriber, recorded, videos, "anti-vegf", state)
    assert report.status == "succeeded", report
    c = _candidates(svc)
    api_cc, standard = c[API_CC], c[STANDARD]
    assert (api_cc.status, api_cc.license, api_cc.license_ok) == ("accepted", "CC-BY-3.0", True)
    evidence = api_cc.license_evidence["evidence"]
    assert [(e["origin"], e["field"], e["value"]) for e in evidence] == [
        ("youtube-data-api", "status.license", "creativeCommon")
    ]
    assert "key=" not in evidence[0]["url"] and API_CC in evidence[0]["url"]
    assert standard.status == "rejected" and standard.license == "YouTube-Standard"
    assert "YouTube-Standard is not in the licence policy" in standard.reason
    assert recorded.probed == []  # the API's word sufficed: yt-dlp was never asked
    assert {i for r in state.requests for i in r["id"].split(",")} == {API_CC, STANDARD}
    assert len(state.requests) == 1  # one request for the page's new videos


def test_the_data_api_s_age_rating_and_language_feed_the_filters(
    tmp_path: Path, db_url: str, transcriber, recorded: RecordedVideoSource
) -> None:  # noqa: ANN001
    fake = pytest.importorskip("tests.support.youtube_api")
    adult = fake.video_resource("creativeCommon", title="Enucleation, full procedure")
    adult["contentDetails"]["contentRating"] = {"ytRating": "ytAgeRestricted"}
    videos = {AGE_RESTRICTED: adult, GERMAN: fake.video_resource("creativeCommon", language="de")}
    recorded.record_search("enucleation", [AGE_RESTRICTED, GERMAN])
    svc, report = _discover_with_api(tmp_path, db_url, transcriber, recorded, videos, "enucleation")
    c = _candidates(svc)
    assert "age-restricted" in c[AGE_RESTRICTED].reason and "language 'de'" in c[GERMAN].reason
    assert report.rejected == {"age_restricted": 1, "language": 1} and recorded.probed == []


def test_two_sources_listing_one_video_make_one_candidate(
    svc: Services, recorded: RecordedVideoSource
) -> None:
    channel = "https://www.youtube.com/@OpenOphthalmology/videos"
    recorded.record_search("retina lecture", [CC_LECTURE, STANDARD])
    recorded.record_listing(channel, [API_CC, CC_LECTURE])
    ids = _add(svc, SourceSpec("youtube_search", "retina lecture"), SourceSpec("youtube_channel", channel))
    report = _discover(svc)
    assert report.counts["seen"] == 4 and report.counts["new"] == 3 and report.counts["known"] == 1
    with session_scope(svc.sessions) as session:
        rows = session.scalars(
            select(CrawlCandidate).where(CrawlCandidate.key == f"youtube {CC_LECTURE}")
        ).all()
        assert len(rows) == 1 and rows[0].source_id in ids and rows[0].status == "accepted"
        assert len(session.scalars(select(CrawlCandidate)).all()) == 3
    assert recorded.probed.count(_watch(CC_LECTURE)) == 1
    with session_scope(svc.sessions) as session:
        seen = session.scalars(select(CrawlSighting).where(CrawlSighting.candidate_id == rows[0].id)).all()
    # Each source's sighting of the shared video is kept: accepted by the first, known to the second.
    assert sorted(s.outcome for s in seen) == ["accepted", "known"]
