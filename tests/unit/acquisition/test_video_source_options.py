"""The yt-dlp options built from settings: caps, politeness, captions, sign-in pass-through."""

from __future__ import annotations

from pathlib import Path

from ophin.acquisition.video_source import YtDlpVideoSource
from ophin.settings import AcquireSettings


def test_options_pass_cookies_extractor_args_and_js_runtimes_through(tmp_path: Path) -> None:
    settings = AcquireSettings(
        cookies_file="/secrets/cookies.txt",
        extractor_args={"youtube": {"po_token": ["web.gvs+TOKEN"], "player_client": ["web"]}},
        js_runtimes={"deno": {"path": "/usr/bin/deno"}},
        max_filesize_mb=5,
    )
    options = YtDlpVideoSource(settings, request_interval_s=1.5)._options(tmp_path)
    assert options["cookiefile"] == "/secrets/cookies.txt"
    assert options["extractor_args"]["youtube"]["po_token"] == ["web.gvs+TOKEN"]
    assert options["js_runtimes"] == {"deno": {"path": "/usr/bin/deno"}}
    assert options["sleep_interval_requests"] == 1.5 and options["max_filesize"] == 5 * 2**20
    assert (
        options["writesubtitles"]
        and options["writeautomaticsub"]
        and options["subtitleslangs"] == ["en.*", "en"]
    )


def test_options_leave_out_what_is_not_configured(tmp_path: Path) -> None:
    options = YtDlpVideoSource(AcquireSettings(subtitles=False))._options(tmp_path)
    assert "cookiefile" not in options and "js_runtimes" not in options and "writesubtitles" not in options
    # A metadata probe or a listing writes nothing: no output template, no captions.
    assert "outtmpl" not in YtDlpVideoSource(AcquireSettings())._options()


def test_options_run_no_ffmpeg_fixup_and_fence_the_merger(tmp_path: Path) -> None:
    """yt-dlp's fixups would ffprobe and remux downloaded bytes unfenced (a segment that is a playlist)."""
    from ophin.adapters.media_safety import SAFE_INPUT

    options = YtDlpVideoSource(AcquireSettings())._options(tmp_path)
    assert options["fixup"] == "never"
    assert options["postprocessor_args"]["merger+ffmpeg_i"] == list(SAFE_INPUT)
