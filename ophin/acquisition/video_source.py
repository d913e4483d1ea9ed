"""yt-dlp behind the VideoSource protocol: list a source's entries, read one video's metadata, fetch it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from ophin.acquisition.errors import AcquireError, TooLarge, classify
from ophin.acquisition.fetch_policy import FetchPolicy
from ophin.adapters.media_safety import SAFE_INPUT
from ophin.settings import AcquireSettings


@dataclass(frozen=True)
class Subtitle:
    language: str
    kind: str  # creator, automatic
    format: str
    path: Path


@dataclass(frozen=True)
class FetchedVideo:
    path: Path
    info: dict[str, Any] = field(repr=False)
    subtitles: tuple[Subtitle, ...] = ()

    def get(self, name: str) -> Any:
        # Tolerant metadata: extractors fill what they know; everything but the media is optional.
        return self.info.get(name)


class VideoSource(Protocol):
    def fetch(self, url: str, workdir: Path) -> FetchedVideo: ...

    def probe(self, url: str) -> dict[str, Any]:
        """One video's metadata, downloading no media."""
        ...

    def list_entries(self, target: str) -> Iterator[dict[str, Any]]:
        """A listing's entries, flat and lazily (a consumer that stops early fetches no more pages)."""
        ...


# ffmpeg is only ever handed local files: yt-dlp's HLS downloader passes streams it cannot parse (live,
# AES-128 without pycryptodomex) to an ffmpeg subprocess, whose requests no yt-dlp request handler sees.
_FFMPEG_INPUT_ARGS = ["-protocol_whitelist", "file,crypto,data"]
# yt-dlp's own ffmpeg post-processing of downloaded bytes: the fixups would ffprobe and remux them with no
# whitelist (a "segment" that is itself a playlist makes ffmpeg read local files or fetch any URL), so none
# runs (acquire's probe accepts MPEG-TS in a .mp4 name as it is); merging separate video and audio formats,
# when a format selector asks for it, opens only media demuxers on local files.
_NO_FIXUP = {
    "fixup": "never",
    "postprocessor_args": {"merger+ffmpeg_i": list(SAFE_INPUT)},
}


