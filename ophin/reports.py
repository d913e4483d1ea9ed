"""Read-only summaries of the metadata database for `ophin status` and the demo."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ophin.db.models import (
    Clip,
    Frame,
    Instruction,
    InstructionVerdict,
    Pair,
    PairVerdict,
    QualityRun,
    Release,
    StageRun,
    StageState,
    TranscriptSegment,
    Video,
    VisualCue,
)


def _count(session: Session, *where: Any, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def counts(session: Session) -> dict[str, Any]:
    # Each from its own table's status index (synthesis's outcome, verification's verdict): no join.
    by_status = dict(
        session.execute(select(Instruction.status, func.count()).group_by(Instruction.status)).all()
    ) | dict(
        session.execute(
            select(InstructionVerdict.status, func.count()).group_by(InstructionVerdict.status)
        ).all()
    )
    runs = session.execute(
        select(StageRun.stage, StageRun.status, func.count()).group_by(StageRun.stage, StageRun.status)
    ).all()
    stage_runs: dict[str, dict[str, int]] = {}
    for stage, status, n in runs:
        stage_runs.setdefault(stage, {})[status] = n
    stages: dict[str, dict[str, int]] = {}  # where every entity stands now, by stage
    for stage, status, n in session.execute(
        select(StageState.stage, StageState.status, func.count()).group_by(
            StageState.stage, StageState.status
        )
    ).all():
        stages.setdefault(stage, {})[status] = n
    return {
        "videos": _count(session, model=Video),
        "clips": _count(session, model=Clip),
        "frames": _count(session, model=Frame),
        "frames_kept": _count(session, Frame.kept, model=Frame),
        "segments": _count(session, model=TranscriptSegment),
        "pairs": _count(session, model=Pair),
        "pairs_kept": _count(session, PairVerdict.status == "kept", model=PairVerdict),
        "visual_cues": _count(session, VisualCue.is_visual, model=VisualCue),
        "sentences": _count(session, model=VisualCue),
        "instructions": by_status.get("generated", 0) + by_status.get("failed", 0),
        "instructions_accepted": by_status.get("accepted", 0),
        "instructions_rejected": by_status.get("rejected", 0),
        "instructions_failed": by_status.get("failed", 0),
        "quality_runs": _count(session, model=QualityRun),
        "quality_runs_failed": _count(session, QualityRun.success.is_(False), model=QualityRun),
        "releases": _count(session, model=Release),
        "stage_runs": stage_runs,
        "stages": stages,
    }


def latest_gates(session: Session, limit: int = 10) -> list[dict[str, Any]]:
    """The latest gate verdicts, newest first: which stage, which batch, passed or why not."""
    rows = session.scalars(select(QualityRun).order_by(QualityRun.checked_at.desc()).limit(limit))
    return [
        {
            "stage": r.stage,
            "batch": r.batch_key,
            "success": r.success,
            "checked_at": r.checked_at,
            "summary": r.summary,
        }
        for r in rows
    ]


def recent_failures(session: Session, limit: int = 10) -> list[dict[str, Any]]:
    """The latest failed or partial attempts (a partial one's items failed and will be retried)."""
    rows = session.scalars(
        select(StageRun)
        .where(StageRun.status.in_(("failed", "partial")))
        .order_by(StageRun.started_at.desc())
        .limit(limit)
    )
    return [
        {
            "stage": r.stage,
            "status": r.status,
            "entity": r.entity_key,
            "attempt": r.attempt,
            "error_class": r.error_class or "ItemsFailed",
            "error": r.error_message or f"{(r.output or {}).get('failed', '?')} item(s) failed",
        }
        for r in rows
    ]


def crawl_summary(session: Session, limit: int = 5) -> dict[str, Any]:
    """Sources, the archive by candidate status, and the latest crawl runs (newest first)."""
    from ophin.db.crawl_models import CrawlCandidate, CrawlRun, Source

    by_status = dict(
        session.execute(select(CrawlCandidate.status, func.count()).group_by(CrawlCandidate.status)).all()
    )
    runs = session.scalars(select(CrawlRun).order_by(CrawlRun.started_at.desc()).limit(limit))
    return {
        "sources": _count(session, model=Source),
        "sources_enabled": _count(session, Source.enabled.is_(True), model=Source),
        "candidates": by_status,
        "runs": [
            {
                "id": str(r.id),
                "status": r.status,
                "started_at": r.started_at,
                "counts": r.counts,
                "rejected": r.rejected,
                "error": r.error,
            }
            for r in runs
        ],
    }
