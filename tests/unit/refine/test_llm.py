"""LLM refiner against a local fake of the chat-completions protocol (real openai client): only vetted
corrections reach the text, malformed replies raise."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from ophin.refine import build_refiner
from ophin.refine.llm import LLMRefiner, parse_reply
from ophin.synthesis.base import MalformedOutputError
from ophin.synthesis.openai_chat import build_openai_client
from tests.fakes.openai_server import FakeOpenAIServer

RAW = "The fovee shows no fluid and a cup -to -disc ratio of 0.7 on this scan."
CONTEXT = "Here is the OCT of the right eye."


def _reply(*corrections: tuple[str, str], text: str = "ignored by the refiner") -> str:
    return json.dumps(
        {"text": text, "corrections": [{"before": b, "after": a, "reason": "asr"} for b, a in corrections]}
    )


class Script:
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


def _refiner(server: FakeOpenAIServer) -> LLMRefiner:
    client = build_openai_client(server.base_url, "test-key", timeout_s=5.0, max_retries=0)
    return LLMRefiner(client, "fake-llm", max_tokens=123)


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
    assert refiner.name == "llm-refiner" and refiner.version.endswith("+fake-llm+t0.0")


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
    assert isinstance(info.value, MalformedOutputError)
    assert len(str(info.value).split("output: ", 1)[1]) <= 200 + 2


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ([], 'string "text"'),
        ({"corrections": []}, 'string "text"'),
        ({"text": "x", "corrections": "fovee->fovea"}, "must be a list"),
        ({"text": "x"}, "must be a list"),
        ({"text": "x", "corrections": ["fovee"]}, "not an object"),
        ({"text": "x", "corrections": [{"before": "fovee"}]}, 'string "before" and "after"'),
        ({"text": "x", "corrections": [{"before": 1, "after": "fovea"}]}, 'string "before" and "after"'),
    ],
)
def test_parse_reply_rejects_wrong_shape(payload: Any, problem: str) -> None:
    with pytest.raises(MalformedOutputError, match=problem):
        parse_reply(json.dumps(payload))


def test_parse_reply_rejects_empty_output() -> None:
    with pytest.raises(MalformedOutputError, match="empty output"):
        parse_reply("  ")


def test_refine_rejects_null_content(server: FakeOpenAIServer, script: Script) -> None:
    script.answer = {"content": None, "finish_reason": "length"}
    with pytest.raises(MalformedOutputError, match="no content.*length"):
        _refiner(server).refine(RAW)


def test_refine_skips_the_model_for_blank_sentences(server: FakeOpenAIServer) -> None:
    assert _refiner(server).refine("  ").corrections == ()
    assert server.requests == []


def test_build_refiner_llm(server: FakeOpenAIServer) -> None:
    client = build_openai_client(server.base_url, "test-key", timeout_s=5.0, max_retries=0)
    refiner = build_refiner("llm", client=client, model="fake-llm", temperature=0.0)
    assert isinstance(refiner, LLMRefiner)
    assert refiner.refine(RAW).text.startswith("The fovea")
    with pytest.raises(ValueError, match="no LLM options"):
        build_refiner("lexicon", model="fake-llm")
