"""Instruction-synthesis contracts: the pair context in, a generated multi-turn instruction out."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal, Protocol

InstructionKind = Literal["vqa", "conversation", "cot"]
KINDS: tuple[InstructionKind, ...] = ("vqa", "conversation", "cot")


@dataclass(frozen=True)
class PairContext:
    pair_id: str
    cues: tuple[str, ...]  # visual-cue sentences, in spoken order
    transcript: str  # whole window text (an LLM may use it as context; the offline generator must not)


@dataclass(frozen=True)
class Turn:
    role: Literal["human", "gpt"]
    text: str


@dataclass(frozen=True)
class GeneratedInstruction:
    kind: InstructionKind
    turns: tuple[Turn, ...]  # alternating human/gpt, starts with human; first human turn is about the image
    generator: str  # e.g. "offline-cue-template"
    generator_version: str
    prompt_version: str | None  # template file version for LLM backends, None for offline


class MalformedOutputError(ValueError):
    """LLM output that is not the JSON we asked for; message says what was wrong and quotes <=200 chars."""

    def __init__(self, problem: str, output: str | None) -> None:
        self.problem = problem
        self.output = output
        quoted = "<no content>" if output is None else repr(_excerpt(output))
        super().__init__(f"{problem}; output: {quoted}")


class InstructionGenerator(Protocol):
    name: str
    version: str
    model: str  # what writes the text: an LLM's name, or the template set

    def config(self) -> dict[str, object]:
        """Everything that changes the output (model, sampling, prompt text): part of the params hash."""
        ...

    def generate(self, ctx: PairContext, kind: InstructionKind) -> GeneratedInstruction: ...


_FENCE = re.compile(r"^```[ \t]*(?:json)?[ \t]*\n?(.*?)\n?[ \t]*```$", re.DOTALL | re.IGNORECASE)


def load_json_reply(content: str) -> Any:
    """A model's reply as JSON, an optional ```json fence stripped; MalformedOutputError otherwise."""
    text = content.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    if not text:
        raise MalformedOutputError("empty output", content)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedOutputError(f"not valid JSON ({exc.msg} at char {exc.pos})", content) from exc


def _excerpt(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
