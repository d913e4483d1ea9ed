"""LLMCueScorer against a local chat-completions server with scripted answers, via the real openai client."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from string import Template
from typing import Any

import openai
import pytest
from PIL import Image

from ophin.cues import llm as cue_llm
from ophin.cues.base import CueContext
from ophin.cues.llm import PROMPT_VERSION, CueReply, LLMCueScorer, SentenceVerdict, check_indices
from ophin.cues.rules import RuleCueScorer
from ophin.llm.client import LlmClient, Sampling, StructuredOutputError
from tests.fakes.openai_server import FakeOpenAIServer

VISUAL = [
    "Notice the retinal vessels arching around the macula.",
    "The optic disc shows an enlarged cup with a thin inferior rim.",
    "Here we see drusen scattered across the macula.",
    "This OCT scan shows intraretinal cysts in the fovea.",
    "Flame haemorrhages are visible along the superior arcade.",
    "The cup to disc ratio here looks about 0.7.",
    "You can see hard exudates forming a ring around the fovea.",
]
CHATTER = ["Good morning everyone.", "Thank you for listening."]
NUMBERED = re.compile(r"^(\d+)\. (.*)$", re.MULTILINE)


def asked(request: dict[str, Any]) -> list[str]:
    """The sentences one request asks about, in order (from the first, un-repaired user message)."""
    content = request["messages"][0]["content"]
    text = content if isinstance(content, str) else content[0]["text"]
    block = text.split("Sentences to label:", 1)[1].split("Answer with JSON only", 1)[0]
    return [m.group(2) for m in NUMBERED.finditer(block)]


def answer_all(score: Callable[[str], float] = lambda s: 0.9) -> Callable[[dict[str, Any]], str]:
    """A model that calls a sentence visual with the given score (>= 0.5) for every sentence it is asked."""

    def respond(request: dict[str, Any]) -> str:
        items = [
            {"index": n, "visual": score(s) >= 0.5, "score": score(s), "reason": f"about {s[:12]}"}
            for n, s in enumerate(asked(request), start=1)
        ]
        return json.dumps({"sentences": items})

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


def client(server: FakeOpenAIServer, model: str = "fake-model", vision: bool = False) -> LlmClient:
    return LlmClient(
        openai.OpenAI(base_url=server.base_url, api_key="k"), model, max_retries=0, vision=vision
    )


def scorer(llm: LlmClient, batch_size: int = 8, **kwargs: Any) -> LLMCueScorer:
    options: dict[str, Any] = {"min_rule_score": 0.1, "threshold": 0.5, **kwargs}
    return LLMCueScorer(llm, Sampling(), prefilter=RuleCueScorer(0.5), batch_size=batch_size, **options)


def test_score_sends_batches_of_batch_size_in_order(serve) -> None:  # noqa: ANN001
    server = serve(answer_all())
    verdicts = scorer(client(server), batch_size=3).score(VISUAL)
    sent = [asked(r.json) for r in server.requests]
    assert [len(batch) for batch in sent] == [3, 3, 1]
    assert [s for batch in sent for s in batch] == VISUAL
    assert [v.sentence for v in verdicts] == VISUAL
    assert all(v.is_visual for v in verdicts)


def test_score_never_sends_prefiltered_sentences(serve) -> None:  # noqa: ANN001
    server = serve(answer_all())
    rules = RuleCueScorer(0.5)
    assert all(rules.score_one(s).score < 0.1 for s in CHATTER)
    sentences = [CHATTER[0], VISUAL[0], CHATTER[1], VISUAL[1]]
    verdicts = scorer(client(server)).score(sentences, CueContext(transcript=" ".join(sentences)))
    (request,) = server.requests
    assert asked(request.json) == [VISUAL[0], VISUAL[1]]
    # The window's whole text still travels as context.
    assert CHATTER[0] in request.json["messages"][0]["content"]
    for verdict in (verdicts[0], verdicts[2]):
        assert not verdict.is_visual
        assert (verdict.model, verdict.prompt_version, verdict.llm) == (None, None, None)
        assert "pre-filter" in verdict.reason and "not asked" in verdict.reason
    assert [v.is_visual for v in verdicts] == [False, True, False, True]


def test_score_asks_nothing_when_everything_is_prefiltered(serve) -> None:  # noqa: ANN001
    server = serve(answer_all())
    verdicts = scorer(client(server)).score(CHATTER)
    assert server.requests == []
    assert [v.is_visual for v in verdicts] == [False, False]


def test_score_min_rule_score_zero_asks_about_every_sentence(serve) -> None:  # noqa: ANN001
    server = serve(answer_all())
    scorer(client(server), min_rule_score=0.0).score([*CHATTER, VISUAL[0]])
    (request,) = server.requests
    assert asked(request.json) == [*CHATTER, VISUAL[0]]


def test_score_missing_index_gets_one_repair_then_fails(serve) -> None:  # noqa: ANN001
    def drop_last(request: dict[str, Any]) -> str:
        items = json.loads(answer_all()(request))["sentences"][:-1]
        return json.dumps({"sentences": items})

    server = serve(drop_last)
    with pytest.raises(StructuredOutputError) as info:
        scorer(client(server)).score(VISUAL[:3])
    assert len(server.requests) == 2
    repair = server.requests[1].json["messages"]
    assert repair[1]["role"] == "assistant" and "missing index [3]" in repair[2]["content"]
    call = info.value.call
    assert call.attempts == 2
    assert len(call.failures) == 2 and all("missing index [3]" in f for f in call.failures)


def test_score_repaired_reply_is_used(serve) -> None:  # noqa: ANN001
    replies = iter([json.dumps({"sentences": []})])

    def first_empty(request: dict[str, Any]) -> str:
        return next(replies, None) or answer_all()(request)

    server = serve(first_empty)
    verdicts = scorer(client(server)).score(VISUAL[:2])
    assert len(server.requests) == 2
    assert all(v.is_visual for v in verdicts)
    assert verdicts[0].llm is not None and verdicts[0].llm.attempts == 2


def test_score_transport_error_is_raised(serve) -> None:  # noqa: ANN001
    server = serve(lambda request: {"status": 500})
    with pytest.raises(openai.InternalServerError):
        scorer(client(server)).score(VISUAL[:2])


def test_score_verdict_fields_follow_threshold_and_share_the_batch_call(serve) -> None:  # noqa: ANN001
    scores = {VISUAL[0]: 0.9, VISUAL[1]: 0.55, VISUAL[2]: 0.45, VISUAL[3]: 0.8}
    server = serve(answer_all(lambda s: scores[s]))
    verdicts = scorer(client(server), batch_size=2, threshold=0.6).score(VISUAL[:4])
    # 0.55 says visual (>= 0.5 in the fake) but is under the scorer's threshold; 0.45 says not visual.
    assert [v.is_visual for v in verdicts] == [True, False, False, True]
    assert [v.score for v in verdicts] == [0.9, 0.55, 0.45, 0.8]
    assert all(v.model == "fake-model" and v.prompt_version == PROMPT_VERSION for v in verdicts)
    assert verdicts[0].llm is verdicts[1].llm and verdicts[2].llm is verdicts[3].llm
    assert verdicts[0].llm is not verdicts[2].llm
    assert verdicts[0].llm is not None and verdicts[0].llm.prompt_version == "cues.v1"
    assert "not visual" in verdicts[2].reason and "fake-model" in verdicts[2].reason


def test_score_visual_false_with_high_score_is_not_visual(serve) -> None:  # noqa: ANN001
    reply = {"sentences": [{"index": 1, "visual": False, "score": 0.95, "reason": "history"}]}
    server = serve(lambda request: json.dumps(reply))
    (verdict,) = scorer(client(server)).score(VISUAL[:1])
    assert not verdict.is_visual and verdict.score == 0.95


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 800), (180, 60, 30)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("vision", [False, True])
def test_score_attaches_the_frame_only_for_vision_models(serve, vision: bool) -> None:  # noqa: ANN001
    server = serve(answer_all())
    scorer(client(server, vision=vision)).score(VISUAL[:2], CueContext("transcript", _png()))
    content = server.requests[0].json["messages"][0]["content"]
    if vision:
        assert [part["type"] for part in content] == ["text", "image_url"]
        assert content[1]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    else:
        assert isinstance(content, str)


def test_version_names_everything_that_changes_verdicts(serve, monkeypatch) -> None:  # noqa: ANN001
    server = serve(answer_all())
    base = scorer(client(server)).version
    assert PROMPT_VERSION in base and "fake-model" in base
    changed = [
        scorer(client(server, model="other-model")).version,
        scorer(client(server), batch_size=4).version,
        scorer(client(server), min_rule_score=0.2).version,
        scorer(client(server), threshold=0.7).version,
        scorer(client(server, vision=True)).version,
        LLMCueScorer(client(server), Sampling(temperature=0.0), prefilter=RuleCueScorer(0.5)).version,
    ]
    assert len({base, *changed}) == len(changed) + 1
    assert scorer(client(server)).version == base
    monkeypatch.setattr(
        cue_llm, "load_prompt", lambda version=PROMPT_VERSION: Template("$sentences $transcript")
    )
    assert scorer(client(server)).version != base


def test_scorer_refuses_bad_settings(serve) -> None:  # noqa: ANN001
    llm = client(serve(answer_all()))
    with pytest.raises(ValueError, match="batch_size"):
        scorer(llm, batch_size=0)
    with pytest.raises(ValueError, match="min_rule_score"):
        scorer(llm, min_rule_score=1.5)
    with pytest.raises(ValueError, match="threshold"):
        scorer(llm, threshold=-0.1)


def _reply(*indices: int) -> CueReply:
    return CueReply(sentences=[SentenceVerdict(index=i, visual=True, score=0.9, reason="r") for i in indices])


def test_check_indices_accepts_each_index_once_in_any_order() -> None:
    check_indices(3)(_reply(3, 1, 2))


@pytest.mark.parametrize(
    ("indices", "problem"),
    [
        ((1, 2), "missing index [3]"),
        ((1, 2, 2, 3), "repeated index [2]"),
        ((1, 2, 3, 4), "unknown index [4]"),
    ],
)
def test_check_indices_refuses(indices: tuple[int, ...], problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        check_indices(3)(_reply(*indices))


def test_reply_schema_forbids_extra_fields_and_out_of_range_scores() -> None:
    good = {"index": 1, "visual": True, "score": 0.5, "reason": "r"}
    with pytest.raises(ValueError):
        CueReply.model_validate({"sentences": [{**good, "extra": 1}]})
    with pytest.raises(ValueError):
        CueReply.model_validate({"sentences": [{**good, "score": 1.5}]})


def test_render_prompt_numbers_sentences_and_gives_one_slot_per_index() -> None:
    prompt = cue_llm.render_prompt(["Here we see drusen.", "Thank\nyou."], "  the   window text ")
    assert "1. Here we see drusen.\n2. Thank you." in prompt
    assert "the window text" in prompt
    assert '{"index": 1,' in prompt and '{"index": 2,' in prompt and '{"index": 3,' not in prompt
    assert "$" not in prompt
