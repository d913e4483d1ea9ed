"""What ffmpeg may open: the media demuxers allowed for stored and downloaded files, the input options that
enforce them on every ffmpeg/ffprobe run, and the container probe that runs before any decode."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any


class MediaError(RuntimeError):
    """ffmpeg could not read or convert the media (corrupt file, missing stream, a refused container)."""


# The demuxers allowed to open stored or downloaded media: each reads only the bytes of the one file it is
# given. Everything else is refused before it runs: playlists (hls, dash) and concat lists make ffmpeg open
# the paths and URLs they name, image2 reads a numbered file sequence, sdp/rtsp open network streams. An
# allow-list: a demuxer added to a later ffmpeg is refused until it is named here.
MEDIA_DEMUXERS = tuple("mov matroska mpegts flv avi ogg asf mpeg mp3 wav aac flac".split())
ACCEPTED = "mp4/mov/m4a, matroska/webm, mpegts, flv, avi, ogg, asf/wmv, mpeg-ps, mp3, wav, aac, flac"
# Before every -i of stored media: only the local file protocol (no http, tcp, udp, data, subfile, ...), and
# only the demuxers above, so a crafted file can reach no other path and no host. ffmpeg checks the format
# whitelist after probing and before the demuxer reads anything, so a refused playlist opens nothing.
SAFE_INPUT = ("-protocol_whitelist", "file", "-format_whitelist", ",".join(MEDIA_DEMUXERS))
SAFE_KWARGS = {"protocol_whitelist": "file", "format_whitelist": ",".join(MEDIA_DEMUXERS)}  # ffmpeg-python's
_NOT_ON_WHITELIST = re.compile(r"\[([\w,]+) @ 0x[0-9a-f]+\].*Format not on whitelist")
_WHAT_IT_IS = {
    "hls": "an HLS playlist, which makes ffmpeg read the files or URLs it names",
    "dash": "a DASH manifest, which makes ffmpeg read the files or URLs it names",
    "concat": "an ffconcat list, which makes ffmpeg read the files it names",
    "image2": "an image sequence, which makes ffmpeg read numbered files",
    "sdp": "a session description, which makes ffmpeg open network streams",
    "rtsp": "a session description, which makes ffmpeg open network streams",
    "tty": "text",
}


def safe_input(path: Path) -> list[str]:
    return [*SAFE_INPUT, "-i", str(path)]


def probe_container(path: Path) -> dict[str, Any]:
    """ffprobe's JSON of a file (format: format_name, duration, tags; streams), opened only by an allowed
    media demuxer. Raises MediaError naming the container (an HLS playlist, an ffconcat list, an image, ...)
    for anything else: run it before any decode."""
    cmd = [
        "ffprobe", "-v", "error", "-of", "json", "-show_format", "-show_streams", *SAFE_INPUT, str(path),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, check=False)  # noqa: S603 - fixed argv, no shell
    stderr = proc.stderr.decode(errors="replace")
    refused = _NOT_ON_WHITELIST.search(stderr)
    if refused:
        raise MediaError(_refusal(refused.group(1)))
    if proc.returncode != 0:
        lines = [line.strip() for line in stderr.splitlines() if line.strip()]
        raise MediaError(f"not a readable media file: {lines[-1] if lines else 'ffprobe failed'}")
    data: dict[str, Any] = json.loads(proc.stdout or b"{}")
    name = str(data.get("format", {}).get("format_name") or "")
    if not set(name.split(",")) & set(MEDIA_DEMUXERS):  # ffprobe enforces it; this says so if it did not
        raise MediaError(_refusal(name or "unknown"))
    return data


def _refusal(demuxer: str) -> str:
    first = demuxer.split(",")[0]
    what = _WHAT_IT_IS.get(first) or ("an image" if first.endswith("_pipe") else "not a media container")
    return f"refused container '{first}' ({what}); accepted: {ACCEPTED}"
