"""OpenAI-compatible generator through LlmClient against a local fake of the chat-completions protocol (real
openai client): the prompt it sends, its provenance, the frame for vision models, malformed replies."""

from __future__ import annotations

import base64
import io
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from PIL import Image

from ophin.llm.client import LlmCall, LlmClient, Sampling, StructuredOutputError, validate
from ophin.llm.json_reply import MalformedOutputError
from ophin.synthesis.base import KINDS, PairContext, Turn
from ophin.synthesis.openai_chat import (
    PROMPT_VERSION,
    OpenAICompatibleGenerator,
    TurnsReply,
    build_openai_client,
    check_turns,
    load_prompt,
    render_prompt,
)
from tests.fakes.openai_server import FakeOpenAIServer

CTX = PairContext(
    pair_id="pair-1",
    cues=("Here you can see the optic disc.", "The cup is enlarged with a thin inferior rim."),
    transcript="Welcome. Here you can see the optic disc. The cup is enlarged with a thin inferior rim.",
)
GOOD = {
    "turns": [
        {"role": "human", "text": "What does this fundus photograph show?"},
        {"role": "gpt", "text": "The optic disc has an enlarged cup with a thin inferior rim."},
    ]
}


class Script:
    """A responder returning queued answers in order (the last one repeats)."""

    def __init__(self, *answers: str | dict[str, Any]) -> None:
        self.answers = list(answers)

    def __call__(self, request: dict[str, Any]) -> str | dict[str, Any]:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@pytest.fixture
def script() -> Script:
    return Script(json.dumps(GOOD))


@pytest.fixture
def server(script: Script) -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(script) as srv:
        yield srv


def _generator(
    server: FakeOpenAIServer, max_retries: int = 0, vision: bool = False, image_max_side: int = 768
) -> OpenAICompatibleGenerator:
    llm = LlmClient(
        build_openai_client(server.base_url, "test-key", timeout_s=5.0, max_retries=0),
        "fake-vlm",
        max_retries=max_retries,
        vision=vision,
        image_max_side=image_max_side,
        sleep=lambda _s: None,  # backoff waits are LlmClient's own tests' business
    )
    return OpenAICompatibleGenerator(llm, Sampling(temperature=0.1, max_tokens=321))


def _png(size: tuple[int, int] = (1200, 800)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (180, 60, 30)).save(out, format="PNG")
    return out.getvalue()


def test_generate_parses_good_json_and_sends_prompt(server: FakeOpenAIServer) -> None:
    instruction = _generator(server).generate(CTX, "vqa")
    assert instruction.turns == tuple(Turn(t["role"], t["text"]) for t in GOOD["turns"])
    assert instruction.kind == "vqa"
    assert (instruction.generator, instruction.prompt_version) == ("openai-chat", "v3")
    assert instruction.generator_version == "2+fake-vlm"
    (request,) = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer test-key"
    body = request.json
    assert (body["model"], body["temperature"], body["max_tokens"]) == ("fake-vlm", 0.1, 321)
    (message,) = body["messages"]
    assert message["role"] == "user" and isinstance(message["content"], str)
    prompt = message["content"]
    assert prompt == render_prompt(CTX, "vqa")
    assert "1. The optic disc." in prompt  # the narration artefact "here you can see" is left out
    assert "Here you can see" not in prompt.split("Context:")[0]
    assert "2. The cup is enlarged with a thin inferior rim." in prompt
    assert "JSON only" in prompt
    schema = body["response_format"]["json_schema"]
    assert schema["name"] == "TurnsReply" and schema["schema"] == TurnsReply.model_json_schema()


def test_generate_records_the_llm_call(server: FakeOpenAIServer) -> None:
    instruction = _generator(server).generate(CTX, "cot")
    call = instruction.llm
    assert isinstance(call, LlmCall)
    assert (call.model, call.served_model, call.prompt_version) == (
        "fake-vlm",
        "fake-vlm",
        "synthesis/cot.v3",
    )
    assert call.sampling == {"temperature": 0.1, "max_tokens": 321, "seed": None}
    assert (call.attempts, call.cached) == (1, False) and call.completion_tokens > 0


def test_generate_strips_whitespace_in_texts(server: FakeOpenAIServer, script: Script) -> None:
    script.answers = ['{"turns": [{"role": "human", "text": " Q? "}, {"role": "gpt", "text": "A. "}]}']
    assert _generator(server).generate(CTX, "vqa").turns == (Turn("human", "Q?"), Turn("gpt", "A."))


