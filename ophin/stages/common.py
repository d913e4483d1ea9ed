"""Small lookups shared by the per-video stages."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from ophin.db.models import Video


class MissingInput(LookupError):
    """An upstream stage has not produced what this stage needs."""


def require_video(session: Session, vid: uuid.UUID) -> Video:
    video = session.get(Video, vid)
    if video is None or not video.media_key:
        raise MissingInput(f"video {vid} has not been acquired")
    return video
