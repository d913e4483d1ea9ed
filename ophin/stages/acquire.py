"""Stage 1, acquire: fetch a URL with yt-dlp, store media + info JSON, upsert the video row."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ophin.db.models import Video
from ophin.db.session import session_scope
from ophin.db.upsert import upsert
from ophin.domain.ids import normalize_url, sha256_file, video_id
from ophin.domain.keys import info_key, media_key
from ophin.domain.text import clean_text
from ophin.services import Services
from ophin.stages.base import StageResult, drop_scratch, run_stage

STAGE = "acquire"
VERSION = "1"
_LICENSE_TAGS = ("license", "licence", "copyright")


@dataclass(frozen=True)
class AcquireParams:
    format: str
    max_filesize_mb: int


def video_row(url: str, info: dict[str, Any], tags: dict[str, str]) -> dict[str, Any]:
    """Tolerant mapping of extractor metadata: every field optional, sanitised, bounded."""
    license_ = info.get("license") or next((tags[t] for t in _LICENSE_TAGS if tags.get(t)), None)
    return {
        "source_id": clean_text(info.get("id"), 200),
        "extractor": clean_text(info.get("extractor_key") or info.get("extractor"), 64),
        "title": clean_text(info.get("title") or tags.get("title"), 500),
        "channel": clean_text(info.get("channel") or info.get("uploader") or tags.get("artist"), 300),
        "license": clean_text(license_, 300),
    }


def acquire_video(url: str, params: AcquireParams, *, svc: Services, force: bool = False) -> StageResult:
    url = normalize_url(url)
    vid = video_id(url)

    def work() -> dict[str, Any]:
        scratch = f"acquire-{vid}"
        try:
            fetched = svc.video_source.fetch(url, svc.scratch(scratch))
            return _store(url, vid, fetched.path, fetched.info, svc)
        finally:
            drop_scratch(svc, scratch)

    return run_stage(
        svc,
        stage=STAGE,
        version=VERSION,
        entity_type="url",
        entity_key=url,
        params=params,
        work=work,
        force=force,
    )


def _store(url: str, vid: uuid.UUID, path: Path, info: dict[str, Any], svc: Services) -> dict[str, Any]:
    media = svc.media.probe(path)  # raises MediaError for anything that is not a video
    sha = sha256_file(str(path))
    key = media_key(sha, path.suffix)
    if not svc.store.exists(key):
        svc.store.put_file(key, path, content_type="video/mp4")
    svc.store.put_bytes(
        info_key(vid), json.dumps(info, default=str, sort_keys=True).encode(), content_type="application/json"
    )
    row = {
        "id": vid,
        "url": url,
        **video_row(url, info, media.tags),
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
        upsert(session, Video, [row])
    return {"video_id": str(vid), "sha256": sha, "duration_s": media.duration_s}
