"""Instruction generator backed by any OpenAI-compatible chat-completions endpoint, with versioned prompts."""

from __future__ import annotations

from dataclasses import asdict
from string import Template
from typing import Literal

import openai
from pydantic import BaseModel, ConfigDict, Field

from ophin.knowledge.relations import Relation, condition_narrated
from ophin.llm import prompts
from ophin.llm.client import LlmClient, Sampling
from ophin.llm.images import user_message
from ophin.synthesis.base import KINDS, Citation, GeneratedInstruction, InstructionKind, PairContext, Turn
from ophin.synthesis.reading import read_image

# v2: one modality, cited relations hedged, >= 3 turns, CoT that reasons, no artefacts; v3: the diagnosis rule
# follows settings.synthesis.derived_diagnoses (under "narrated" no condition the narration does not name)
PROMPT_VERSION = "v3"
DIAGNOSIS_RULES = {
    "narrated": (
        'Name no condition that the cues and context do not name, not even as "consistent with"\n'
        '  or "suggests": a record naming a diagnosis the narrator never named teaches an invented one.\n'
        "  A relation below may be cited (its finding must be named in the cues); it is offered only where\n"
        "  its meaning is no diagnosis or one the narration names."
    ),
    "hedged": (
        "A condition that only follows from a\n"
        '  finding may be written as "consistent with <condition>", and only using one of the relations'
        " below\n"
        "  (their finding must be named in the cues); otherwise name no condition."
    ),
}
_ROLES = ("human", "gpt")


def build_openai_client(base_url: str, api_key: str, timeout_s: float, max_retries: int) -> openai.OpenAI:
    """The client retries 408/409/429/5xx and connection errors itself, with exponential backoff."""
    return openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout_s, max_retries=max_retries)


def load_prompt(kind: InstructionKind, version: str = PROMPT_VERSION) -> Template:
    if kind not in KINDS:
        raise ValueError(f"unknown instruction kind {kind!r}; expected one of {KINDS}")
    return prompts.load_prompt("ophin.synthesis", f"{kind}.{version}")


def render_prompt(
    ctx: PairContext, kind: InstructionKind, version: str = PROMPT_VERSION, derived: str = "narrated"
) -> str:
    """The same reading as the offline generator's: cues without narration artefacts or another modality's
    name, the one modality the record may name, and only the relations whose finding is narrated and whose
    modality fits (under derived="narrated", only those leading to no diagnosis or to one the narration
    names)."""
    image = read_image(ctx, derived)
    cues = "\n".join(f"{i}. {cue.text}" for i, cue in enumerate(image.cues, start=1))
    relations = "\n".join(f"- {r.statement}" for r in offered(ctx, derived)) or "(none)"
    # substitute() (not safe_substitute) so a template missing a placeholder fails loudly at first use.
    return load_prompt(kind, version).substitute(
        cues=cues,
        transcript=ctx.transcript.strip(),
        noun=image.noun,
        modality=f"a {image.noun}" if image.modality else '"image" (its kind is not settled)',
        relations=relations,
        diagnosis_rule=DIAGNOSIS_RULES[derived],  # v3 on; an earlier template has no such placeholder
    )


def offered(ctx: PairContext, derived: str = "narrated") -> tuple[Relation, ...]:
    """The relations a reply may cite: those of the narrated findings, less (under "narrated") those leading
    to a diagnosis the narration does not name."""
    relations = read_image(ctx, derived).relations
    if derived == "hedged":
        return relations
    return tuple(r for r in relations if condition_narrated(r, (*ctx.cues, ctx.transcript)))


def cited(ctx: PairContext, turns: tuple[Turn, ...], derived: str = "narrated") -> tuple[Citation, ...]:
    """The offered relations whose meaning a reply states, with their sources."""
    text = " ".join(t.text.lower() for t in turns if t.role == "gpt")
    return tuple(
        Citation(r.finding, r.indicates, r.statement, r.source)
        for r in offered(ctx, derived)
        if r.indicates.lower() in text
    )


class TurnReply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["human", "gpt"]
    text: str = Field(min_length=1)


class TurnsReply(BaseModel):
    """The JSON every synthesis prompt asks for (and the schema sent as response_format)."""

    model_config = ConfigDict(extra="forbid")
    turns: list[TurnReply] = Field(min_length=2)


def check_turns(reply: TurnsReply) -> None:
    """Alternating human/gpt from a human question, ending with an answer, no blank text."""
    for i, turn in enumerate(reply.turns):
        if turn.role != _ROLES[i % 2]:
            raise ValueError(f"turn {i} has role {turn.role!r}, expected {_ROLES[i % 2]!r}")
        if not turn.text.strip():
            raise ValueError(f"turn {i} text is blank")
    if reply.turns[-1].role != "gpt":
        raise ValueError("conversation must end with a gpt turn")


class OpenAICompatibleGenerator:
    """One structured chat completion per instruction, with the frame attached when the model can see."""

    name = "openai-chat"
    version = "2"  # 2: schema-constrained replies, one repair, the image for vision models

    def __init__(self, llm: LlmClient, sampling: Sampling, derived_diagnoses: str = "narrated") -> None:
        if derived_diagnoses not in DIAGNOSIS_RULES:
            raise ValueError(f"derived_diagnoses must be one of {tuple(DIAGNOSIS_RULES)}")
        self.derived_diagnoses = derived_diagnoses
        self.llm = llm
        self.sampling = sampling
        self.model = llm.model

    def config(self) -> dict[str, object]:
        return {
            "name": self.name,
            "version": self.version,
            "model": self.model,
            "sampling": asdict(self.sampling),
            "vision": self.llm.vision,
            "image_max_side": self.llm.image_max_side if self.llm.vision else None,
            "response_format": self.llm.response_format,
            "prompt_version": PROMPT_VERSION,
            "derived_diagnoses": self.derived_diagnoses,
            "prompt_sha256": prompts.digest(*(load_prompt(kind) for kind in KINDS), length=16),
        }

    def __repr__(self) -> str:
        return f"OpenAICompatibleGenerator({self.llm!r}, {self.sampling}, {self.derived_diagnoses!r})"

    def generate(self, ctx: PairContext, kind: InstructionKind) -> GeneratedInstruction:
        if not ctx.cues:
            raise ValueError(f"pair {ctx.pair_id}: no visual-cue sentences to build an instruction from")
        image = ctx.image if self.llm.vision else None
        message = user_message(
            render_prompt(ctx, kind, derived=self.derived_diagnoses), image, self.llm.image_max_side
        )
        reply, call = self.llm.structured(
            [message],
            TurnsReply,
            prompt_version=f"synthesis/{kind}.{PROMPT_VERSION}",
            sampling=self.sampling,
            check=check_turns,
        )
        turns = tuple(Turn(role=t.role, text=t.text.strip()) for t in reply.turns)
        return GeneratedInstruction(
            kind=kind,
            turns=turns,
            generator=self.name,
            # The model is part of what produced the data; keep it in the provenance string.
            generator_version=f"{self.version}+{self.model}",
            prompt_version=PROMPT_VERSION,
            llm=call,
            citations=cited(ctx, turns, self.derived_diagnoses),
        )
