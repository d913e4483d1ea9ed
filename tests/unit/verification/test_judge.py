"""LlmJudge against a local chat-completions server with scripted verdicts, via the real openai client."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import openai
import pydantic
import pytest
from PIL import Image

from ophin.llm.client import LlmClient, Sampling, StructuredOutputError
from ophin.synthesis.base import Turn
from ophin.verification.judge import (
    PROMPT_VERSION,
    JudgeInput,
    JudgeReply,
    LlmJudge,
    check_verdict,
)
from tests.fakes.openai_server import FakeOpenAIServer

CUES = (
    "Here we see soft drusen scattered across the macula.",
    "The optic disc has a healthy neuroretinal rim.",
    "There is no haemorrhage  along the arcades.",
)
VQA = JudgeInput(
    instruction_id="i-1",
    kind="vqa",
    turns=(Turn("human", "What is the main finding?"), Turn("gpt", "Soft drusen across the macula.")),
    cues=CUES,
)
GROUNDED = {
    "invented_findings": [],
    "grounded": True,
    "faithful_to_image": None,
    "clinically_plausible": True,
    "score": 0.92,
    "reason": "Every claim is in cue 1.",
}
INVENTED = GROUNDED | {
    "invented_findings": ["bruising of the macula"],
    "grounded": False,
    "score": 0.2,
    "reason": "The cues say drusen, not bruising.",
}


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 60, 40)).save(out, format="PNG")
    return out.getvalue()


def prompt_of(request: dict[str, Any]) -> str:
    content = request["messages"][0]["content"]
    return content if isinstance(content, str) else content[0]["text"]


def replies(*answers: dict[str, Any]) -> Callable[[dict[str, Any]], str]:
    """Each request gets the next answer; the last one repeats."""
    queue = list(answers)

    def respond(request: dict[str, Any]) -> str:
        return json.dumps(queue.pop(0) if len(queue) > 1 else queue[0])

    return respond


@pytest.fixture
def serve() -> Iterator[Callable[..., FakeOpenAIServer]]:
    servers: list[FakeOpenAIServer] = []

    def start(responder: Callable[[dict[str, Any]], Any]) -> FakeOpenAIServer:
        server = FakeOpenAIServer(responder).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)


def judge_on(server: FakeOpenAIServer, model: str = "fake-model", vision: bool = False) -> LlmJudge:
    llm = LlmClient(openai.OpenAI(base_url=server.base_url, api_key="k"), model, max_retries=0, vision=vision)
    return LlmJudge(llm, Sampling(temperature=0.0, max_tokens=300, seed=7))


def test_judge_grounded_reply_passes(serve) -> None:  # noqa: ANN001
    server = serve(replies(GROUNDED))
    result = judge_on(server).judge(VQA)
    assert result.passed and result.score == 0.92
    assert result.reason == "Every claim is in cue 1."
    assert result.verdict == GROUNDED and result.prompt_version == PROMPT_VERSION == "judge.v1"
    assert result.llm is not None and result.llm.attempts == 1 and result.llm.model == "fake-model"
    request = server.requests[0].json
    assert request["response_format"]["json_schema"]["schema"]["properties"].keys() == GROUNDED.keys()
    assert request["temperature"] == 0.0 and request["seed"] == 7


def test_judge_invented_findings_fail_with_the_reason(serve) -> None:  # noqa: ANN001
    result = judge_on(serve(replies(INVENTED))).judge(VQA)
    assert not result.passed and result.score == 0.2
    assert result.reason.startswith("invented: bruising of the macula.")
    assert "The cues say drusen, not bruising." in result.reason
    assert result.verdict["invented_findings"] == ["bruising of the macula"]


def test_judge_implausible_answer_fails(serve) -> None:  # noqa: ANN001
    result = judge_on(serve(replies(GROUNDED | {"clinically_plausible": False}))).judge(VQA)
    assert not result.passed and "not clinically plausible" in result.reason


def test_judge_inconsistent_reply_is_repaired_once(serve) -> None:  # noqa: ANN001
    contradictory = INVENTED | {"grounded": True}
    server = serve(replies(contradictory, INVENTED))
    result = judge_on(server).judge(VQA)
    assert not result.passed and result.llm is not None and result.llm.attempts == 2
    assert len(server.requests) == 2
    repair = server.requests[1].json["messages"]
    assert json.loads(repair[1]["content"]) == contradictory  # the rejected reply, then why
    assert "grounded is true but invented_findings lists" in repair[2]["content"]
    assert len(result.llm.failures) == 1 and "bruising" in result.llm.failures[0]


def test_judge_inconsistent_twice_raises_with_both_raw_replies(serve) -> None:  # noqa: ANN001
    first = GROUNDED | {"faithful_to_image": True, "reason": "first try"}  # no image was sent
    second = GROUNDED | {"grounded": False, "reason": "second try"}  # names nothing invented
    server = serve(replies(first, second))
    with pytest.raises(StructuredOutputError) as caught:
        judge_on(server).judge(VQA)
    failures = caught.value.call.failures
    assert len(failures) == 2 and len(server.requests) == 2
    assert "faithful_to_image must be null" in failures[0] and "first try" in failures[0]
    assert "names nothing" in failures[1] and "second try" in failures[1]


def test_judge_prompt_holds_every_cue_numbered_and_every_turn_in_order(serve) -> None:  # noqa: ANN001
    turns = (
        Turn("human", "What do you see at the macula?"),
        Turn("gpt", "Soft drusen are scattered\nacross the macula."),
        Turn("human", "And the optic disc?"),
        Turn("gpt", "It has a healthy neuroretinal rim."),
    )
    item = JudgeInput("i-2", "conversation", turns, CUES)
    server = serve(replies(GROUNDED))
    judge_on(server).judge(item)
    prompt = prompt_of(server.requests[0].json)
    cue_lines = [f"{n}. {' '.join(c.split())}" for n, c in enumerate(CUES, start=1)]
    assert all(line in prompt.splitlines() for line in cue_lines)
    positions = [
        prompt.index(f"{label}: {' '.join(t.text.split())}")
        for label, t in zip(["Question", "Answer", "Question", "Answer"], turns, strict=True)
    ]
    assert positions == sorted(positions) and prompt.index(cue_lines[-1]) < positions[0]
    assert "a conversation" in prompt and "faithful_to_image: null" in prompt


@pytest.mark.parametrize(
    ("vision", "image", "sent"), [(True, True, True), (True, False, False), (False, True, False)]
)
def test_judge_sends_the_frame_only_to_a_vision_model(serve, vision, image, sent) -> None:  # noqa: ANN001
    answer = GROUNDED | {"faithful_to_image": True} if sent else GROUNDED
    server = serve(replies(answer))
    item = JudgeInput("i-3", "vqa", VQA.turns, CUES, image=png() if image else None)
    assert judge_on(server, vision=vision).judge(item).passed
    content = server.requests[0].json["messages"][0]["content"]
    if sent:
        assert [part["type"] for part in content] == ["text", "image_url"]
        assert content[1]["image_url"]["url"].startswith("data:image/jpeg;base64,")
        assert "The image is attached" in content[0]["text"]
    else:
        assert isinstance(content, str) and "No image is attached" in content


def test_judge_unfaithful_to_the_image_fails(serve) -> None:  # noqa: ANN001
    server = serve(replies(GROUNDED | {"faithful_to_image": False, "reason": "The frame shows an OCT."}))
    item = JudgeInput("i-4", "vqa", VQA.turns, CUES, image=png())
    result = judge_on(server, vision=True).judge(item)
    assert not result.passed and result.reason.startswith("not faithful to the image.")


def test_judge_with_an_image_refuses_a_verdict_that_ignores_it(serve) -> None:  # noqa: ANN001
    server = serve(replies(GROUNDED, GROUNDED | {"faithful_to_image": True}))
    item = JudgeInput("i-5", "vqa", VQA.turns, CUES, image=png())
    result = judge_on(server, vision=True).judge(item)
    assert result.passed and result.llm is not None and result.llm.attempts == 2
    assert "faithful_to_image must be true or false" in result.llm.failures[0]


@pytest.mark.parametrize(
    ("change", "image_sent", "problem"),
    [
        ({"invented_findings": ["cup to disc 0.8"]}, False, "grounded is true but"),
        ({"grounded": False}, False, "names nothing"),
        ({"invented_findings": [" "], "grounded": False}, False, "empty entry"),
        ({"faithful_to_image": True}, False, "must be null"),
        ({}, True, "must be true or false"),
        ({"reason": "  "}, False, "reason is empty"),
    ],
)
def test_check_verdict_refuses_contradictions(change, image_sent, problem) -> None:  # noqa: ANN001
    reply = JudgeReply.model_validate(GROUNDED | change)
    with pytest.raises(ValueError, match=problem):
        check_verdict(image_sent)(reply)


def test_check_verdict_accepts_a_consistent_reply() -> None:
    check_verdict(False)(JudgeReply.model_validate(INVENTED))
    check_verdict(True)(JudgeReply.model_validate(GROUNDED | {"faithful_to_image": False}))


@pytest.mark.parametrize("change", [{"score": 1.5}, {"score": -0.1}, {"verdict": "pass"}])
def test_judge_reply_schema_refuses_out_of_range_or_extra_fields(change) -> None:  # noqa: ANN001
    with pytest.raises(pydantic.ValidationError):
        JudgeReply.model_validate(GROUNDED | change)


def test_judge_config_changes_with_the_model_and_vision(serve) -> None:  # noqa: ANN001
    server = serve(replies(GROUNDED))
    small, large = judge_on(server, "small-model").config(), judge_on(server, "large-model").config()
    seeing = judge_on(server, "small-model", vision=True).config()
    assert small != large and small["model"] == "small-model" and large["model"] == "large-model"
    assert seeing != small and seeing["vision"] is True and seeing["image_max_side"] == 768
    assert small["prompt_version"] == "judge.v1" and len(str(small["prompt_sha"])) == 12
    assert small["sampling"] == {"temperature": 0.0, "max_tokens": 300, "seed": 7}
    assert json.loads(json.dumps(small)) == small  # stored in the verify params
    assert judge_on(server).name == "llm-judge" and judge_on(server, "m").model == "m"
