"""yt-dlp fenced by the FetchPolicy, against real local servers: A is allowed, B must never hear from us."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from eval.corpus import demo_videos
from ophin.acquisition.fetch_policy import FetchPolicy, FetchRefused
from ophin.acquisition.video_source import YtDlpVideoSource
from ophin.acquisition.ytdlp_fence import fenced_youtube_dl
from ophin.settings import AcquireSettings
from tests.support.media import cut, ffmpeg, serve_recording


@dataclass
class Sites:
    a: str  # allowed: 127.0.0.1:<port A> is in allow_hosts
    b: str  # another port on the same host, not allowed
    a_seen: list[str]
    b_seen: list[str]
    root_a: Path

    @property
    def allow_a(self) -> str:
        return self.a.removeprefix("http://")


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cut(demo_videos()[0], tmp_path_factory.mktemp("clip") / "clip.mp4", 16.0, 2.0)


@pytest.fixture
def sites(tmp_path: Path, clip: Path) -> Iterator[Sites]:
    root_a, root_b = tmp_path / "a", tmp_path / "b"
    root_a.mkdir()
    root_b.mkdir()
    shutil.copyfile(clip, root_a / "clip.mp4")
    shutil.copyfile(clip, root_b / "clip.mp4")
    # B serves an HLS copy of the clip too, so a playlist on A can point its segments there.
    ffmpeg(
        "-i", str(clip), "-c", "copy", "-f", "hls", "-hls_playlist_type", "vod", str(root_b / "index.m3u8")
    )
    with serve_recording(root_b) as (b, b_seen):
        redirects = {"/jump.mp4": f"{b}/clip.mp4", "/again.mp4": "/clip.mp4"}
        with serve_recording(root_a, redirects) as (a, a_seen):
            yield Sites(a=a, b=b, a_seen=a_seen, b_seen=b_seen, root_a=root_a)


def source(sites: Sites, **settings: object) -> YtDlpVideoSource:
    return YtDlpVideoSource(AcquireSettings(allow_hosts=sites.allow_a, **settings))


def test_fetch_downloads_a_direct_mp4_from_an_allowed_host(sites: Sites, tmp_path: Path) -> None:
    got = source(sites).fetch(f"{sites.a}/clip.mp4", tmp_path / "work")
    assert got.path == tmp_path / "work" / "media.mp4"
    assert got.path.read_bytes() == (sites.root_a / "clip.mp4").read_bytes()
    assert sites.b_seen == []


def test_fetch_follows_a_redirect_within_the_allowed_host(sites: Sites, tmp_path: Path) -> None:
    got = source(sites).fetch(f"{sites.a}/again.mp4", tmp_path / "work")
    assert got.path.stat().st_size > 0 and "/again.mp4" in sites.a_seen


def test_fetch_refuses_a_redirect_to_another_host_before_following_it(sites: Sites, tmp_path: Path) -> None:
    with pytest.raises(FetchRefused) as refused:
        source(sites).fetch(f"{sites.a}/jump.mp4", tmp_path / "work")
    reason = "127.0.0.1 is a loopback address; not in acquire.allow_hosts"
    assert str(refused.value) == f"refused {sites.b}/clip.mp4: {reason}"
    assert sites.a_seen and sites.b_seen == []


def test_fetch_refuses_an_html_video_src_on_another_host(sites: Sites, tmp_path: Path) -> None:
    video = f"<video src='{sites.b}/clip.mp4'></video>"
    (sites.root_a / "page.html").write_text(
        f"<html><head><title>Lecture</title></head><body>{video}</body></html>"
    )
    with pytest.raises(FetchRefused, match=rf"^refused {sites.b}/clip\.mp4: "):
        source(sites).fetch(f"{sites.a}/page.html", tmp_path / "work")
    assert "/page.html" in sites.a_seen and sites.b_seen == []


def test_fetch_refuses_hls_segments_on_another_host(sites: Sites, tmp_path: Path) -> None:
    playlist = (sites.root_a.parent / "b" / "index.m3u8").read_text().splitlines()
    lines = [line if line.startswith("#") else f"{sites.b}/{line}" for line in playlist]
    (sites.root_a / "remote.m3u8").write_text("\n".join(lines) + "\n")
    with pytest.raises(FetchRefused, match=rf"^refused {sites.b}/index0\.ts: "):
        source(sites).fetch(f"{sites.a}/remote.m3u8", tmp_path / "work")
    assert sites.b_seen == []


def test_fetch_refuses_an_hls_stream_yt_dlp_would_hand_to_ffmpeg(sites: Sites, tmp_path: Path) -> None:
    # SAMPLE-AES is beyond yt-dlp's native HLS downloader, which would start ffmpeg on the playlist.
    (sites.root_a / "sample-aes.m3u8").write_text(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n"
        f'#EXT-X-KEY:METHOD=SAMPLE-AES,URI="{sites.b}/key.bin"\n#EXTINF:2.0,\n{sites.b}/index0.ts\n'
        "#EXT-X-ENDLIST\n"
    )
    with pytest.raises(FetchRefused, match="would be fetched by ffmpeg"):
        source(sites).fetch(f"{sites.a}/sample-aes.m3u8", tmp_path / "work")
    assert sites.b_seen == []


@pytest.mark.parametrize("handler", ["Requests", "Urllib"])
def test_urlopen_checks_every_redirect_hop_in_each_request_handler(sites: Sites, handler: str) -> None:
    from yt_dlp.networking.exceptions import RequestError

    # yt-dlp prefers requests; this compat option makes it pick urllib, the handler's other route.
    compat = ["prefer-legacy-http-handler"] if handler == "Urllib" else []
    ydl = fenced_youtube_dl()(
        {"quiet": True, "compat_opts": compat}, policy=FetchPolicy(allow_hosts=(sites.allow_a,))
    )
    with ydl:
        assert set(ydl._request_director.handlers) == {
            "Urllib",
            "Requests",
        }  # websockets never gets a request
        assert ydl.urlopen(f"{sites.a}/again.mp4").read() == (sites.root_a / "clip.mp4").read_bytes()
        with pytest.raises(RequestError, match="refused"):
            ydl.urlopen(f"{sites.a}/jump.mp4")
    assert ydl.refusal is not None and ydl.refusal.url == f"{sites.b}/clip.mp4"
    assert sites.a_seen == ["/again.mp4", "/clip.mp4", "/jump.mp4"] and sites.b_seen == []


def test_fetch_refuses_file_urls_by_default(clip: Path, tmp_path: Path) -> None:
    with pytest.raises(FetchRefused, match="allow_file_urls"):
        YtDlpVideoSource(AcquireSettings()).fetch(clip.as_uri(), tmp_path / "work")
    assert not (tmp_path / "work").exists()


def test_fetch_reads_file_urls_when_allowed(clip: Path, tmp_path: Path) -> None:
    got = YtDlpVideoSource(AcquireSettings(allow_file_urls=True)).fetch(clip.as_uri(), tmp_path / "work")
    assert got.path.read_bytes() == clip.read_bytes()


def test_fetch_refuses_localhost_when_allow_hosts_is_empty(sites: Sites, tmp_path: Path) -> None:
    port = sites.b.rpartition(":")[2]
    with pytest.raises(FetchRefused, match=r"host localhost resolves to (127\.0\.0\.1|::1), a loopback"):
        YtDlpVideoSource(AcquireSettings()).fetch(f"http://localhost:{port}/x.mp4", tmp_path / "work")
    assert sites.b_seen == []


def test_fetch_refuses_an_unresolvable_host(tmp_path: Path) -> None:
    # .invalid never resolves (RFC 6761), online or off.
    with pytest.raises(
        FetchRefused, match=r"^refused http://lectures\.invalid/x\.mp4: host lectures\.invalid does"
    ):
        YtDlpVideoSource(AcquireSettings()).fetch("http://lectures.invalid/x.mp4", tmp_path / "work")
