"""The model path end to end against a local server of the OpenAI protocol: LLM cue scoring, synthesis and
the judge on a real lecture clip (real ffmpeg, Whisper, Postgres), with provenance on every row, the
response cache, and failures (garbage, 429, timeouts) that a backfill completes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from eval.corpus import demo_videos
from ophin.db.models import Instruction, LlmResponse, PairVerdict, StageRun, Verification, VisualCue
from ophin.db.session import session_scope
from ophin.pipeline import backfill, run_urls
from ophin.services import Services
from ophin.synthesis.openai_chat import PROMPT_VERSION
from tests.conftest import make_services
from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.media import cut
from tests.support.scripted_model import ScriptedModel
from tests.support.verdicts import accepted_ids, instruction_statuses, pair_statuses, reasons_of

MODEL_STAGES = {"cues", "synthesize", "verify"}
# Generous: a loaded 2-core machine must never time a healthy reply out; the scripted timeout sleeps longer.
TIMEOUT_S = 5.0


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    # Two fundus photographs (the whole disc, then the cup zoomed), each described in two sentences and
    # followed by a sentence of history.
    return cut(demo_videos()[0], tmp_path / "glaucoma.mp4", 16.8, 16.0)


def llm_services(tmp_path, db_url, transcriber, server, model: str = "fake-vlm", **llm) -> Services:  # noqa: ANN001
    settings = {
        "backend": "openai",
        "base_url": server.base_url,
        "api_key": "test-key",
        "model": model,
        "max_retries": 1,
        "timeout_s": TIMEOUT_S,
        "max_in_flight": 4,
    } | llm
    return make_services(
        tmp_path, db_url, transcriber, llm=settings, cues={"scorer": "llm"}, verify={"judge": "llm"}
    )


def attempts(svc: Services) -> Counter[str]:
    with session_scope(svc.sessions) as session:
        return Counter(session.scalars(select(StageRun.stage)))


def test_llm_run_names_model_and_prompt_on_every_row(tmp_path, db_url, transcriber, clip) -> None:  # noqa: ANN001
    model = ScriptedModel()
    model.reject_kind = "vqa"
    with FakeOpenAIServer(model) as server:
        svc = llm_services(tmp_path, db_url, transcriber, server)
        report = run_urls([clip.resolve().as_uri()], svc)
    assert report.ok, report
    assert model.calls["cues"] and model.calls["synthesis"] and model.calls["judge"]
    with session_scope(svc.sessions) as session:
        asked = session.scalars(select(VisualCue).where(VisualCue.model.is_not(None))).all()
        instructions = session.scalars(select(Instruction)).all()
        judged = session.scalars(select(Verification).where(Verification.check == "llm_judge")).all()
        status, reasons = instruction_statuses(session), reasons_of(session)
        statuses = Counter(status.values())
    assert asked and all(c.prompt_version == "cues.v1" and c.llm["served_model"] == "fake-vlm" for c in asked)
    assert all(c.scorer.startswith("llm-cues/") for c in asked)
    assert instructions
    assert all(i.model == "fake-vlm" and i.prompt_version == PROMPT_VERSION for i in instructions)
    for i in instructions:
        call = i.llm
        assert call["served_model"] == "fake-vlm" and call["prompt_version"].startswith("synthesis/")
        assert call["prompt_tokens"] > 0 and call["completion_tokens"] > 0 and call["latency_s"] > 0
        assert call["sampling"] == {"temperature": 0.2, "max_tokens": 800, "seed": None}
    assert judged and all(v.model == "fake-vlm" and v.prompt_version == "judge.v1" for v in judged)
    assert all(v.verdict and "grounded" in v.verdict for v in judged)
    # The judge was asked about what the rule checks accepted (only that); it refused the VQA answers.
    verdicts = {v.instruction_id: v for v in judged}
    for i in instructions:
        if i.id not in verdicts:
            assert status[i.id] == "rejected" and not any("llm_judge" in r for r in reasons[i.id])
        elif i.kind == "vqa":
            assert not verdicts[i.id].passed and status[i.id] == "rejected"
            assert reasons[i.id][0].startswith("llm_judge: invented: a conclusion the cues do not state")
        else:
            assert verdicts[i.id].passed and status[i.id] == "accepted"
    assert any(i.kind == "vqa" for i in instructions if i.id in verdicts), statuses


def test_reruns_ask_nothing_new_and_a_model_change_reruns_only_the_model_stages(
    tmp_path, db_url, transcriber, clip
) -> None:  # noqa: ANN001
    model = ScriptedModel()
    url = clip.resolve().as_uri()
    with FakeOpenAIServer(model) as server:
        svc_a = llm_services(tmp_path, db_url, transcriber, server, model="model-a")
        assert run_urls([url], svc_a).ok
        first, runs_a = len(server.requests), attempts(svc_a)
        assert run_urls([url], svc_a).ok
        assert len(server.requests) == first and attempts(svc_a) == runs_a  # nothing re-ran

        svc_b = llm_services(tmp_path, db_url, transcriber, server, model="model-b")
        assert run_urls([url], svc_b).ok
        runs_b, second = attempts(svc_b), len(server.requests)
        assert {s for s in runs_b if runs_b[s] != runs_a[s]} == MODEL_STAGES
        assert set(model.models[:first]) == {"model-a"} and set(model.models[first:]) == {"model-b"}

        # Back to model A: the model stages run again, and every request is answered by the cache.
        assert run_urls([url], svc_a).ok
        assert len(server.requests) == second
    with session_scope(svc_a.sessions) as session:
        assert set(session.scalars(select(Instruction.model))) == {"model-a"}
        calls = session.scalars(select(Instruction.llm)).all()
        hits = session.scalar(select(func.sum(LlmResponse.hits)))
        accepted = accepted_ids(session)
        passed = session.scalars(
            select(Verification.instruction_id).where(Verification.check == "llm_judge", Verification.passed)
        ).all()
    assert calls and all(c["cached"] and c["attempts"] == 0 for c in calls)
    assert hits >= len(calls)
    assert accepted and set(accepted) <= set(passed)  # what was accepted, the judge passed


def test_garbage_429_and_timeouts_are_recorded_and_a_backfill_completes_them(
    tmp_path, db_url, transcriber, clip
) -> None:  # noqa: ANN001
    model = ScriptedModel(timeout_sleep_s=TIMEOUT_S + 1)
    # A request and its one retry: that window (the zoomed cup's, not the disc's with its chain of thought)
    # fails.
    model.fail("cues", "timeout", times=2, when="cup")
    # A reply and its repair: that instruction (a chain of thought) fails.
    model.fail("synthesis", "garbage", times=2, when="step by step")
    model.fail("synthesis", "429", times=1)  # retried after Retry-After: succeeds
    model.fail("judge", "garbage", times=2)  # no verdict: that instruction stays unverified
    with FakeOpenAIServer(model) as server:
        svc = llm_services(tmp_path, db_url, transcriber, server, max_in_flight=1)
        report = run_urls([clip.resolve().as_uri()], svc)
        assert not report.ok and report.failures == []
        assert {r.stage for r in report.partial} == MODEL_STAGES
        with session_scope(svc.sessions) as session:
            failed_pairs = session.scalars(select(PairVerdict).where(PairVerdict.status == "failed")).all()
            failed = session.scalars(select(Instruction).where(Instruction.status == "failed")).all()
            no_verdict = session.scalars(
                select(Verification).where(
                    Verification.check == "llm_judge", Verification.detail.startswith("no verdict")
                )
            ).all()
        assert len(failed_pairs) == 1 and "Timeout" in failed_pairs[0].reason
        assert len(failed) == 1 and failed[0].error.startswith("StructuredOutputError")
        assert len(failed[0].llm["failures"]) == 2  # both raw replies kept for the record
        assert "Sure! Here is" in failed[0].llm["failures"][0]
        assert len(no_verdict) == 1 and no_verdict[0].detail.startswith("no verdict")
        before = len(model.answered)

        done = backfill("cues", svc)
        assert done.ok, done
    # The backfill asked again only what had no good answer: nothing answered well is paid for twice.
    answered_well = {messages for messages, fault in model.answered[:before] if fault is None}
    again = [messages for messages, _ in model.answered[before:]]
    assert again and answered_well.isdisjoint(again)
    with session_scope(svc.sessions) as session:
        statuses = Counter(instruction_statuses(session).values())
        pairs = Counter(pair_statuses(session).values())
    assert "failed" not in statuses and "generated" not in statuses and "failed" not in pairs
    with session_scope(svc.sessions) as session:
        runs = {
            stage: [
                r.status
                for r in session.scalars(
                    select(StageRun).where(StageRun.stage == stage).order_by(StageRun.attempt)
                )
            ]
            for stage in MODEL_STAGES
        }
    assert all(statuses_[0] == "partial" and statuses_[-1] == "succeeded" for statuses_ in runs.values())
