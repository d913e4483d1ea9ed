"""A small lineage database built through the ORM, every figure of the report countable by hand.

Three videos: A (found by a crawl source, channel "Chan1", 2 min, two clips), B (a URL, "Chan1", 1 min, one
clip), C (a URL, no channel, 5 min, no clip: its transcription failed). Six frames, two kept (a colour
fundus of A, an OCT of B); five pairs, two kept; five cue sentences, two visual; six instructions: two
accepted, two rejected, one failed, one not yet verified. The comments beside each row say what it counts for.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from ophin.db.crawl_models import Source
from ophin.db.models import (
    Clip,
    Frame,
    Instruction,
    Pair,
    PairVerdict,
    StageRun,
    StageState,
    Verification,
    Video,
    VisualCue,
)
from ophin.domain.ids import make_id
from tests.support.verdicts import verdict

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def rid(*parts: object) -> uuid.UUID:
    return make_id("report-test", *parts)


@dataclass(frozen=True)
class Built:
    source: uuid.UUID
    videos: dict[str, uuid.UUID]
    frames: dict[str, uuid.UUID]
    instructions: dict[str, uuid.UUID]


def _frame(name: str, video: str, clip: str, **kw: object) -> Frame:
    defaults: dict[str, object] = dict(
        t_s=1.0, width=64, height=48, phash="0" * 16, params_hash="p", face_count=0, scores={},
        object_key=f"frames/{name}.jpg", clipped_fraction=0.01, text_fraction=0.0,
    )  # fmt: skip
    defaults |= kw
    return Frame(id=rid("frame", name), video_id=rid("video", video), clip_id=rid("clip", clip), **defaults)


def build(session: Session) -> Built:
    source = Source(
        id=rid("source"), kind="youtube_search", target="glaucoma", name="Glaucoma search", max_items=5
    )
    session.add(source)
    session.add_all(
        [
            Video(id=rid("video", "A"), url="https://example.org/a", title="Lecture A", channel="Chan1",
                  duration_s=120.0, discovered_via=f"source:{source.id}"),
            Video(id=rid("video", "B"), url="https://example.org/b", title="Lecture B", channel="Chan1",
                  duration_s=60.0, discovered_via="url"),
            Video(id=rid("video", "C"), url="https://example.org/c", title="Lecture C", channel=None,
                  duration_s=300.0, discovered_via="url"),
        ]
    )  # fmt: skip
    session.flush()
    session.add_all(
        [
            Clip(
                id=rid("clip", c), video_id=rid("video", v), index=i, start_s=0.0, end_s=10.0, params_hash="p"
            )
            for c, v, i in (("A0", "A", 0), ("A1", "A", 1), ("B0", "B", 0))
        ]
    )
    session.flush()
    f5 = rid("frame", "f5")
    session.add_all(
        [
            # kept; sharpness 50 lies past the sharpness axis (its 99th percentile is 49)
            _frame("f1", "A", "A0", kept=True, modality="colour_fundus", sharpness=50.0, exposure=0.5,
                   clinical_score=0.9),
            # dropped: too blurred; exposure 0.95 is the one exposure past max_exposure 0.92
            _frame("f2", "A", "A0", kept=False, drop_reason="too blurred: sharpness 0.4 < 1.0",
                   modality="colour_fundus", sharpness=0.4, exposure=0.95, clinical_score=0.8),
            _frame("f3", "A", "A1", kept=False, drop_reason="too blurred: sharpness 0.7 < 1.0",
                   modality="colour_fundus", sharpness=0.7, exposure=0.5, clinical_score=0.8),
            # the face is the subject (6 % >= face_subject_fraction 2 %); clinical 0.2 < 0.5; its redaction
            # hides 35 % of the picture (> max_redacted_fraction 10 %)
            _frame("f4", "A", "A1", kept=False, modality="external_eye", sharpness=30.0, exposure=0.6,
                   drop_reason="a face is the main content (6.0% of the frame): dropped",
                   clinical_score=0.2, face_count=1,
                   scores={"face_fraction": 0.06, "redacted_fraction": 0.35}),
            # kept, with a small blurred face (1 %)
            _frame("f5", "B", "B0", kept=True, modality="oct", sharpness=20.0, exposure=0.3,
                   clinical_score=0.7, face_count=1,
                   scores={"face_fraction": 0.01, "redacted_fraction": 0.02}),
            _frame("f6", "B", "B0", kept=False, modality="oct", sharpness=20.0, exposure=0.3,
                   drop_reason=f"near-duplicate of frame {f5} (phash distance <= 6)", clinical_score=0.7),
        ]
    )  # fmt: skip
    session.flush()

    def pair(name: str, video: str, frame: str, status: str, reason: str | None = None) -> Pair:
        return Pair(
            id=rid("pair", name), video_id=rid("video", video), frame_id=rid("frame", frame), start_s=0.0,
            end_s=5.0, text="the optic disc", segment_ids=[], status=status, drop_reason=reason,
        )  # fmt: skip

    def scored(name: str, video: str, status: str, reason: str | None = None) -> PairVerdict:
        """The cue stage's verdict on a pair."""
        return PairVerdict(
            pair_id=rid("pair", name), video_id=rid("video", video), status=status, reason=reason
        )

    session.add_all(
        [
            pair("p1", "A", "f1", "paired"),
            pair("p2", "A", "f1", "dropped", "only 2 word(s) spoken while on screen"),
            pair("p3", "B", "f5", "paired"),
            pair("p4", "B", "f5", "dropped", "only 1 word(s) spoken while on screen"),
            pair("p5", "B", "f5", "paired"),
        ]
    )
    session.flush()
    session.add_all(
        [scored("p1", "A", "kept"), scored("p3", "B", "kept"), scored("p5", "B", "dropped", "no visual cue")]
    )
    session.flush()
    session.add_all(
        [
            VisualCue(id=rid("cue", p, i), pair_id=rid("pair", p), sentence_index=i, text="s", is_visual=vis,
                      score=score, reason=reason, scorer="rule", params_hash="p")
            for p, i, vis, score, reason in (
                ("p1", 0, True, 0.9, "deictic phrase"),
                ("p1", 1, False, 0.1, "no visual term"),
                ("p3", 0, True, 0.6, "deictic phrase"),
                ("p3", 1, False, 0.2, "no visual term"),
                ("p3", 2, False, 0.3, "narration: about the patient"),
            )
        ]
    )  # fmt: skip

    def instruction(name: str, p: str, f: str, kind: str, status: str, error: str | None = None) -> Instruction:  # noqa: E501
        return Instruction(
            id=rid("instruction", name), pair_id=rid("pair", p), frame_id=rid("frame", f), kind=kind,
            turns=[], generator="offline", status="failed" if status == "failed" else "generated",
            error=error, params_hash="p",
        )  # fmt: skip

    session.flush()
    session.add_all(
        [
            instruction("i1", "p1", "f1", "vqa", "accepted"),
            instruction("i2", "p1", "f1", "cot", "rejected"),
            instruction("i3", "p1", "f1", "conversation", "failed", error="timeout after 60 s"),
            instruction("i4", "p3", "f5", "vqa", "accepted"),
            instruction("i5", "p3", "f5", "vqa", "rejected"),
            instruction("i6", "p3", "f5", "cot", "generated"),
        ]
    )  # fmt: skip
    session.flush()
    session.add_all(
        [
            verdict(rid("instruction", "i1"), "accepted"),
            verdict(rid("instruction", "i2"), "rejected",
                    ["grounded: 2/5 answer content words", "length: 12 chars < 20"]),
            verdict(rid("instruction", "i4"), "accepted"),
            verdict(rid("instruction", "i5"), "rejected", ["grounded: 1/4 content words"]),
        ]
    )  # fmt: skip
    session.flush()
    session.add_all(
        [
            Verification(id=rid("verification", i, check), instruction_id=rid("instruction", i), check=check,
                         passed=passed, score=score, detail="d")
            for i, check, passed, score in (
                ("i1", "grounded", True, 0.93),
                ("i2", "grounded", False, 0.42),
                ("i2", "length", False, None),
                ("i4", "grounded", True, 0.75),
                ("i5", "grounded", False, 0.25),
            )
        ]
    )  # fmt: skip
    run = StageRun(
        id=rid("run", "C"), stage="transcribe", entity_type="video", entity_key=str(rid("video", "C")),
        video_id=rid("video", "C"), attempt=1, status="failed", error_class="RuntimeError",
        error_message="ffmpeg exited 1", params_hash="p", params={}, code_version="1", started_at=T0,
    )  # fmt: skip
    session.add(run)
    session.flush()
    session.add(
        StageState(
            id=rid("state", "C"),
            stage="transcribe",
            entity_type="video",
            entity_key=str(rid("video", "C")),
            video_id=rid("video", "C"),
            status="failed",
            stage_run_id=run.id,
        )  # fmt: skip
    )
    session.flush()
    return Built(
        source.id,
        {v: rid("video", v) for v in "ABC"},
        {f"f{i}": rid("frame", f"f{i}") for i in range(1, 7)},
        {f"i{i}": rid("instruction", f"i{i}") for i in range(1, 7)},
    )
