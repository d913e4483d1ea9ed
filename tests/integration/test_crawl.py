"""The crawler against local sources yt-dlp really extracts: a growing RSS feed, 404s, 429 storms, oversize
files, licence-less items and one file under two URLs. Nothing rejected reaches the object store."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from eval.corpus import demo_videos
from ophin.crawl.sources import SourceSpec, add_sources
from ophin.db.crawl_models import CrawlCandidate, CrawlRun, CrawlSighting
from ophin.db.models import Video, VideoAlias
from ophin.db.session import session_scope
from ophin.domain.ids import sha256_file
from ophin.domain.keys import media_key
from ophin.orchestration.crawl_runs import crawl
from tests.conftest import make_services
from tests.support.media import cut

CC_BY = "https://creativecommons.org/licenses/by/4.0/"
CC_BY_NC = "https://creativecommons.org/licenses/by-nc/4.0/"


class _Site(SimpleHTTPRequestHandler):
    """A static site that can answer 429 to the next N requests of a path (a rate-limit storm)."""

    storms: dict[str, int]
    hits: list[str]

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self.hits.append(self.path)
        left = self.storms.get(self.path, 0)
        if left:
            self.storms[self.path] = left - 1
            self.send_response(429)
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()

    do_HEAD = do_GET  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class Site:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.storms: dict[str, int] = {}
        self.hits: list[str] = []
        handler = type("Handler", (_Site,), {"storms": self.storms, "hits": self.hits})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: handler(*a, directory=str(root)))
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def feed(self, name: str, items: list[tuple[str, str, str | None]]) -> str:
        """Write an RSS feed of (title, file, licence URL or None), newest first; returns its URL."""
        entries = "".join(
            f"<item><title>{title}</title><enclosure url='{self.base}/{file}' type='video/mp4' length='1'/>"
            + (f"<media:license type='text/html' href='{lic}'>{lic}</media:license>" if lic else "")
            + "</item>"
            for title, file, lic in items
        )
        (self.root / name).write_text(
            "<?xml version='1.0'?><rss version='2.0' xmlns:media='http://search.yahoo.com/mrss/'>"
            f"<channel><title>Retina lectures</title>{entries}</channel></rss>"
        )
        return f"{self.base}/{name}"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    root = tmp_path / "site"
    root.mkdir()
    src = demo_videos()
    cut(src[0], root / "a.mp4", 5.0, 6.0)
    cut(src[1], root / "b.mp4", 5.0, 6.0)
    cut(src[2], root / "c.mp4", 5.0, 6.0)
    cut(src[0], root / "d.mp4", 20.0, 6.0)
    site = Site(root)
    yield site
    site.server.shutdown()
    site.server.server_close()


@pytest.fixture
def svc(tmp_path: Path, db_url: str, transcriber, s3_endpoint: str):  # noqa: ANN001, ANN201
    return make_services(
        tmp_path,
        db_url,
        transcriber,
        s3_endpoint=s3_endpoint,
        license={},  # the default policy: CC licences allowing derivatives; unknown rejected
        crawl={"request_interval_s": 0, "download_interval_s": 0, "backoff_s": 0.01, "min_duration_s": 0},
    )


def _add(svc, *specs: SourceSpec) -> None:  # noqa: ANN001
    with session_scope(svc.sessions) as session:
        add_sources(session, list(specs), default_max_items=50)


def _candidates(svc) -> dict[str, CrawlCandidate]:  # noqa: ANN001
    with session_scope(svc.sessions) as session:
        rows = session.scalars(select(CrawlCandidate)).all()
        session.expunge_all()
    return {r.url.rsplit("/", 1)[-1]: r for r in rows}


def _stored(svc, site: Site) -> set[str]:  # noqa: ANN001
    """Which of the site's files have their bytes in the object store (media keys are content hashes)."""
    return {
        p.name for p in site.root.rglob("*.mp4") if svc.store.exists(media_key(sha256_file(str(p)), ".mp4"))
    }


