"""Stage attempts and leases: claim (stage, entity) under a row lock, heartbeat it, record how it ended.

`stage_state` holds, per (stage, entity), what is stored now and who is working on it; `stage_run` holds
every attempt. All decisions are made under `SELECT ... FOR UPDATE` on the state row and on the database's
clock, so two workers never run the same stage on the same entity at once and attempt numbers never collide.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from ophin.db.models import StageRun, StageState
from ophin.db.session import session_scope
from ophin.domain.ids import make_id

MAX_ERROR_CHARS = 4000
# Statuses a later stage may build on: partial means some items failed and will be retried.
USABLE = ("succeeded", "partial")
# Where an attempt was started from, when an orchestrator started it: stored on its stage_run.
ORIGIN = ("dag_id", "run_id", "task_id", "map_index", "try_number")


@dataclass(frozen=True)
class AttemptKey:
    stage: str
    entity_type: str  # url | video | batch
    entity_key: str
    params_hash: str
    code_version: str
    input_digest: str

    @property
    def state_id(self) -> uuid.UUID:
        return make_id("stage_state", self.stage, self.entity_key)


@dataclass(frozen=True)
class Claimed:
    run_id: uuid.UUID
    attempt: int


@dataclass(frozen=True)
class UpToDate:
    """The stored output was produced by these params, this code and these inputs: nothing to do."""

    run_id: uuid.UUID | None
    output: dict[str, Any]


@dataclass(frozen=True)
class Busy:
    """A live worker holds the lease; wait for it and look again."""

    owner: str
    expires_at: datetime


def claim(
    factory: sessionmaker[Session],
    key: AttemptKey,
    *,
    worker: str,
    lease_s: float,
    params: dict[str, Any],
    runner: str,
    model_version: str | None = None,
    video_id: uuid.UUID | None = None,
    force: bool = False,
    still_valid: Callable[[dict[str, Any]], bool] | None = None,
    origin: dict[str, Any] | None = None,
) -> Claimed | UpToDate | Busy:
    """Skip, wait, or take the lease and open a new attempt, in one transaction."""
    with session_scope(factory) as session:
        session.execute(
            insert(StageState)
            .values(
                id=key.state_id,
                stage=key.stage,
                entity_type=key.entity_type,
                entity_key=key.entity_key,
                video_id=video_id,
                status="pending",
            )
            # No conflict target: the row is unique by id and by (stage, entity_key), and with a target only
            # the id conflict is waited for; two workers racing to create the row could then collide on the
            # other index (a unique violation, seen with two `ophin run` on a fresh database under load).
            .on_conflict_do_nothing()
        )
        state = session.scalars(
            select(StageState).where(StageState.id == key.state_id).with_for_update()
        ).one()
        now = session.scalar(select(func.now()))
        if state.lease_owner is not None:
            if state.lease_owner != worker and state.lease_expires_at and state.lease_expires_at > now:
                return Busy(state.lease_owner, state.lease_expires_at)
            _abandon(session, state, now)
        current = (state.params_hash, state.code_version, state.input_digest)
        if (
            not force
            and state.status == "succeeded"
            and current == (key.params_hash, key.code_version, key.input_digest)
            and (still_valid is None or still_valid(state.output or {}))
        ):
            return UpToDate(state.stage_run_id, state.output or {})
        previous = session.scalar(
            select(func.max(StageRun.attempt)).where(
                StageRun.stage == key.stage, StageRun.entity_key == key.entity_key
            )
        )
        attempt = (previous or 0) + 1
        run_id = make_id("stage_run", key.stage, key.entity_key, attempt)
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
                code_version=key.code_version,
                input_digest=key.input_digest,
                model_version=model_version,
                runner=runner,
                worker=worker,
                started_at=datetime.now(UTC),
                heartbeat_at=now,
                **{k: v for k, v in (origin or {}).items() if k in ORIGIN},
            )
        )
        state.status = "running"
        state.stage_run_id = run_id
        state.lease_owner = worker
        state.lease_expires_at = now + timedelta(seconds=lease_s)
        if video_id is not None:
            state.video_id = video_id
        return Claimed(run_id, attempt)


def heartbeat(
    factory: sessionmaker[Session], key: AttemptKey, run_id: uuid.UUID, worker: str, lease_s: float
) -> bool:
    """Extend the lease; False when it was lost (expired and taken by another worker)."""
    with session_scope(factory) as session:
        extended = session.execute(
            update(StageState)
            .where(StageState.id == key.state_id, StageState.lease_owner == worker)
            .values(lease_expires_at=func.now() + timedelta(seconds=lease_s))
        ).rowcount
        session.execute(update(StageRun).where(StageRun.id == run_id).values(heartbeat_at=func.now()))
    return bool(extended)


class LeaseLost(RuntimeError):
    """This worker's lease expired (it stalled past the lease) and another worker took the entity over."""


