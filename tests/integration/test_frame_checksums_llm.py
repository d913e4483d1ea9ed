"""A frame whose stored bytes no longer hash to frame.sha256 never reaches a vision model: the judge and the
generator refuse that frame's items on their own rows (InputMissing) while the other frame's items proceed."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select

from eval.corpus import demo_videos
from ophin.db.models import Frame, Instruction, Pair, PairVerdict, Verification
from ophin.db.session import session_scope
from ophin.pipeline import params_for, run_urls
from ophin.stages.synthesize import synthesize_instructions
from ophin.stages.verify import verify_instructions
from tests.conftest import make_services
from tests.fakes.openai_server import FakeOpenAIServer
from tests.integration.test_export_duplicates import ClauseModel
from tests.integration.test_object_checksums import tamper
from tests.support.media import cut
from tests.support.verdicts import instruction_statuses


class SeeingModel(ClauseModel):
    """The scripted model as a vision model (its judge says whether the answer is faithful to the image);
    kinds answered from their own clauses, so a frame narrated in one sentence has some the judge sees."""

    def judge(self, prompt: str) -> dict[str, Any]:
        return super().judge(prompt) | {"faithful_to_image": True}


def test_tampered_frame_is_refused_by_the_vision_judge_and_the_generator(
    tmp_path, db_url, transcriber
) -> None:  # noqa: ANN001
    clip = cut(demo_videos()[0], tmp_path / "glaucoma.mp4", 16.8, 24.4)  # two fundus photographs
    model = SeeingModel()
    with FakeOpenAIServer(model) as server:
        llm = {"backend": "openai", "base_url": server.base_url, "api_key": "k", "model": "fake-vlm"}
        svc = make_services(
            tmp_path / "h",
            db_url,
            transcriber,
            llm=llm | {"vision": True, "max_retries": 0},
            cues={"scorer": "rule-lexicon"},
            verify={"judge": "llm"},
        )
        assert run_urls([clip.resolve().as_uri()], svc).ok
        with session_scope(svc.sessions) as session:
            frames = session.execute(
                select(Frame.id, Frame.video_id, Frame.object_key, Frame.t_s)
                .join(Pair, Pair.frame_id == Frame.id)
                .join(PairVerdict, PairVerdict.pair_id == Pair.id)
                .where(PairVerdict.status == "kept")
                .distinct()
                .order_by(Frame.t_s)
            ).all()
        assert len(frames) >= 2, "the clip should pair both fundus photographs"
        (bad_frame, vid, key, _), *_ = frames
        good = tamper(svc.store, key)  # same size, other bytes
        bad = svc.store.get_bytes(key)
        assert len(bad) == len(good) and hashlib.sha256(bad).hexdigest() != hashlib.sha256(good).hexdigest()
        params = params_for(svc)

        verify_instructions(vid, params.verify, svc=svc, force=True)
        with session_scope(svc.sessions) as session:
            status = instruction_statuses(session)
            judged = [
                (f, status[i], passed, detail)
                for f, i, passed, detail in session.execute(
                    select(Instruction.frame_id, Instruction.id, Verification.passed, Verification.detail)
                    .join(Verification, Verification.instruction_id == Instruction.id)
                    .where(Verification.check == "llm_judge")
                )
            ]
        refused = [(s, p, d) for f, s, p, d in judged if f == bad_frame]
        assert refused and all(not p and s != "accepted" for s, p, _ in refused)
        assert all(d.startswith("no verdict: InputMissing: frame image:") and key in d for _, _, d in refused)
        assert any(p and s == "accepted" for f, s, p, _ in judged if f != bad_frame)  # the rest proceeds

        synthesize_instructions(vid, params.synthesize, svc=svc, force=True)
        with session_scope(svc.sessions) as session:
            rows = session.execute(select(Instruction.frame_id, Instruction.status, Instruction.error)).all()
        mine = [(s, e) for f, s, e in rows if f == bad_frame]
        assert mine and all(s == "failed" and e.startswith("InputMissing: frame image:") for s, e in mine)
        assert all("sha256" in e for _, e in mine)
        assert any(s == "generated" for f, s, _ in rows if f != bad_frame)
