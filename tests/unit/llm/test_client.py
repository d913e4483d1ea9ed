"""LlmClient against a local server of the OpenAI chat protocol (real openai client): the request it sends,
the record it keeps, one repair for a malformed reply, transport retries, the in-flight bound, rate limits."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest
from pydantic import BaseModel, ConfigDict, Field

from ophin.llm.client import (
    REPAIR_TEMPERATURE,
    LlmCall,
    LlmClient,
    RateLimiter,
    Sampling,
    StructuredOutputError,
)
from ophin.llm.json_reply import MalformedOutputError
from tests.fakes.openai_server import FakeOpenAIServer


class Finding(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(min_length=1)
    score: float


GOOD = json.dumps({"label": "cupping", "score": 0.8})
MESSAGES = [{"role": "user", "content": "Name the finding as JSON."}]


def no_negative(reply: Finding) -> None:
    if reply.score < 0:
        raise ValueError(f"score {reply.score} is negative")


class Script:
    """Answers queued in order, the last one repeating; a callable answer is asked with the request."""

    def __init__(self, *answers: str | dict[str, Any] | Callable[[dict[str, Any]], Any]) -> None:
        self.answers = list(answers)
        self._lock = threading.Lock()

    def __call__(self, request: dict[str, Any]) -> str | dict[str, Any]:
        with self._lock:
            answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return answer(request) if callable(answer) else answer


class FakeTime:
    """A clock that sleeping advances: the client's waits are recorded, and nothing really waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def serve() -> Iterator[Callable[..., FakeOpenAIServer]]:
    servers: list[FakeOpenAIServer] = []

    def start(*answers: Any) -> FakeOpenAIServer:
        server = FakeOpenAIServer(Script(*answers)).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)


def client_for(
    server: FakeOpenAIServer, *, timeout_s: float = 5.0, time_: FakeTime | None = None, **options: Any
) -> LlmClient:
    time_ = time_ or FakeTime()
    options.setdefault("max_retries", 0)
    return LlmClient(
        openai.OpenAI(base_url=server.base_url, api_key="k", timeout=timeout_s),
        "fake-model",
        sleep=time_.sleep,
        clock=time_.clock,
        **options,
    )


def ask(llm: LlmClient, sampling: Sampling = Sampling(), **kwargs: Any) -> tuple[Finding, LlmCall]:
    kwargs.setdefault("check", no_negative)
    return llm.structured(MESSAGES, Finding, prompt_version="test.v1", sampling=sampling, **kwargs)


def test_structured_sends_the_schema_and_records_the_call(serve) -> None:  # noqa: ANN001
    server = serve(
        {
            "content": GOOD,
            "model": "qwen2.5-vl-7b-served",
            "usage": {"prompt_tokens": 41, "completion_tokens": 9},
        }
    )
    value, call = ask(client_for(server), Sampling(temperature=0.3, max_tokens=77, seed=5))
    assert value == Finding(label="cupping", score=0.8)
    (request,) = server.requests
    body = request.json
    assert (body["model"], body["temperature"], body["max_tokens"], body["seed"]) == (
        "fake-model",
        0.3,
        77,
        5,
    )
    assert body["messages"] == MESSAGES
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Finding", "schema": Finding.model_json_schema(), "strict": True},
    }
    assert call.model == "fake-model" and call.served_model == "qwen2.5-vl-7b-served"
    assert (call.prompt_tokens, call.completion_tokens) == (41, 9)
    assert call.latency_s > 0
    assert (call.attempts, call.retries, call.cached, call.failures) == (1, 0, False, ())
    assert call.prompt_version == "test.v1"
    assert call.sampling == {"temperature": 0.3, "max_tokens": 77, "seed": 5}
    assert len(call.cache_key) == 64
    assert json.loads(json.dumps(call.as_json()))["failures"] == []


def test_structured_sends_no_seed_when_unset(serve) -> None:  # noqa: ANN001
    server = serve(GOOD)
    ask(client_for(server), Sampling(seed=None))
    assert "seed" not in server.requests[0].json


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("json_object", {"type": "json_object", "schema": Finding.model_json_schema()}),
        ("none", None),
    ],
)
def test_structured_response_format_modes(serve, mode: str, expected: dict | None) -> None:  # noqa: ANN001
    server = serve(GOOD)
    value, _ = ask(client_for(server, response_format=mode))
    assert value.label == "cupping"
    assert server.requests[0].json.get("response_format") == expected


