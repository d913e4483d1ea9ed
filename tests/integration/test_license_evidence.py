"""The licence gate against local sources yt-dlp really extracts: a listing that denies the licence is refused
before any media is fetched; a file whose own container tags contradict its listing is refused after download,
before anything of it is stored, with the reason on its row."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from eval.corpus import demo_videos
from ophin.crawl.sources import SourceSpec, add_sources
from ophin.db.crawl_models import CrawlCandidate
from ophin.db.models import Video
from ophin.db.session import session_scope
from ophin.domain.ids import sha256_file
from ophin.domain.keys import media_key
from ophin.orchestration.crawl_runs import crawl
from tests.conftest import make_services
from tests.integration.test_crawl import Site
from tests.support.media import cut, ffmpeg

CC_BY = "https://creativecommons.org/licenses/by/4.0/"


def _tagged(src: Path, out: Path, **tags: str) -> Path:
    """A copy of src whose container carries these format tags (mp4 copyright, mkv LICENSE, ...)."""
    flags = [f for name, value in tags.items() for f in ("-metadata", f"{name}={value}")]
    extra = ["-movflags", "use_metadata_tags"] if out.suffix == ".mp4" else []
    ffmpeg("-i", str(src), "-c", "copy", *extra, *flags, str(out))
    return out


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    root = tmp_path / "site"
    root.mkdir()
    src = demo_videos()
    cut(src[0], root / "a.mp4", 5.0, 4.0)
    cut(src[1], root / "plain.mp4", 5.0, 4.0)
    _tagged(root / "plain.mp4", root / "reserved.mp4", copyright="All rights reserved")
    _tagged(root / "plain.mp4", root / "nc.mkv", LICENSE="CC BY-NC 4.0")
    _tagged(root / "a.mp4", root / "agrees.mp4", license="CC BY 4.0")
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


def _feed(site: Site, name: str, items: list[tuple[str, str, str]]) -> str:
    """An RSS feed of (title, file, licence element) items; the element is written as given."""
    entries = "".join(
        f"<item><title>{title}</title><enclosure url='{site.base}/{file}' type='video/mp4' length='1'/>"
        f"{licence}</item>"
        for title, file, licence in items
    )
    (site.root / name).write_text(
        "<?xml version='1.0'?><rss version='2.0' xmlns:media='http://search.yahoo.com/mrss/'"
        " xmlns:dc='http://purl.org/dc/elements/1.1/'>"
        f"<channel><title>Retina lectures</title>{entries}</channel></rss>"
    )
    return f"{site.base}/{name}"


def _crawl_feed(svc, feed: str) -> dict[str, CrawlCandidate]:  # noqa: ANN001
    with session_scope(svc.sessions) as session:
        add_sources(session, [SourceSpec("feed", feed)], default_max_items=50)
    crawl(svc, sleep=lambda s: None)
    with session_scope(svc.sessions) as session:
        rows = session.scalars(select(CrawlCandidate)).all()
        session.expunge_all()
    return {r.url.rsplit("/", 1)[-1]: r for r in rows}


def _stored(svc, site: Site) -> set[str]:  # noqa: ANN001
    return {
        p.name
        for p in site.root.iterdir()
        if p.suffix in (".mp4", ".mkv") and svc.store.exists(media_key(sha256_file(str(p)), p.suffix))
    }


def test_a_listing_that_denies_or_restricts_the_licence_is_refused_before_download(svc, site: Site) -> None:  # noqa: ANN001
    feed = _feed(
        site,
        "denied.xml",
        [
            ("Denied", "plain.mp4", "<dc:rights>NOT CC-BY; all rights reserved</dc:rights>"),
            ("Restricted", "reserved.mp4", "<media:license type='text/plain'>CC-BY-4.0-NC</media:license>"),
            (
                "Elsewhere",
                "nc.mkv",
                "<media:license href='https://evil.example/creativecommons.org/licenses/by/4.0/'/>",
            ),
            ("Open", "a.mp4", f"<media:license href='{CC_BY}'/>"),
        ],
    )
    cands = _crawl_feed(svc, feed)
    assert {n: c.status for n, c in cands.items()} == {
        "plain.mp4": "rejected",
        "reserved.mp4": "rejected",
        "nc.mkv": "rejected",
        "a.mp4": "downloaded",
    }
    assert cands["plain.mp4"].reason.startswith(
        "licence denied: 'NOT CC-BY; all rights reserved' (feed dc:rights)"
    )
    assert "CC-BY-NC-4.0 is not in the licence policy" in cands["reserved.mp4"].reason
    assert cands["nc.mkv"].reason.startswith("no licence stated") and cands["nc.mkv"].license is None
    # The listing decided: none of the refused files was fetched, not even probed.
    assert not {"/plain.mp4", "/reserved.mp4", "/nc.mkv"} & set(site.hits)
    assert _stored(svc, site) == {"a.mp4"}


def test_container_tags_that_contradict_the_listing_refuse_the_video_after_download(svc, site: Site) -> None:  # noqa: ANN001
    feed = _feed(
        site,
        "tagged.xml",
        [
            (name, name, f"<media:license href='{CC_BY}'/>")
            for name in ("reserved.mp4", "nc.mkv", "agrees.mp4")
        ],
    )
    cands = _crawl_feed(svc, feed)
    reserved, nc, agrees = cands["reserved.mp4"], cands["nc.mkv"], cands["agrees.mp4"]
    assert (reserved.status, reserved.failure_class) == ("failed", "license")
    assert reserved.reason == (
        "container tags: conflicting licence evidence: CC-BY-4.0 (feed media:license)"
        " vs All-Rights-Reserved (container container:copyright)"
    )
    assert (nc.status, nc.failure_class) == ("failed", "license")
    assert "CC-BY-NC-4.0 (container container:license)" in nc.reason
    assert agrees.status == "downloaded"  # tags that agree are kept as evidence on the video
    assert _stored(svc, site) == {"agrees.mp4"}  # the refused files' bytes never reached the store
    with session_scope(svc.sessions) as session:
        (video,) = session.scalars(select(Video)).all()
        evidence = [(e["origin"], e["field"], e["value"]) for e in video.license_evidence["evidence"]]
    # The demo lectures carry their own copyright tag ("CC-BY-4.0 OphIn Engine contributors"): it agrees.
    assert video.license == "CC-BY-4.0" and evidence[0][:2] == ("feed", "media:license")
    assert ("container", "container:license", "CC BY 4.0") in evidence


def test_ophin_run_refuses_a_page_video_whose_container_reserves_its_rights(svc, site: Site) -> None:  # noqa: ANN001
    from ophin.pipeline import acquire_urls

    (site.root / "open.html").write_text(
        f"<html><head><link rel='license' href='{CC_BY}'></head>"
        "<body><video src='reserved.mp4'></video></body></html>"
    )
    (site.root / "denied.html").write_text(
        "<html><head><meta name='dcterms.license' content='Public domain? No.'></head>"
        "<body><video src='plain.mp4'></video></body></html>"
    )
    report = acquire_urls([f"{site.base}/open.html", f"{site.base}/denied.html"], svc)
    causes = {f.entity_key.rsplit("/", 1)[-1]: f.cause for f in report.failures}
    assert {n: type(c).__name__ for n, c in causes.items()} == {
        "open.html": "LicenseRejected",
        "denied.html": "LicenseRejected",
    }
    assert "All-Rights-Reserved (container container:copyright)" in str(causes["open.html"])
    assert str(causes["denied.html"]).startswith("licence denied: 'Public domain? No.'")
    assert "/plain.mp4" not in site.hits and _stored(svc, site) == set()