def finish(
    factory: sessionmaker[Session],
    key: AttemptKey,
    run_id: uuid.UUID,
    worker: str,
    *,
    status: str,
    output: dict[str, Any] | None = None,
    error: BaseException | None = None,
    video_id: uuid.UUID | None = None,
) -> None:
    """Close the attempt and, while this worker still holds the lease, record it as the entity's state."""
    with session_scope(factory) as session:
        state = session.scalars(
            select(StageState).where(StageState.id == key.state_id).with_for_update()
        ).one()
        run = session.get(StageRun, run_id)
        if run is None:
            raise LookupError(f"stage_run {run_id} vanished")
        lost = state.lease_owner != worker or state.stage_run_id != run_id
        if lost and error is None:
            error = LeaseLost(f"lease lost to {state.lease_owner or 'nobody'}; this attempt's result is void")
            status = "failed"
        now = datetime.now(UTC)
        run.status = status
        run.finished_at = now
        run.duration_s = (now - run.started_at).total_seconds()
        run.output = output
        if video_id is not None:
            run.video_id = video_id
        if error is not None:
            run.error_class = type(error).__name__
            run.error_message = (str(error) or repr(error))[:MAX_ERROR_CHARS]
        if not lost:  # the state belongs to whoever holds the lease now
            state.status = status
            state.params_hash = key.params_hash
            state.code_version = key.code_version
            state.input_digest = key.input_digest
            state.output = output
            state.lease_owner = None
            state.lease_expires_at = None
            if video_id is not None:
                state.video_id = video_id
    if isinstance(error, LeaseLost):  # a result that came back after the lease was gone: void
        raise error


def _abandon(session: Session, state: StageState, now: datetime) -> None:
    """The lease holder stopped heartbeating (killed, crashed host): its attempt failed."""
    if state.stage_run_id is not None:
        run = session.get(StageRun, state.stage_run_id)
        if run is not None and run.status == "running":
            run.status = "failed"
            run.error_class = "AbandonedAttempt"
            expired = f"{state.lease_expires_at:%H:%M:%S}" if state.lease_expires_at else "?"
            run.error_message = f"worker {run.worker} stopped heartbeating (lease expired at {expired} UTC)"
            run.finished_at = now
    if state.status == "running":
        state.status = "failed"
    state.lease_owner = None
    state.lease_expires_at = None


def fail_abandoned(session: Session, stage: str | None = None) -> int:
    """Mark every attempt whose lease expired as failed (its worker died without a word)."""
    now = session.scalar(select(func.now()))
    query = select(StageState).where(StageState.lease_owner.is_not(None), StageState.lease_expires_at < now)
    if stage is not None:
        query = query.where(StageState.stage == stage)
    stale = session.scalars(query.with_for_update(skip_locked=True)).all()
    for state in stale:
        _abandon(session, state, now)
    return len(stale)


def failed_entities(
    session: Session,
    stage: str | None = None,
    *,
    error_class: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    videos: list[uuid.UUID] | None = None,
) -> list[StageState]:
    """Entities whose current state is failed or partial: what backfill re-runs, narrowed by the stage, the
    error class of the attempt behind that state, when that attempt started, and the video."""
    query = (
        select(StageState)
        .join(StageRun, StageRun.id == StageState.stage_run_id)
        .where(StageState.status.in_(("failed", "partial")))
    )
    if stage is not None:
        query = query.where(StageState.stage == stage)
    if error_class is not None:
        query = query.where(StageRun.error_class == error_class)
    if since is not None:
        query = query.where(StageRun.started_at >= since)
    if until is not None:
        query = query.where(StageRun.started_at < until)
    if videos:
        query = query.where(StageState.video_id.in_(videos))
    return list(session.scalars(query.order_by(StageState.updated_at)))


def runs_failed_with(session: Session, run_ids: list[uuid.UUID | None], error_class: str) -> set[uuid.UUID]:
    """Those of the given attempts that failed with this error class."""
    wanted = [r for r in run_ids if r is not None]
    return set(
        session.scalars(
            select(StageRun.id).where(StageRun.id.in_(wanted), StageRun.error_class == error_class)
        )
    )


def video_states(session: Session, video_id: uuid.UUID, stages: tuple[str, ...]) -> dict[str, StageState]:
    """The current state of the given per-video stages of one video, by stage name."""
    rows = session.scalars(
        select(StageState).where(StageState.entity_key == str(video_id), StageState.stage.in_(stages))
    )
    return {row.stage: row for row in rows}
