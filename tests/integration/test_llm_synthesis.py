"""Synthesis through the OpenAI-compatible backend against a local server of that protocol: good answers
become instructions, malformed ones (also after the one repair) become failed rows with reasons and their raw
replies, and the rest of the batch proceeds."""

from __future__ import annotations

import json
import threading

from sqlalchemy import select

from eval.corpus import demo_videos
from ophin.db.models import Instruction, StageRun
from ophin.db.session import session_scope
from ophin.pipeline import backfill, run_urls
from ophin.synthesis.openai_chat import PROMPT_VERSION, OpenAICompatibleGenerator
from tests.conftest import make_services
from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.media import cut
from tests.support.scripted_model import scripted_turns
from tests.support.verdicts import instruction_statuses


def scripted_llm(healthy: list[bool] | None = None):  # noqa: ANN201
    """Answers from the prompt's own cue lines; every third distinct prompt is answered with something that
    is not JSON, its repair request too (until healthy[0] is set)."""
    seen: list[str] = []
    lock = threading.Lock()  # the stage sends its requests concurrently
    healthy = healthy if healthy is not None else [False]

    def respond(request: dict) -> str:
        prompt = request["messages"][0]["content"]  # a repair request repeats it, then adds the bad reply
        with lock:
            if prompt not in seen:
                seen.append(prompt)
            broken = (seen.index(prompt) + 1) % 3 == 0
        if broken and not healthy[0]:
            return "Sure! Here is your question about the image: what is shown?"
        return json.dumps({"turns": [{"role": r, "text": t} for r, t in scripted_turns(prompt)]})

    return respond


def test_openai_backend_records_malformed_output_and_backfill_retries_only_those(
    tmp_path, db_url, transcriber
) -> None:  # noqa: ANN001
    clip = cut(demo_videos()[0], tmp_path / "glaucoma.mp4", 16.8, 24.4)  # two fundus photographs
    healthy = [False]
    with FakeOpenAIServer(scripted_llm(healthy)) as server:
        svc = make_services(
            tmp_path,
            db_url,
            transcriber,
            llm={
                "backend": "openai",
                "base_url": server.base_url,
                "api_key": "test-key",
                "max_retries": 0,
                "model": "fake-vlm",
            },
            # Only synthesis asks the model here (test_llm_path.py covers cues and the judge too).
            cues={"scorer": "rule-lexicon"},
            verify={"judge": "none"},
        )
        assert isinstance(svc.generator, OpenAICompatibleGenerator) and svc.generator.llm is svc.llm
        report = run_urls([clip.resolve().as_uri()], svc)
        first_requests = len(server.requests)
        assert first_requests >= 3
        # Every request is a synthesis request asking for the turns schema.
        assert {r.json["response_format"]["json_schema"]["name"] for r in server.requests} == {"TurnsReply"}
        assert report.failures == [] and [r.stage for r in report.partial] == ["synthesize"]
        with session_scope(svc.sessions) as session:
            rows = session.scalars(select(Instruction)).all()
            synth = session.scalars(select(StageRun).where(StageRun.stage == "synthesize")).one()
            status = instruction_statuses(session)
        failed = [r for r in rows if r.status == "failed"]
        accepted = [r for r in rows if status[r.id] == "accepted"]
        assert failed and accepted
        assert all(r.error.startswith("StructuredOutputError") and r.turns is None for r in failed)
        # A failed row keeps both raw replies (the first and the repair) for the record.
        assert all(r.llm["attempts"] == 2 and len(r.llm["failures"]) == 2 for r in failed)
        assert all("Sure! Here is your question" in f for r in failed for f in r.llm["failures"])
        assert all(r.generator.startswith("openai-chat/") for r in accepted)
        assert all(r.prompt_version == PROMPT_VERSION for r in accepted)
        assert all(r.llm["served_model"] == "fake-vlm" and r.llm["attempts"] == 1 for r in accepted)
        assert all(r.llm["prompt_version"] == f"synthesis/{r.kind}.{PROMPT_VERSION}" for r in accepted)
        assert all(r.model == "fake-vlm" for r in rows)
        # Each failed item was asked twice (the reply and its repair), every other item once.
        assert first_requests == len(rows) + len(failed)
        # An attempt with failed items is partial, never succeeded: nothing is silently lost.
        assert synth.status == "partial" and synth.output["failed"] == len(failed)

        healthy[0] = True
        again = backfill("synthesize", svc)
        assert again.ok and again.videos
        assert len(server.requests) - first_requests == len(failed)  # exactly the failed items, once each
    with session_scope(svc.sessions) as session:
        statuses = {r.id: r.status for r in session.scalars(select(Instruction))}
        runs = session.scalars(
            select(StageRun).where(StageRun.stage == "synthesize").order_by(StageRun.attempt)
        )
        assert [(r.status, r.output["generated"], r.output["failed"]) for r in runs] == [
            ("partial", len(rows) - len(failed), len(failed)),
            ("succeeded", len(failed), 0),
        ]
    assert set(statuses) == {r.id for r in rows} and "failed" not in statuses.values()
