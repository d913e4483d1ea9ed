"""Canonical URL spelling, so one video has one identity however its URL was written (pure, no I/O)."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from urllib.parse import SplitResult, quote, unquote, urlsplit, urlunsplit
from urllib.request import url2pathname

# Query parameters that only say where a click came from, never which resource it names.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "si",
        "feature",
        "ref",
        "ref_src",
        "spm",
        "_ga",
        "yclid",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}

_YOUTUBE_HOSTS = frozenset(
    {
        "youtube.com",
        "www.youtube.com",
        "m.youtube.com",
        "music.youtube.com",
        "youtube-nocookie.com",
        "www.youtube-nocookie.com",
    }
)
_YOUTU_BE_HOSTS = frozenset({"youtu.be", "www.youtu.be"})
_VIDEO_ID = r"[A-Za-z0-9_-]{11}"
_YOUTUBE_PATH_ID = re.compile(rf"/(?:shorts|embed|live|v)/({_VIDEO_ID})/?")
_YOUTU_BE_PATH_ID = re.compile(rf"/({_VIDEO_ID})/?")
_VIDEO_ID_ONLY = re.compile(_VIDEO_ID)
# /embed/videoseries?list=... is a playlist player whose path word happens to be 11 id-shaped characters.
_NOT_VIDEO_IDS = frozenset({"videoseries"})


def is_file_url(url: str) -> bool:
    return urlsplit(url.strip()).scheme.lower() == "file"


def file_path(url: str) -> Path:
    """The local path a file:// URL names (percent-decoded)."""
    return Path(url2pathname(urlsplit(url.strip()).path))


def canonical_url(url: str) -> str:
    """One spelling per resource: lower-case scheme/host, no default port, fragment or tracking params.

    Every YouTube spelling of one video becomes https://www.youtube.com/watch?v=ID; file URLs become
    file:// + a normalised, consistently percent-encoded absolute path.
    """
    text = url.strip()
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme == "file":
        return _canonical_file_url(parts.netloc, parts.path)
    if not parts.netloc:
        # mailto:, data: and bare paths name no host; only the scheme's case is normalised.
        return _encode_edge_blanks(urlunsplit((scheme, "", parts.path, parts.query, ""))) if scheme else text
    host = (parts.hostname or "").lower()
    video_id = _youtube_video_id(host, parts.path, parts.query)
    if video_id:
        return f"https://www.youtube.com/watch?v={video_id}"
    path = parts.path or ("/" if scheme in _DEFAULT_PORTS else "")
    netloc = _canonical_netloc(scheme, parts)
    return _encode_edge_blanks(urlunsplit((scheme, netloc, path, _strip_tracking(parts.query), "")))


def _encode_edge_blanks(url: str) -> str:
    """Percent-encode blanks the result ends with (a dropped fragment or tracking parameter can leave
    "a/b " behind), which canonical_url would otherwise strip on the next call: a canonical URL is a fixed
    point."""
    body = url.rstrip()
    return body + "".join(quote(c) for c in url[len(body) :])


def _canonical_netloc(scheme: str, parts: SplitResult) -> str:
    userinfo = parts.netloc.rpartition("@")[0]
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        # Not a valid port: nothing sound to normalise beyond case, and fetching will refuse it anyway.
        return parts.netloc.lower()
    shown_host = f"[{host}]" if ":" in host else host  # hostname drops an IPv6 literal's brackets
    keep_port = port is not None and _DEFAULT_PORTS.get(scheme) != port
    return (f"{userinfo}@" if userinfo else "") + shown_host + (f":{port}" if keep_port else "")


def _strip_tracking(query: str) -> str:
    # Work on the raw pairs so the kept ones keep their exact encoding and order.
    kept = []
    for pair in query.split("&"):
        if not pair:
            continue
        name = unquote(pair.partition("=")[0]).lower()
        if name in _TRACKING_PARAMS or name.startswith("utm_"):
            continue
        kept.append(pair)
    return "&".join(kept)


def _youtube_video_id(host: str, path: str, query: str) -> str | None:
    if host in _YOUTU_BE_HOSTS:
        match = _YOUTU_BE_PATH_ID.fullmatch(path)
    elif host in _YOUTUBE_HOSTS:
        if path.rstrip("/") == "/watch":
            return _first_watch_id(query)
        match = _YOUTUBE_PATH_ID.fullmatch(path)
    else:
        return None
    if match and match.group(1) not in _NOT_VIDEO_IDS:
        return match.group(1)
    return None


def _first_watch_id(query: str) -> str | None:
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if unquote(name) == "v":
            value = unquote(value)
            return value if _VIDEO_ID_ONLY.fullmatch(value) else None
    return None


def _canonical_file_url(netloc: str, path: str) -> str:
    host = netloc.lower()
    if host == "localhost":
        host = ""
    # Decode first so %20 and a literal space agree, normalise (.., //, .), then encode one way.
    decoded = posixpath.normpath("/" + unquote(path).lstrip("/"))
    # A file has no query or fragment: a "?" or "#" in its name must already be percent-encoded.
    return f"file://{host}{quote(decoded, safe='/')}"
