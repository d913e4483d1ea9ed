"""yt-dlp behind the VideoSource protocol: fetch one URL's media and info JSON into a work directory."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ophin.settings import AcquireSettings


class AcquireError(RuntimeError):
    """The URL could not be fetched (unreachable, unsupported, no media)."""


@dataclass(frozen=True)
class FetchedVideo:
    path: Path
    info: dict[str, Any] = field(repr=False)

    def get(self, name: str) -> Any:
        # Tolerant metadata: extractors fill what they know; everything but the media is optional.
        return self.info.get(name)


class VideoSource(Protocol):
    def fetch(self, url: str, workdir: Path) -> FetchedVideo: ...


class YtDlpVideoSource:
    """Downloads through yt-dlp's Python API into a per-URL work dir (never yt-dlp's id-keyed archive)."""

    def __init__(self, params: AcquireSettings) -> None:
        self.params = params

    def _options(self, workdir: Path) -> dict[str, Any]:
        p = self.params
        return {
            "quiet": True,
            "no_warnings": True,
            "noprogress": True,
            "noplaylist": True,
            "format": p.format,
            # A fixed file name per URL: yt-dlp's generic id is the basename and collides across sites.
            "outtmpl": str(workdir / "media.%(ext)s"),
            "max_filesize": p.max_filesize_mb * 1024 * 1024,
            "socket_timeout": p.socket_timeout_s,
            "retries": p.retries,
            "enable_file_urls": p.allow_file_urls,
            "restrictfilenames": True,
        }

    def fetch(self, url: str, workdir: Path) -> FetchedVideo:
        import yt_dlp

        workdir.mkdir(parents=True, exist_ok=True)
        try:
            with yt_dlp.YoutubeDL(self._options(workdir)) as ydl:
                info = ydl.sanitize_info(ydl.extract_info(url, download=True))
        except yt_dlp.utils.YoutubeDLError as exc:
            message = str(exc).removeprefix("ERROR: ").strip()
            raise AcquireError(message.splitlines()[0] if message else type(exc).__name__) from exc
        if info.get("_type") == "playlist":
            raise AcquireError("URL is a playlist; pass the video URLs (playlist crawling is a later stage)")
        downloads = info.get("requested_downloads") or []
        paths = [Path(d["filepath"]) for d in downloads if d.get("filepath")]
        if not paths or not paths[0].is_file():
            raise AcquireError("yt-dlp reported no downloaded media file")
        return FetchedVideo(path=paths[0], info=info)
