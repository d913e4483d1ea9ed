"""Stage 1, acquire: fetch a URL with yt-dlp, check the media decodes, store it, record video and alias."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ophin.acquisition.errors import TooLarge
from ophin.acquisition.license_gate import LicenseRejected, Verdict, judge_url, with_container_tags
from ophin.acquisition.video_source import FetchedVideo, Subtitle, upload_date
from ophin.adapters.media import require_decoded
from ophin.adapters.object_store import holds, sha256_bytes
from ophin.db.crawl_models import SubtitleTrack
from ophin.db.models import Video, VideoAlias
from ophin.db.session import session_scope
from ophin.db.upsert import upsert
from ophin.domain.ids import alias_id, sha256_file, subtitle_id, video_id
from ophin.domain.keys import info_key, media_key, subtitle_key
from ophin.domain.text import clean_text, plain_text
from ophin.domain.urls import canonical_url, file_path, is_file_url
from ophin.services import Services
from ophin.stages.base import Attempt, Stage, StageResult, Task, run_stage

STAGE = "acquire"
VERSION = "3"  # 2: content identity (aliases), end-to-end decode check; 3: licence gate, captions
log = logging.getLogger("ophin.stages")


@dataclass(frozen=True)
class AcquireParams:
    format: str
    max_filesize_mb: int
    # Media must decode to within this many seconds (or 2 %) of the duration its container claims.
    max_missing_s: float = 1.0
    max_height: int = 1080
    license_policy: str = ""  # part of the params hash: a changed policy judges every URL again


@dataclass(frozen=True)
class Found:
    """What the crawler already knows of a URL: its licence verdict and the listing's attribution."""

    verdict: Verdict
    discovered_via: str
    hints: dict[str, Any]


def video_row(
    info: dict[str, Any], tags: dict[str, str], hints: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Attribution as the source states it, as plain text: every field optional, sanitised, bounded.

    The listing's own words (a feed item's title) come first; the generic extractor's title is only the
    file's name, so a container's title tag beats it.
    """
    hints = hints or {}
    generic = (info.get("extractor_key") or info.get("extractor")) in ("Generic", "generic", None)
    extracted_title = None if generic else info.get("title")
    return {
        "source_id": clean_text(info.get("id"), 200),
        "extractor": clean_text(info.get("extractor_key") or info.get("extractor"), 64),
        "title": plain_text(
            hints.get("title") or extracted_title or tags.get("title") or info.get("title"), 500
        ),
        "channel": plain_text(
            hints.get("channel") or info.get("channel") or info.get("uploader") or tags.get("artist"), 300
        ),
        "upload_date": hints.get("upload_date") or upload_date(info),
        "language": clean_text(hints.get("language") or info.get("language"), 16),
    }


def public_url(url: str) -> str:
    """The URL a release shows: a web URL as is; a local file by its name only, never a path."""
    return url if not is_file_url(url) else f"local-file:{file_path(url).name}"


def acquire_video(
    url: str, params: AcquireParams, *, svc: Services, force: bool = False, found: Found | None = None
) -> StageResult:
    """Fetch and store one URL's media, if its licence passes the open-access gate (decided first, from
    metadata: a rejected video is never downloaded). `found` carries the crawler's verdict and attribution."""
    url = canonical_url(url)

    def work(attempt: Attempt) -> dict[str, Any]:
        verdict = found.verdict if found else judge_url(url, svc)
        if not verdict.decision.accepted:
            raise LicenseRejected(verdict.decision.reason)
        fetched = svc.video_source.fetch(url, attempt.scratch)  # raises FetchRefused / AcquireError
        hints = {**_hints(verdict.info), **(found.hints if found else {})}
        origin = found.discovered_via if found else "url"
        return _store(url, fetched, params, svc, replace=force, verdict=verdict, hints=hints, via=origin)

    def still_valid(output: dict[str, Any]) -> bool:
        # Skip only while the media is really there: a lost object is fetched again by the next run. So is
        # an info.json overwritten with other bytes (one from before its hash was recorded, NULL, is not
        # worth a re-download: nothing reads it). Captions are checked where transcribe reads them.
        with session_scope(svc.sessions) as session:
            video = session.get(Video, uuid.UUID(output["video_id"])) if "video_id" in output else None
            key = video.media_key if video else None
            info = (video.info_key, video.info_sha256) if video else (None, None)
        if key is None or not svc.store.exists(key):
            return False
        return not (info[0] and info[1]) or holds(svc.store, info[0], info[1])

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


