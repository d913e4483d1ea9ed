"""Transcript refiner backed by an OpenAI-compatible chat model; only vetted corrections reach the text."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template
from typing import Any

import openai

from ophin.refine.base import Correction, Refined, apply_corrections, keeps_invariants
from ophin.refine.vocabulary import WORD, Vocabulary
from ophin.synthesis.base import MalformedOutputError, load_json_reply
from ophin.synthesis.openai_chat import chat_content

PROMPT_VERSION = "v1"
MAX_WORDS = 4  # a term correction, not a rewrite: longer before/after spans are dropped


@dataclass(frozen=True)
class Proposal:
    before: str
    after: str
    reason: str


@cache
def load_prompt(version: str = PROMPT_VERSION) -> Template:
    path = resources.files("ophin.refine").joinpath("prompts", f"refine.{version}.txt")
    return Template(path.read_text(encoding="utf-8"))


def render_prompt(sentence: str, context: str = "", version: str = PROMPT_VERSION) -> str:
    return load_prompt(version).substitute(sentence=sentence.strip(), context=context.strip() or "(none)")


class LLMRefiner:
    """Asks the model for corrections, then keeps only those that are a few words long, copy their 'before'
    from the raw sentence, keep numbers and negations, and whose 'after' is English or a known term."""

    name = "llm-refiner"

    def __init__(
        self,
        client: openai.OpenAI,
        model: str,
        temperature: float = 0.0,
        max_tokens: int = 400,
        vocabulary: Vocabulary | None = None,
    ) -> None:
        from ophin.refine.lexicon import refiner_vocabulary  # the word lists load on first use only

        self.client = client
        self.model = model
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.vocab = vocabulary if vocabulary is not None else refiner_vocabulary()
        prompt_sha = hashlib.sha256(load_prompt().template.encode()).hexdigest()[:10]
        # The model and what vets its answers are part of what produced the text.
        self.version = f"1+{PROMPT_VERSION}.{prompt_sha}+{self.vocab.digest}+{model}+t{temperature}"

    def __repr__(self) -> str:
        return f"LLMRefiner(model={self.model!r}, temperature={self.temperature})"

    def config(self) -> dict[str, object]:
        return {"name": self.name, "version": self.version, "max_tokens": self.max_tokens}

    def refine(self, sentence: str, context: str = "") -> Refined:
        if not sentence.strip():
            return Refined(raw=sentence, text=sentence, corrections=())
        prompt = render_prompt(sentence, context)
        content = chat_content(self.client, self.model, prompt, self.temperature, self.max_tokens)
        corrections = self.vet(sentence, parse_reply(content))
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


def parse_reply(content: str) -> tuple[Proposal, ...]:
    """Strip an optional ```json fence, parse, validate {"text": str, "corrections": [{before, after,
    reason}]}; anything else raises MalformedOutputError (a ValueError quoting <= 200 chars)."""
    data: Any = load_json_reply(content)
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise MalformedOutputError('expected a JSON object with a string "text"', content)
    items = data.get("corrections")
    if not isinstance(items, list):
        raise MalformedOutputError('"corrections" must be a list', content)
    out: list[Proposal] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise MalformedOutputError(f"correction {i} is not an object", content)
        fields = [item.get(k) for k in ("before", "after")]
        if not all(isinstance(f, str) for f in fields):
            raise MalformedOutputError(f'correction {i} needs string "before" and "after"', content)
        reason = item.get("reason", "")
        out.append(Proposal(fields[0], fields[1], reason if isinstance(reason, str) else str(reason)))
    return tuple(out)
