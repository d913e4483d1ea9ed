"""Transcript refiner backed by an OpenAI-compatible chat model; only vetted corrections reach the text."""

from __future__ import annotations

import re
from string import Template

from pydantic import BaseModel, ConfigDict

from ophin.llm import prompts
from ophin.llm.client import LlmClient, Sampling
from ophin.llm.images import user_message
from ophin.refine.base import Correction, HeardWord, Refined, apply_corrections, keeps_invariants
from ophin.refine.vocabulary import WORD, Vocabulary

PROMPT_VERSION = "v1"
MAX_WORDS = 4  # a term correction, not a rewrite: longer before/after spans are dropped


class Proposal(BaseModel):
    # Every field required, none extra: what OpenAI's strict structured outputs accept as a schema.
    model_config = ConfigDict(extra="forbid")
    before: str
    after: str
    reason: str


class RefineReply(BaseModel):
    """What the prompt asks for; the model's own "text" is read but never used."""

    model_config = ConfigDict(extra="forbid")
    text: str
    corrections: list[Proposal]


def load_prompt(version: str = PROMPT_VERSION) -> Template:
    return prompts.load_prompt("ophin.refine", f"refine.{version}")


def render_prompt(sentence: str, context: str = "", version: str = PROMPT_VERSION) -> str:
    return load_prompt(version).substitute(sentence=sentence.strip(), context=context.strip() or "(none)")


class LLMRefiner:
    """Asks the model for corrections, then keeps only those that are a few words long, copy their 'before'
    from the raw sentence, keep numbers and negations, and whose 'after' is English or a known term."""

    name = "llm-refiner"

    def __init__(
        self, llm: LlmClient, sampling: Sampling | None = None, vocabulary: Vocabulary | None = None
    ):
        from ophin.refine.lexicon import refiner_vocabulary  # the word lists load on first use only

        self.llm = llm
        self.sampling = sampling if sampling is not None else Sampling(temperature=0.0, max_tokens=400)
        self.vocab = vocabulary if vocabulary is not None else refiner_vocabulary()
        prompt_sha = prompts.digest(load_prompt(), length=10)
        # The model and what vets its answers are part of what produced the text.
        self.version = (
            f"2+{PROMPT_VERSION}.{prompt_sha}+{self.vocab.digest}+{llm.model}+t{self.sampling.temperature}"
        )

    def __repr__(self) -> str:
        return f"LLMRefiner({self.llm!r}, {self.sampling})"

    def config(self) -> dict[str, object]:
        return {"name": self.name, "version": self.version, "max_tokens": self.sampling.max_tokens}

    def refine(self, sentence: str, context: str = "", words: tuple[HeardWord, ...] = ()) -> Refined:
        if not sentence.strip():
            return Refined(raw=sentence, text=sentence, corrections=())
        reply, _ = self.llm.structured(
            [user_message(render_prompt(sentence, context))],
            RefineReply,
            prompt_version=f"refine.{PROMPT_VERSION}",
            sampling=self.sampling,
        )
        corrections = self.vet(sentence, tuple(reply.corrections))
        return Refined(raw=sentence, text=apply_corrections(sentence, corrections), corrections=corrections)

    def vet(self, sentence: str, proposals: tuple[Proposal, ...]) -> tuple[Correction, ...]:
        """The model's own "text" is never used: accepted corrections are spliced into the raw sentence."""
        taken: list[Correction] = []
        for p in proposals:
            before, after = p.before.strip(), p.after.strip()
            if not before or not after or before == after:
                continue
            if len(WORD.findall(before)) > MAX_WORDS or len(WORD.findall(after)) > MAX_WORDS:
                continue
            words = WORD.findall(after)
            if not words or not all(self.vocab.is_word(w) for w in words):
                continue
            if not keeps_invariants(before, after):
                continue
            span = _find_free(sentence, before, taken)
            if span is not None:
                taken.append(Correction("llm", before, after, *span))
        return tuple(sorted(taken, key=lambda c: c.start))


def _find_free(sentence: str, before: str, taken: list[Correction]) -> tuple[int, int] | None:
    """First whole-word occurrence of `before` in the raw sentence that no accepted correction overlaps."""
    for m in re.finditer(rf"(?<![\w']){re.escape(before)}(?![\w'])", sentence):
        if all(m.end() <= c.start or m.start() >= c.end for c in taken):
            return m.span()
    return None
