"""yt-dlp behind the VideoSource protocol: fetch one URL's media and info JSON into a work directory."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ophin.settings import AcquireSettings

if TYPE_CHECKING:
    from collections.abc import Callable

    from ophin.adapters.fetch_policy import FetchPolicy, FetchRefused

    Guard = Callable[[str], None]  # raises when the URL must not be fetched


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


# ffmpeg is only ever handed local files: yt-dlp's HLS downloader passes streams it cannot parse (live,
# AES-128 without pycryptodomex) to an ffmpeg subprocess, whose requests no yt-dlp request handler sees.
_FFMPEG_INPUT_ARGS = ["-protocol_whitelist", "file,crypto,data"]


class YtDlpVideoSource:
    """Downloads through yt-dlp's Python API into a per-URL work dir (never yt-dlp's id-keyed archive).

    Every request yt-dlp makes, and every redirect hop, is checked against the FetchPolicy first.
    """

    def __init__(self, params: AcquireSettings, *, policy: FetchPolicy | None = None) -> None:
        from ophin.adapters.fetch_policy import FetchPolicy  # fetch_policy imports AcquireError from here

        self.params = params
        self.policy = policy or FetchPolicy.from_settings(params)

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
            "enable_file_urls": self.policy.allow_file_urls,
            "restrictfilenames": True,
            "external_downloader_args": {"ffmpeg_i": _FFMPEG_INPUT_ARGS},
        }

    def fetch(self, url: str, workdir: Path) -> FetchedVideo:
        import yt_dlp

        from ophin.adapters.fetch_policy import FetchRefused

        self.policy.check(url)
        workdir.mkdir(parents=True, exist_ok=True)
        ydl = _fenced_youtube_dl()(self._options(workdir), policy=self.policy)
        try:
            with ydl:
                info = ydl.sanitize_info(ydl.extract_info(url, download=True))
        except yt_dlp.utils.YoutubeDLError as exc:
            if ydl.refusal is not None:
                raise FetchRefused(ydl.refusal.url, ydl.refusal.reason) from None
            message = str(exc).removeprefix("ERROR: ").strip()
            raise AcquireError(message.splitlines()[0] if message else type(exc).__name__) from exc
        if ydl.refusal is not None:
            # yt-dlp tolerated the refused request (a skipped fragment, an optional page): the result is
            # not what the URL serves, and the refusal is news the caller must see.
            raise FetchRefused(ydl.refusal.url, ydl.refusal.reason)
        if info.get("_type") == "playlist":
            raise AcquireError("URL is a playlist; pass the video URLs (playlist crawling is a later stage)")
        downloads = info.get("requested_downloads") or []
        paths = [Path(d["filepath"]) for d in downloads if d.get("filepath")]
        if not paths or not paths[0].is_file():
            raise AcquireError("yt-dlp reported no downloaded media file")
        return FetchedVideo(path=paths[0], info=info)


@functools.cache
def _fenced_youtube_dl() -> type:
    """The YoutubeDL subclass that checks every request, built on first use (yt-dlp imports in ~0.3 s).

    Hooks, all of yt-dlp's own extension points: the RequestDirector gets only the urllib and requests
    handlers, subclassed so the first hop is checked in `_send` and each redirect hop before it is sent
    (urllib: a redirect handler consulted before yt-dlp's; requests: a transport adapter, which sees
    every hop of Session.resolve_redirects). Other handlers (websockets, curl_cffi) are left out, so
    nothing reaches the network unchecked. `dl` refuses downloaders that fetch outside the handlers.
    """
    import urllib.request

    import yt_dlp
    from yt_dlp.downloader import get_suitable_downloader
    from yt_dlp.downloader.dash import DashSegmentsFD
    from yt_dlp.downloader.hls import HlsFD
    from yt_dlp.downloader.http import HttpFD
    from yt_dlp.networking._urllib import RedirectHandler, UrllibRH
    from yt_dlp.networking.exceptions import RequestError

    from ophin.adapters.fetch_policy import FetchRefused

    # These download through YoutubeDL.urlopen alone (fragments included), so the handlers see each URL.
    native_downloaders = (HttpFD, HlsFD, DashSegmentsFD)

    class PolicyRefusal(RequestError):
        """A RequestError, the one kind the RequestDirector re-raises instead of trying the next handler."""

    class FencedRedirectHandler(RedirectHandler):
        # Consulted before yt-dlp's own RedirectHandler, which then never sees the hop.
        handler_order = RedirectHandler.handler_order - 1

        def __init__(self, guard: Guard) -> None:
            self._guard = guard

        def redirect_request(
            self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
        ) -> urllib.request.Request:
            # newurl is already absolute (joined with the request URL) and the hop not yet sent.
            new = super().redirect_request(req, fp, code, msg, headers, newurl)
            try:
                self._guard(new.full_url)
            except PolicyRefusal:
                fp.close()
                raise
            return new

    class FencedUrllibRH(UrllibRH):
        RH_KEY = "Urllib"  # yt-dlp looks handlers up by key (file:// hint, _opener)

        def __init__(self, *, guard: Guard, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._guard = guard

        def _create_instance(self, **kwargs: Any) -> urllib.request.OpenerDirector:
            opener = super()._create_instance(**kwargs)
            opener.add_handler(FencedRedirectHandler(self._guard))
            return opener

        def _send(self, request: Any) -> Any:
            self._guard(request.url)
            return super()._send(request)

    fenced_handlers: dict[str, type] = {"Urllib": FencedUrllibRH, **_fenced_requests_handler()}

    class FencedYoutubeDL(yt_dlp.YoutubeDL):
        def __init__(self, params: dict[str, Any], *, policy: FetchPolicy) -> None:
            self.policy = policy
            self.refusal: FetchRefused | None = None  # the first refusal, whatever yt-dlp made of it
            self._downloading = ""
            super().__init__(params)

        def guard(self, url: str) -> None:
            try:
                self.policy.check(url)
            except FetchRefused as exc:
                self._refuse(exc)

        def _refuse(self, exc: FetchRefused) -> None:
            if self.refusal is None:
                self.refusal = exc
            raise PolicyRefusal(str(exc)) from exc

        def build_request_director(self, handlers: Any, preferences: Any = None) -> Any:
            kept = [
                functools.partial(fenced_handlers[h.RH_KEY], guard=self.guard)
                for h in handlers
                if h.RH_KEY in fenced_handlers
            ]
            return super().build_request_director(kept, preferences)

        def dl(self, name: str, info: dict[str, Any], subtitle: bool = False, test: bool = False) -> Any:
            self._downloading = str(info.get("url") or "").split("\n")[0]
            downloader = get_suitable_downloader(dict(info), self.params, to_stdout=(name == "-"))
            if downloader is not None and downloader not in native_downloaders:
                protocol = info.get("protocol") or "?"
                why = f"{protocol} would be fetched by {downloader.FD_NAME}, outside the fetch policy"
                self._refuse(FetchRefused(self._downloading, why))
            return super().dl(name, info, subtitle=subtitle, test=test)

        def report_warning(self, message: str, *args: Any, **kwargs: Any) -> None:
            # HlsFD announces that it hands a stream it cannot parse (live, SAMPLE-AES) to ffmpeg just
            # before it starts it: refuse here. ffmpeg's input whitelist is the backstop if the words change.
            if "will be delegated to" in message:
                why = "the stream would be fetched by ffmpeg, outside the fetch policy"
                self._refuse(FetchRefused(self._downloading, why))
            super().report_warning(message, *args, **kwargs)

    return FencedYoutubeDL


def _fenced_requests_handler() -> dict[str, type]:
    """yt-dlp's requests handler with every hop checked; none when requests is not installed."""
    try:
        import requests.adapters
        from yt_dlp.networking._requests import RequestsRH
    except ImportError:
        return {}  # yt-dlp then registers no requests handler either

    class FencedAdapter(requests.adapters.BaseAdapter):
        """Checks each prepared request, redirect hops included, before the wrapped adapter connects."""

        def __init__(self, inner: requests.adapters.BaseAdapter, guard: Guard) -> None:
            super().__init__()
            self._inner = inner
            self._guard = guard

        def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
            self._guard(request.url)
            return self._inner.send(request, **kwargs)

        def close(self) -> None:
            self._inner.close()

    class FencedRequestsRH(RequestsRH):
        RH_KEY = "Requests"

        def __init__(self, *, guard: Guard, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._guard = guard

        def _create_instance(self, **kwargs: Any) -> requests.Session:
            session = super()._create_instance(**kwargs)
            for prefix, adapter in list(session.adapters.items()):
                session.mount(prefix, FencedAdapter(adapter, self._guard))
            return session

    return {"Requests": FencedRequestsRH}