def _hints(info: dict[str, Any]) -> dict[str, Any]:
    return {k: info[k] for k in ("title", "channel") if info.get(k)}


def _store(
    url: str,
    fetched: FetchedVideo,
    params: AcquireParams,
    svc: Services,
    *,
    replace: bool,
    verdict: Verdict,
    hints: dict[str, Any],
    via: str,
) -> dict[str, Any]:
    path, info = fetched.path, fetched.info
    media = svc.media.probe(path)  # raises MediaError for anything that is not a video
    # The file's own licence tags are evidence too, judged before anything of it is stored.
    verdict = with_container_tags(verdict, media.tags, url, svc)  # raises LicenseRejected
    if media.height and media.height > params.max_height:
        raise TooLarge(f"{media.width}x{media.height} is over the {params.max_height}p resolution cap")
    decoded = svc.media.decode_check(path)
    require_decoded(media, decoded, params.max_missing_s)  # the video and, on its own, the audio track
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
    info_json = json.dumps(info, default=str, sort_keys=True).encode()
    svc.store.put_bytes(info_key(vid), info_json, content_type="application/json")
    decision = verdict.decision
    row = {
        "id": vid,
        "url": public_url(url),
        **video_row(info, media.tags, hints),
        "license": decision.license,
        "license_ok": decision.accepted,
        "license_evidence": decision.as_json(),
        "discovered_via": via,
        "duration_s": media.duration_s,
        "sha256": sha,
        "size_bytes": path.stat().st_size,
        "media_key": key,
        "info_key": info_key(vid),
        "info_sha256": sha256_bytes(info_json),
        "width": media.width,
        "height": media.height,
        "has_audio": media.has_audio,
    }
    with session_scope(svc.sessions) as session:
        # The first URL that brought this content stays its public URL; later ones are aliases.
        upsert(session, Video, [row], insert_only=("url", "discovered_via"))
        upsert(session, VideoAlias, [{"id": alias_id(url), "url": url, "video_id": vid}])
    tracks = _store_subtitles(vid, fetched.subtitles, svc)
    return {
        "video_id": str(vid),
        "sha256": sha,
        "duration_s": media.duration_s,
        "decoded_s": round(decoded.decoded_s, 2),
        "known_content": known is not None,
        "license": decision.license,
        "subtitles": tracks,
    }


def _store_subtitles(vid: uuid.UUID, subtitles: tuple[Subtitle, ...], svc: Services) -> int:
    """Caption tracks as alternative transcript sources: the object, and a row naming it."""
    rows = []
    for sub in subtitles:
        data = sub.path.read_bytes()
        key = subtitle_key(vid, sub.language, sub.kind, sub.format)
        svc.store.put_bytes(key, data, content_type="text/vtt" if sub.format == "vtt" else "text/plain")
        rows.append(
            {
                "id": subtitle_id(vid, sub.language, sub.kind),
                "video_id": vid,
                "language": sub.language[:16],
                "kind": sub.kind,
                "format": sub.format[:16],
                "object_key": key,
                "sha256": hashlib.sha256(data).hexdigest(),
                "cue_count": data.decode("utf-8", "replace").count("-->"),
            }
        )
    with session_scope(svc.sessions) as session:
        upsert(session, SubtitleTrack, rows)
    return len(rows)


def videos_for(session: Any, urls: list[str]) -> dict[str, uuid.UUID]:
    """canonical URL -> video id, for those URLs that were acquired."""
    rows = session.execute(
        select(VideoAlias.url, VideoAlias.video_id).where(
            VideoAlias.url.in_([canonical_url(u) for u in urls])
        )
    )
    return dict(rows.tuples().all())


def params_from(svc: Services) -> AcquireParams:
    a, lic = svc.settings.acquire, svc.settings.license
    return AcquireParams(
        a.format,
        a.max_filesize_mb,
        max_height=a.max_height,
        license_policy=f"{lic.allowed}|accept_unknown={lic.accept_unknown}",
    )


SPEC = Stage(
    name=STAGE, version=VERSION, function=acquire_video, params=params_from,
    reads=(), writes=("video", "video_alias", "subtitle_track"),
    task=Task("acquire_video", gate="gate_acquire", pool="youtube"),
)  # fmt: skip
