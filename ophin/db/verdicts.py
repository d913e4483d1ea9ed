"""How a reader sees a row that a later stage decided on. Each decision lives in the deciding stage's own
table (pair_verdict: the cue stage's; instruction_verdict: verification's), so a row's status as a
reader means it is the later stage's verdict where there is one, else the row's own status.

Outer-join the verdict (`.outerjoin(PairVerdict, PAIR_VERDICT)`) before reading these."""

from __future__ import annotations

from sqlalchemy import func

from ophin.db.models import Instruction, InstructionVerdict, Pair, PairVerdict

PAIR_VERDICT = PairVerdict.pair_id == Pair.id
INSTRUCTION_VERDICT = InstructionVerdict.instruction_id == Instruction.id

# paired (not scored yet) | dropped (no speech, or too few cues) | kept | failed
PAIR_STATUS = func.coalesce(PairVerdict.status, Pair.status)
PAIR_DROP_REASON = func.coalesce(PairVerdict.reason, Pair.drop_reason)
# generated (not verified yet) | failed | accepted | rejected
INSTRUCTION_STATUS = func.coalesce(InstructionVerdict.status, Instruction.status)
