"""yt-dlp fenced by the FetchPolicy: every request it makes, and every redirect hop, is checked first."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from ophin.acquisition.fetch_policy import FetchPolicy, FetchRefused

    Guard = Callable[[str], None]  # raises when the URL must not be fetched


@functools.cache
def fenced_youtube_dl() -> type:
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

    from ophin.acquisition.fetch_policy import FetchRefused

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
            self.too_large: str | None = None  # HttpFD's max-filesize abort, which is no exception
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

        def to_screen(self, message: Any, *args: Any, **kwargs: Any) -> None:
            if "larger than max-filesize" in str(message):
                self.too_large = str(message).strip().removeprefix("[download] ")
            super().to_screen(message, *args, **kwargs)

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
