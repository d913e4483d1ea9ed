"""Media that tries to make ffmpeg read other files (issue 22, breaks 1 and 11c): a playlist or an ffconcat
list served as an .mp4, an HLS stream whose segment is itself a playlist, and a video whose audio track is
corrupt. Each is refused at acquisition with its reason on its own row; nothing of the local file it names
reaches an object, a frame or a transcript; the good video of the same batch goes through."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from eval.corpus import demo_videos
from ophin.adapters.media import FfmpegMedia, MediaError
from ophin.adapters.media_safety import probe_container
from ophin.db.models import Frame, StageRun, TranscriptSegment, Video, VideoAlias
from ophin.db.session import session_scope
from ophin.domain.urls import canonical_url
from ophin.pipeline import run_urls
from tests.conftest import make_services
from tests.support.media import cut, ffmpeg, serve_directory

MARKER = "SECRET-MARKER-7731"


def secret_video(out: Path) -> Path:
    """A real narrated video (a fundus slide and its words) titled with the marker: the local file. Its
    index comes first (faststart), as an HLS segment read without seeking needs it."""
    ffmpeg(
        "-ss", "16", "-t", "4", "-i", str(demo_videos()[0]), "-c:v", "libx264", "-preset", "ultrafast",
        "-c:a", "aac", "-metadata", f"title={MARKER}", "-movflags", "+faststart", str(out),
    )  # fmt: skip
    return out


def hls_naming(path: str) -> str:
    return f"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:5\n#EXTINF:4.0,\n{path}\n#EXT-X-ENDLIST\n"


def corrupt_audio(src: Path, out: Path, keep: int = 5) -> Path:
    """src with every audio packet after the first `keep` overwritten in place: the
    container, its durations and the video are intact, the audio track decodes to almost nothing."""
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "packet=pos,size",
         "-of", "json", str(src)],
        capture_output=True, check=True,
    )  # fmt: skip
    data = bytearray(src.read_bytes())
    for packet in json.loads(probe.stdout)["packets"][keep:]:
        pos, size = int(packet["pos"]), int(packet["size"])
        # All ones: no frame header parses (random bytes sometimes decode to a 30-channel frame instead,
        # and ffmpeg gives up at once: that is caught as a stopped decode, not the case tested here).
        data[pos : pos + size] = b"\xff" * size
    out.write_bytes(bytes(data))
    return out


@pytest.fixture(scope="module")
def batch(tmp_path_factory, make_database, transcriber):  # noqa: ANN001, ANN201
    local = tmp_path_factory.mktemp("local")  # outside the served site: the server never offers it
    secret = secret_video(local / "secret.mp4")
    site = tmp_path_factory.mktemp("site")
    cut(demo_videos()[0], site / "good.mp4", 30.0, 4.0)
    (site / "playlist.mp4").write_text(hls_naming(str(secret)))
    (site / "list.mp4").write_text(f"ffconcat version 1.0\nfile {secret}\n")
    # A stream on the same host whose one segment is itself a playlist naming the local file: yt-dlp
    # downloads the segment's bytes, and its HLS fixup handed them to ffprobe and ffmpeg unfenced.
    (site / "stream.m3u8").write_text(hls_naming("seg0.ts"))
    (site / "seg0.ts").write_text(hls_naming(str(secret)))
    corrupt_audio(cut(demo_videos()[0], site / "whole.mp4", 40.0, 6.0), site / "bad-audio.mp4")
    svc = make_services(tmp_path_factory.mktemp("safety"), make_database(), transcriber)
    with serve_directory(site) as base:
        urls = {
            n: f"{base}/{n}" for n in ("good.mp4", "playlist.mp4", "list.mp4", "stream.m3u8", "bad-audio.mp4")
        }
        report = run_urls(list(urls.values()), svc)
    yield svc, urls, report, secret


def _acquire_run(svc, url: str) -> StageRun:  # noqa: ANN001
    with session_scope(svc.sessions) as session:
        (run,) = session.scalars(select(StageRun).where(StageRun.entity_key == canonical_url(url))).all()
        session.expunge(run)
    return run


def _video(svc, url: str) -> Video | None:  # noqa: ANN001
    with session_scope(svc.sessions) as session:
        alias = session.scalars(select(VideoAlias).where(VideoAlias.url == canonical_url(url))).first()
        return session.get(Video, alias.video_id) if alias else None


@pytest.mark.parametrize(
    ("name", "container"),
    [("playlist.mp4", "'hls' (an HLS playlist"), ("list.mp4", "'concat' (an ffconcat list"),
     ("stream.m3u8", "'hls' (an HLS playlist")],
)  # fmt: skip
def test_run_urls_refuses_a_container_that_names_a_local_file(batch, name, container) -> None:  # noqa: ANN001
    svc, urls, report, _ = batch
    run = _acquire_run(svc, urls[name])
    assert (run.status, run.error_class) == ("failed", "MediaError")
    assert run.error_message.startswith(f"refused container {container}"), run.error_message
    assert _video(svc, urls[name]) is None
    assert canonical_url(urls[name]) in {f.entity_key for f in report.failures}


def test_run_urls_stores_nothing_of_the_local_file(batch) -> None:  # noqa: ANN001
    svc, urls, _, secret = batch
    good = _video(svc, urls["good.mp4"])
    assert good is not None  # the rest of the batch proceeded to the end
    with session_scope(svc.sessions) as session:
        videos = session.scalars(select(Video)).all()
        others = [
            session.scalars(select(t).where(t.video_id != good.id)).all() for t in (Frame, TranscriptSegment)
        ]
        spoken = session.scalars(select(TranscriptSegment).where(TranscriptSegment.video_id == good.id)).all()
    assert [v.id for v in videos] == [good.id] and others == [[], []] and spoken
    digest = hashlib.sha256(secret.read_bytes()).hexdigest()
    stored = [p for p in (svc.settings.home_dir / "objects").rglob("*") if p.is_file()]
    assert stored  # the good video's media, frames and transcript are there to look through
    for path in stored:
        data = path.read_bytes()
        assert hashlib.sha256(data).digest().hex() != digest and MARKER.encode() not in data, path


def test_run_urls_refuses_a_video_whose_audio_track_is_corrupt(batch) -> None:  # noqa: ANN001
    svc, urls, _, _ = batch
    run = _acquire_run(svc, urls["bad-audio.mp4"])
    assert (run.status, run.error_class) == ("failed", "MediaError")
    assert run.error_message.startswith("corrupt audio: ") and "packets do not decode" in run.error_message
    assert _video(svc, urls["bad-audio.mp4"]) is None


def test_decode_check_counts_the_audio_packets_that_decode(tmp_path: Path) -> None:
    whole = cut(demo_videos()[0], tmp_path / "whole.mp4", 40.0, 6.0)
    media = FfmpegMedia()
    good, bad = media.decode_check(whole), media.decode_check(corrupt_audio(whole, tmp_path / "bad.mp4"))
    assert good.stream("audio").undecoded < 0.01 and bad.stream("audio").undecoded > 0.5
    # The video stream carries the furthest decoded time to the end either way: that alone missed it.
    assert bad.decoded_s > 5.9 and bad.stream("video").undecoded == 0.0


@pytest.fixture(scope="module")
def crafted(tmp_path_factory) -> dict[str, Path]:  # noqa: ANN001
    root = tmp_path_factory.mktemp("crafted")
    secret = secret_video(root / "secret.mp4")
    (root / "playlist.mp4").write_text(hls_naming(str(secret)))
    # Relative and plain: even ffconcat's "safe" mode reads it (it refuses only absolute and dotted names).
    (root / "list.mp4").write_text("ffconcat version 1.0\nfile secret.mp4\n")
    (root / "remote.mp4").write_text(hls_naming("http://127.0.0.1:1/secret.ts"))
    return {p.stem: p for p in root.iterdir()}


def test_unfenced_ffmpeg_reads_the_file_a_crafted_file_names(crafted) -> None:  # noqa: ANN001
    """What the whitelist stops: plain ffprobe opens the playlist and the list and reports the secret."""
    for name in ("playlist", "list"):
        out = subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "format_tags=title:stream=codec_type", "-of", "json",
             str(crafted[name])],
            capture_output=True, check=False,
        )  # fmt: skip
        shown = json.loads(out.stdout or b"{}")
        assert {s["codec_type"] for s in shown.get("streams", [])} >= {"video"}, name


@pytest.mark.parametrize("name", ["playlist", "list", "remote"])
def test_every_media_command_refuses_a_crafted_file(crafted, name: str, tmp_path: Path) -> None:  # noqa: ANN001
    """The whitelist itself, without the probe in front: each ffmpeg/ffprobe call on stored media fails."""
    path, media = crafted[name], FfmpegMedia()
    calls = {
        "probe": lambda: media.probe(path),
        "decode_check": lambda: media.decode_check(path),
        "extract_audio": lambda: media.extract_audio(path, tmp_path / "a.wav"),
        "scene_changes": lambda: media.scene_changes(path, 0.3),
        "packets": lambda: media.packets(path),
        "frame_at": lambda: media.frame_at(path, 1.0),
        "frames_at": lambda: media.frames_at(path, [1.0]),
    }
    read = []
    for what, call in calls.items():
        try:
            call()
            read.append(what)
        except MediaError:
            pass
    assert read == []
    assert not (tmp_path / "a.wav").exists() or (tmp_path / "a.wav").stat().st_size == 0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            b"v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\nt=0 0\nm=video 5004 RTP/AVP 96\n",
            "'sdp'",
        ),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "(an image)"),
        (b"WEBVTT\n\n00:00.000 --> 00:01.000\nhello\n", "'webvtt' (not a media container)"),  # allow-list
        (b"these are lecture notes\n" * 20, "not a readable media file"),
    ],
)
def test_probe_container_refuses_what_is_no_media_file(tmp_path: Path, body: bytes, reason: str) -> None:
    path = tmp_path / "media.mp4"
    path.write_bytes(body)
    with pytest.raises(MediaError, match=r"refused container|not a readable media file") as refused:
        probe_container(path)
    assert reason in str(refused.value)


def test_probe_container_returns_the_format_and_its_tags(tmp_path: Path) -> None:
    """Its JSON is the one probe of a file: format_name and the container's tags (a licence in them)."""
    for ext in ("mp4", "mkv", "ts"):
        out = tmp_path / f"tagged.{ext}"
        ffmpeg(
            "-f", "lavfi", "-t", "1", "-i", "testsrc2=size=160x120:rate=10", "-c:v", "libx264",
            "-metadata", "copyright=CC BY 4.0", str(out),
        )  # fmt: skip
        data = probe_container(out)
        assert data["streams"][0]["codec_type"] == "video"
        assert data["format"]["format_name"].split(",")[0] in ("mov", "matroska", "mpegts")
        if ext != "ts":  # MPEG-TS carries no such tag
            tags = {k.lower(): v for k, v in data["format"]["tags"].items()}
            assert tags["copyright"] == "CC BY 4.0"
