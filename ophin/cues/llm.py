"""Visual-cue scorer backed by an LLM: numbered sentences in batches, the window's text (and frame) as
context, the rule scorer as a cheap pre-filter that keeps plainly non-visual sentences from the model."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from string import Template

from pydantic import BaseModel, ConfigDict, Field

from ophin.cues.base import CueContext, CueScorer, CueVerdict
from ophin.llm import prompts
from ophin.llm.client import LlmCall, LlmClient, Sampling
from ophin.llm.images import user_message

PROMPT_VERSION = "cues.v1"
_SPACES = re.compile(r"\s+")


def load_prompt(version: str = PROMPT_VERSION) -> Template:
    return prompts.load_prompt("ophin.cues", version)


def prompt_sha(version: str = PROMPT_VERSION) -> str:
    return prompts.digest(load_prompt(version))


def render_prompt(sentences: Sequence[str], transcript: str, version: str = PROMPT_VERSION) -> str:
    numbered = "\n".join(f"{i}. {_SPACES.sub(' ', s).strip()}" for i, s in enumerate(sentences, start=1))
    context = _SPACES.sub(" ", transcript).strip() or "(no transcript)"
    # One slot per index: a small model copies a one-entry example verbatim and answers one sentence.
    slots = ", ".join(
        f'{{"index": {i}, "visual": ..., "score": ..., "reason": "..."}}'
        for i in range(1, len(sentences) + 1)
    )
    skeleton = f'{{"sentences": [{slots}]}}'
    # substitute(), not safe_substitute(): a template missing a placeholder fails at first use.
    return load_prompt(version).substitute(
        sentences=numbered, transcript=context, count=len(sentences), skeleton=skeleton
    )


class SentenceVerdict(BaseModel):
    model_config = ConfigDict(extra="forbid")
    index: int
    visual: bool
    score: float = Field(ge=0.0, le=1.0)
    reason: str


class CueReply(BaseModel):
    """The JSON the cue prompt asks for (and the schema sent as response_format)."""

    model_config = ConfigDict(extra="forbid")
    sentences: list[SentenceVerdict]


def check_indices(count: int) -> Callable[[CueReply], None]:
    """A check refusing a reply that does not answer sentences 1..count exactly once each."""

    def check(reply: CueReply) -> None:
        seen = Counter(v.index for v in reply.sentences)
        problems = []
        if missing := [i for i in range(1, count + 1) if i not in seen]:
            problems.append(f"missing index {missing}")
        if repeated := sorted(i for i, n in seen.items() if n > 1):
            problems.append(f"repeated index {repeated}")
        if unknown := sorted(i for i in seen if not 1 <= i <= count):
            problems.append(f"unknown index {unknown} (sentences are numbered 1 to {count})")
        if problems:
            raise ValueError("; ".join(problems))

    return check


class LLMCueScorer:
    """One structured request per batch of sentences that pass the rule pre-filter. Batches of one window
    are asked in turn: the stage already asks about windows concurrently."""

    name = "llm-cues"

    def __init__(
        self,
        llm: LlmClient,
        sampling: Sampling,
        *,
        prefilter: CueScorer,
        min_rule_score: float = 0.1,
        batch_size: int = 8,
        threshold: float = 0.5,
    ) -> None:
        if not 0.0 <= min_rule_score <= 1.0:
            raise ValueError(f"min_rule_score must be within [0, 1], got {min_rule_score}")
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be within [0, 1], got {threshold}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.llm = llm
        self.sampling = sampling
        self.prefilter = prefilter
        self.min_rule_score = min_rule_score
        self.batch_size = batch_size
        self.threshold = threshold
        s = sampling
        sees = f"vision{llm.image_max_side}" if llm.vision else "text"
        # Everything that changes a verdict, so a change re-runs the cue stage instead of skipping it.
        self.version = (
            f"1+{llm.model}+{PROMPT_VERSION}.{prompt_sha()}+{sees}+t{s.temperature}/n{s.max_tokens}/s{s.seed}"
            f"+b{batch_size}+pre{min_rule_score}:{prefilter.name}/{prefilter.version}+th{threshold}"
        )

    def __repr__(self) -> str:
        return (
            f"LLMCueScorer({self.llm!r}, batch_size={self.batch_size}, min_rule_score={self.min_rule_score})"
        )

    def score(self, sentences: Sequence[str], context: CueContext | None = None) -> list[CueVerdict]:
        context = context or CueContext()
        rules = self.prefilter.score(sentences, context)
        verdicts: list[CueVerdict | None] = [None] * len(sentences)
        asked = []
        for i, rule in enumerate(rules):
            if rule.score >= self.min_rule_score:
                asked.append(i)
            else:
                verdicts[i] = CueVerdict(
                    sentence=sentences[i],
                    is_visual=False,
                    score=rule.score,
                    reason=f"rule pre-filter {rule.score:.2f} < {self.min_rule_score:.2f}, not asked "
                    f"({rule.reason})",
                )
        for start in range(0, len(asked), self.batch_size):
            batch = asked[start : start + self.batch_size]
            for i, verdict in zip(batch, self._ask([sentences[i] for i in batch], context), strict=True):
                verdicts[i] = verdict
        assert all(v is not None for v in verdicts)  # noqa: S101 - invariant: every batch filled its slots
        return verdicts  # type: ignore[return-value]

    def _ask(self, batch: list[str], context: CueContext) -> list[CueVerdict]:
        """Raises StructuredOutputError or openai.OpenAIError: a batch without verdicts fails its window."""
        image = context.image if self.llm.vision else None
        message = user_message(render_prompt(batch, context.transcript), image, self.llm.image_max_side)
        reply, call = self.llm.structured(
            [message],
            CueReply,
            prompt_version=PROMPT_VERSION,
            sampling=self.sampling,
            check=check_indices(len(batch)),
        )
        by_index = {v.index: v for v in reply.sentences}
        return [self._verdict(sentence, by_index[n], call) for n, sentence in enumerate(batch, start=1)]

    def _verdict(self, sentence: str, answer: SentenceVerdict, call: LlmCall) -> CueVerdict:
        label = "visual" if answer.visual else "not visual"
        return CueVerdict(
            sentence=sentence,
            is_visual=answer.visual and answer.score >= self.threshold,
            score=answer.score,
            reason=f"{self.llm.model}: {label} ({answer.score:.2f}): {answer.reason.strip()}",
            model=self.llm.model,
            prompt_version=PROMPT_VERSION,
            llm=call,
        )
