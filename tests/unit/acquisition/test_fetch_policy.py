from __future__ import annotations

import socket

import pytest

from ophin.acquisition.errors import AcquireError
from ophin.acquisition.fetch_policy import FetchPolicy, FetchRefused
from ophin.settings import AcquireSettings

PUBLIC = "93.184.216.34"


def resolving_to(*addresses: str):  # noqa: ANN201
    """A fake resolver: every host resolves to these addresses; records what was asked."""
    asked: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return list(addresses)

    resolve.asked = asked  # type: ignore[attr-defined]
    return resolve


def unresolvable(host: str, port: int) -> list[str]:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def test_check_allows_a_public_address() -> None:
    resolve = resolving_to(PUBLIC)
    FetchPolicy(resolver=resolve).check("https://lectures.example.org/a.mp4")
    assert resolve.asked == [("lectures.example.org", 443)]


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("172.16.5.4", "private"),
        ("172.31.255.255", "private"),
        ("169.254.169.254", "a link-local address (cloud metadata)"),
        ("169.254.1.1", "link-local"),
        ("127.0.0.1", "loopback"),
        ("0.0.0.0", "an unspecified address"),
        ("224.0.0.1", "multicast"),
        ("100.64.0.1", "a shared address (carrier-grade NAT)"),
        ("100.127.255.254", "shared"),
        ("240.0.0.1", "a reserved address"),
        ("::1", "a loopback address"),
        ("fd00::1", "private"),
        ("fe80::1", "link-local"),
        ("::ffff:127.0.0.1", "loopback address (127.0.0.1 in IPv6 form)"),
        ("::ffff:10.0.0.1", "private address (10.0.0.1 in IPv6 form)"),
        ("64:ff9b::a9fe:a9fe", "link-local address (cloud metadata) (169.254.169.254 in IPv6 form)"),
        ("2002:7f00:1::", "loopback address (127.0.0.1 in IPv6 form)"),
    ],
)
def test_check_refuses_a_host_resolving_to_a_non_public_address(address: str, kind: str) -> None:
    with pytest.raises(FetchRefused) as refused:
        FetchPolicy(resolver=resolving_to(address)).check("http://media.example.org/a.mp4")
    message = str(refused.value)
    assert message.startswith("refused http://media.example.org/a.mp4: ")
    assert kind in message and "\n" not in message
    if "IPv6 form" not in kind:  # an IPv4-mapped address prints as hex on Python 3.11
        assert address in message


def test_check_refuses_when_any_resolved_address_is_private() -> None:
    # DNS may answer several addresses; the connection could reach any of them.
    with pytest.raises(FetchRefused, match="10.0.0.7"):
        FetchPolicy(resolver=resolving_to(PUBLIC, "10.0.0.7")).check("https://cdn.example.org/a.mp4")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8001/a.mp4",
        "http://[::1]/a.mp4",
        "http://[::ffff:127.0.0.1]/a.mp4",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
def test_check_refuses_ip_literals_without_resolving(url: str) -> None:
    resolve = resolving_to(PUBLIC)
    with pytest.raises(FetchRefused):
        FetchPolicy(resolver=resolve).check(url)
    assert resolve.asked == []


def test_check_refuses_public_ip_literal_never() -> None:
    FetchPolicy(resolver=unresolvable).check(f"http://{PUBLIC}/a.mp4")


def test_check_refuses_an_unresolvable_host() -> None:
    with pytest.raises(
        FetchRefused, match=r"refused https://nosuch\.invalid/a: host nosuch\.invalid does not"
    ):
        FetchPolicy(resolver=unresolvable).check("https://nosuch.invalid/a")


def test_check_refuses_a_host_resolving_to_nothing() -> None:
    with pytest.raises(FetchRefused, match="does not resolve"):
        FetchPolicy(resolver=resolving_to()).check("https://empty.example.org/a")


@pytest.mark.parametrize(
    "url", ["ftp://example.org/a.mp4", "data:text/plain,hi", "gopher://x/", "javascript:1"]
)
def test_check_refuses_schemes_other_than_http(url: str) -> None:
    with pytest.raises(FetchRefused, match="http and https only"):
        FetchPolicy(resolver=resolving_to(PUBLIC)).check(url)


