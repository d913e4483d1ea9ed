"""The LLM judge: one more verification check, asking a model whether an instruction keeps to its cues
(and to the image, for a model that can see)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from string import Template
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from ophin.llm import prompts
from ophin.llm.images import user_message
from ophin.synthesis.base import Turn

if TYPE_CHECKING:
    from ophin.llm.client import LlmCall, LlmClient, Sampling

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


# The LLM-backed judge (the contract above is what the verify stage codes against).

PROMPT_VERSION = "judge.v1"
VERSION = 1  # bump when the pass rule or the refusals below change: they change verdicts as the prompt does
_SPACES = re.compile(r"\s+")
_SPEAKERS = {"human": "Question", "gpt": "Answer"}
_KINDS = {
    "vqa": "a question and its answer",
    "conversation": "a conversation",
    "cot": "a step-by-step answer",
}
_IMAGE_RULES = {
    True: "- faithful_to_image: true or false. The image is attached: false when an answer describes "
    "something the image does not show, or contradicts it.",
    False: "- faithful_to_image: null. No image is attached.",
}
MAX_REASON_CHARS = 500


class JudgeReply(BaseModel):
    """The judge's verdict, criterion by criterion (also the schema sent as response_format)."""

    model_config = ConfigDict(extra="forbid")
    # First, so a model (which writes fields in schema order) names what it found before it concludes.
    invented_findings: list[str]
    grounded: bool
    faithful_to_image: bool | None
    clinically_plausible: bool
    score: float = Field(ge=0.0, le=1.0)
    reason: str


def load_prompt(version: str = PROMPT_VERSION) -> Template:
    return prompts.load_prompt("ophin.verification", version)


def prompt_sha(version: str = PROMPT_VERSION) -> str:
    return prompts.digest(load_prompt(version))


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def render_prompt(item: JudgeInput, with_image: bool, version: str = PROMPT_VERSION) -> str:
    cues = "\n".join(f"{i}. {_one_line(c)}" for i, c in enumerate(item.cues, start=1)) or "(no cues)"
    turns = "\n".join(f"{_SPEAKERS.get(t.role, t.role)}: {_one_line(t.text)}" for t in item.turns)
    faithful = "true or false" if with_image else "null"
    skeleton = (
        '{"invented_findings": ["...", ...] or [], "grounded": true or false, '
        f'"faithful_to_image": {faithful}, "clinically_plausible": true or false, "score": 0 to 1, '
        '"reason": "..."}'
    )
    # substitute(), not safe_substitute(): a template missing a placeholder fails at first use.
    return load_prompt(version).substitute(
        cues=cues,
        kind=_KINDS.get(item.kind, item.kind),
        turns=turns or "(no turns)",
        image_rule=_IMAGE_RULES[with_image],
        skeleton=skeleton,
    )


def check_verdict(image_sent: bool) -> Callable[[JudgeReply], None]:
    """A check refusing a self-contradictory reply, so the client sends its one repair request rather than
    storing a verdict that says two things."""

    def check(reply: JudgeReply) -> None:
        problems = []
        named = [f for f in reply.invented_findings if f.strip()]
        if len(named) < len(reply.invented_findings):
            problems.append("invented_findings has an empty entry")
        if reply.grounded and named:
            problems.append(f"grounded is true but invented_findings lists {named}")
        if not reply.grounded and not named:
            problems.append("grounded is false but invented_findings names nothing the cues do not state")
        if not image_sent and reply.faithful_to_image is not None:
            problems.append("faithful_to_image must be null: no image was sent")
        if image_sent and reply.faithful_to_image is None:
            problems.append("faithful_to_image must be true or false: an image was sent")
        if not reply.reason.strip():
            problems.append("reason is empty")
        if problems:
            raise ValueError("; ".join(problems))

    return check


def passes(reply: JudgeReply) -> bool:
    return (
        reply.grounded
        and not reply.invented_findings
        and reply.clinically_plausible
        and reply.faithful_to_image is not False
    )


def explain(reply: JudgeReply) -> str:
    """The model's reason, led by the criteria that failed (what a reviewer reads in reject_reasons)."""
    faults = []
    if reply.invented_findings:
        faults.append("invented: " + ", ".join(_one_line(f) for f in reply.invented_findings))
    elif not reply.grounded:
        faults.append("not grounded in the cues")
    if not reply.clinically_plausible:
        faults.append("not clinically plausible")
    if reply.faithful_to_image is False:
        faults.append("not faithful to the image")
    reason = _one_line(reply.reason)
    text = f"{'; '.join(faults)}. {reason}" if faults else reason
    return text[:MAX_REASON_CHARS]


class LlmJudge:
    """One structured request per instruction; the verify stage asks about a video's instructions
    concurrently through the shared client."""

    name = "llm-judge"

    def __init__(self, llm: LlmClient, sampling: Sampling) -> None:
        self.llm = llm
        self.sampling = sampling
        self.model = llm.model

    def __repr__(self) -> str:
        return f"LlmJudge({self.llm!r})"

    def config(self) -> dict[str, object]:
        return {
            "name": self.name,
            "version": VERSION,
            "model": self.llm.model,
            "sampling": asdict(self.sampling),
            "prompt_version": PROMPT_VERSION,
            "prompt_sha": prompt_sha(),
            "vision": self.llm.vision,
            "image_max_side": self.llm.image_max_side if self.llm.vision else None,
        }

    def judge(self, item: JudgeInput) -> JudgeResult:
        image = item.image if self.llm.vision else None
        message = user_message(render_prompt(item, image is not None), image, self.llm.image_max_side)
        reply, call = self.llm.structured(
            [message],
            JudgeReply,
            prompt_version=PROMPT_VERSION,
            sampling=self.sampling,
            check=check_verdict(image is not None),
        )
        return JudgeResult(
            passed=passes(reply),
            score=reply.score,
            reason=explain(reply),
            verdict=reply.model_dump(),
            prompt_version=PROMPT_VERSION,
            llm=call,
        )
