"""LLM refiner through LlmClient against a local fake of the chat-completions protocol (real openai client):
only vetted corrections reach the text, malformed replies raise after one repair."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from ophin.llm.client import LlmClient, Sampling, StructuredOutputError
from ophin.llm.json_reply import MalformedOutputError
from ophin.refine import build_refiner
from ophin.refine.llm import LLMRefiner, RefineReply
from ophin.synthesis.openai_chat import build_openai_client
from tests.fakes.openai_server import FakeOpenAIServer

RAW = "The fovee shows no fluid and a cup -to -disc ratio of 0.7 on this scan."
CONTEXT = "Here is the OCT of the right eye."


def _reply(*corrections: tuple[str, str], text: str = "ignored by the refiner") -> str:
    return json.dumps(
        {"text": text, "corrections": [{"before": b, "after": a, "reason": "asr"} for b, a in corrections]}
    )


class Script:
    """One answer to every request (a malformed one is also the answer to the repair request)."""

    def __init__(self, answer: str | dict[str, Any]) -> None:
        self.answer = answer

    def __call__(self, request: dict[str, Any]) -> str | dict[str, Any]:
        return self.answer


@pytest.fixture
def script() -> Script:
    return Script(_reply(("fovee", "fovea")))


@pytest.fixture
def server(script: Script) -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(script) as srv:
        yield srv


def _llm(server: FakeOpenAIServer) -> LlmClient:
    client = build_openai_client(server.base_url, "test-key", timeout_s=5.0, max_retries=0)
    return LlmClient(client, "fake-llm", max_retries=0)


def _refiner(server: FakeOpenAIServer) -> LLMRefiner:
    return LLMRefiner(_llm(server), Sampling(temperature=0.0, max_tokens=123))


def test_refine_applies_vetted_corrections_to_raw_text(server: FakeOpenAIServer) -> None:
    refiner = _refiner(server)
    out = refiner.refine(RAW, CONTEXT)
    assert out.raw == RAW
    assert out.text == RAW.replace("fovee", "fovea")
    (c,) = out.corrections
    assert (c.rule, c.before, c.after, RAW[c.start : c.end]) == ("llm", "fovee", "fovea", "fovee")
    (request,) = server.requests
    body = request.json
    assert (body["model"], body["temperature"], body["max_tokens"]) == ("fake-llm", 0.0, 123)
    prompt = body["messages"][0]["content"]
    assert RAW in prompt and CONTEXT in prompt and "JSON only" in prompt
    assert body["response_format"]["json_schema"]["schema"] == RefineReply.model_json_schema()
    assert refiner.name == "llm-refiner" and refiner.version.endswith("+fake-llm+t0.0")
    assert refiner.config() == {"name": "llm-refiner", "version": refiner.version, "max_tokens": 123}


def test_refine_version_follows_model_and_temperature(server: FakeOpenAIServer) -> None:
    llm = _llm(server)
    cold, warm = LLMRefiner(llm, Sampling(temperature=0.0)), LLMRefiner(llm, Sampling(temperature=0.5))
    assert cold.version != warm.version and warm.version.endswith("+fake-llm+t0.5")
    assert LLMRefiner(llm).sampling == Sampling(temperature=0.0, max_tokens=400)  # deterministic by default


def test_refine_drops_unvetted_corrections(server: FakeOpenAIServer, script: Script) -> None:
    script.answer = _reply(
        ("fovee", "fovax"),  # not a word
        ("no fluid", "some fluid"),  # drops a negation
        ("0.7", "0.9"),  # changes a number
        ("optic cup", "optic disc"),  # not in the sentence
        ("The fovee shows no fluid and a", "The fovea is dry and a normal"),  # a rewrite, not a term
        ("scan", "scan"),  # no change
        ("cup -to -disc", "cup-to-disc"),  # kept: English words and punctuation only
    )
    out = _refiner(server).refine(RAW, CONTEXT)
    assert [(c.before, c.after) for c in out.corrections] == [("cup -to -disc", "cup-to-disc")]
    assert out.text == RAW.replace("cup -to -disc", "cup-to-disc")


def test_refine_ignores_model_text(server: FakeOpenAIServer, script: Script) -> None:
    script.answer = _reply(text="A completely different sentence about glaucoma.")
    out = _refiner(server).refine(RAW)
    assert (out.text, out.corrections) == (RAW, ())


def test_refine_accepts_fenced_json(server: FakeOpenAIServer, script: Script) -> None:
    script.answer = "```json\n" + _reply(("fovee", "fovea")) + "\n```"
    assert _refiner(server).refine(RAW).text.startswith("The fovea shows")


def test_refine_rejects_malformed_json_with_excerpt(server: FakeOpenAIServer, script: Script) -> None:
    script.answer = '{"text": "The fovea", "corrections": [' + "x" * 500
    with pytest.raises(ValueError, match="not valid JSON") as info:
        _refiner(server).refine(RAW)
    assert isinstance(info.value, MalformedOutputError) and isinstance(info.value, StructuredOutputError)
    assert len(server.requests) == 2  # the reply and one repair
    assert len(str(info.value).split("output: ", 1)[1]) <= 200 + 2


def test_refine_uses_a_repaired_reply(server: FakeOpenAIServer, script: Script) -> None:
    answers = iter(["Here are the corrections: fovee -> fovea", _reply(("fovee", "fovea"))])
    server.responder = lambda request: next(answers)
    assert _refiner(server).refine(RAW).text == RAW.replace("fovee", "fovea")
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ([], "<root>: Input should be a valid dictionary"),
        ({"corrections": []}, "text: Field required"),
        ({"text": "x", "corrections": "fovee->fovea"}, "corrections: Input should be a valid list"),
        ({"text": "x"}, "corrections: Field required"),
        ({"text": "x", "corrections": ["fovee"]}, "corrections.0: Input should be a valid dictionary"),
        ({"text": "x", "corrections": [{"before": "fovee"}]}, "corrections.0.after: Field required"),
        ({"text": "x", "corrections": [{"before": 1, "after": "fovea"}]}, "corrections.0.before"),
        ("  ", "empty output"),
    ],
)
def test_refine_rejects_wrong_shape(
    server: FakeOpenAIServer, script: Script, payload: Any, problem: str
) -> None:
    script.answer = payload if isinstance(payload, str) else json.dumps(payload)
    with pytest.raises(MalformedOutputError) as info:
        _refiner(server).refine(RAW)
    failures = info.value.call.failures  # type: ignore[attr-defined]
    assert len(failures) == 2 and all(problem in f for f in failures), failures


def test_refine_rejects_null_content(server: FakeOpenAIServer, script: Script) -> None:
    script.answer = {"content": None, "finish_reason": "length"}
    with pytest.raises(MalformedOutputError, match="no content.*length"):
        _refiner(server).refine(RAW)


def test_refine_skips_the_model_for_blank_sentences(server: FakeOpenAIServer) -> None:
    assert _refiner(server).refine("  ").corrections == ()
    assert server.requests == []


def test_build_refiner_llm(server: FakeOpenAIServer) -> None:
    refiner = build_refiner("llm", llm=_llm(server), sampling=Sampling(temperature=0.0))
    assert isinstance(refiner, LLMRefiner)
    assert refiner.refine(RAW).text.startswith("The fovea")
    with pytest.raises(ValueError, match="no LLM options"):
        build_refiner("lexicon", llm=_llm(server))