def test_generate_sends_the_frame_only_to_a_vision_model(server: FakeOpenAIServer) -> None:
    ctx = PairContext(CTX.pair_id, CTX.cues, CTX.transcript, image=_png())
    _generator(server, vision=False).generate(ctx, "vqa")
    _generator(server, vision=True, image_max_side=300).generate(ctx, "vqa")
    _generator(server, vision=True).generate(CTX, "vqa")  # a vision model, but this pair has no frame
    blind, seeing, no_frame = (r.json["messages"][0]["content"] for r in server.requests)
    assert blind == no_frame == render_prompt(CTX, "vqa")
    text, image = seeing
    assert text == {"type": "text", "text": render_prompt(CTX, "vqa")}
    url = image["image_url"]["url"]
    assert image["type"] == "image_url" and url.startswith("data:image/jpeg;base64,")
    with Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))) as sent:
        assert sent.format == "JPEG" and sent.size == (300, 200)


def test_config_names_what_changes_the_output(server: FakeOpenAIServer) -> None:
    blind, seeing = _generator(server).config(), _generator(server, vision=True, image_max_side=512).config()
    assert blind["model"] == "fake-vlm" and blind["version"] == "2" and blind["prompt_version"] == "v3"
    assert blind["sampling"] == {"temperature": 0.1, "max_tokens": 321, "seed": None}
    assert (blind["vision"], blind["image_max_side"]) == (False, None)
    assert (seeing["vision"], seeing["image_max_side"]) == (True, 512)
    assert blind["response_format"] == "json_schema" and len(str(blind["prompt_sha256"])) == 16


def test_generate_accepts_fenced_json(server: FakeOpenAIServer, script: Script) -> None:
    script.answers = ["```json\n" + json.dumps(GOOD, indent=2) + "\n```"]
    assert len(_generator(server).generate(CTX, "conversation").turns) == 2


def test_generate_repairs_once_then_succeeds(server: FakeOpenAIServer, script: Script) -> None:
    script.answers = ["Sure! What is shown?", json.dumps(GOOD)]
    instruction = _generator(server).generate(CTX, "vqa")
    assert instruction.turns[1].role == "gpt" and instruction.llm.attempts == 2
    assert len(server.requests) == 2
    assert server.requests[1].json["messages"][1] == {"role": "assistant", "content": "Sure! What is shown?"}


def test_generate_rejects_malformed_json(server: FakeOpenAIServer, script: Script) -> None:
    script.answers = ['{"turns": [{"role": "human", "text": "What is shown?"}, ' + "x" * 500]
    with pytest.raises(MalformedOutputError, match="not valid JSON") as info:
        _generator(server).generate(CTX, "vqa")
    assert isinstance(info.value, StructuredOutputError)
    assert len(server.requests) == 2  # the reply, then one repair
    quoted = str(info.value).split("output: ", 1)[1]
    assert len(quoted) <= 200 + 2  # repr quotes around a <=200-char excerpt


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ([GOOD], "<root>: Input should be a valid dictionary"),
        ({"answer": "x"}, "turns: Field required"),
        ({"turns": []}, "turns: List should have at least 2 items"),
        ({"turns": "human: hi"}, "turns: Input should be a valid list"),
        ({"turns": [{"role": "human", "text": "Q?"}]}, "turns: List should have at least 2 items"),
        ({"turns": [{"role": "gpt", "text": "A."}, {"role": "human", "text": "Q?"}]}, "expected 'human'"),
        ({"turns": [{"role": "human", "text": "Q?"}, {"role": "human", "text": "Q2?"}]}, "expected 'gpt'"),
        ({"turns": [{"role": "human", "text": "Q?"}, {"role": "gpt", "text": "  "}]}, "turn 1 text is blank"),
        ({"turns": [{"role": "human", "text": "Q?"}, {"role": "gpt", "text": ""}]}, "at least 1 character"),
        ({"turns": [{"role": "human", "text": "Q?"}, {"role": "gpt", "text": 3}]}, "valid string"),
        (
            {
                "turns": [
                    {"role": "human", "text": "Q?"},
                    {"role": "gpt", "text": "A."},
                    {"role": "human", "text": "?"},
                ]
            },
            "end with a gpt turn",
        ),
        ({"turns": ["Q?", "A."]}, "turns.0: Input should be a valid dictionary"),
        ({"turns": [{"role": "doctor", "text": "Q?"}, {"role": "gpt", "text": "A."}]}, "turns.0.role"),
        (
            {"turns": [{"role": "human", "text": "Q?", "image": 1}, {"role": "gpt", "text": "A."}]},
            "Extra inputs are not permitted",
        ),
    ],
)
def test_generate_rejects_wrong_shape(
    server: FakeOpenAIServer, script: Script, payload: Any, problem: str
) -> None:
    script.answers = [json.dumps(payload)]
    with pytest.raises(MalformedOutputError, match="no valid reply after a repair") as info:
        _generator(server).generate(CTX, "vqa")
    assert all(problem in failure for failure in info.value.call.failures), info.value.call.failures


