"""Word probabilities from real Whisper reach the refiner through the cues stage (real Postgres): a doubtful
word that sounds like a domain term is corrected with its probability recorded, or its sentence is dropped
with the reason; nothing doubtful passes silently. The doubtful words are planted in the stored transcript
(real Whisper rarely mis-hears the espeak clip the same way twice), everything else is the real pipeline."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from ophin.db.models import Pair, TranscriptSegment, VisualCue
from ophin.db.session import session_scope
from ophin.pipeline import params_for, run_video_stage
from ophin.stages.cues import separate_visual_cues
from tests.conftest import make_services
from tests.integration.test_asr_backends import acquire, english_clip


@pytest.fixture
def svc(tmp_path, db_url, transcriber):  # noqa: ANN001, ANN201
    return make_services(tmp_path, db_url, transcriber)


def _plant(svc, vid: uuid.UUID, heard: str, doubtful: str, p: float) -> None:  # noqa: ANN001
    """Replace the word `heard` (in the transcript and its pairs) by `doubtful`, heard at probability p."""
    with session_scope(svc.sessions) as session:
        for seg in session.scalars(select(TranscriptSegment).where(TranscriptSegment.video_id == vid)):
            if seg.words and any(w["word"].strip(".,").lower() == heard for w in seg.words):
                seg.words = [
                    {**w, "word": w["word"].lower().replace(heard, doubtful), "p": p}
                    if w["word"].strip(".,").lower() == heard
                    else {**w, "p": max(w["p"] or 0.0, 0.9)}
                    for w in seg.words
                ]
                seg.text = seg.text.replace(heard, doubtful)
        for pair in session.scalars(select(Pair).where(Pair.video_id == vid)):
            pair.text = pair.text.replace(heard, doubtful)


def _cues(svc, vid: uuid.UUID) -> list[VisualCue]:  # noqa: ANN001
    with session_scope(svc.sessions) as session:
        pairs = select(Pair.id).where(Pair.video_id == vid)
        return list(session.scalars(select(VisualCue).where(VisualCue.pair_id.in_(pairs))))


def _score(svc, vid: uuid.UUID) -> None:  # noqa: ANN001
    """The cues stage, forced: the planted rows changed nothing its skip check looks at."""
    separate_visual_cues(vid, params_for(svc).cues, svc=svc, force=True)


def _through_pairs(svc, tmp_path) -> uuid.UUID:  # noqa: ANN001
    vid = acquire(svc, english_clip(tmp_path / "en.mp4"))
    for stage in ("transcribe", "keyframes", "pair"):
        run_video_stage(stage, vid, svc)
    text = " ".join(c for (c,) in svc.sessions().execute(select(Pair.text).where(Pair.video_id == vid)))
    assert "margin" in text.lower(), text  # the clip's narration: "... with a sharp margin."
    return vid


def test_cues_stage_corrects_a_doubtful_word_and_records_its_probability(svc, tmp_path) -> None:  # noqa: ANN001
    vid = _through_pairs(svc, tmp_path)
    _plant(svc, vid, "margin", "corner", 0.2)  # "cornea" in a sentence about the optic disc
    _score(svc, vid)
    fixed = [c for c in _cues(svc, vid) if "corner" in (c.raw_text or "")]
    assert fixed and "cornea" in fixed[0].text
    (c,) = [c for c in fixed[0].corrections if c["rule"] == "low-confidence"]
    assert (c["before"], c["after"], c["probability"]) == ("corner", "cornea", 0.2)


def test_cues_stage_cuts_the_part_an_unsettled_doubtful_word_holds(svc, tmp_path) -> None:  # noqa: ANN001
    vid = _through_pairs(svc, tmp_path)
    _plant(svc, vid, "margin", "loosen", 0.1)  # close to "drusen", not sure enough to rewrite
    _score(svc, vid)
    # "..., with a sharp loosen.": the rest was heard surely, so only the doubtful part goes, on the record.
    (cue,) = [c for c in _cues(svc, vid) if "loosen" in (c.raw_text or "")]
    (cut,) = [c for c in cue.corrections or [] if c["rule"] == "doubt-cut"]
    assert "loosen" in cut["before"] and cut["probability"] == 0.1 and "loosen" not in cue.text
    # The same word heard with confidence stays, and its sentence is scored as usual.
    _plant(svc, vid, "loosen", "loosen", 0.95)
    _score(svc, vid)
    (cue,) = [c for c in _cues(svc, vid) if "loosen" in c.text]
    assert not cue.reason.startswith("dropped") and not cue.corrections
