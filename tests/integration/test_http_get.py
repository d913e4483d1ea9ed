"""PolicyHttp against real local servers: A and C are allowed, B must never hear from us."""

from __future__ import annotations

import contextlib
import email.utils
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from ophin.acquisition.errors import AcquireError
from ophin.acquisition.fetch_policy import FetchPolicy, FetchRefused
from ophin.acquisition.http_get import HttpError, PolicyHttp
from ophin.adapters.retry_after import parse_retry_after


@dataclass
class Site:
    url: str
    hits: list[str]

    @property
    def host(self) -> str:
        return self.url.removeprefix("http://")


class _Pages(BaseHTTPRequestHandler):
    """/ok, /redirect?to=URL[&code=], /status?code=&retry_after=, /big?n=[&undeclared=1], /headers, /loop."""

    hits: list[str]
    protocol_version = "HTTP/1.0"  # an undeclared body then ends when the connection closes

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self.hits.append(self.path)
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/ok":
            self._send(
                200, b"hello", {"Content-Type": "text/plain", "X-Twice": "a"}, extra=[("X-Twice", "b")]
            )
        elif url.path == "/redirect":
            self._send(int(query.get("code", "302")), b"", {"Location": query["to"]})
        elif url.path == "/loop":
            self._send(302, b"", {"Location": "/loop"})
        elif url.path == "/status":
            headers = {"Retry-After": query["retry_after"]} if "retry_after" in query else {}
            self._send(int(query["code"]), b'{"error": "slow down"}', headers)
        elif url.path == "/big":
            body = b"x" * int(query["n"])
            self._send(200, body, {}, declare=query.get("undeclared") != "1")
        elif url.path == "/headers":
            self._send(
                200, json.dumps(dict(self.headers.items())).encode(), {"Content-Type": "application/json"}
            )
        else:
            self._send(404, b"not here", {})

    def _send(
        self,
        code: int,
        body: bytes,
        headers: dict[str, str],
        *,
        declare: bool = True,
        extra: list[tuple[str, str]] = (),
    ) -> None:
        self.send_response(code)
        for name, value in [*headers.items(), *extra]:
            self.send_header(name, value)
        if declare:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hangs up on an oversize body is the point of that test, not a failure


@contextlib.contextmanager
def serve_pages() -> Iterator[Site]:
    """A static test site on a free 127.0.0.1 port that records every path it is asked for."""
    hits: list[str] = []
    handler = type("Handler", (_Pages,), {"hits": hits})
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_address[1]}", hits)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def sites() -> Iterator[tuple[Site, Site, Site]]:
    with serve_pages() as a, serve_pages() as b, serve_pages() as c:
        yield a, b, c


def http_for(*allowed: Site, **options: object) -> PolicyHttp:
    return PolicyHttp(FetchPolicy(allow_hosts=tuple(s.host for s in allowed)), **options)


def redirect(site: Site, to: str, code: int = 302) -> str:
    return f"{site.url}/redirect?code={code}&to={quote(to, safe='')}"


def test_get_returns_status_headers_and_body(sites: tuple[Site, Site, Site]) -> None:
    a, _, _ = sites
    got = http_for(a).get(f"{a.url}/ok")
    assert (got.url, got.status, got.body) == (f"{a.url}/ok", 200, b"hello")
    assert got.headers["content-type"] == "text/plain" and got.headers["x-twice"] == "a, b"


def test_get_sends_its_user_agent_and_the_callers_headers(sites: tuple[Site, Site, Site]) -> None:
    a, _, _ = sites
    got = http_for(a, user_agent="ophin-test/1").get(
        f"{a.url}/headers", headers={"Accept": "application/json"}
    )
    sent = json.loads(got.body)
    assert sent["User-Agent"] == "ophin-test/1" and sent["Accept"] == "application/json"


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_get_follows_a_redirect_to_an_allowed_host(sites: tuple[Site, Site, Site], code: int) -> None:
    a, b, c = sites
    got = http_for(a, c).get(redirect(a, f"{c.url}/ok", code))
    assert got.url == f"{c.url}/ok" and got.body == b"hello"
    assert c.hits == ["/ok"] and b.hits == []


def test_get_drops_credentials_on_a_redirect_to_another_origin(sites: tuple[Site, Site, Site]) -> None:
    a, _, c = sites
    got = http_for(a, c).get(redirect(a, f"{c.url}/headers"), headers={"Authorization": "Bearer secret"})
    assert "Authorization" not in json.loads(got.body)
    same_origin = http_for(a).get(redirect(a, f"{a.url}/headers"), headers={"Authorization": "Bearer secret"})
    assert json.loads(same_origin.body)["Authorization"] == "Bearer secret"


