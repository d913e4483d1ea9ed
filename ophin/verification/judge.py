"""The LLM judge: one more verification check, asking a model whether an instruction keeps to its cues
(and to the image, for a model that can see)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ophin.synthesis.base import Turn

if TYPE_CHECKING:
    from ophin.llm.client import LlmCall

CHECK = "llm_judge"  # the verification row's check name


@dataclass(frozen=True)
class JudgeInput:
    instruction_id: str
    kind: str  # vqa | conversation | cot
    turns: tuple[Turn, ...]
    cues: tuple[str, ...]  # the visual-cue sentences the instruction was written from
    image: bytes | None = None  # the frame, when the judge's model can see


@dataclass(frozen=True)
class JudgeResult:
    passed: bool
    score: float | None
    reason: str
    verdict: dict[str, Any] = field(default_factory=dict)  # the structured answer, criterion by criterion
    prompt_version: str | None = None
    llm: LlmCall | None = None


class InstructionJudge(Protocol):
    name: str
    model: str

    def config(self) -> dict[str, object]:
        """Everything that changes verdicts (model, sampling, prompt text): part of the verify params."""
        ...

    def judge(self, item: JudgeInput) -> JudgeResult:
        """Raises MalformedOutputError (a ValueError) or openai.OpenAIError when no verdict could be had."""
        ...
