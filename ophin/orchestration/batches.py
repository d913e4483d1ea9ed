"""How a batch fans out in a DAG run: units of work, each a few URLs or videos with a label for the UI."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from ophin.db.models import Video
from ophin.db.session import session_scope
from ophin.services import Services

LABEL_CHARS = 80


def units(keys: Sequence[str], labels: dict[str, str], max_units: int) -> list[dict[str, Any]]:
    """Split keys into at most `max_units` units of equal size (one key each while they fit), so a DAG
    run's mapped tasks stay inside Airflow's max_map_length however big the batch."""
    size = max(1, math.ceil(len(keys) / max_units))
    out = []
    for start in range(0, len(keys), size):
        chunk = list(keys[start : start + size])
        label = labels.get(chunk[0], chunk[0])[:LABEL_CHARS]
        out.append({"keys": chunk, "label": label + (f" (+{len(chunk) - 1})" if len(chunk) > 1 else "")})
    return out


def keys_of(mapped: Sequence[dict[str, Any]] | None) -> list[str]:
    return [key for unit in mapped or () for key in unit["keys"]]


def video_units(videos: Sequence[uuid.UUID], svc: Services) -> list[dict[str, Any]]:
    """Units of videos, labelled with their titles (or where they came from)."""
    with session_scope(svc.sessions) as session:
        found = session.execute(select(Video.id, Video.title, Video.url).where(Video.id.in_(videos))).all()
    labels = {str(v.id): (v.title or v.url) for v in found}
    return units([str(v) for v in videos], labels, svc.settings.airflow.max_mapped)