class YtDlpVideoSource:
    """yt-dlp's Python API, fenced: every request and every redirect hop is checked against the FetchPolicy.

    Downloads go to a per-URL work dir, never yt-dlp's id-keyed archive (its generic id is the basename).
    """

    def __init__(
        self, params: AcquireSettings, *, policy: FetchPolicy | None = None, request_interval_s: float = 0.0
    ) -> None:
        self.params = params
        self.policy = policy or FetchPolicy.from_settings(params)
        self.request_interval_s = request_interval_s

    def _options(self, workdir: Path | None = None) -> dict[str, Any]:
        p = self.params
        options: dict[str, Any] = {
            "quiet": True,
            "no_warnings": True,
            "noprogress": True,
            "noplaylist": True,
            "format": p.format,
            "max_filesize": p.max_filesize_mb * 1024 * 1024,
            "socket_timeout": p.socket_timeout_s,
            "retries": p.retries,
            "enable_file_urls": self.policy.allow_file_urls,
            "restrictfilenames": True,
            "external_downloader_args": {"ffmpeg_i": _FFMPEG_INPUT_ARGS},
            **_NO_FIXUP,
            # Politeness inside one process; the crawler spaces hosts and downloads across processes.
            "sleep_interval_requests": self.request_interval_s,
            "extractor_args": p.extractor_args,
        }
        if p.js_runtimes:
            options["js_runtimes"] = p.js_runtimes
        if p.cookies_file:
            options["cookiefile"] = p.cookies_file
        if workdir is not None:
            # A fixed file name per URL: yt-dlp's generic id is the basename and collides across sites.
            options["outtmpl"] = str(workdir / "media.%(ext)s")
            if p.subtitles:
                langs = [lang.strip() for lang in p.subtitle_langs.split(",") if lang.strip()]
                options |= {"writesubtitles": True, "writeautomaticsub": True, "subtitleslangs": langs}
        return options

    def _ydl(self, options: dict[str, Any]) -> Any:
        from ophin.acquisition.ytdlp_fence import fenced_youtube_dl

        return fenced_youtube_dl()(options, policy=self.policy)

    def _extract(self, url: str, options: dict[str, Any], **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        import yt_dlp

        from ophin.acquisition.fetch_policy import FetchRefused

        self.policy.check(url)
        ydl = self._ydl(options)
        try:
            with ydl:
                info = ydl.extract_info(url, **kwargs)
                info = ydl.sanitize_info(info) if info is not None else {}
        except yt_dlp.utils.YoutubeDLError as exc:
            if ydl.refusal is not None:
                raise FetchRefused(ydl.refusal.url, ydl.refusal.reason) from None
            raise _error(exc) from exc
        if ydl.refusal is not None:
            # yt-dlp tolerated the refused request (a skipped fragment, an optional page): the result is
            # not what the URL serves, and the refusal is news the caller must see.
            raise FetchRefused(ydl.refusal.url, ydl.refusal.reason)
        if ydl.too_large:
            raise TooLarge(ydl.too_large)
        return ydl, info

    def fetch(self, url: str, workdir: Path) -> FetchedVideo:
        self.policy.check(url)  # before anything is written for it
        workdir.mkdir(parents=True, exist_ok=True)
        _, info = self._extract(url, self._options(workdir), download=True)
        if info.get("_type") == "playlist":
            raise AcquireError("URL is a playlist; add it as a source (`ophin source add playlist URL`)")
        downloads = info.get("requested_downloads") or []
        paths = [Path(d["filepath"]) for d in downloads if d.get("filepath")]
        if not paths or not paths[0].is_file():
            raise AcquireError("yt-dlp reported no downloaded media file")
        return FetchedVideo(path=paths[0], info=info, subtitles=_subtitles(info))

    def probe(self, url: str) -> dict[str, Any]:
        _, info = self._extract(url, self._options(), download=False)
        return info

    def list_entries(self, target: str) -> Iterator[dict[str, Any]]:
        import yt_dlp

        options = self._options() | {
            "noplaylist": False,
            "extract_flat": "in_playlist",
            "lazy_playlist": True,
        }
        for _ in range(5):  # a channel URL resolves to its videos tab, a short link to its target
            if not target.startswith("ytsearch"):  # a search names no URL; yt-dlp's requests are fenced
                self.policy.check(target)
            ydl = self._ydl(options)
            try:
                with ydl:
                    result = ydl.extract_info(target, download=False, process=False)
                    if result is None:
                        raise AcquireError(f"yt-dlp found nothing at {target}")
                    if result.get("_type") in ("url", "url_transparent") and result.get("url") != target:
                        target = result["url"]
                        continue
                    if result.get("_type") != "playlist":
                        yield ydl.sanitize_info(result)  # the source is one video
                        return
                    for entry in result.get("entries") or ():  # a lazy generator: pages come on demand
                        if entry is not None:
                            yield ydl.sanitize_info(entry)
                        if ydl.refusal is not None:
                            break
            except yt_dlp.utils.YoutubeDLError as exc:
                if ydl.refusal is None:
                    raise _error(exc) from exc
            if ydl.refusal is not None:
                raise ydl.refusal
            return
        raise AcquireError(f"{target}: too many redirections between listings")


def _error(exc: Exception) -> AcquireError:
    message = str(exc).removeprefix("ERROR: ").strip()
    first = message.splitlines()[0] if message else type(exc).__name__
    return classify(first)(first)


def _subtitles(info: dict[str, Any]) -> tuple[Subtitle, ...]:
    creator = set(info.get("subtitles") or {})
    found = []
    for lang, sub in sorted((info.get("requested_subtitles") or {}).items()):
        path = Path(sub["filepath"]) if sub.get("filepath") else None
        if path is not None and path.is_file():
            kind = "creator" if lang in creator else "automatic"
            found.append(Subtitle(lang, kind, str(sub.get("ext") or path.suffix.lstrip(".")), path))
    return tuple(found)


def upload_date(info: dict[str, Any]) -> str | None:
    """YYYY-MM-DD from yt-dlp's upload_date (YYYYMMDD) or a Unix timestamp."""
    raw = str(info.get("upload_date") or "")
    if len(raw) == 8 and raw.isdigit():
        return f"{raw[:4]}-{raw[4:6]}-{raw[6:]}"
    stamp = info.get("timestamp") or info.get("release_timestamp")
    if isinstance(stamp, int | float):
        return datetime.fromtimestamp(stamp, UTC).date().isoformat()
    return None
