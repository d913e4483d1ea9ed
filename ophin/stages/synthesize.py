"""Stage 6, synthesize: kept pairs become VQA, multi-turn and chain-of-thought instructions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import openai
from sqlalchemy import select

from ophin.db.models import Instruction, Pair
from ophin.db.session import session_scope
from ophin.db.upsert import delete_stale, upsert
from ophin.domain.ids import instruction_id, params_hash
from ophin.services import Services
from ophin.stages.base import StageResult, run_on_video
from ophin.stages.common import visual_cue_texts
from ophin.synthesis.base import KINDS, PairContext

STAGE = "synthesize"
VERSION = "1"
# Errors that sink one item (malformed output is a ValueError, transport errors are OpenAIError);
# anything else is a bug and fails the whole stage.
ITEM_ERRORS: tuple[type[BaseException], ...] = (ValueError, openai.OpenAIError)


@dataclass(frozen=True)
class SynthesisParams:
    generator: str
    kinds: tuple[str, ...] = KINDS


def pair_context(session: Any, pair: Pair) -> PairContext:
    cues = visual_cue_texts(session, pair.id)
    return PairContext(pair_id=str(pair.id), cues=tuple(cues), transcript=pair.text)


def synthesize_instructions(
    vid: uuid.UUID, params: SynthesisParams, *, svc: Services, force: bool = False
) -> StageResult:
    generator = svc.generator
    phash = params_hash({**vars(params), "version": generator.version})

    def work() -> dict[str, Any]:
        rows, failed = [], 0
        with session_scope(svc.sessions) as session:
            pairs = session.scalars(
                select(Pair).where(Pair.video_id == vid, Pair.status == "kept").order_by(Pair.start_s)
            ).all()
            contexts = [(p, pair_context(session, p)) for p in pairs]
        for pair, ctx in contexts:  # outside the transaction: an LLM call may take seconds
            for kind in params.kinds:
                row = {
                    "id": instruction_id(pair.id, kind, phash),
                    "pair_id": pair.id,
                    "frame_id": pair.frame_id,
                    "kind": kind,
                    "params_hash": phash,
                    "generator": f"{generator.name}/{generator.version}",
                    "fingerprint": None,
                    "reject_reasons": None,
                }
                try:
                    out = generator.generate(ctx, kind)  # type: ignore[arg-type]
                    row |= {
                        "turns": [{"role": t.role, "text": t.text} for t in out.turns],
                        "prompt_version": out.prompt_version,
                        "status": "generated",
                        "error": None,
                    }
                except ITEM_ERRORS as exc:
                    failed += 1
                    row |= {
                        "turns": None,
                        "prompt_version": None,
                        "status": "failed",
                        "error": f"{type(exc).__name__}: {exc}"[:2000],
                    }
                rows.append(row)
        with session_scope(svc.sessions) as session:
            upsert(session, Instruction, rows)
            of_video = Instruction.pair_id.in_(select(Pair.id).where(Pair.video_id == vid))
            delete_stale(session, Instruction, of_video, [r["id"] for r in rows])
        return {"instructions": len(rows) - failed, "failed": failed}

    return run_on_video(
        svc,
        vid,
        stage=STAGE,
        version=VERSION,
        params=params,
        work=work,
        model_version=f"{generator.name}/{generator.version}",
        force=force,
    )
