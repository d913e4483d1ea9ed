"""Object-store keys, derived only from ids and content hashes so retries overwrite in place."""

from __future__ import annotations

import uuid


def media_key(sha256: str, ext: str) -> str:
    # Content-addressed: two URLs serving the same bytes share one object.
    return f"media/{sha256[:2]}/{sha256}.{ext.lstrip('.') or 'bin'}"


def info_key(video: uuid.UUID) -> str:
    return f"videos/{video}/info.json"


def frame_key(video: uuid.UUID, frame: uuid.UUID) -> str:
    return f"videos/{video}/frames/{frame}.jpg"


def release_key(prefix: str, release: uuid.UUID | str, rel: str = "") -> str:
    """<prefix>/<release id>/<file>: a release's files under the store's release prefix (settings.release)."""
    return f"{prefix.strip('/')}/{release}/{rel}".rstrip("/")


def subtitle_key(video: uuid.UUID, language: str, kind: str, ext: str) -> str:
    return f"videos/{video}/subtitles/{kind}.{language}.{ext.lstrip('.') or 'vtt'}"
