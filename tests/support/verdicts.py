"""Tests read and write the later stages' decisions (pair_verdict, instruction_verdict) through these."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ophin.db.models import Instruction, InstructionVerdict, Pair, PairVerdict
from ophin.db.verdicts import INSTRUCTION_STATUS, INSTRUCTION_VERDICT, PAIR_STATUS, PAIR_VERDICT


def instruction_statuses(session: Session, *where: Any) -> dict[uuid.UUID, str]:
    """Instruction id -> its status as readers see it (accepted | rejected | generated | failed)."""
    query = select(Instruction.id, INSTRUCTION_STATUS).outerjoin(InstructionVerdict, INSTRUCTION_VERDICT)
    return dict(session.execute(query.where(*where)).all())  # type: ignore[arg-type]


def pair_statuses(session: Session, *where: Any) -> dict[uuid.UUID, str]:
    """Pair id -> its status as readers see it (kept | dropped | failed | paired)."""
    query = select(Pair.id, PAIR_STATUS).outerjoin(PairVerdict, PAIR_VERDICT)
    return dict(session.execute(query.where(*where)).all())  # type: ignore[arg-type]


def accepted_ids(session: Session) -> list[uuid.UUID]:
    query = select(InstructionVerdict.instruction_id).where(InstructionVerdict.status == "accepted")
    return list(session.scalars(query.order_by(InstructionVerdict.instruction_id)))


def reasons_of(session: Session) -> dict[uuid.UUID, list[str]]:
    """Instruction id -> verification's reject reasons (only the rejected)."""
    rows = session.execute(
        select(InstructionVerdict.instruction_id, InstructionVerdict.reject_reasons).where(
            InstructionVerdict.status == "rejected"
        )
    )
    return {iid: reasons or [] for iid, reasons in rows}


def verdict(instruction_id: uuid.UUID, status: str, reasons: list[Any] | None = None) -> InstructionVerdict:
    """A verification verdict for a test's own instruction row (keys made from its id)."""
    key = hashlib.sha256(str(instruction_id).encode()).hexdigest()
    made = InstructionVerdict(instruction_id=instruction_id, status=status, fingerprint=key, near_key=key)
    if reasons is not None:  # else SQL NULL, as verify leaves an accepted one (not a JSON null)
        made.reject_reasons = reasons
    return made


def set_instruction_status(
    session: Session, instruction_id: uuid.UUID, status: str, reasons: Any = None
) -> None:
    """Give an instruction verification's verdict (accepted | rejected), as if verify had decided it."""
    found = session.get(InstructionVerdict, instruction_id)
    if found is None:
        session.add(verdict(instruction_id, status, reasons))
    else:
        found.status, found.reject_reasons = status, reasons
    session.flush()
