"""Ask a model server, once, what a run would ask it: which models it serves, and whether it answers a
structured request in the configured response format (and how fast)."""

from __future__ import annotations

from dataclasses import dataclass, field

import openai
from pydantic import BaseModel, ConfigDict

from ophin.llm.client import LlmClient, Sampling
from ophin.llm.json_reply import MalformedOutputError

PROMPT = (
    'Reply with JSON only, in this shape: {"finding": "<two words>", "visible": true}. '
    "The finding: a cupped optic disc on a fundus photograph."
)


class ProbeReply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    finding: str
    visible: bool


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    models: list[str] = field(default_factory=list)  # what GET /models lists (empty when it is not served)
    served_model: str | None = None
    latency_s: float | None = None
    completion_tokens: int | None = None
    attempts: int = 0
    error: str | None = None
    status: int | None = None  # the HTTP status of a refused request


def probe(llm: LlmClient) -> ProbeResult:
    """Never served from the cache: the point is to reach the server."""
    try:
        models = [m.id for m in llm.client.models.list()]
    except openai.OpenAIError:
        models = []  # some servers do not list models; the completion below is what counts
    uncached = LlmClient(
        llm.client,
        llm.model,
        max_retries=0,
        response_format=llm.response_format,
        max_in_flight=1,
    )
    try:
        _, call = uncached.structured(
            [{"role": "user", "content": PROMPT}],
            ProbeReply,
            prompt_version="probe.v1",
            sampling=Sampling(temperature=0.0, max_tokens=64),
        )
    except (openai.OpenAIError, MalformedOutputError) as exc:
        status = exc.status_code if isinstance(exc, openai.APIStatusError) else None
        return ProbeResult(False, models, error=f"{type(exc).__name__}: {exc}"[:1000], status=status)
    return ProbeResult(True, models, call.served_model, call.latency_s, call.completion_tokens, call.attempts)