def test_structured_accepts_a_fenced_reply(serve) -> None:  # noqa: ANN001
    value, call = ask(client_for(serve("```json\n" + GOOD + "\n```")))
    assert value.score == 0.8 and call.attempts == 1


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ("Sure! The finding is cupping.", "not valid JSON"),
        (json.dumps({"label": "cupping"}), "does not match the schema (score: Field required)"),
        (json.dumps({"label": "cupping", "score": 0.8, "extra": 1}), "extra: Extra inputs are not permitted"),
        (json.dumps({"label": "cupping", "score": -1}), "score -1.0 is negative"),
    ],
)
def test_structured_repairs_a_malformed_reply_once(serve, bad: str, problem: str) -> None:  # noqa: ANN001
    server = serve(bad, GOOD)
    value, call = ask(client_for(server))
    assert value.label == "cupping"
    first, repair = (r.json for r in server.requests)
    assert repair["messages"][: len(MESSAGES)] == first["messages"] == MESSAGES
    assistant, user = repair["messages"][len(MESSAGES) :]
    assert assistant == {"role": "assistant", "content": bad}
    assert user["role"] == "user" and problem in user["content"]
    assert repair["response_format"] == first["response_format"]
    assert call.attempts == 2 and call.retries == 0
    (failure,) = call.failures
    assert problem in failure and repr(bad) in failure


def test_structured_gives_up_after_one_repair(serve) -> None:  # noqa: ANN001
    first_bad, second_bad = "no JSON here", json.dumps({"label": "", "score": 1})
    server = serve(first_bad, second_bad, GOOD)
    with pytest.raises(StructuredOutputError, match="no valid reply after a repair") as info:
        ask(client_for(server))
    assert len(server.requests) == 2  # the GOOD third answer is never asked for
    err = info.value
    assert isinstance(err, MalformedOutputError) and isinstance(err, ValueError)
    assert err.output == second_bad
    assert err.call.attempts == 2
    assert [repr(first_bad) in err.call.failures[0], repr(second_bad) in err.call.failures[1]] == [True, True]
    assert "label: String should have at least 1 character" in err.call.failures[1]
    # The record of the two requests is complete: tokens of both are counted.
    assert err.call.prompt_tokens > 0 and err.call.completion_tokens > 0


def test_structured_names_the_finish_reason_of_an_empty_reply(serve) -> None:  # noqa: ANN001
    server = serve({"content": None, "finish_reason": "content_filter"})
    with pytest.raises(StructuredOutputError) as info:
        ask(client_for(server))
    assert "no content (finish_reason=content_filter)" in info.value.call.failures[0]
    assert server.requests[1].json["messages"][-2] == {"role": "assistant", "content": ""}


def test_structured_says_a_truncated_reply_was_cut_off(serve) -> None:  # noqa: ANN001
    server = serve({"content": '{"label": "cup', "finish_reason": "length"}, GOOD)
    _, call = ask(client_for(server))
    assert "cut off at max_tokens" in call.failures[0]
    assert "cut off at max_tokens" in server.requests[1].json["messages"][-1]["content"]


def test_structured_survives_a_reply_without_choices(serve) -> None:  # noqa: ANN001
    body = {"id": "x", "object": "chat.completion", "created": 0, "model": "fake-model", "choices": []}
    server = serve({"status": 200, "body": body}, GOOD)
    _, call = ask(client_for(server))
    assert call.attempts == 2 and "finish_reason=None" in call.failures[0]


def test_429_waits_as_long_as_retry_after_says(serve) -> None:  # noqa: ANN001
    server = serve({"status": 429, "headers": {"Retry-After": "2"}}, GOOD)
    time_ = FakeTime()
    _, call = ask(client_for(server, time_=time_, max_retries=1))
    assert time_.sleeps == [2.0]
    assert (call.retries, call.attempts, len(server.requests)) == (1, 1, 2)


def test_429_pauses_the_next_request_too(serve) -> None:  # noqa: ANN001
    """The server is overloaded for everyone: the shared limiter holds back a request that is about to start
    on another thread while the first waits out its Retry-After."""
    server = serve({"status": 429, "headers": {"Retry-After": "3"}}, GOOD)
    time_ = FakeTime()
    started = time_.now
    seen: list[float] = []

    def sleep(seconds: float) -> None:
        seen.append(llm.limiter.reserve())  # what another thread starting now would wait
        time_.sleep(seconds)

    llm = client_for(server, time_=time_, max_retries=1)
    llm.sleep = sleep
    ask(llm)
    assert seen == [pytest.approx(3.0)] and time_.now - started == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({"retry-after-ms": "1500"}, 1.5), ({"Retry-After": "3600"}, 60.0)],
)
def test_retry_after_ms_and_the_cap(serve, headers: dict[str, str], expected: float) -> None:  # noqa: ANN001
    server = serve({"status": 429, "headers": headers}, GOOD)
    time_ = FakeTime()
    ask(client_for(server, time_=time_, max_retries=1))
    assert time_.sleeps == [expected]


def test_retry_after_as_an_http_date(serve) -> None:  # noqa: ANN001
    from email.utils import formatdate

    server = serve(
        {"status": 503, "headers": {"Retry-After": formatdate(time.time() + 30, usegmt=True)}}, GOOD
    )
    time_ = FakeTime()
    ask(client_for(server, time_=time_, max_retries=1))
    (wait,) = time_.sleeps
    assert 27.0 <= wait <= 30.0


def test_500_then_ok_is_retried_with_backoff(serve) -> None:  # noqa: ANN001
    server = serve({"status": 500}, {"status": 502}, GOOD)
    time_ = FakeTime()
    value, call = ask(client_for(server, time_=time_, max_retries=2))
    assert value.label == "cupping" and call.retries == 2 and len(server.requests) == 3
    first, second = time_.sleeps
    # 0.5 s, then 1 s, each with +-50% jitter so that many workers do not retry in step.
    assert 0.25 <= first <= 0.75 and 0.5 <= second <= 1.5


