"""Public safety of release fields: no local path and no private or loopback host in anything published."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote, urlsplit

# A URL with an authority part, anywhere in a text (titles and settings may embed one).
_URL = re.compile(r"(?i)(?<![\w+.-])[a-z][a-z0-9+.-]*://[^\s<>\"'`]+")
# file: URLs in any spelling (file:///x, file:/x, file:x) but not "local-file:x.mp4" or "a file: see".
_FILE_URL = re.compile(r"(?i)(?<![\w-])file:(?!\s|$)")
# Absolute home and temp folders, a Windows drive or share, a home-relative path. Not preceded by a word
# character, so "sample-corpus:demo/tmp/x.mp4" and a web URL's "/home/" path are not local paths.
_LOCAL_PATH = re.compile(
    r"(?<![\w.~-])(?:/(?:home|tmp|Users|root|private/var|var/folders|mnt|media)/|~/)"
    r"|(?<![\w])[A-Za-z]:[\\/]|(?<![\w\\])\\\\[\w.-]+\\"
)
_BARE_IP = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w.]*\d)")
_BARE_LOCALHOST = re.compile(r"(?i)(?<![\w.-])localhost(?=[:/])")
# Names that resolve only inside a network (RFC 6761/6762, common internal zones).
_PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".intranet")


def check_public(value: str) -> str | None:
    """Why a string may not be published (it holds a local path or a private host), or None when it may."""
    text = str(value)
    for match in _URL.finditer(text):
        reason = _url_reason(match.group(0))
        if reason:
            return reason
    rest = _URL.sub(" ", text)  # a web URL's path ("/home/", "/tmp/") is not a local path
    if _FILE_URL.search(rest):
        return "a file: URL (a local path)"
    path = _LOCAL_PATH.search(rest)
    if path:
        return f"a local path ({path.group(0)!r}...)"
    if _BARE_LOCALHOST.search(rest):
        return "a loopback host (localhost)"
    for match in _BARE_IP.finditer(rest):
        reason = _host_reason(match.group(0))
        if reason:
            return reason
    return None


def public_url(url: str) -> str:
    """A URL fit to publish: a file: URL or local path becomes ``local-file:<name>``, a private-host URL
    ``private-host:<last path segment>``; anything else is returned unchanged."""
    reason = check_public(url)
    if reason is None:
        return url
    text = str(url).strip()
    if _FILE_URL.match(text) or (not _URL.match(text) and _LOCAL_PATH.search(text)):
        label = "local-file"
    else:
        without_password = _drop_userinfo(text)
        if without_password and check_public(without_password) is None:
            return without_password
        label = "private-host"
    safe = f"{label}:{_last_segment(text)}"
    # The segment of a hostile value may itself hold a host or path ("see localhost:8080" has no path).
    return safe if check_public(safe) is None else f"{label}:unnamed"


def _drop_userinfo(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if not parts.password:
        return None
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def _url_reason(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        host = parts.hostname
        password = parts.password
    except ValueError:  # "http://[::1" and other hosts urlsplit cannot read
        return f"a URL whose host cannot be read ({url[:60]!r})"
    if parts.scheme.lower() == "file":
        return "a file: URL (a local path)"
    if password:
        return "a password in a URL"
    if host is None:
        return None
    return _host_reason(host)


def _host_reason(host: str) -> str | None:
    name = host.strip("[]").rstrip(".").lower()
    address = _ip(name)
    if address is not None:
        if address.version == 6 and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if address.is_loopback or address.is_private or address.is_link_local or address.is_unspecified:
            return f"a private or loopback host ({name})"
        return None
    if name == "localhost" or name.endswith(_PRIVATE_SUFFIXES):
        return f"a private host name ({name})"
    if "." not in name:  # "minio", "llm-server": a name only a local resolver or a container network knows
        return f"a single-label host name ({name})"
    return None


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        if name.isdigit():  # "http://2130706433/" is 127.0.0.1
            return ipaddress.ip_address(int(name))
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def _last_segment(text: str) -> str:
    path = text
    if _URL.match(text) or _FILE_URL.match(text):
        try:
            path = urlsplit(text).path
        except ValueError:
            path = re.split(r"[?#]", text, maxsplit=1)[0]
    segments = [s for s in re.split(r"[/\\]", unquote(path)) if s]  # "%2F" may hide a separator
    name = segments[-1] if segments else ""
    if name.lower().startswith("file:"):  # "file:x.mp4": the name after the scheme
        name = name[5:]
    return name or "unnamed"
