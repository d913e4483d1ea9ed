"""Stage 5, separate visual cues: score every sentence of each pair; keep pairs that describe the image."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select

from ophin.cues.base import split_sentences
from ophin.cues.clauses import split_clauses
from ophin.db.models import Pair, VisualCue
from ophin.db.session import session_scope
from ophin.db.upsert import delete_stale, upsert
from ophin.domain.ids import cue_id, params_hash
from ophin.services import Services
from ophin.stages.base import Attempt, StageResult, run_on_video

STAGE = "cues"
UPSTREAM = ("pair",)  # the stages whose rows this one reads
VERSION = "2"  # 2: sentences refined (mis-heard terms corrected) before scoring; raw text kept


@dataclass(frozen=True)
class CueParams:
    scorer: str
    threshold: float
    min_cues_per_pair: int = 1
    refiner: str = "none"  # name/version of the transcript refiner: its data changes what is stored


def sentences(text: str) -> list[str]:
    return [clause for sentence in split_sentences(text) for clause in split_clauses(sentence)]


def separate_visual_cues(
    vid: uuid.UUID, params: CueParams, *, svc: Services, force: bool = False
) -> StageResult:
    scorer, refiner = svc.cue_scorer, svc.refiner
    phash = params_hash(params)

    def work(attempt: Attempt) -> dict[str, Any]:
        n_cues = n_kept = n_corrections = 0
        with session_scope(svc.sessions) as session:
            pairs = list(session.scalars(select(Pair).where(Pair.video_id == vid).order_by(Pair.start_s)))
            for pair in pairs:
                if pair.status == "dropped" and pair.n_cues is None:
                    continue  # dropped upstream (no speech): nothing to score
                # The window is the context: a term named in one sentence licenses a fix in the next.
                refined = [refiner.refine(sentence, context=pair.text) for sentence in sentences(pair.text)]
                verdicts = scorer.score([r.text for r in refined])
                rows = [
                    {
                        "id": cue_id(pair.id, i, phash),
                        "pair_id": pair.id,
                        "sentence_index": i,
                        "text": v.sentence,
                        "raw_text": r.raw,
                        "corrections": [asdict(c) for c in r.corrections] or None,
                        "is_visual": v.is_visual,
                        "score": round(v.score, 4),
                        "reason": v.reason,
                        "scorer": f"{scorer.name}/{scorer.version}",
                        "params_hash": phash,
                    }
                    for i, (r, v) in enumerate(zip(refined, verdicts, strict=True))
                ]
                n_corrections += sum(len(r.corrections) for r in refined)
                upsert(session, VisualCue, rows)
                delete_stale(session, VisualCue, VisualCue.pair_id == pair.id, [r["id"] for r in rows])
                visual = [v for v in verdicts if v.is_visual]
                pair.n_cues = len(visual)
                pair.cue_score = max((v.score for v in verdicts), default=0.0)
                if len(visual) >= params.min_cues_per_pair:
                    pair.status, pair.drop_reason = "kept", None
                    n_kept += 1
                else:
                    pair.status = "dropped"
                    pair.drop_reason = (
                        f"{len(visual)} visual-cue sentence(s) < {params.min_cues_per_pair} "
                        f"(best score {pair.cue_score:.2f})"
                    )
                n_cues += len(visual)
        return {"pairs_kept": n_kept, "visual_cues": n_cues, "corrections": n_corrections}

    return run_on_video(
        svc,
        vid,
        stage=STAGE,
        version=VERSION,
        params=params,
        work=work,
        upstream=UPSTREAM,
        model_version=f"{scorer.name}/{scorer.version}",
        force=force,
    )
