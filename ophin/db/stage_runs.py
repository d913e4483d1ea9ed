"""Stage attempts: one stage_run row per try, with status, error and timings; skip what already succeeded."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ophin.db.models import StageRun
from ophin.db.session import session_scope
from ophin.domain.ids import stage_run_id

MAX_ERROR_CHARS = 4000


@dataclass(frozen=True)
class AttemptKey:
    stage: str
    entity_type: str  # url | video | batch
    entity_key: str
    params_hash: str


def last_success(session: Session, key: AttemptKey, code_version: str) -> StageRun | None:
    return session.scalars(
        select(StageRun)
        .where(
            StageRun.stage == key.stage,
            StageRun.entity_key == key.entity_key,
            StageRun.params_hash == key.params_hash,
            StageRun.code_version == code_version,
            StageRun.status == "succeeded",
        )
        .order_by(StageRun.attempt.desc())
        .limit(1)
    ).first()


def start_attempt(
    factory: sessionmaker[Session],
    key: AttemptKey,
    *,
    params: dict[str, Any],
    code_version: str,
    model_version: str | None,
    video_id: uuid.UUID | None,
    runner: str,
) -> uuid.UUID:
    with session_scope(factory) as session:
        previous = session.scalar(
            select(func.max(StageRun.attempt)).where(
                StageRun.stage == key.stage,
                StageRun.entity_key == key.entity_key,
                StageRun.params_hash == key.params_hash,
            )
        )
        attempt = (previous or 0) + 1
        run_id = stage_run_id(key.stage, key.entity_key, key.params_hash, attempt)
        session.add(
            StageRun(
                id=run_id,
                stage=key.stage,
                entity_type=key.entity_type,
                entity_key=key.entity_key,
                video_id=video_id,
                attempt=attempt,
                status="running",
                params_hash=key.params_hash,
                params=params,
                code_version=code_version,
                model_version=model_version,
                runner=runner,
                started_at=datetime.now(UTC),
            )
        )
    return run_id


def finish_attempt(
    factory: sessionmaker[Session],
    run_id: uuid.UUID,
    *,
    error: BaseException | None = None,
    output: dict[str, Any] | None = None,
    video_id: uuid.UUID | None = None,
) -> None:
    with session_scope(factory) as session:
        run = session.get(StageRun, run_id)
        assert run is not None, f"stage_run {run_id} vanished"
        now = datetime.now(UTC)
        run.finished_at = now
        run.duration_s = (now - run.started_at).total_seconds()
        run.output = output
        if video_id is not None:
            run.video_id = video_id
        if error is None:
            run.status = "succeeded"
        else:
            run.status = "failed"
            run.error_class = type(error).__name__
            run.error_message = (str(error) or repr(error))[:MAX_ERROR_CHARS]


def fail_abandoned(session: Session, stage: str, older_than_s: float) -> int:
    """Mark attempts still 'running' after older_than_s as failed: their worker died without a word."""
    cutoff = datetime.now(UTC).timestamp() - older_than_s
    stale = session.scalars(
        select(StageRun).where(
            StageRun.stage == stage,
            StageRun.status == "running",
            StageRun.started_at < datetime.fromtimestamp(cutoff, UTC),
        )
    ).all()
    for run in stale:
        run.status = "failed"
        run.error_class = "AbandonedAttempt"
        run.error_message = f"still running after {older_than_s:.0f} s: the worker died or was killed"
        run.finished_at = datetime.now(UTC)
    return len(stale)


def failed_entities(session: Session, stage: str) -> list[StageRun]:
    """The latest attempt of each entity whose latest attempt at this stage failed (what backfill re-runs)."""
    latest = (
        select(StageRun.entity_key, func.max(StageRun.started_at).label("started_at"))
        .where(StageRun.stage == stage)
        .group_by(StageRun.entity_key)
        .subquery()
    )
    return list(
        session.scalars(
            select(StageRun)
            .join(
                latest,
                (StageRun.entity_key == latest.c.entity_key) & (StageRun.started_at == latest.c.started_at),
            )
            .where(StageRun.stage == stage, StageRun.status == "failed")
            .order_by(StageRun.started_at)
        )
    )
