"""Structured requests to any OpenAI-compatible chat server (vLLM, SGLang, llama.cpp, an API).

One call = a cache look-up, then a request asking for JSON of a pydantic schema, validation, one repair
request when the reply does not validate, and an LlmCall record of what happened. Requests are bounded in
flight and rate limited per process; 429, 5xx, timeouts and refused connections are retried with backoff
(Retry-After honoured, and a 429 pauses every thread, not only the one that got it)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from typing import Any, Literal, Protocol, TypeVar

import openai
import pydantic
import tenacity

from ophin.adapters.retry_after import parse_retry_after
from ophin.llm.json_reply import MalformedOutputError, load_json_reply

M = TypeVar("M", bound=pydantic.BaseModel)
ResponseFormat = Literal["json_schema", "json_object", "none"]
RETRYABLE = (openai.RateLimitError, openai.InternalServerError, openai.APIConnectionError)
MAX_RETRY_AFTER_S = 60.0
REPAIR_TEMPERATURE = 0.7  # the least temperature a repair request is sampled at


@dataclass(frozen=True)
class Sampling:
    temperature: float = 0.2
    max_tokens: int = 800
    seed: int | None = None


@dataclass(frozen=True)
class CachedReply:
    content: str
    served_model: str | None
    prompt_tokens: int
    completion_tokens: int
    latency_s: float


class ResponseCache(Protocol):
    def get(self, key: str) -> CachedReply | None: ...

    def put(
        self, key: str, model: str, prompt_version: str, reply: CachedReply, *, replace: bool = False
    ) -> None:
        """replace=False keeps a reply already stored under key; True overwrites one the client refused."""
        ...


@dataclass(frozen=True)
class LlmCall:
    """Provenance of one structured request, stored as JSON on the row it produced. For a cached answer the
    token counts and latency are the original request's: what the cache saved."""

    model: str
    served_model: str | None
    prompt_version: str
    sampling: dict[str, Any]
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    cached: bool = False
    attempts: int = 0  # requests sent: 1, or 2 after a repair; 0 when cached
    retries: int = 0  # transport retries inside those requests
    cache_key: str = ""
    failures: tuple[str, ...] = field(default=())  # raw replies that did not validate, each with its problem

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "failures": list(self.failures)}


class StructuredOutputError(MalformedOutputError):
    """Neither the reply nor its repair matched the schema; .call records both raw replies."""

    def __init__(self, problem: str, output: str | None, call: LlmCall) -> None:
        super().__init__(problem, output)
        self.call = call


