"""Stage 6, synthesize: kept pairs become VQA, multi-turn and chain-of-thought instructions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import openai
from sqlalchemy import select

from ophin.db.models import Instruction, Pair
from ophin.db.session import session_scope
from ophin.db.upsert import delete_stale, upsert
from ophin.domain.ids import instruction_id, params_hash
from ophin.services import Services
from ophin.stages.base import Attempt, StageResult, run_on_video
from ophin.stages.common import visual_cue_texts
from ophin.synthesis.base import KINDS, InstructionGenerator, PairContext

STAGE = "synthesize"
UPSTREAM = ("cues",)  # the stages whose rows this one reads
VERSION = "2"  # 2: failed items make the attempt partial and are retried alone
# Errors that sink one item (malformed output is a ValueError, transport errors are OpenAIError);
# anything else is a bug and fails the whole stage.
ITEM_ERRORS: tuple[type[BaseException], ...] = (ValueError, openai.OpenAIError)
DONE = ("generated", "accepted", "rejected")


@dataclass(frozen=True)
class SynthesisParams:
    # The generator's config(): model, sampling and prompt text all change what is written.
    generator: dict[str, Any] = field(default_factory=dict)
    kinds: tuple[str, ...] = KINDS


def pair_context(session: Any, pair: Pair) -> PairContext:
    cues = visual_cue_texts(session, pair.id)
    return PairContext(pair_id=str(pair.id), cues=tuple(cues), transcript=pair.text)


def _generate(generator: InstructionGenerator, ctx: PairContext, kind: str) -> dict[str, Any]:
    try:
        out = generator.generate(ctx, kind)  # type: ignore[arg-type]
    except ITEM_ERRORS as exc:
        return {
            "turns": None,
            "prompt_version": None,
            "status": "failed",
            "error": f"{type(exc).__name__}: {exc}"[:2000],
        }
    return {
        "turns": [{"role": t.role, "text": t.text} for t in out.turns],
        "prompt_version": out.prompt_version,
        "status": "generated",
        "error": None,
    }


def synthesize_instructions(
    vid: uuid.UUID, params: SynthesisParams, *, svc: Services, force: bool = False
) -> StageResult:
    generator = svc.generator
    phash = params_hash(params)

    def work(attempt: Attempt) -> dict[str, Any]:
        with session_scope(svc.sessions) as session:
            pairs = session.scalars(
                select(Pair).where(Pair.video_id == vid, Pair.status == "kept").order_by(Pair.start_s)
            ).all()
            contexts = [(p, pair_context(session, p)) for p in pairs]
            of_video = Instruction.pair_id.in_(select(Pair.id).where(Pair.video_id == vid))
            # Same id = same pair, kind, params and context: what already came out well is not paid for twice.
            done = set(session.scalars(select(Instruction.id).where(of_video, Instruction.status.in_(DONE))))
        rows, keep, reused = [], [], 0
        for pair, ctx in contexts:  # outside the transaction: an LLM call may take seconds
            for kind in params.kinds:
                iid = instruction_id(pair.id, kind, params_hash([phash, ctx.cues, ctx.transcript]))
                keep.append(iid)
                if iid in done and not force:
                    reused += 1
                    continue
                rows.append(
                    {
                        "id": iid,
                        "pair_id": pair.id,
                        "frame_id": pair.frame_id,
                        "kind": kind,
                        "params_hash": phash,
                        "generator": f"{generator.name}/{generator.version}",
                        "model": generator.model,
                        "fingerprint": None,
                        "reject_reasons": None,
                        **_generate(generator, ctx, kind),
                    }
                )
        with session_scope(svc.sessions) as session:
            upsert(session, Instruction, rows)
            delete_stale(session, Instruction, of_video, keep)
        failed = sum(r["status"] == "failed" for r in rows)
        return {
            "instructions": len(keep) - failed,
            "generated": len(rows) - failed,
            "reused": reused,
            "failed": failed,
        }

    return run_on_video(
        svc,
        vid,
        stage=STAGE,
        version=VERSION,
        params=params,
        work=work,
        upstream=UPSTREAM,
        model_version=generator.model,
        force=force,
    )
