"""Stage 5, separate visual cues: score every sentence of each pair; keep pairs that describe the image."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, replace
from typing import Any

import openai
from sqlalchemy import select

from ophin.cues.base import CueContext, CueVerdict, split_sentences
from ophin.cues.clauses import split_clauses
from ophin.cues.lexicon import FRAME_MODALITIES
from ophin.db.models import Frame, Pair, PairVerdict, TranscriptSegment, VisualCue
from ophin.db.session import session_scope
from ophin.db.upsert import delete_stale, upsert
from ophin.domain.ids import cue_id, params_hash
from ophin.llm.pool import map_concurrent
from ophin.refine.base import Refined
from ophin.refine.confidence import refine_window
from ophin.services import Services
from ophin.stages.base import Attempt, StageResult, Task, VideoStage
from ophin.stages.common import InputMissing, read_frame

STAGE = "cues"
UPSTREAM = ("pair",)  # the stages whose rows this one reads
VERSION = (
    "3"  # 2: sentences refined before scoring, raw text kept; 3: pairs scored concurrently, LLM provenance
)
# A model that could not answer sinks one pair (the attempt is partial); anything else is a bug.
ITEM_ERRORS: tuple[type[BaseException], ...] = (ValueError, openai.OpenAIError, InputMissing)


@dataclass(frozen=True)
class CueParams:
    scorer: str
    threshold: float
    min_cues_per_pair: int = 1
    refiner: str = "none"  # name/version of the transcript refiner: its data changes what is stored


def sentences(text: str) -> list[str]:
    return [clause for sentence in split_sentences(text) for clause in split_clauses(sentence)]


@dataclass(frozen=True)
class _Scored:
    refined: list[Refined]
    verdicts: list[CueVerdict]


# A pair to score: id, text, its frame's object key, checksum and modality, its transcript segments.
Row = tuple[uuid.UUID, str, str | None, str | None, list[uuid.UUID] | None, str | None]


def separate_visual_cues(
    vid: uuid.UUID, params: CueParams, *, svc: Services, force: bool = False
) -> StageResult:
    scorer, refiner = svc.cue_scorer, svc.refiner
    phash = params_hash(params)
    vision = svc.llm is not None and svc.llm.vision

    heard: dict[uuid.UUID, list[tuple[str, float | None]]] = {}  # segment -> its words and probabilities

    def score_pair(item: Row) -> _Scored:
        _, text, frame_key, frame_sha, segment_ids, modality = item
        # The window is the context: a term named in one sentence licenses a fix in the next; the words'
        # probabilities let the refiner doubt a real word heard with low confidence. The frame is context
        # too: narration over a clinical image (a visual field, a slit-lamp photograph) is clinical even
        # where no term survived hearing ("a dense superior arculate catoma").
        words = [w for sid in segment_ids or () for w in heard.get(sid, ())]
        context = f"{text} ({FRAME_MODALITIES[modality]})" if modality in FRAME_MODALITIES else text
        refined = refine_window(refiner, sentences(text), context, words)
        image = read_frame(svc.store, frame_key, frame_sha) if vision and frame_key else None
        verdicts = scorer.score([r.text for r in refined], CueContext(text, image))
        # A sentence with a doubtful word no rule could settle never becomes a target; the reason is kept.
        verdicts = [
            replace(v, is_visual=False, reason=f"dropped: {r.dropped}") if r.dropped else v
            for r, v in zip(refined, verdicts, strict=True)
        ]
        return _Scored(refined, verdicts)

    def work(attempt: Attempt) -> dict[str, Any]:
        n_cues = n_kept = n_corrections = n_failed = 0
        with session_scope(svc.sessions) as session:
            todo = session.execute(
                select(Pair.id, Pair.text, Frame.object_key, Frame.sha256, Pair.segment_ids, Frame.modality)
                .outerjoin(Frame, Frame.id == Pair.frame_id)
                .where(Pair.video_id == vid, Pair.status == "paired")
                .order_by(Pair.start_s)
            ).all()  # a pair dropped upstream (no speech) has nothing to score
            segments = session.execute(
                select(TranscriptSegment.id, TranscriptSegment.words).where(TranscriptSegment.video_id == vid)
            ).all()
            heard.update({sid: [(w["word"], w.get("p")) for w in words or ()] for sid, words in segments})
        # Outside the transaction: a model may take seconds per pair, and pairs are asked about concurrently.
        outcomes = map_concurrent(score_pair, todo, svc.llm.max_in_flight if svc.llm else 1)
        with session_scope(svc.sessions) as session:
            verdicts_of_pairs = []
            for (pair_id, *_), outcome in zip(todo, outcomes, strict=True):
                if outcome.error is not None:
                    if not isinstance(outcome.error, ITEM_ERRORS):
                        raise outcome.error
                    # Its old cues stay until it is scored again (the next run or a backfill retries it).
                    reason = f"cue scoring failed: {type(outcome.error).__name__}: {outcome.error}"[:2000]
                    verdicts_of_pairs.append(_verdict(pair_id, vid, "failed", reason))
                    n_failed += 1
                    continue
                assert outcome.value is not None  # noqa: S101 - type narrowing: failed outcomes continued above
                refined, verdicts = outcome.value.refined, outcome.value.verdicts
                rows = [
                    {
                        "id": cue_id(pair_id, i, phash),
                        "pair_id": pair_id,
                        "sentence_index": i,
                        "text": v.sentence,
                        "raw_text": r.raw,
                        "corrections": [asdict(c) for c in r.corrections] or None,
                        "is_visual": v.is_visual,
                        "score": round(v.score, 4),
                        "reason": v.reason,
                        "scorer": f"{scorer.name}/{scorer.version}",
                        "model": v.model,
                        "prompt_version": v.prompt_version,
                        "llm": v.llm.as_json() if v.llm is not None else None,
                        "params_hash": phash,
                    }
                    for i, (r, v) in enumerate(zip(refined, verdicts, strict=True))
                ]
                n_corrections += sum(len(r.corrections) for r in refined)
                upsert(session, VisualCue, rows)
                delete_stale(session, VisualCue, VisualCue.pair_id == pair_id, [r["id"] for r in rows])
                visual = sum(v.is_visual for v in verdicts)
                best = max((v.score for v in verdicts), default=0.0)
                if visual >= params.min_cues_per_pair:
                    verdicts_of_pairs.append(_verdict(pair_id, vid, "kept", None, visual, best))
                    n_kept += 1
                else:
                    minimum = params.min_cues_per_pair
                    reason = f"{visual} visual-cue sentence(s) < {minimum} (best score {best:.2f})"
                    verdicts_of_pairs.append(_verdict(pair_id, vid, "dropped", reason, visual, best))
                n_cues += visual
            upsert(session, PairVerdict, verdicts_of_pairs, key=("pair_id",))
            # A pair no longer paired (the pair stage dropped it since) keeps no verdict of an earlier run.
            scored = [v["pair_id"] for v in verdicts_of_pairs]
            delete_stale(session, PairVerdict, PairVerdict.video_id == vid, scored, key="pair_id")
        return {"pairs_kept": n_kept, "visual_cues": n_cues, "corrections": n_corrections, "failed": n_failed}

    return SPEC.run(svc, vid, params, work, force=force, model_version=f"{scorer.name}/{scorer.version}")


def _verdict(
    pair_id: uuid.UUID,
    vid: uuid.UUID,
    status: str,
    reason: str | None,
    n_cues: int | None = None,
    cue_score: float | None = None,
) -> dict[str, Any]:
    return {
        "pair_id": pair_id,
        "video_id": vid,
        "status": status,
        "reason": reason,
        "n_cues": n_cues,
        "cue_score": cue_score,
    }


def params_from(svc: Services) -> CueParams:
    c = svc.settings.cues
    refiner, scorer = svc.refiner, svc.cue_scorer
    return CueParams(
        f"{scorer.name}/{scorer.version}",
        c.threshold,
        c.min_cues_per_pair,
        f"{refiner.name}/{refiner.version}",
    )


# Cue scoring, synthesis and verification may ask a model server (the LLM scorer and judge): the llm pool
# bounds how many videos do at once; each keeps up to OPHIN_LLM__MAX_IN_FLIGHT requests in flight.
SPEC = VideoStage(
    name=STAGE, version=VERSION, upstream=UPSTREAM, function=separate_visual_cues, params=params_from,
    reads=("pair", "transcript_segment", "frame"), writes=("visual_cue", "pair_verdict"),
    task=Task("pair_and_separate_cues", gate="gate_pairs_cues", pool="llm"),
)  # fmt: skip