class RateLimiter:
    """Evenly spaced request starts (requests_per_minute; 0 = unlimited), shared by a process's threads, and
    a shared pause when the server says it is overloaded."""

    def __init__(self, requests_per_minute: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 60.0 / requests_per_minute if requests_per_minute > 0 else 0.0
        self.clock = clock
        self._next = 0.0
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Seconds to wait before this request may start (the slot is taken)."""
        with self._lock:
            now = self.clock()
            start = max(now, self._next)
            self._next = start + self.interval
            return start - now

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._next = max(self._next, self.clock() + seconds)


def cache_key(
    model: str,
    prompt_version: str,
    messages: list[dict[str, Any]],
    sampling: Sampling,
    schema: dict[str, Any],
    response_format: str,
) -> str:
    """Everything that shapes the reply; the image travels inside messages, so it is part of the key."""
    payload = {
        "model": model,
        "prompt_version": prompt_version,
        "messages": messages,
        "sampling": asdict(sampling),
        "schema": schema,
        "response_format": response_format,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def validate(
    content: str | None,
    schema: type[M],
    check: Callable[[M], None] | None,
    finish_reason: str | None = "stop",
) -> M:
    """The reply as a schema instance; MalformedOutputError saying what is wrong otherwise."""
    if content is None:
        raise MalformedOutputError(f"reply has no content (finish_reason={finish_reason})", None)
    try:
        data = load_json_reply(content)
    except MalformedOutputError as exc:
        if finish_reason != "length":
            raise
        # The usual cause with small max_tokens; the record should say so, not only "invalid JSON".
        raise MalformedOutputError(f"{exc.problem}, cut off at max_tokens", content) from exc
    try:
        value = schema.model_validate(data)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise MalformedOutputError(f"does not match the schema ({problems})", content) from exc
    if check is not None:
        try:
            check(value)
        except MalformedOutputError:
            raise
        except ValueError as exc:
            raise MalformedOutputError(str(exc), content) from exc
    return value


def repair_messages(messages: list[dict[str, Any]], reply: str | None, problem: str) -> list[dict[str, Any]]:
    return [
        *messages,
        {"role": "assistant", "content": reply or ""},
        {
            "role": "user",
            "content": f"That reply was rejected: {problem}. Answer again with only the JSON object, "
            "exactly in the shape asked for.",
        },
    ]


@dataclass
class _Reply:
    content: str | None
    finish_reason: str | None  # None when the server sent no choice at all
    served_model: str | None
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    retries: int


class LlmClient:
    """Thread-safe. `structured()` is the one entry point the synthesis, cue and judge backends use."""

    def __init__(
        self,
        client: openai.OpenAI,
        model: str,
        *,
        cache: ResponseCache | None = None,
        max_in_flight: int = 16,
        requests_per_minute: float = 0.0,
        max_retries: int = 3,
        response_format: ResponseFormat = "json_schema",
        vision: bool = False,
        image_max_side: int = 768,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,  # the rate limiter's; a test pairs it with sleep
    ) -> None:
        self.client = client.with_options(max_retries=0)  # retries are ours: counted, and a 429 pauses all
        self.model = model
        self.cache = cache
        self.max_in_flight = max_in_flight
        self.max_retries = max_retries
        self.response_format = response_format
        self.vision = vision
        self.image_max_side = image_max_side
        self.limiter = RateLimiter(requests_per_minute, clock)
        self.sleep = sleep
        self._slots = threading.BoundedSemaphore(max_in_flight)

    def __repr__(self) -> str:
        return f"LlmClient(model={self.model!r}, base_url={str(self.client.base_url)!r})"

    def structured(
        self,
        messages: list[dict[str, Any]],
        schema: type[M],
        *,
        prompt_version: str,
        sampling: Sampling,
        check: Callable[[M], None] | None = None,
    ) -> tuple[M, LlmCall]:
        json_schema = schema.model_json_schema()
        key = cache_key(self.model, prompt_version, messages, sampling, json_schema, self.response_format)
        record = partial(
            LlmCall, self.model, prompt_version=prompt_version, sampling=asdict(sampling), cache_key=key
        )
        hit = self.cache.get(key) if self.cache is not None else None
        stale = False
        if hit is not None:
            try:
                value = validate(hit.content, schema, check)
            except MalformedOutputError:
                stale = True  # a check grew stricter since it was stored: ask again, and store the new reply
            else:
                return value, record(
                    served_model=hit.served_model,
                    prompt_tokens=hit.prompt_tokens,
                    completion_tokens=hit.completion_tokens,
                    latency_s=hit.latency_s,
                    cached=True,
                )
        fmt = self._format(schema.__name__, json_schema)
        replies: list[_Reply] = []
        failures: list[str] = []
        attempt_messages, attempt_sampling = messages, sampling
        while True:
            reply = self._send(attempt_messages, attempt_sampling, fmt)
            replies.append(reply)
            call = record(
                served_model=reply.served_model,
                prompt_tokens=sum(r.prompt_tokens for r in replies),
                completion_tokens=sum(r.completion_tokens for r in replies),
                latency_s=round(sum(r.latency_s for r in replies), 4),
                attempts=len(replies),
                retries=sum(r.retries for r in replies),
                failures=tuple(failures),
            )
            try:
                value = validate(reply.content, schema, check, reply.finish_reason)
            except MalformedOutputError as exc:
                failures.append(f"{exc.problem}: {reply.content!r}"[:4000])
                if len(replies) == 2:
                    call = replace(call, failures=tuple(failures))
                    raise StructuredOutputError(
                        f"no valid reply after a repair ({exc.problem})", reply.content, call
                    ) from exc
                attempt_messages = repair_messages(messages, reply.content, exc.problem)
                # Greedy decoding answers a repair with the reply it just gave (seen: 6 of 6 on Qwen 0.5B).
                warmer = max(sampling.temperature, REPAIR_TEMPERATURE)
                attempt_sampling = replace(sampling, temperature=warmer)
                continue
            if self.cache is not None and reply.content is not None:
                stored = CachedReply(
                    reply.content,
                    reply.served_model,
                    call.prompt_tokens,
                    call.completion_tokens,
                    call.latency_s,
                )
                if stale:
                    self.cache.put(key, self.model, prompt_version, stored, replace=True)
                else:
                    self.cache.put(key, self.model, prompt_version, stored)
            return value, call

    def _format(self, name: str, json_schema: dict[str, Any]) -> dict[str, Any] | None:
        if self.response_format == "json_schema":
            return {
                "type": "json_schema",
                "json_schema": {"name": name, "schema": json_schema, "strict": True},
            }
        if self.response_format == "json_object":
            return {"type": "json_object", "schema": json_schema}
        return None

    def _send(self, messages: list[dict[str, Any]], sampling: Sampling, fmt: dict[str, Any] | None) -> _Reply:
        extra: dict[str, Any] = {}
        if fmt is not None:
            extra["response_format"] = fmt
        if sampling.seed is not None:
            extra["seed"] = sampling.seed
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(RETRYABLE),
            stop=tenacity.stop_after_attempt(self.max_retries + 1),
            wait=self._backoff,
            sleep=self.sleep,
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                wait = self.limiter.reserve()
                if wait > 0:
                    self.sleep(wait)
                with self._slots:
                    started = time.perf_counter()
                    response = self.client.chat.completions.create(
                        model=self.model,
                        messages=messages,  # type: ignore[arg-type]
                        temperature=sampling.temperature,
                        max_tokens=sampling.max_tokens,
                        **extra,
                    )
                    latency = time.perf_counter() - started
        retries = retrying.statistics["attempt_number"] - 1
        usage = response.usage
        choice = response.choices[0] if response.choices else None
        return _Reply(
            content=choice.message.content if choice is not None else None,
            finish_reason=choice.finish_reason if choice is not None else None,
            served_model=response.model,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            latency_s=round(latency, 4),
            retries=retries,
        )

    def _backoff(self, state: tenacity.RetryCallState) -> float:
        """The server's Retry-After, else exponential backoff with jitter; a 429 pauses every caller."""
        exc = state.outcome.exception() if state.outcome else None
        retries = state.attempt_number - 1
        delay = _retry_after(exc) or min(20.0, 0.5 * 2**retries) * (0.5 + random.random())  # noqa: S311 - jitter
        if isinstance(exc, openai.RateLimitError):
            self.limiter.pause(delay)
        return delay


def _retry_after(exc: BaseException | None) -> float | None:
    """The server's Retry-After (OpenAI's retry-after-ms first), capped; None when it sent none."""
    response = getattr(exc, "response", None)
    if response is None:
        return None
    with contextlib.suppress(TypeError, ValueError):
        return max(0.0, min(float(response.headers.get("retry-after-ms")) / 1000, MAX_RETRY_AFTER_S))
    seconds = parse_retry_after(response.headers.get("retry-after"))
    return None if seconds is None else min(seconds, MAX_RETRY_AFTER_S)
