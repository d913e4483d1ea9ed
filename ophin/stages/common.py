"""Small lookups and input fetches shared by the per-video stages."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ophin.adapters.media_cache import cache_for
from ophin.adapters.object_store import (
    ObjectCorrupt,
    ObjectMissing,
    ObjectStore,
    fetch_verified,
    get_verified_bytes,
)
from ophin.db.models import Video, VisualCue


class MissingInput(LookupError):
    """An upstream stage has not produced what this stage needs."""


class InputMissing(MissingInput):
    """An input object is gone from the store or no longer matches its hash: re-acquire (backfill does)."""


def require_video(session: Session, vid: uuid.UUID) -> Video:
    video = session.get(Video, vid)
    if video is None or not video.media_key:
        raise MissingInput(f"video {vid} has not been acquired")
    return video


def fetch_media(store: ObjectStore, video: Video, scratch: Path) -> Path:
    """The video's media in the attempt's scratch folder, verified against the sha256 recorded at acquisition.

    The file is a link to the worker's media cache (beside the scratch folders, under the work directory), so
    a second stage on the same video downloads nothing; read it, never write it (removing it, or the whole
    scratch folder, is harmless). With the cache off (run.media_cache_gb = 0) it is a download of its own.
    """
    assert video.media_key and video.sha256  # noqa: S101 - invariant: only acquired videos reach here
    local = scratch / video.media_key.rsplit("/", 1)[-1]
    cache = cache_for(scratch.parent)
    try:
        if cache is None:
            return fetch_verified(store, video.media_key, local, video.sha256)
        return cache.fetch(store, video.media_key, video.sha256, local)
    except (ObjectMissing, ObjectCorrupt) as exc:
        raise InputMissing(f"media of video {video.id}: {exc}") from exc


def read_frame(store: ObjectStore, key: str, sha256: str | None) -> bytes:
    """A frame's image for a model, only if it is the bytes keyframes stored (frame.sha256); InputMissing
    otherwise, raised for that one item: keyframes' skip check re-makes the frame on the next run."""
    try:
        return get_verified_bytes(store, key, sha256)
    except (ObjectMissing, ObjectCorrupt) as exc:
        raise InputMissing(f"frame image: {exc}") from exc


def visual_cue_texts_of(session: Session, pair_ids: set[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """visual_cue_texts of many pairs in one query: pair id -> its visual sentences in spoken order."""
    out: dict[uuid.UUID, list[str]] = {}
    if pair_ids:
        rows = session.execute(
            select(VisualCue.pair_id, VisualCue.text)
            .where(VisualCue.pair_id.in_(pair_ids), VisualCue.is_visual)
            .order_by(VisualCue.pair_id, VisualCue.sentence_index)
        )
        for pair_id, text in rows:
            out.setdefault(pair_id, []).append(text)
    return out


def visual_cue_texts(session: Session, pair_id: uuid.UUID) -> list[str]:
    """The sentences of a pair classified as visual cues, in spoken order."""
    return visual_cue_texts_of(session, {pair_id}).get(pair_id, [])
