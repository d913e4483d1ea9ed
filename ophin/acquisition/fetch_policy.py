"""Which URLs acquisition may fetch: http(s) to public addresses, plus hosts and file:// opted into."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ophin.acquisition.errors import AcquireError

if TYPE_CHECKING:
    from ophin.settings import AcquireSettings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# (host, port) -> the addresses a connection could reach; socket.getaddrinfo in production.
Resolver = Callable[[str, int], Sequence[str]]

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Carrier-grade NAT space: Python calls it neither private nor global, so it is named here.
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_METADATA = ipaddress.ip_address("169.254.169.254")


class FetchRefused(AcquireError):
    """The fetch policy forbids this URL; raised before any byte is sent to it."""

    def __init__(self, url: str, reason: str) -> None:
        # One line whatever the URL holds: a CR/LF in it must not forge a second log line.
        self.url = " ".join(url.split())
        self.reason = reason
        super().__init__(f"refused {self.url}: {reason}")


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    # A scoped IPv6 address ("fe80::1%eth0") parses only without its zone.
    return [str(info[4][0]).partition("%")[0] for info in infos]


@dataclass(frozen=True)
class FetchPolicy:
    allow_file_urls: bool = False
    # "host" allows every port of that host, "host:port" just that port; IPv6 as "[::1]" or "[::1]:8001".
    allow_hosts: tuple[str, ...] = ()
    resolver: Resolver = field(default=system_resolver, repr=False, compare=False)

    @classmethod
    def from_settings(cls, settings: AcquireSettings, *, resolver: Resolver | None = None) -> FetchPolicy:
        return cls(
            allow_file_urls=settings.allow_file_urls,
            allow_hosts=settings.allowed_hosts,
            resolver=resolver or system_resolver,
        )

    def __post_init__(self) -> None:
        for entry in self.allow_hosts:
            _parse_allow_entry(entry)  # a typo in settings fails at start-up, not as a silent refusal later

    def check(self, url: str) -> None:
        """Raise FetchRefused unless url may be fetched; resolves its host (DNS) to decide."""
        try:
            parts = urlsplit(url.strip())
            scheme = parts.scheme.lower()
            host = (parts.hostname or "").rstrip(".").lower()
            port = parts.port
        except ValueError as exc:
            raise FetchRefused(url, f"not a valid URL ({exc})") from None
        if scheme == "file":
            if not self.allow_file_urls:
                raise FetchRefused(url, "file:// URLs are off (acquire.allow_file_urls)")
            if host not in ("", "localhost"):
                raise FetchRefused(url, f"file:// URL names a remote host {host!r}")
            return
        if scheme not in _DEFAULT_PORTS:
            raise FetchRefused(url, f"scheme {scheme or '(none)'!r} is not allowed (http and https only)")
        if not host:
            raise FetchRefused(url, "no host")
        port = port if port is not None else _DEFAULT_PORTS[scheme]
        if self._allowed(host, port):
            return
        literal = _ip_or_none(host)
        if literal is not None:
            addresses = [literal]
        else:
            try:
                addresses = [ipaddress.ip_address(a) for a in self.resolver(host, port)]
            except (OSError, UnicodeError, ValueError) as exc:
                # OSError covers socket.gaierror; UnicodeError an unencodable IDNA label.
                raise FetchRefused(url, f"host {host} does not resolve ({exc})") from None
            if not addresses:
                raise FetchRefused(url, f"host {host} does not resolve")
        for address in addresses:
            kind = why_forbidden(address)
            if kind:
                what = f"{address} is" if literal is not None else f"host {host} resolves to {address},"
                raise FetchRefused(url, f"{what} {kind}; not in acquire.allow_hosts")

    def _allowed(self, host: str, port: int) -> bool:
        host_ip = _ip_or_none(host)
        for entry in self.allow_hosts:
            allowed_host, allowed_port = _parse_allow_entry(entry)
            if allowed_port is not None and allowed_port != port:
                continue
            allowed_ip = _ip_or_none(allowed_host)
            # Compare IP literals as addresses, so "::1" and "0:0::1" name the same host.
            if host_ip is not None and allowed_ip is not None:
                if host_ip == allowed_ip:
                    return True
            elif host == allowed_host:
                return True
        return False


def why_forbidden(address: IPAddress) -> str | None:
    """What puts this address off limits ("a loopback address", ...); None for a public address."""
    embedded = embedded_ipv4(address)
    if embedded is not None:
        kind = why_forbidden(embedded)
        return f"{kind} ({embedded} in IPv6 form)" if kind else None
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address == _METADATA:
        return "a link-local address (cloud metadata)"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address in _SHARED:
        return "a shared address (carrier-grade NAT)"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "a non-global address"
    return None


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 host an IPv6 spelling reaches (IPv4-mapped, 6to4, NAT64), which is the one to judge."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped or address.sixtofour:
        return address.ipv4_mapped or address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _ip_or_none(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _parse_allow_entry(entry: str) -> tuple[str, int | None]:
    text = entry.strip().lower()
    problem = f"allow_hosts entry {entry!r}: expected host, host:port, [ipv6] or [ipv6]:port"
    port_text: str | None = None
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")) or _ip_or_none(host) is None:
            raise ValueError(problem)
        port_text = rest[1:] if rest else None
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host = text
        # Several colons without brackets can only be a bare IPv6 literal (every port).
        if ":" in host and _ip_or_none(host) is None:
            raise ValueError(problem)
    host = host.rstrip(".")
    if not host or (port_text is not None and not port_text.isdigit()):
        raise ValueError(problem)
    return host, int(port_text) if port_text is not None else None