def test_two_crawls_of_a_growing_feed_download_exactly_the_new_items(svc, site: Site) -> None:  # noqa: ANN001
    feed = site.feed("feed.xml", [("Drusen in AMD", "a.mp4", CC_BY), ("No licence", "b.mp4", None)])
    _add(svc, SourceSpec("feed", feed, name="retina feed"))
    first = crawl(svc, sleep=lambda s: None)
    assert first.status == "succeeded", first
    assert first.counts["new"] == 2 and first.counts["downloaded"] == 1
    cands = _candidates(svc)
    assert cands["a.mp4"].status == "downloaded" and cands["a.mp4"].license == "CC-BY-4.0"
    assert cands["b.mp4"].status == "rejected" and "no licence" in cands["b.mp4"].reason
    # The feed states no licence for b: one metadata probe asked yt-dlp (none there either); no download.
    assert site.hits.count("/b.mp4") == 1 and site.hits.count("/a.mp4") == 2
    assert _stored(svc, site) == {"a.mp4"}

    site.feed(
        "feed.xml",
        [
            ("OCT of macular oedema", "c.mp4", CC_BY),
            ("Drusen in AMD", "a.mp4", CC_BY),
            ("No licence", "b.mp4", None),
        ],
    )
    site.hits.clear()
    second = crawl(svc, sleep=lambda s: None)
    assert second.counts["new"] == 1 and second.counts["downloaded"] == 1, second.counts
    assert "/a.mp4" not in site.hits  # known items are neither probed nor fetched again
    assert _candidates(svc)["c.mp4"].status == "downloaded"
    assert _stored(svc, site) == {"a.mp4", "c.mp4"}
    with session_scope(svc.sessions) as session:
        videos = session.scalars(select(Video)).all()
        assert {v.title for v in videos} == {"Drusen in AMD", "OCT of macular oedema"}
        assert all(
            v.license_ok and v.license == "CC-BY-4.0" and v.discovered_via.startswith("source:")
            for v in videos
        )
        assert all(v.license_evidence["evidence"][0]["origin"] == "feed" for v in videos)
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.started_at)).all()
        assert [r.status for r in runs] == ["succeeded", "succeeded"] and runs[1].counts["new"] == 1
        assert runs[0].rejected == {"license": 1}
        sightings = session.scalars(
            select(CrawlSighting).where(CrawlSighting.crawl_run_id == runs[1].id)
        ).all()
        # A feed is one page: checked whole each crawl (issue 22, break 8), so b is seen as known too.
        assert sorted(s.outcome for s in sightings) == ["downloaded", "known", "known"]
        rejected = session.scalars(select(CrawlCandidate).where(CrawlCandidate.status == "rejected")).all()
        assert rejected and all(r.reason for r in rejected)


def test_non_derivative_licence_is_rejected_and_never_fetched(svc, site: Site) -> None:  # noqa: ANN001
    feed = site.feed("nc.xml", [("NC lecture", "a.mp4", CC_BY_NC)])
    _add(svc, SourceSpec("feed", feed))
    report = crawl(svc, sleep=lambda s: None)
    assert report.counts.get("downloaded", 0) == 0
    assert "CC-BY-NC-4.0" in _candidates(svc)["a.mp4"].reason
    assert _stored(svc, site) == set() and "/a.mp4" not in site.hits


def test_a_404_source_is_recorded_and_the_others_proceed(svc, site: Site) -> None:  # noqa: ANN001
    good = site.feed("good.xml", [("Fundus", "a.mp4", CC_BY)])
    _add(svc, SourceSpec("feed", f"{site.base}/missing.xml"), SourceSpec("feed", good))
    report = crawl(svc, sleep=lambda s: None)
    assert report.status == "partial" and report.counts["downloaded"] == 1
    errors = [s for s in report.sources.values() if "error" in s]
    assert len(errors) == 1 and errors[0]["failure_class"] == "unavailable" and "404" in errors[0]["error"]


def test_a_429_storm_backs_off_records_and_resumes(svc, site: Site) -> None:  # noqa: ANN001
    feed = site.feed("storm.xml", [("Stormy", "c.mp4", CC_BY), ("Calm", "a.mp4", CC_BY)])
    _add(svc, SourceSpec("feed", feed))
    site.storms["/c.mp4"] = 2  # two 429s, then answers: backoff rides it out within the crawl
    waits: list[float] = []
    report = crawl(svc, sleep=waits.append)
    assert report.counts["downloaded"] == 2 and report.counts["rate_limited"] >= 2, report.counts
    assert waits and all(w >= 0 for w in waits)

    site.feed("storm.xml", [("Storm", "d.mp4", CC_BY), ("Stormy", "c.mp4", CC_BY), ("Calm", "a.mp4", CC_BY)])
    site.storms["/d.mp4"] = 1000  # a storm that outlasts every retry: the crawl stops and says so
    stopped = crawl(svc, sleep=lambda s: None)
    assert stopped.status == "rate_limited" and "rate-limited" in stopped.error
    d = _candidates(svc)["d.mp4"]
    assert d.status == "accepted" and d.failure_class == "rate_limited" and d.next_attempt_at is not None
    with session_scope(svc.sessions) as session:
        session.get(CrawlCandidate, d.id).next_attempt_at = None  # time passes
    site.storms["/d.mp4"] = 0
    resumed = crawl(svc, sleep=lambda s: None)
    assert resumed.status == "succeeded" and resumed.counts["downloaded"] == 1
    assert _candidates(svc)["d.mp4"].status == "downloaded"


