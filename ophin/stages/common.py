"""Small lookups shared by the per-video stages."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from ophin.db.models import Video, VisualCue


class MissingInput(LookupError):
    """An upstream stage has not produced what this stage needs."""


def require_video(session: Session, vid: uuid.UUID) -> Video:
    video = session.get(Video, vid)
    if video is None or not video.media_key:
        raise MissingInput(f"video {vid} has not been acquired")
    return video


def visual_cue_texts(session: Session, pair_id: uuid.UUID) -> list[str]:
    """The sentences of a pair classified as visual cues, in spoken order."""
    return list(
        session.scalars(
            select(VisualCue.text)
            .where(VisualCue.pair_id == pair_id, VisualCue.is_visual)
            .order_by(VisualCue.sentence_index)
        )
    )