def test_get_refuses_a_redirect_to_a_host_outside_the_policy_before_connecting(
    sites: tuple[Site, Site, Site],
) -> None:
    a, b, _ = sites
    # B is up and would answer; the policy (A only) must stop the hop before a byte reaches it.
    with pytest.raises(FetchRefused) as refused:
        http_for(a).get(redirect(a, f"{b.url}/ok"))
    assert refused.value.url == f"{b.url}/ok"
    assert "127.0.0.1 is a loopback address; not in acquire.allow_hosts" in str(refused.value)
    assert a.hits and b.hits == []
    # The control: with B allowed the same hop goes through, so B's silence above was the policy's doing.
    assert http_for(a, b).get(redirect(a, f"{b.url}/ok")).body == b"hello" and b.hits == ["/ok"]


def test_get_refuses_a_redirect_into_a_private_network(sites: tuple[Site, Site, Site]) -> None:
    a, _, _ = sites
    with pytest.raises(FetchRefused, match="10.0.0.1 is a private address"):
        http_for(a, timeout_s=2).get(redirect(a, "http://10.0.0.1/admin"))
    with pytest.raises(FetchRefused, match="169.254.169.254 is a link-local address"):
        http_for(a, timeout_s=2).get(redirect(a, "http://169.254.169.254/latest/meta-data/"))


def test_get_refuses_a_first_url_outside_the_policy_without_sending_it(
    sites: tuple[Site, Site, Site],
) -> None:
    a, b, _ = sites
    with pytest.raises(FetchRefused, match="loopback"):
        http_for(a).get(f"{b.url}/ok")
    assert b.hits == []


def test_get_stops_after_five_redirects(sites: tuple[Site, Site, Site]) -> None:
    a, _, _ = sites
    chain = f"{a.url}/ok"
    for _ in range(5):
        chain = redirect(a, chain)
    assert http_for(a).get(chain).body == b"hello"  # five hops are fine
    with pytest.raises(HttpError) as refused:
        http_for(a).get(redirect(a, chain))  # a sixth is not
    assert refused.value.status == 302 and "redirect not followed" in refused.value.message
    with pytest.raises(HttpError, match="redirect not followed"):
        http_for(a).get(f"{a.url}/loop")


def test_get_refuses_file_urls_even_where_the_policy_allows_them(sites: tuple[Site, Site, Site]) -> None:
    a, _, _ = sites
    with pytest.raises(FetchRefused, match="file:// URLs are off"):
        http_for(a).get("file:///etc/passwd")
    with pytest.raises(FetchRefused, match="http and https only"):
        PolicyHttp(FetchPolicy(allow_file_urls=True)).get("file:///etc/passwd")
    with pytest.raises(FetchRefused, match="http and https only"):
        http_for(a).get("ftp://127.0.0.1/x")
    with pytest.raises(HttpError, match="file:///etc/passwd"):  # urllib will not follow a hop off http(s)
        http_for(a).get(redirect(a, "file:///etc/passwd"))


def test_get_raises_on_429_with_retry_after_in_seconds_and_as_a_date(sites: tuple[Site, Site, Site]) -> None:
    a, _, _ = sites
    with pytest.raises(HttpError) as limited:
        http_for(a).get(f"{a.url}/status?code=429&retry_after=7")
    assert limited.value.status == 429 and limited.value.retry_after_s == 7.0
    assert limited.value.body == b'{"error": "slow down"}'
    assert isinstance(limited.value, AcquireError)
    later = email.utils.formatdate(time.time() + 120, usegmt=True)
    with pytest.raises(HttpError) as dated:
        http_for(a).get(f"{a.url}/status?code=503&retry_after={quote(later)}")
    assert dated.value.status == 503 and 110 <= dated.value.retry_after_s <= 121
    with pytest.raises(HttpError) as plain:
        http_for(a).get(f"{a.url}/status?code=404")
    assert plain.value.status == 404 and plain.value.retry_after_s is None


def test_parse_retry_after_reads_seconds_and_dates_and_ignores_garbage() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after("120", now=now) == 120.0
    assert parse_retry_after(email.utils.formatdate(now + 30, usegmt=True), now=now) == 30.0
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0  # already past
    assert parse_retry_after("soon", now=now) is None and parse_retry_after(None) is None
    assert parse_retry_after("-5", now=now) is None


def test_get_refuses_a_body_over_max_bytes_declared_or_not(sites: tuple[Site, Site, Site]) -> None:
    a, _, _ = sites
    http = http_for(a, max_bytes=1000)
    assert len(http.get(f"{a.url}/big?n=1000").body) == 1000
    with pytest.raises(HttpError, match="body of 1001 bytes over the 1000-byte limit"):
        http.get(f"{a.url}/big?n=1001")
    assert len(http.get(f"{a.url}/big?n=1000&undeclared=1").body) == 1000
    with pytest.raises(HttpError, match="body over the 1000-byte limit"):
        http.get(f"{a.url}/big?n=5000000&undeclared=1")


def test_get_reports_a_closed_port_as_no_response() -> None:
    with serve_pages() as gone:
        pass  # shut down: its port now refuses connections
    with pytest.raises(HttpError) as failed:
        http_for(gone, timeout_s=2).get(f"{gone.url}/ok")
    assert failed.value.status is None and "no response" in str(failed.value)
