"""require_decoded: the decode check's verdict on a DecodeReport, per stream."""

from __future__ import annotations

import pytest

from ophin.adapters.media import DecodeReport, MediaError, MediaInfo, StreamDecode, require_decoded

INFO = MediaInfo(duration_s=60.0, width=640, height=360, has_audio=True, fps=25.0)
VIDEO = StreamDecode(0, "video", 1500, 1500)


def test_require_decoded_passes_a_whole_decode() -> None:
    require_decoded(INFO, DecodeReport(60.0, 0, None, (VIDEO, StreamDecode(1, "audio", 2813, 2812))), 1.0)


def test_require_decoded_refuses_an_audio_track_that_does_not_decode() -> None:
    report = DecodeReport(60.0, 900, "[aac] Reserved bit set.", (VIDEO, StreamDecode(1, "audio", 2813, 900)))
    with pytest.raises(MediaError, match=r"^corrupt audio: 1913 of its 2813 packets do not decode"):
        require_decoded(INFO, report, 1.0)


def test_require_decoded_refuses_a_decode_that_ffmpeg_gave_up() -> None:
    report = DecodeReport(59.5, 3, "x", (VIDEO,), stopped="Error while processing the decoded data")
    with pytest.raises(MediaError, match=r"^corrupt media: decoding stopped at 59.5 s: Error while"):
        require_decoded(INFO, report, 1.0)


def test_require_decoded_refuses_truncated_media_first() -> None:
    with pytest.raises(MediaError, match=r"^truncated or corrupt media: only 18.1 s of the container's 60.0"):
        require_decoded(INFO, DecodeReport(18.1, 1, "partial file", (VIDEO,), stopped="partial"), 1.0)
