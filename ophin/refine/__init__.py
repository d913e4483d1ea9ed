"""Transcript refinement: correct mis-heard domain terms before sentences become training targets."""

from __future__ import annotations

from typing import Any

from ophin.refine.base import Correction, NullRefiner, Refined, TranscriptRefiner

BACKENDS = ("lexicon", "llm", "none")

__all__ = ["BACKENDS", "Correction", "Refined", "TranscriptRefiner", "build_refiner"]


def build_refiner(backend: str, *, low_p: float | None = None, **llm_kwargs: Any) -> TranscriptRefiner:
    """ "lexicon" (the default elsewhere: deterministic, offline; low_p: refine.low_p), "llm"
    (LLMRefiner(llm=LlmClient, sampling=...)), or "none" (text unchanged, no corrections)."""
    if backend == "lexicon":
        if llm_kwargs:
            raise ValueError(f"the lexicon refiner takes no LLM options, got {sorted(llm_kwargs)}")
        from ophin.refine.lexicon import LexiconRefiner

        return LexiconRefiner() if low_p is None else LexiconRefiner(low_p=low_p)
    if backend == "llm":
        from ophin.refine.llm import LLMRefiner

        return LLMRefiner(**llm_kwargs)
    if backend == "none":
        return NullRefiner()
    raise ValueError(f"unknown refiner backend {backend!r}; expected one of {BACKENDS}")