def test_an_oversize_file_is_refused_as_too_large(
    tmp_path: Path, db_url: str, transcriber, site: Site
) -> None:  # noqa: ANN001
    svc = make_services(
        tmp_path,
        db_url,
        transcriber,
        license={},
        acquire={"allow_hosts": "127.0.0.1", "max_filesize_mb": 0},
        crawl={"request_interval_s": 0, "download_interval_s": 0, "backoff_s": 0.01},
    )
    _add(svc, SourceSpec("feed", site.feed("big.xml", [("Big", "a.mp4", CC_BY)])))
    report = crawl(svc, sleep=lambda s: None)
    a = _candidates(svc)["a.mp4"]
    assert (a.status, a.failure_class) == ("failed", "too_large"), a.reason
    assert report.status == "partial" and _stored(svc, site) == set()


def test_one_file_under_two_urls_is_one_video(svc, site: Site) -> None:  # noqa: ANN001
    (site.root / "mirror").mkdir()
    (site.root / "mirror" / "a.mp4").write_bytes((site.root / "a.mp4").read_bytes())
    feed = site.feed("twice.xml", [("Mirror", "mirror/a.mp4", CC_BY), ("Original", "a.mp4", CC_BY)])
    _add(svc, SourceSpec("feed", feed))
    report = crawl(svc, sleep=lambda s: None)
    assert report.counts["downloaded"] == 1 and report.counts["duplicates"] == 1, report.counts
    with session_scope(svc.sessions) as session:
        assert len(session.scalars(select(Video)).all()) == 1
        assert len(session.scalars(select(VideoAlias)).all()) == 2
        dup = session.scalars(select(CrawlCandidate).where(CrawlCandidate.status == "duplicate")).one()
        assert "same content" in dup.reason and dup.video_id is not None
    assert _stored(svc, site) == {"a.mp4"}  # both copies: same bytes, one object


def test_cli_adds_lists_crawls_and_disables_a_source(
    tmp_path: Path, db_url: str, site: Site, monkeypatch
) -> None:  # noqa: ANN001
    from typer.testing import CliRunner

    from ophin.cli.app import app
    from ophin.settings import get_settings
    from tests.integration.test_crawl_robustness import _cli_env

    _cli_env(monkeypatch, tmp_path, db_url)
    runner = CliRunner()
    feed = site.feed("cli.xml", [("Fundus", "a.mp4", CC_BY), ("Unlicensed", "b.mp4", None)])
    added = runner.invoke(app, ["source", "add", "feed", feed, "--name", "retina", "--max-items", "10"])
    assert added.exit_code == 0, added.output
    assert runner.invoke(app, ["source", "add", "podcast", feed]).exit_code == 1  # unknown kind refused
    listed = json.loads(runner.invoke(app, ["source", "list", "--json"]).output)
    assert [(s["kind"], s["name"], s["max_items"], s["enabled"]) for s in listed] == [
        ("feed", "retina", 10, True)
    ]
    crawled = runner.invoke(app, ["crawl"])
    assert crawled.exit_code == 0, crawled.output
    assert "2 new" in crawled.output and "1 downloaded" in crawled.output and "license" in crawled.output
    status = runner.invoke(app, ["status"])
    assert "crawl       1/1 sources enabled; downloaded=1, rejected=1" in status.output, status.output
    assert "crawl succeeded" in status.output and "1 downloaded, 1 rejected" in status.output
    disabled = runner.invoke(app, ["source", "disable", listed[0]["id"][:8]])
    assert disabled.exit_code == 0 and "disabled" in disabled.output
    assert "0 seen" in runner.invoke(app, ["crawl"]).output
    assert runner.invoke(app, ["source", "disable", "ffffffff"]).exit_code == 1
    taxonomy = runner.invoke(app, ["source", "taxonomy", "--category", "modalities", "--limit", "3"])
    assert taxonomy.exit_code == 0 and "3 search sources" in taxonomy.output
    get_settings.cache_clear()


