"""Properties of canonical_url on random input: it never crashes, and a canonical URL is a fixed point."""

from __future__ import annotations

import string

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ophin.domain.urls import canonical_url

_SAFE = string.ascii_letters + string.digits + "-._~%!$&'()*+,;=:@/?#[] "

_hosts = st.one_of(
    st.sampled_from(["Example.COM", "www.youtube.com", "youtu.be", "m.youtube.com", "127.0.0.1", "[::1]"]),
    st.from_regex(r"[A-Za-z0-9-]{1,12}(\.[A-Za-z0-9-]{1,12}){0,3}", fullmatch=True),
)
_ports = st.one_of(st.just(""), st.integers(0, 70000).map(lambda p: f":{p}"), st.just(":"))
_paths = st.lists(st.text(_SAFE.replace("?", "").replace("#", ""), max_size=8), max_size=4).map(
    lambda segs: "/".join(["", *segs]) if segs else ""
)
_queries = st.lists(
    st.tuples(
        st.sampled_from(["v", "utm_source", "fbclid", "t", "list", "si", "a", "V", "%76"]),
        st.text(string.ascii_letters + string.digits + "_-%", max_size=12),
    ),
    max_size=4,
).map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs))


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https", "file", "ftp", "mailto", ""]))
    userinfo = draw(st.sampled_from(["", "user@", "user:pw@"]))
    netloc = (
        userinfo + draw(_hosts) + draw(_ports)
        if scheme != "file"
        else draw(st.sampled_from(["", "localhost"]))
    )
    query = draw(_queries)
    url = f"{scheme}://{netloc}{draw(_paths)}" + (f"?{query}" if query else "")
    return url + draw(st.sampled_from(["", "#frag", "#"])) + draw(st.sampled_from(["", " ", "\t"]))


def _canonical_or_none(url: str) -> str | None:
    try:
        return canonical_url(url)
    except ValueError:  # urlsplit refuses it ("http://[::1"): the URL is not accepted
        return None


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(), urls()))
@example("http://[::1")
@example("HTTPS://WWW.YouTube.com:443/shorts/dQw4w9WgXcQ?feature=share#t=1")
@example("file:///tmp/a%20b/../c.mp4")
def test_canonical_url_never_crashes_and_is_a_fixed_point(url: str) -> None:
    once = _canonical_or_none(url)
    if once is not None:
        assert isinstance(once, str)
        assert canonical_url(once) == once
