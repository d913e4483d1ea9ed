"""Instruction generator backed by any OpenAI-compatible chat-completions endpoint, with versioned prompts."""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from string import Template
from typing import Any

import openai

from ophin.synthesis.base import (
    KINDS,
    GeneratedInstruction,
    InstructionKind,
    MalformedOutputError,
    PairContext,
    Turn,
    load_json_reply,
)

PROMPT_VERSION = "v1"
_PROMPT_PACKAGE = "ophin.synthesis"
_ROLES = ("human", "gpt")


def build_openai_client(base_url: str, api_key: str, timeout_s: float, max_retries: int) -> openai.OpenAI:
    """The client retries 408/409/429/5xx and connection errors itself, with exponential backoff."""
    return openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout_s, max_retries=max_retries)


@cache
def load_prompt(kind: InstructionKind, version: str = PROMPT_VERSION) -> Template:
    """Prompt templates ship as package data, so they are found the same way from a checkout or a wheel."""
    if kind not in KINDS:
        raise ValueError(f"unknown instruction kind {kind!r}; expected one of {KINDS}")
    path = resources.files(_PROMPT_PACKAGE).joinpath("prompts", f"{kind}.{version}.txt")
    return Template(path.read_text(encoding="utf-8"))


def render_prompt(ctx: PairContext, kind: InstructionKind, version: str = PROMPT_VERSION) -> str:
    cues = "\n".join(f"{i}. {cue.strip()}" for i, cue in enumerate(ctx.cues, start=1))
    # substitute() (not safe_substitute) so a template missing a placeholder fails loudly at first use.
    return load_prompt(kind, version).substitute(cues=cues, transcript=ctx.transcript.strip())


class OpenAICompatibleGenerator:
    """One chat completion per instruction; anything but the JSON shape we asked for is rejected."""

    name = "openai-chat"
    version = "1"

    def __init__(
        self, client: openai.OpenAI, model: str, temperature: float = 0.2, max_tokens: int = 800
    ) -> None:
        self.client = client
        self.model = model
        self.temperature = temperature
        self.max_tokens = max_tokens

    def config(self) -> dict[str, object]:
        prompts = "".join(load_prompt(kind).template for kind in KINDS)
        return {
            "name": self.name,
            "version": self.version,
            "model": self.model,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "prompt_version": PROMPT_VERSION,
            "prompt_sha256": hashlib.sha256(prompts.encode()).hexdigest()[:16],
        }

    def __repr__(self) -> str:
        return f"OpenAICompatibleGenerator(model={self.model!r}, temperature={self.temperature})"

    def generate(self, ctx: PairContext, kind: InstructionKind) -> GeneratedInstruction:
        if not ctx.cues:
            raise ValueError(f"pair {ctx.pair_id}: no visual-cue sentences to build an instruction from")
        prompt = render_prompt(ctx, kind)
        content = chat_content(self.client, self.model, prompt, self.temperature, self.max_tokens)
        return GeneratedInstruction(
            kind=kind,
            turns=parse_turns(content),
            generator=self.name,
            # The model is part of what produced the data; keep it in the provenance string.
            generator_version=f"{self.version}+{self.model}",
            prompt_version=PROMPT_VERSION,
        )


def chat_content(client: openai.OpenAI, model: str, prompt: str, temperature: float, max_tokens: int) -> str:
    """One user prompt, one completion; the reply's text, or MalformedOutputError when there is none."""
    response = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": prompt}],
        temperature=temperature,
        max_tokens=max_tokens,
    )
    if not response.choices:
        raise MalformedOutputError("response has no choices", None)
    content = response.choices[0].message.content
    if content is None:
        raise MalformedOutputError(
            f"response message has no content (finish_reason={response.choices[0].finish_reason!r})", None
        )
    return content


def parse_turns(content: str) -> tuple[Turn, ...]:
    """Strip an optional ```json fence, parse, and validate {"turns": [{"role", "text"}, ...]}."""
    data: Any = load_json_reply(content)
    if not isinstance(data, dict) or "turns" not in data:
        raise MalformedOutputError('expected a JSON object with a "turns" key', content)
    raw_turns = data["turns"]
    if not isinstance(raw_turns, list) or not raw_turns:
        raise MalformedOutputError('"turns" must be a non-empty list', content)
    turns: list[Turn] = []
    for i, item in enumerate(raw_turns):
        if not isinstance(item, dict):
            raise MalformedOutputError(f"turn {i} is not an object", content)
        role, body = item.get("role"), item.get("text")
        expected = _ROLES[i % 2]
        if role != expected:
            raise MalformedOutputError(f"turn {i} has role {role!r}, expected {expected!r}", content)
        if not isinstance(body, str) or not body.strip():
            raise MalformedOutputError(f"turn {i} text must be a non-empty string", content)
        turns.append(Turn(role=expected, text=body.strip()))
    if turns[-1].role != "gpt":
        raise MalformedOutputError("conversation must end with a gpt turn", content)
    return tuple(turns)
