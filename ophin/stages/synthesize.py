"""Stage 6, synthesize: kept pairs become VQA, multi-turn and chain-of-thought instructions."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import openai
from sqlalchemy import select

from ophin.db.models import Frame, Instruction, Pair, PairVerdict
from ophin.db.session import session_scope
from ophin.db.upsert import delete_stale, upsert
from ophin.domain.ids import instruction_id, params_hash
from ophin.llm.pool import Outcome, map_concurrent
from ophin.services import Services
from ophin.stages.base import Attempt, StageResult, Task, VideoStage
from ophin.stages.common import InputMissing, read_frame, visual_cue_texts
from ophin.synthesis.base import KINDS, GeneratedInstruction, PairContext
from ophin.synthesis.offline import applicable_kinds
from ophin.synthesis.reading import clean_cues

STAGE = "synthesize"
UPSTREAM = ("cues",)  # the stages whose rows this one reads
VERSION = "5"  # 2: failed items make the attempt partial, retried alone; 3: concurrent requests, provenance;
# 4: the frame's modality in the context, only the kinds the narration supports, citations kept;
# 5: a pair whose narration teaches nothing (no finding, diagnosis or appearance) gets no instruction
# Errors that sink one item (malformed output is a ValueError, transport errors are OpenAIError);
# anything else is a bug and fails the whole stage.
ITEM_ERRORS: tuple[type[BaseException], ...] = (ValueError, openai.OpenAIError, InputMissing)


@dataclass(frozen=True)
class SynthesisParams:
    # The generator's config(): model, sampling and prompt text all change what is written.
    generator: dict[str, Any] = field(default_factory=dict)
    kinds: tuple[str, ...] = KINDS


def pair_context(session: Any, pair: Pair, modality: str | None = None) -> PairContext:
    cues = visual_cue_texts(session, pair.id)
    return PairContext(pair_id=str(pair.id), cues=tuple(cues), transcript=pair.text, modality=modality)


def _generated(outcome: Outcome[GeneratedInstruction]) -> dict[str, Any]:
    if outcome.error is not None:
        if not isinstance(outcome.error, ITEM_ERRORS):
            raise outcome.error
        call = getattr(outcome.error, "call", None)  # a reply that never validated: its raw text is kept
        return {
            "turns": None,
            "prompt_version": None,
            "status": "failed",
            "error": f"{type(outcome.error).__name__}: {outcome.error}"[:2000],
            "llm": call.as_json() if call is not None else None,
        }
    out = outcome.value
    assert out is not None  # noqa: S101 - type narrowing: a failed outcome returned above
    turns: list[dict[str, Any]] = [{"role": t.role, "text": t.text} for t in out.turns]
    if out.citations:  # the relations the answer states, with their sources, on the turn that states them
        turns[-1]["cites"] = [asdict(c) for c in out.citations]
    return {
        "turns": turns,
        "prompt_version": out.prompt_version,
        "status": "generated",
        "error": None,
        "llm": out.llm.as_json() if out.llm is not None else None,
    }


def synthesize_instructions(
    vid: uuid.UUID, params: SynthesisParams, *, svc: Services, force: bool = False
) -> StageResult:
    generator = svc.generator
    phash = params_hash(params)
    vision = svc.llm is not None and svc.llm.vision
    # The generator's derived_diagnoses setting: under "narrated" a CoT needs a usable meaning.
    derived = str(params.generator.get("derived_diagnoses", "narrated"))

    def work(attempt: Attempt) -> dict[str, Any]:
        with session_scope(svc.sessions) as session:
            pairs = session.execute(
                select(Pair, Frame.object_key, Frame.sha256, Frame.modality)
                .join(Frame, Frame.id == Pair.frame_id)
                .join(PairVerdict, PairVerdict.pair_id == Pair.id)
                .where(Pair.video_id == vid, PairVerdict.status == "kept")
                .order_by(Pair.start_s)
            ).all()
            contexts = [(p, key, sha, pair_context(session, p, modality)) for p, key, sha, modality in pairs]
            of_video = Instruction.pair_id.in_(select(Pair.id).where(Pair.video_id == vid))
            # Same id = same pair, kind, params and context: what already came out well is not paid for twice.
            done = set(
                session.scalars(select(Instruction.id).where(of_video, Instruction.status == "generated"))
            )
        todo, keep = [], []
        unreadable: dict[uuid.UUID, InputMissing] = {}  # pair id -> why its frame cannot go to the model
        for pair, frame_key, frame_sha, ctx in contexts:
            if vision:
                try:
                    ctx = replace(ctx, image=read_frame(svc.store, frame_key, frame_sha))
                except InputMissing as exc:
                    unreadable[pair.id] = exc
            # Only the kinds the narration supports, whichever generator writes them (no conversation under
            # three findings, no CoT or VQA with nothing to teach). No usable cue at all: every kind is asked,
            # and fails on its own row with the reason.
            supported = applicable_kinds(ctx, params.kinds, derived)
            for kind in supported if clean_cues(ctx.cues) else params.kinds:
                iid = instruction_id(
                    pair.id, kind, params_hash([phash, ctx.cues, ctx.transcript, ctx.modality])
                )
                keep.append(iid)
                if force or iid not in done:
                    todo.append((iid, pair, ctx, kind))

        def generate(item: tuple[uuid.UUID, Pair, PairContext, str]) -> GeneratedInstruction:
            if item[1].id in unreadable:  # fails this pair's items on their own rows
                raise unreadable[item[1].id]
            return generator.generate(item[2], item[3])

        # Outside the transaction and concurrently: each instruction is one model request.
        outcomes = map_concurrent(generate, todo, svc.llm.max_in_flight if svc.llm else 1)
        rows = [
            {
                "id": iid,
                "pair_id": pair.id,
                "frame_id": pair.frame_id,
                "kind": kind,
                "params_hash": phash,
                "generator": f"{generator.name}/{generator.version}",
                "model": generator.model,
                **_generated(outcome),
            }
            for (iid, pair, _, kind), outcome in zip(todo, outcomes, strict=True)
        ]
        with session_scope(svc.sessions) as session:
            upsert(session, Instruction, rows)
            delete_stale(session, Instruction, of_video, keep)
        failed = sum(r["status"] == "failed" for r in rows)
        return {
            "instructions": len(keep) - failed,
            "generated": len(rows) - failed,
            "reused": len(keep) - len(rows),
            "failed": failed,
        }

    return SPEC.run(svc, vid, params, work, force=force, model_version=generator.model)


def params_from(svc: Services) -> SynthesisParams:
    return SynthesisParams(svc.generator.config())


SPEC = VideoStage(
    name=STAGE, version=VERSION, upstream=UPSTREAM, function=synthesize_instructions, params=params_from,
    reads=("pair", "pair_verdict", "visual_cue", "frame"), writes=("instruction",),
    task=Task("synthesize_instructions", gate="gate_synthesis", pool="llm", queue="gpu"),
)  # fmt: skip
