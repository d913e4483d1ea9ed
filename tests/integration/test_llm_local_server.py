"""The model path against a real model: llama.cpp serving Qwen2.5-Coder-0.5B (tests/support/llm_server.py;
skipped with the make target to run when it is not built). LLM cue scoring, synthesis and the judge run on
a real lecture clip; whatever a 0.5B model gets wrong, every row names the model and prompt that made it,
and every reply that did not validate is kept on its row."""

from __future__ import annotations

from sqlalchemy import select

from eval.corpus import demo_videos
from ophin.db.models import Instruction, Verification, VisualCue
from ophin.db.session import session_scope
from ophin.llm.local_server import QWEN_CODER_05B
from ophin.pipeline import run_urls
from tests.conftest import make_services
from tests.support.llm_server import llm_settings
from tests.support.media import cut


def test_local_llm_scores_cues_writes_and_judges_with_provenance(
    tmp_path, db_url, transcriber, llm_server
) -> None:  # noqa: ANN001
    # One fundus photograph: two sentences about it, one of the patient's history.
    clip = cut(demo_videos()[0], tmp_path / "disc.mp4", 16.8, 12.4)
    llm = llm_settings(llm_server, temperature=0.0, seed=7, max_tokens=256)
    svc = make_services(
        tmp_path, db_url, transcriber, llm=llm.model_dump(), cues={"scorer": "llm"}, verify={"judge": "llm"}
    )
    report = run_urls([clip.resolve().as_uri()], svc)
    assert report.failures == []  # a stage may be partial (a reply that never validated), never failed
    alias = QWEN_CODER_05B.alias
    with session_scope(svc.sessions) as session:
        cues = session.scalars(select(VisualCue)).all()
        instructions = session.scalars(select(Instruction)).all()
        verdicts = session.scalars(select(Verification).where(Verification.check == "llm_judge")).all()
    asked = [c for c in cues if c.model is not None]
    assert asked, [c.reason for c in cues]
    assert all(
        c.model == alias and c.prompt_version == "cues.v1" and c.llm["completion_tokens"] > 0 for c in asked
    )
    assert all(c.reason.startswith("rule pre-filter") for c in cues if c.model is None)
    assert instructions, "the model kept no sentence of the fundus photograph as a visual cue"
    for item in instructions:
        assert item.model == alias and item.llm["prompt_version"].startswith("synthesis/")
        if item.status == "failed":  # both raw replies are kept for the record
            assert item.error.startswith("StructuredOutputError") and len(item.llm["failures"]) == 2
        else:
            assert item.turns and item.llm["completion_tokens"] > 0
    for verdict in verdicts:
        assert verdict.model == alias and verdict.llm is not None
        if verdict.verdict is None:  # no verdict: what the model said instead is on the row
            assert verdict.detail.startswith("no verdict") and verdict.llm["failures"]
        else:
            assert verdict.prompt_version == "judge.v1" and isinstance(verdict.verdict["grounded"], bool)