def test_a_page_s_embedded_videos_are_judged_by_the_page_s_licence(svc, site: Site) -> None:  # noqa: ANN001
    (site.root / "lectures.html").write_text(
        "<html><head><title>Retina lectures</title>"
        f"<link rel='license' href='{CC_BY}'></head><body>"
        "<video src='a.mp4'></video><video src='c.mp4'></video></body></html>"
    )
    (site.root / "closed.html").write_text("<html><body><video src='b.mp4'></video></body></html>")
    _add(
        svc, SourceSpec("page", f"{site.base}/lectures.html"), SourceSpec("page", f"{site.base}/closed.html")
    )
    report = crawl(svc, sleep=lambda s: None)
    cands = _candidates(svc)
    # closed.html holds one <video>: the page itself is the candidate (its captions come with it).
    assert {n: c.status for n, c in cands.items()} == {
        "a.mp4": "downloaded",
        "c.mp4": "downloaded",
        "closed.html": "rejected",
    }
    evidence = cands["a.mp4"].license_evidence["evidence"][0]
    assert (evidence["origin"], evidence["field"]) == ("page", "link[rel=license]")
    assert report.counts["downloaded"] == 2 and _stored(svc, site) == {"a.mp4", "c.mp4"}


def test_creator_captions_are_stored_as_an_alternative_transcript(svc, site: Site) -> None:  # noqa: ANN001
    from ophin.db.crawl_models import SubtitleTrack

    (site.root / "a.en.vtt").write_text(
        "WEBVTT\n\n00:00.000 --> 00:02.500\nThe optic disc has a sharp margin.\n\n"
        "00:02.500 --> 00:05.000\nNotice the vessels arching around the macula.\n"
    )
    (site.root / "captioned.html").write_text(
        f"<html><head><link rel='license' href='{CC_BY}'></head><body><video src='a.mp4'>"
        "<track kind='subtitles' srclang='en' src='a.en.vtt'></video></body></html>"
    )
    _add(svc, SourceSpec("page", f"{site.base}/captioned.html"))
    assert crawl(svc, sleep=lambda s: None).counts["downloaded"] == 1
    with session_scope(svc.sessions) as session:
        (track,) = session.scalars(select(SubtitleTrack)).all()
        session.expunge(track)
    assert (track.language, track.kind, track.format, track.cue_count) == ("en", "creator", "vtt", 2)
    assert b"sharp margin" in svc.store.get_bytes(track.object_key)


def test_ophin_run_judges_a_url_s_licence_before_downloading_it(svc, site: Site) -> None:  # noqa: ANN001
    from ophin.pipeline import acquire_urls

    (site.root / "open.html").write_text(
        f"<html><head><link rel='license' href='{CC_BY}'></head>"
        "<body><video src='a.mp4'></video></body></html>"
    )
    report = acquire_urls([f"{site.base}/b.mp4", f"{site.base}/open.html"], svc)
    (failure,) = report.failures
    assert failure.entity_key == f"{site.base}/b.mp4" and type(failure.cause).__name__ == "LicenseRejected"
    assert "no licence" in str(failure.cause)
    assert _stored(svc, site) == {"a.mp4"}  # the page's video, licensed by the page; b never fetched
    assert site.hits.count("/b.mp4") == 1  # its metadata probe only
    with session_scope(svc.sessions) as session:
        (video,) = session.scalars(select(Video)).all()
        assert (video.license, video.discovered_via, video.license_ok) == ("CC-BY-4.0", "url", True)


def test_a_url_list_on_disk_is_a_source_where_file_urls_are_allowed(svc, site: Site, tmp_path: Path) -> None:  # noqa: ANN001
    listing = tmp_path / "urls.txt"
    listing.write_text(f"# lectures\n{site.base}/b.mp4\n\n{site.base}/missing.mp4\n")
    _add(svc, SourceSpec("urls", listing.as_uri()))
    report = crawl(svc, sleep=lambda s: None)
    cands = _candidates(svc)
    assert report.counts["seen"] == 2 and set(cands) == {"b.mp4", "missing.mp4"}
    assert "no licence" in cands["b.mp4"].reason and cands["missing.mp4"].failure_class == "unavailable"
