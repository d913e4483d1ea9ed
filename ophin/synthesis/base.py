"""Instruction-synthesis contracts: the pair context in, a generated multi-turn instruction out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from ophin.llm.client import LlmCall

InstructionKind = Literal["vqa", "conversation", "cot"]
KINDS: tuple[InstructionKind, ...] = ("vqa", "conversation", "cot")


@dataclass(frozen=True)
class PairContext:
    pair_id: str
    cues: tuple[str, ...]  # visual-cue sentences, in spoken order
    transcript: str  # whole window text (an LLM may use it as context; the offline generator must not)
    image: bytes | None = None  # the pair's frame, loaded only for a generator that sends it to the model
    # The frame classifier's label (ophin.imaging.modality.LABELS); None where no classifier ran.
    modality: str | None = None


@dataclass(frozen=True)
class Turn:
    role: Literal["human", "gpt"]
    text: str


@dataclass(frozen=True)
class Citation:
    """A relation an answer states: what it ties together and where that is written."""

    finding: str
    indicates: str
    statement: str
    source: str


@dataclass(frozen=True)
class GeneratedInstruction:
    kind: InstructionKind
    turns: tuple[Turn, ...]  # alternating human/gpt, starts with human; first human turn is about the image
    generator: str  # e.g. "offline-cue-template"
    generator_version: str
    prompt_version: str | None  # template file version for LLM backends, None for offline
    llm: LlmCall | None = None  # the request that wrote it, for LLM backends
    citations: tuple[Citation, ...] = ()  # the relations its answers state, with their sources


class InstructionGenerator(Protocol):
    name: str
    version: str
    model: str  # what writes the text: an LLM's name, or the template set

    def config(self) -> dict[str, object]:
        """Everything that changes the output (model, sampling, prompt text): part of the params hash."""
        ...

    def generate(self, ctx: PairContext, kind: InstructionKind) -> GeneratedInstruction: ...