def test_a_timeout_is_retried(serve) -> None:  # noqa: ANN001
    server = serve({"content": GOOD, "delay_s": 1.0}, GOOD)
    started = time.perf_counter()
    _, call = ask(client_for(server, timeout_s=0.3, max_retries=1))
    assert call.retries == 1 and len(server.requests) == 2
    assert time.perf_counter() - started < 1.0  # it gave up on the slow reply rather than waiting for it


def test_the_openai_error_propagates_after_max_retries(serve) -> None:  # noqa: ANN001
    server = serve({"status": 500})
    time_ = FakeTime()
    with pytest.raises(openai.InternalServerError):
        ask(client_for(server, time_=time_, max_retries=2))
    assert len(server.requests) == 3 and len(time_.sleeps) == 2


def test_a_timeout_propagates_after_max_retries(serve) -> None:  # noqa: ANN001
    server = serve({"content": GOOD, "delay_s": 0.6})
    with pytest.raises(openai.APITimeoutError):
        ask(client_for(server, timeout_s=0.2, max_retries=1))
    assert len(server.requests) == 2


def test_a_client_error_is_not_retried(serve) -> None:  # noqa: ANN001
    server = serve({"status": 400}, GOOD)
    time_ = FakeTime()
    with pytest.raises(openai.BadRequestError):
        ask(client_for(server, time_=time_, max_retries=3))
    assert len(server.requests) == 1 and time_.sleeps == []


def test_a_refused_connection_is_retried_then_raised() -> None:
    time_ = FakeTime()
    llm = LlmClient(
        openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key="k", timeout=2.0),
        "fake-model",
        max_retries=2,
        sleep=time_.sleep,
        clock=time_.clock,
    )
    with pytest.raises(openai.APIConnectionError):
        ask(llm)
    assert len(time_.sleeps) == 2


def test_requests_in_flight_are_bounded(serve) -> None:  # noqa: ANN001
    server = serve({"content": GOOD, "delay_s": 0.2})
    llm = client_for(server, max_in_flight=2)
    barrier = threading.Barrier(6)
    results: list[Finding] = []

    def call() -> None:
        barrier.wait()
        results.append(ask(llm)[0])

    threads = [threading.Thread(target=call) for _ in range(6)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    elapsed = time.perf_counter() - started
    assert len(results) == 6 and len(server.requests) == 6
    assert server.max_in_flight == 2  # concurrent, and never more than the bound
    assert elapsed >= 0.55  # three rounds of two, 0.2 s each


def test_rate_limiter_spaces_requests_evenly() -> None:
    time_ = FakeTime()
    limiter = RateLimiter(120, clock=time_.clock)  # one start every 0.5 s
    assert [limiter.reserve() for _ in range(3)] == [0.0, 0.5, 1.0]
    time_.now += 5.0  # idle for a while: the next start is not held back by the old schedule
    assert limiter.reserve() == 0.0
    assert limiter.reserve() == 0.5


def test_rate_limiter_pause_delays_the_next_reservation() -> None:
    time_ = FakeTime()
    limiter = RateLimiter(0, clock=time_.clock)
    limiter.pause(2.0)
    assert limiter.reserve() == 2.0
    time_.now += 2.0
    assert limiter.reserve() == 0.0
    limiter.pause(1.0)
    limiter.pause(0.5)  # a shorter pause does not shorten a longer one
    assert limiter.reserve() == 1.0


def test_rate_limiter_zero_never_waits() -> None:
    time_ = FakeTime()
    limiter = RateLimiter(0, clock=time_.clock)
    assert [limiter.reserve() for _ in range(100)] == [0.0] * 100


def test_requests_per_minute_spaces_real_requests(serve) -> None:  # noqa: ANN001
    server = serve(GOOD)
    time_ = FakeTime()
    llm = client_for(server, time_=time_, requests_per_minute=30)
    for _ in range(3):
        ask(llm)
    assert time_.sleeps == [2.0, 2.0] and len(server.requests) == 3


def test_fake_server_lists_models(serve) -> None:  # noqa: ANN001
    server = serve(GOOD)
    models = openai.OpenAI(base_url=server.base_url, api_key="k").models.list()
    assert [m.id for m in models] == ["fake-model"]


@pytest.mark.parametrize(("temperature", "repair_at"), [(0.0, REPAIR_TEMPERATURE), (0.9, 0.9)])
def test_structured_samples_a_repair_warmer_than_greedy(serve, temperature: float, repair_at: float) -> None:  # noqa: ANN001
    """Greedy decoding answers a repair with the reply it was told is wrong; the repair is sampled warmer."""
    server = serve("no JSON here", GOOD)
    ask(client_for(server), Sampling(temperature=temperature))
    first, repair = (r.json for r in server.requests)
    assert (first["temperature"], repair["temperature"]) == (temperature, repair_at)
