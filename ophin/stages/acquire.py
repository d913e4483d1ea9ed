"""Stage 1, acquire: fetch a URL with yt-dlp, check the media decodes, store it, record video and alias."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from sqlalchemy import select

from ophin.adapters.media import MediaError
from ophin.db.models import Video, VideoAlias
from ophin.db.session import session_scope
from ophin.db.upsert import upsert
from ophin.domain.ids import alias_id, sha256_file, video_id
from ophin.domain.keys import info_key, media_key
from ophin.domain.text import clean_text
from ophin.domain.urls import canonical_url, is_file_url
from ophin.sample_corpus import CORPUS_DIR
from ophin.services import Services
from ophin.stages.base import Attempt, StageResult, run_stage

STAGE = "acquire"
VERSION = "2"  # 2: content identity (aliases), end-to-end decode check
_LICENSE_TAGS = ("license", "licence", "copyright")
log = logging.getLogger("ophin.stages")


@dataclass(frozen=True)
class AcquireParams:
    format: str
    max_filesize_mb: int
    # Media must decode to within this many seconds (or 2 %) of the duration its container claims.
    max_missing_s: float = 1.0


def video_row(info: dict[str, Any], tags: dict[str, str]) -> dict[str, Any]:
    """Tolerant mapping of extractor metadata: every field optional, sanitised, bounded."""
    license_ = info.get("license") or next((tags[t] for t in _LICENSE_TAGS if tags.get(t)), None)
    return {
        "source_id": clean_text(info.get("id"), 200),
        "extractor": clean_text(info.get("extractor_key") or info.get("extractor"), 64),
        "title": clean_text(info.get("title") or tags.get("title"), 500),
        "channel": clean_text(info.get("channel") or info.get("uploader") or tags.get("artist"), 300),
        "license": clean_text(license_, 300),
    }


def public_url(url: str) -> str:
    """The URL a release shows: a web URL as is; a local file by its corpus name, never an absolute path."""
    if not is_file_url(url):
        return url
    path = Path(url2pathname(urlsplit(url).path))
    try:
        return f"sample-corpus:{path.relative_to(CORPUS_DIR.resolve()).as_posix()}"
    except ValueError:
        return f"local-file:{path.name}"


def acquire_video(url: str, params: AcquireParams, *, svc: Services, force: bool = False) -> StageResult:
    url = canonical_url(url)

    def work(attempt: Attempt) -> dict[str, Any]:
        fetched = svc.video_source.fetch(url, attempt.scratch)  # raises FetchRefused / AcquireError
        return _store(url, fetched.path, fetched.info, params, svc, replace=force)

    def still_valid(output: dict[str, Any]) -> bool:
        # Skip only while the media is really there: a lost object is fetched again by the next run.
        with session_scope(svc.sessions) as session:
            video = session.get(Video, uuid.UUID(output["video_id"])) if "video_id" in output else None
            key = video.media_key if video else None
        return key is not None and svc.store.exists(key)

    return run_stage(
        svc,
        stage=STAGE,
        version=VERSION,
        entity_type="url",
        entity_key=url,
        params=params,
        work=work,
        force=force,
        still_valid=still_valid,
    )


def _store(
    url: str, path: Path, info: dict[str, Any], params: AcquireParams, svc: Services, *, replace: bool
) -> dict[str, Any]:
    media = svc.media.probe(path)  # raises MediaError for anything that is not a video
    decoded = svc.media.decode_check(path)
    missing = media.duration_s - decoded.decoded_s
    if missing > max(params.max_missing_s, 0.02 * media.duration_s):
        raise MediaError(
            f"truncated or corrupt media: only {decoded.decoded_s:.1f} s of the container's "
            f"{media.duration_s:.1f} s decode"
        )
    if decoded.errors:
        log.warning("acquire %s: %d decode error(s), first: %s", url, decoded.errors, decoded.first_error)
    sha = sha256_file(str(path))
    with session_scope(svc.sessions) as session:
        # A video recorded before content identity keeps its id; otherwise the id is the content's.
        known = session.scalar(
            select(Video.id).where(Video.sha256 == sha).order_by(Video.created_at).limit(1)
        )
    vid = known or video_id(sha)
    key = media_key(sha, path.suffix)
    if replace or not svc.store.exists(key):  # replace: a forced re-fetch repairs a corrupted object
        svc.store.put_file(key, path, content_type="video/mp4")
    svc.store.put_bytes(
        info_key(vid), json.dumps(info, default=str, sort_keys=True).encode(), content_type="application/json"
    )
    row = {
        "id": vid,
        "url": public_url(url),
        **video_row(info, media.tags),
        "duration_s": media.duration_s,
        "sha256": sha,
        "size_bytes": path.stat().st_size,
        "media_key": key,
        "info_key": info_key(vid),
        "width": media.width,
        "height": media.height,
        "has_audio": media.has_audio,
    }
    with session_scope(svc.sessions) as session:
        # The first URL that brought this content stays its public URL; later ones are aliases.
        upsert(session, Video, [row], insert_only=("url",))
        upsert(session, VideoAlias, [{"id": alias_id(url), "url": url, "video_id": vid}])
    return {
        "video_id": str(vid),
        "sha256": sha,
        "duration_s": media.duration_s,
        "decoded_s": round(decoded.decoded_s, 2),
        "known_content": known is not None,
    }


def videos_for(session: Any, urls: list[str]) -> dict[str, uuid.UUID]:
    """canonical URL -> video id, for those URLs that were acquired."""
    rows = session.execute(
        select(VideoAlias.url, VideoAlias.video_id).where(
            VideoAlias.url.in_([canonical_url(u) for u in urls])
        )
    )
    return dict(rows.tuples().all())