@pytest.mark.parametrize(
    "payload",
    [
        {"turns": [{"role": "human", "text": "Q?"}, {"role": "gpt", "text": "A."}]},
        {"turns": [{"role": r, "text": f"{r} {i}"} for i, r in enumerate(["human", "gpt"] * 3)]},
    ],
)
def test_check_turns_accepts_alternating_turns_ending_with_gpt(payload: dict[str, Any]) -> None:
    reply = validate(json.dumps(payload), TurnsReply, check_turns)
    assert [t.role for t in reply.turns][-1] == "gpt"


def test_generate_rejects_empty_choices(server: FakeOpenAIServer, script: Script) -> None:
    body = {"id": "chatcmpl-x", "object": "chat.completion", "created": 0, "model": "fake-vlm", "choices": []}
    script.answers = [{"status": 200, "body": body}]
    with pytest.raises(MalformedOutputError, match="no content"):
        _generator(server).generate(CTX, "vqa")


def test_generate_rejects_null_content(server: FakeOpenAIServer, script: Script) -> None:
    script.answers = [{"content": None, "finish_reason": "content_filter"}]
    with pytest.raises(MalformedOutputError, match="no content.*content_filter"):
        _generator(server).generate(CTX, "cot")


def test_generate_raises_openai_error_after_retries(server: FakeOpenAIServer, script: Script) -> None:
    script.answers = [{"status": 500, "headers": {"retry-after-ms": "5"}}]
    with pytest.raises(openai.InternalServerError):
        _generator(server, max_retries=2).generate(CTX, "vqa")
    assert len(server.requests) == 3  # first try + 2 retries


def test_generate_recovers_when_a_retry_succeeds(server: FakeOpenAIServer, script: Script) -> None:
    script.answers = [{"status": 503, "headers": {"retry-after-ms": "5"}}, json.dumps(GOOD)]
    instruction = _generator(server, max_retries=1).generate(CTX, "vqa")
    assert instruction.turns[1].role == "gpt" and instruction.llm.retries == 1
    assert len(server.requests) == 2


def test_generate_requires_cues(server: FakeOpenAIServer) -> None:
    with pytest.raises(ValueError, match="no visual-cue"):
        _generator(server).generate(PairContext("p", (), "text"), "vqa")
    assert server.requests == []


def test_load_prompt_finds_every_kind_as_package_data() -> None:
    for kind in KINDS:
        text = load_prompt(kind).template
        assert "$cues" in text and "$transcript" in text
        assert '"turns"' in text and "JSON only" in text
        assert "transcript" in text.lower() and "speaker" in text.lower()
    assert PROMPT_VERSION == "v3"
    with pytest.raises(ValueError, match="unknown instruction kind"):
        load_prompt("caption")  # type: ignore[arg-type]


def test_render_prompt_numbers_cues_and_keeps_dollar_signs() -> None:
    ctx = PairContext("p", ("It costs $5.", "The disc is pale."), "context with ${odd} text")
    prompt = render_prompt(ctx, "cot")
    assert "1. It costs $5.\n2. The disc is pale." in prompt
    assert "context with ${odd} text" in prompt
    assert "$cues" not in prompt and "$transcript" not in prompt


def test_build_openai_client_applies_settings() -> None:
    client = build_openai_client("http://127.0.0.1:9/v1", "k", timeout_s=7.5, max_retries=4)
    assert str(client.base_url).rstrip("/") == "http://127.0.0.1:9/v1"
    assert (client.api_key, client.timeout, client.max_retries) == ("k", 7.5, 4)


def _post(url: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url,
        data=b'{"model": "m", "messages": []}',
        method="POST",
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def test_fake_server_speaks_the_protocol(server: FakeOpenAIServer) -> None:
    status, body = _post(server.base_url + "/chat/completions", {"Authorization": "Bearer k"})
    assert status == 200
    assert body["object"] == "chat.completion" and body["model"] == "m"
    message = body["choices"][0]["message"]
    assert message == {"role": "assistant", "content": json.dumps(GOOD), "refusal": None}
    assert set(body["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}
    assert _post(server.base_url + "/chat/completions", {})[0] == 401
    status, body = _post(server.base_url + "/embeddings", {"Authorization": "Bearer k"})
    assert status == 404 and "error" in body