def test_check_refuses_file_urls_by_default_and_allows_them_when_enabled() -> None:
    with pytest.raises(FetchRefused, match="allow_file_urls"):
        FetchPolicy().check("file:///etc/passwd")
    FetchPolicy(allow_file_urls=True).check("file:///srv/lectures/a.mp4")
    FetchPolicy(allow_file_urls=True).check("file://localhost/srv/lectures/a.mp4")
    with pytest.raises(FetchRefused, match="remote host"):
        FetchPolicy(allow_file_urls=True).check("file://fileserver/share/a.mp4")


def test_check_allow_hosts_entry_with_port_allows_only_that_port() -> None:
    policy = FetchPolicy(allow_hosts=("127.0.0.1:8001",), resolver=unresolvable)
    policy.check("http://127.0.0.1:8001/a.mp4")
    with pytest.raises(FetchRefused, match="loopback"):
        policy.check("http://127.0.0.1:8002/a.mp4")
    with pytest.raises(FetchRefused, match="loopback"):
        policy.check("http://127.0.0.1/a.mp4")


def test_check_allow_hosts_entry_without_port_allows_every_port() -> None:
    policy = FetchPolicy(allow_hosts=("127.0.0.1", "Media.Internal"), resolver=resolving_to("10.0.0.5"))
    policy.check("http://127.0.0.1:8001/a.mp4")
    policy.check("https://127.0.0.1/a.mp4")
    policy.check("https://media.internal:9443/a.mp4")
    with pytest.raises(FetchRefused):
        policy.check("https://other.internal/a.mp4")


def test_check_allow_hosts_port_defaults_to_the_scheme_port() -> None:
    policy = FetchPolicy(allow_hosts=("intranet.example:443",), resolver=resolving_to("10.0.0.5"))
    policy.check("https://intranet.example/a.mp4")
    with pytest.raises(FetchRefused):
        policy.check("http://intranet.example/a.mp4")


def test_check_allow_hosts_matches_ipv6_in_brackets_by_address() -> None:
    policy = FetchPolicy(allow_hosts=("[::1]:8001", "[fd00::5]"), resolver=unresolvable)
    policy.check("http://[0:0::1]:8001/a.mp4")
    policy.check("http://[fd00:0::5]:1234/a.mp4")
    with pytest.raises(FetchRefused):
        policy.check("http://[::1]:8002/a.mp4")


def test_check_allow_hosts_names_a_host_not_what_it_resolves_to() -> None:
    # Allowing 127.0.0.1 must not allow any name that happens to resolve there.
    policy = FetchPolicy(allow_hosts=("127.0.0.1",), resolver=resolving_to("127.0.0.1"))
    with pytest.raises(FetchRefused, match="host localhost resolves to 127.0.0.1"):
        policy.check("http://localhost:8001/a.mp4")


@pytest.mark.parametrize("entry", ["", "host:port", "[::1", "[::1]8001", "a:b:c:"])
def test_fetch_policy_rejects_malformed_allow_hosts_entries(entry: str) -> None:
    with pytest.raises(ValueError, match="allow_hosts entry"):
        FetchPolicy(allow_hosts=(entry,))


def test_check_refuses_a_url_with_a_bad_port_or_no_host() -> None:
    policy = FetchPolicy(resolver=resolving_to(PUBLIC))
    with pytest.raises(FetchRefused, match="not a valid URL"):
        policy.check("http://example.org:99999/a")
    with pytest.raises(FetchRefused, match="no host"):
        policy.check("http:///a.mp4")


def test_fetch_refused_is_an_acquire_error_on_one_line() -> None:
    refused = FetchRefused("http://x/\r\nSet-Cookie: a", "why")
    assert isinstance(refused, AcquireError)
    assert str(refused) == "refused http://x/ Set-Cookie: a: why"


def test_from_settings_reads_file_urls_and_allow_hosts() -> None:
    settings = AcquireSettings(allow_file_urls=True, allow_hosts="127.0.0.1:8001, localhost")
    policy = FetchPolicy.from_settings(settings)
    assert policy.allow_file_urls is True
    assert policy.allow_hosts == ("127.0.0.1:8001", "localhost")
    assert FetchPolicy.from_settings(AcquireSettings()) == FetchPolicy()
