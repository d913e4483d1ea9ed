"""Public safety of release fields: no local path, no host outside the public DNS and no credential in
anything published."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from urllib.parse import unquote, urlsplit

from ophin.acquisition.fetch_policy import why_forbidden

# A URL with an authority part, anywhere in a text (titles and settings may embed one).
_URL = re.compile(r"(?i)(?<![\w+.-])[a-z][a-z0-9+.-]*://[^\s<>\"'`]+")
# file: URLs in any spelling (file:///x, file:/x, file:x) but not "local-file:x.mp4" or "a file: see".
_FILE_URL = re.compile(r"(?i)(?<![\w-])file:(?!\s|$)")
# Any absolute POSIX path of two or more segments ("/srv/x", "/etc/"), or one that names a root folder
# ("/opt"). Not after a word character, a dot or a slash: "and/or", "20/20", "1/2 disc diameter",
# "sample-corpus:demo/tmp/x.mp4" and a web URL's path are not local paths.
_SEGMENT = r"[\w.@+%$-]+"
_POSIX_PATH = re.compile(rf"(?<![\w.~\\/-])/{_SEGMENT}(?:/{_SEGMENT})*/?")
_ROOT_FOLDERS = frozenset(
    "home tmp users root private var mnt media srv opt data etc usr bin sbin dev proc sys boot lib lib64 run "
    "snap nix volumes workspace scratch".split()
)
# A Windows drive or share, a home-relative path ("~/x", "~alice/x").
_OTHER_PATH = re.compile(
    r"(?<![\w])[A-Za-z]:[\\/]|(?<![\w\\])\\\\[\w.$?-]+\\|(?<![\w.~/-])~(?:[A-Za-z][\w.-]*)?/"
)
# Dotted IPv4 in any of the four-part spellings inet_aton reads (decimal, octal 0177, hex 0x7f).
_NUM = r"(?:0x[0-9a-f]*|\d+)"
_BARE_IP = re.compile(rf"(?i)(?<![\w.])(?:{_NUM}\.){{3}}{_NUM}(?![\w.]*\d)")
# An IPv6 literal: two colons at least, hex groups, an optional dotted IPv4 tail and zone.
_BARE_IPV6 = re.compile(r"(?i)(?<![\w:.])(?:[0-9a-f]{0,4}:){2,7}(?:[0-9a-f]{1,4}|\d+(?:\.\d+){3})?(?:%\w+)?")
# host:port outside a URL ("minio:9000", "127.1:8080"); "OD:20/20" and "3:30" are not hosts.
_HOST_PORT = re.compile(
    r"(?i)(?<![\w./:-])([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)*):(\d{2,5})(?![\d:]|[/.]\d)"
)
_BARE_LOCALHOST = re.compile(r"(?i)(?<![\w.-])localhost(?=[:/])")
# Names that resolve only inside a network (RFC 6761/6762/8375, common internal zones).
_PRIVATE_SUFFIXES = (
    ".localhost",
    ".local",
    ".internal",
    ".lan",
    ".home.arpa",
    ".intranet",
    ".corp",
    ".home",
    ".private",
    ".localdomain",
    ".test",
    ".invalid",
    ".example",
)
_BARE_SUFFIXES = frozenset(s.lstrip(".") for s in _PRIVATE_SUFFIXES)  # "http://internal/" too
# Query parameters (and name=value pairs anywhere) that carry a credential: signatures, tokens, keys.
_CREDENTIAL_NAMES = frozenset(
    {
        "sig",
        "signature",
        "token",
        "auth",
        "key",
        "apikey",
        "accesskey",
        "access_key",
        "secret",
        "password",
        "passwd",
        "pwd",
        "jwt",
        "sessionid",
        "session_id",
        "awsaccesskeyid",
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
        "x-goog-signature",
        "x-goog-credential",
        "authorization",
    }
)
_CREDENTIAL_ENDINGS = ("token", "secret", "password", "signature", "_key", "-key", "apikey", "credential")
_NAME_VALUE = re.compile(r"(?i)(?<![\w-])([a-z][\w.-]{0,40})=(?=[^\s&#'\"])")
_FULL_STOPS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})  # IDNA reads them as dots


def check_public(value: str) -> str | None:
    """Why a string may not be published (a local path, a private host, a credential), or None."""
    text = str(value)
    for match in _URL.finditer(text):
        reason = _url_reason(match.group(0))
        if reason:
            return reason
    if reason := _credential(text):
        return reason
    rest = _URL.sub(" ", text)  # a web URL's path ("/home/", "/tmp/") is not a local path
    if _FILE_URL.search(rest):
        return "a file: URL (a local path)"
    if path := _local_path(rest):
        return f"a local path ({path[:40]!r}...)"
    if _BARE_LOCALHOST.search(rest):
        return "a loopback host (localhost)"
    return _bare_host_reason(rest)


def _local_path(text: str) -> str | None:
    for match in _POSIX_PATH.finditer(text):
        path = match.group(0)
        segments = [s for s in path.split("/") if s]
        if all(s.isdigit() for s in segments):  # "/20/40": a fraction, not a folder
            continue
        if len(segments) > 1 or path.endswith("/") or segments[0].lower() in _ROOT_FOLDERS:
            return path
    match = _OTHER_PATH.search(text)
    return match.group(0) if match else None


def _bare_host_reason(text: str) -> str | None:
    for match in _BARE_IP.finditer(text):
        if reason := _host_reason(match.group(0)):
            return reason
    for match in _BARE_IPV6.finditer(text):
        address = _ip_literal(match.group(0))
        if address is not None and (reason := _address_reason(address, match.group(0))):
            return reason
    for match in _HOST_PORT.finditer(text):
        host, port = match.group(1), int(match.group(2))
        has_letter = any(c.isalpha() for c in host)
        if port > 65535 or (not has_letter and "." not in host):  # "3:30", "1:100"
            continue
        if has_letter and "." not in host and port < 80:  # "Score:12" is a label, not a service
            continue
        if reason := _host_reason(host):
            return reason
    return None


def _credential(text: str) -> str | None:
    for match in _NAME_VALUE.finditer(text):
        name = match.group(1).lower()
        if name in _CREDENTIAL_NAMES or name.endswith(_CREDENTIAL_ENDINGS):
            return f"a credential-like parameter ({match.group(1)}=)"
    return None


def public_url(url: str) -> str:
    """A URL fit to publish: a file: URL or local path becomes ``local-file:<name>``, a private-host URL
    ``private-host:<last path segment>``; anything else is returned unchanged."""
    reason = check_public(url)
    if reason is None:
        return url
    text = str(url).strip()
    if _FILE_URL.match(text) or (not _URL.match(text) and _local_path(text)):
        label = "local-file"
    else:
        without_secrets = _drop_secrets(text)
        if without_secrets and check_public(without_secrets) is None:
            return without_secrets
        label = "private-host"
    safe = f"{label}:{_last_segment(text)}"
    # The segment of a hostile value may itself hold a host or path ("see localhost:8080" has no path).
    return safe if check_public(safe) is None else f"{label}:unnamed"


def _drop_secrets(url: str) -> str | None:
    """The URL without its password and query (a signed URL's signature lives there), or None."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return None
    if not password and not parts.query:
        return None
    netloc = parts.netloc.rpartition("@")[2] if password else parts.netloc
    return parts._replace(netloc=netloc, query="", fragment="").geturl()


def _url_reason(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        host = parts.hostname
        password = parts.password
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
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
    """Why a host is not a public DNS name or a global address; None when it is one."""
    name = unicodedata.normalize("NFKC", unquote(host)).translate(_FULL_STOPS)
    name = name.strip("[]").rstrip(".").lower()
    if not name:
        return "an empty host name"
    address = _ip_literal(name)
    if address is not None:
        return _address_reason(address, name)
    if name == "localhost" or name.endswith(_PRIVATE_SUFFIXES) or name.lstrip(".") in _BARE_SUFFIXES:
        return f"a private host name ({name})"
    if "." not in name:  # "minio", "llm-server": a name only a local resolver or a container network knows
        return f"a single-label host name ({name})"
    if re.fullmatch(r"\d+|0x[0-9a-f]*", name.rsplit(".", 1)[1]):
        # No top-level domain is numeric: "1.2.3.4.5" or "10.0.0.0x1" are addresses in disguise.
        return f"a numeric host that is not a public name ({name})"
    return None


def _address_reason(address: ipaddress.IPv4Address | ipaddress.IPv6Address, name: str) -> str | None:
    kind = why_forbidden(address)
    return f"a private or loopback host ({name}: {kind})" if kind else None


def _ip_literal(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address in any spelling a resolver accepts: IPv6 (with a zone), or IPv4 as inet_aton reads it
    ("127.1", "2130706433", "0177.0.0.1", "0x7f.0.0.1")."""
    if ":" in name:
        try:
            return ipaddress.IPv6Address(name.strip("[]"))
        except ValueError:
            return None
    parts = name.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    values = []
    for part in parts:
        if re.fullmatch(r"0x[0-9a-f]*", part):
            values.append(int(part[2:] or "0", 16))
        elif re.fullmatch(r"0[0-7]+", part):
            values.append(int(part, 8))
        elif re.fullmatch(r"[0-9]+", part) and not (len(part) > 1 and part[0] == "0"):
            values.append(int(part))
        else:
            return None
    *leading, last = values
    if any(v > 255 for v in leading) or last >= 256 ** (5 - len(values)):
        return None
    # The leading parts are the high bytes; the last part fills every byte left ("127.1" is 127.0.0.1).
    number = last
    for i, v in enumerate(leading):
        number |= v << (24 - 8 * i)
    return ipaddress.IPv4Address(number)


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
