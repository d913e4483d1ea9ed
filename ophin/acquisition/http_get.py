"""One policy-checked HTTP GET for everything the crawler fetches outside yt-dlp (feeds, pages, APIs)."""

from __future__ import annotations

import contextlib
import http.client
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ophin.acquisition.errors import AcquireError
from ophin.acquisition.fetch_policy import FetchPolicy, FetchRefused
from ophin.adapters.retry_after import parse_retry_after

MAX_REDIRECTS = 5
# Enough of an error body to read an API's JSON error, never a whole page.
_ERROR_BODY_BYTES = 64 * 2**10


class HttpError(AcquireError):
    """A request that got no usable answer: a non-2xx status, an oversize body, or no response at all."""

    def __init__(
        self,
        url: str,
        status: int | None,
        message: str,
        retry_after_s: float | None = None,
        *,
        body: bytes = b"",
    ) -> None:
        self.url = " ".join(url.split())  # one log line whatever the URL holds
        self.status = status  # None: no HTTP response (refused connection, timeout, TLS failure)
        self.message = message
        self.retry_after_s = retry_after_s
        self.body = body
        shown = f"HTTP {status}" if status is not None else "no response"
        super().__init__(f"GET {self.url}: {shown}: {message}")


@dataclass(frozen=True)
class HttpResponse:
    url: str  # after redirects
    status: int
    headers: dict[str, str] = field(repr=False)  # names lower-cased; repeated headers joined by ", "
    body: bytes = field(repr=False)


class _PolicyRedirects(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS

    def __init__(self, policy: FetchPolicy) -> None:
        super().__init__()
        self.policy = policy

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        # The hop is judged before urllib opens it: a public page must not bounce us onto the LAN.
        self.policy.check(newurl)
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and _origin(newurl) != _origin(req.full_url):
            # Credentials a caller gave for one origin must not travel to another.
            for name in ("Authorization", "Cookie", "X-goog-api-key"):
                new.remove_header(name)
        return new


class PolicyHttp:
    """GET, the fetch policy checked on the URL and on every redirect hop; no retries (callers back off)."""

    def __init__(
        self,
        policy: FetchPolicy,
        *,
        timeout_s: float = 30.0,
        max_bytes: int = 20 * 2**20,
        user_agent: str = "ophin-engine/0.1 (+https://github.com/ophin-engine)",
    ) -> None:
        self.policy = policy
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.user_agent = user_agent
        # No ProxyHandler: a proxy from the environment would make the connection go somewhere the
        # policy never judged. No FileHandler/FTPHandler either: http(s) only.
        self._opener = urllib.request.OpenerDirector()
        for handler in (
            urllib.request.HTTPHandler(),
            urllib.request.HTTPSHandler(),
            urllib.request.HTTPDefaultErrorHandler(),
            urllib.request.HTTPErrorProcessor(),
            _PolicyRedirects(policy),
        ):
            self._opener.add_handler(handler)

    def get(self, url: str, *, headers: dict[str, str] | None = None) -> HttpResponse:
        """Raises FetchRefused (policy), HttpError (non-2xx, oversize, network); returns the whole body."""
        with self._open(url, headers or {}, self.timeout_s) as response:
            final_url = response.geturl()
            status = response.status
            got = _headers(response.headers)
            self._refuse_declared_size(final_url, status, got)
            body = response.read(self.max_bytes + 1)
        if len(body) > self.max_bytes:
            raise HttpError(final_url, status, f"body over the {self.max_bytes}-byte limit")
        return HttpResponse(url=final_url, status=status, headers=got, body=body)

    def stream(self, url: str, *, timeout_s: float | None = None, chunk: int = 64 * 2**10) -> Iterator[bytes]:
        """The body as it arrives, chunk by chunk (each as soon as the socket has some): the caller bounds
        the bytes and the time it reads for. Refusals and failures as for `get`, raised while iterating."""
        # Each socket wait at most timeout_s: a host that stalls cannot outlast the caller's time bound by
        # more than one wait.
        wait_s = min(self.timeout_s, timeout_s) if timeout_s else self.timeout_s
        with self._open(url, {}, wait_s) as response:
            while block := response.read1(chunk):
                yield block

    @contextlib.contextmanager
    def _open(self, url: str, headers: dict[str, str], wait_s: float) -> Iterator[Any]:
        """The response of a policy-checked http(s) request; every failure while it is read, an HttpError."""
        self.policy.check(url)
        scheme = urlsplit(url.strip()).scheme.lower()
        if scheme not in ("http", "https"):  # the policy may allow file://; this client is for the web
            raise FetchRefused(url, f"scheme {scheme!r}: PolicyHttp fetches http and https only")
        # http(s) only (checked above), the URL and each redirect hop judged by the fetch policy.
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent, **headers})  # noqa: S310
        try:
            with self._opener.open(request, timeout=wait_s) as response:
                yield response
        except urllib.error.HTTPError as exc:
            raise self._status_error(url, exc) from None
        except urllib.error.URLError as exc:
            raise HttpError(url, None, str(exc.reason)) from None
        except TimeoutError as exc:
            raise HttpError(url, None, f"timed out after {wait_s:g} s ({exc})") from None
        except (OSError, http.client.HTTPException) as exc:  # a reset or truncated body, a bad status line
            raise HttpError(url, None, str(exc) or type(exc).__name__) from None
        except ValueError as exc:  # http.client.InvalidURL: a control character or space in the URL
            raise HttpError(url, None, f"invalid request ({exc})") from None

    def _refuse_declared_size(self, url: str, status: int, headers: dict[str, str]) -> None:
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            raise HttpError(url, status, f"body of {length} bytes over the {self.max_bytes}-byte limit")

    def _status_error(self, url: str, exc: urllib.error.HTTPError) -> HttpError:
        final_url = exc.geturl() or url
        headers = _headers(exc.headers) if exc.headers is not None else {}
        try:
            body = exc.read(_ERROR_BODY_BYTES) if exc.fp is not None else b""
        except OSError:
            body = b""
        finally:
            exc.close()
        if 300 <= exc.code < 400:
            message = f"redirect not followed ({exc.reason}; at most {MAX_REDIRECTS} hops)"
        else:
            message = str(exc.reason)
        retry = parse_retry_after(headers.get("retry-after"))
        return HttpError(final_url, exc.code, message, retry, body=body)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _headers(message: Any) -> dict[str, str]:
    merged: dict[str, str] = {}
    for name, value in message.items():
        key = name.lower()
        merged[key] = f"{merged[key]}, {value}" if key in merged else value
    return merged
