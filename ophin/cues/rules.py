"""Rule-based visual-cue scorer: additive, explainable weights over the lexicon, no model."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ophin.cues.base import CueContext, CueVerdict, split_sentences
from ophin.cues.lexicon import (
    DEICTIC_TERMS,
    LEXICON_DIGEST,
    NEGATIVE_TERMS,
    TERMS,
    TermMatch,
    find_terms,
    terms_of_kind,
)
from ophin.text.tokens import count_words

FINDING_WEIGHT = 0.45
EXTRA_FINDING_WEIGHT = 0.10
EXTRA_FINDING_CAP = 0.20
DEICTIC_WEIGHT = 0.35
MODALITY_WEIGHT = 0.15
NEGATIVE_WEIGHT = -0.40
NEGATIVE_CAP = -0.60
SHORT_PENALTY = -0.30
SHORT_WORDS = 4
# A finding sentence whose finding word was misheard ("many small yellow <garbled> are scattered") keeps
# its anatomy or its appearance words but loses the finding's weight. In a window that is visual (another
# sentence scores visual on its own) such a sentence is still about the picture: kept, for the refiner to
# correct or a later check to drop with a reason, instead of scored "not visual" and lost silently.
# Talk about the disease (a negative term, a diagnosis without a deictic) never gets it.
WINDOW_WEIGHT = 0.15

QUESTION_WEIGHT = -1.0
# A question asks; it describes nothing ("Where is the fluid? There is subretinal fluid under the fovea."):
# as a cue it became an answer ("Where is the fluid; a pigment epithelial detachment", labelled nonsense).
_QUESTION = re.compile(
    r"\?\s*$|^\s*(?:(?:where|what|how|why|who|when)\s+(?:is|are|was|were|do|does|did|can|could|would"
    r"|should|will|has|have)|(?:is|are|do|does|can|could|did)\s+(?:there|you|we|it|this|these|that|they))\b",
    re.IGNORECASE,
)


class RuleCueScorer:
    """Scores each sentence independently; same input, same verdict (no state, no randomness)."""

    name = "rule-lexicon"
    # The lexicon's digest is part of the version: editing a pattern re-runs the cue stage, never skips it.
    # 2: the visual-window rule; 3: a question is no cue; 4: a negative word inside a finding's name is no
    # negative ("conjunctival injection")
    version = f"4.{LEXICON_DIGEST}"

    def __init__(self, threshold: float = 0.5) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be within [0, 1], got {threshold}")
        self.threshold = threshold

    def __repr__(self) -> str:
        return f"RuleCueScorer(threshold={self.threshold})"

    def score(self, sentences: Sequence[str], context: CueContext | None = None) -> list[CueVerdict]:
        alone = [self.score_one(sentence) for sentence in sentences]
        window = split_sentences(context.transcript) if context and context.transcript else list(sentences)
        visual = {s for s in window if self.score_one(s).is_visual}
        return [
            self.score_one(v.sentence, visual_window=bool(visual - {v.sentence})) if not v.is_visual else v
            for v in alone
        ]

    def score_one(self, sentence: str, *, visual_window: bool = False) -> CueVerdict:
        """visual_window: another sentence of the sentence's window is a visual cue on its own."""
        parts = _contributions(sentence)
        if visual_window and _describes_unnamed_finding(sentence, parts):
            parts.append(("finding-like description in a visual window", WINDOW_WEIGHT))
        raw = sum(delta for _, delta in parts)
        # Rounding first keeps 0.35 + 0.15 from landing a hair under a 0.5 threshold.
        score = round(min(1.0, max(0.0, raw)), 4)
        if parts:
            reason = " + ".join(f"{text} ({delta:+.2f})" for text, delta in parts) + f" = {score:.2f}"
        else:
            reason = "no visual or non-visual cue terms = 0.00"
        return CueVerdict(sentence=sentence, is_visual=score >= self.threshold, score=score, reason=reason)


def _contributions(sentence: str) -> list[tuple[str, float]]:
    terms = find_terms(sentence, TERMS)
    deictic = find_terms(sentence, DEICTIC_TERMS)
    # A negative word inside a finding's own name is that finding ("conjunctival injection" is no injection
    # given as treatment).
    negative = [
        n for n in find_terms(sentence, NEGATIVE_TERMS)
        if not any(t.start <= n.start and n.end <= t.end for t in terms_of_kind(terms, "finding"))
    ]  # fmt: skip
    parts: list[tuple[str, float]] = []

    anchored = terms_of_kind(terms, "anatomy", "finding")
    diagnoses = terms_of_kind(terms, "diagnosis")
    # A disease name is pointed-at evidence only beside a deictic ("this is a classic CRVO"); on its own it
    # is usually epidemiology or management talk.
    if deictic:
        anchored = sorted(anchored + diagnoses, key=lambda m: m.start)
    elif diagnoses:
        parts.append((f"diagnosis {_quote(_first_per_label(diagnoses))} without deictic", 0.0))
    findings = _first_per_label(anchored)
    if findings:
        parts.append((f"finding {_quote(findings[:1])}", FINDING_WEIGHT))
    if len(findings) > 1:
        extra = min(EXTRA_FINDING_WEIGHT * (len(findings) - 1), EXTRA_FINDING_CAP)
        parts.append((f"extra finding {_quote(findings[1:])}", extra))

    if deictic:
        parts.append((f"deictic {_quote(_distinct_texts(deictic))}", DEICTIC_WEIGHT))
    modalities = terms_of_kind(terms, "modality")
    if modalities:
        parts.append((f"modality {_quote(_first_per_label(modalities))}", MODALITY_WEIGHT))

    negatives = _distinct_texts(negative)
    if negatives:
        parts.append((f"negative {_quote(negatives)}", max(NEGATIVE_WEIGHT * len(negatives), NEGATIVE_CAP)))
    if _QUESTION.search(sentence):
        parts.append(("a question", QUESTION_WEIGHT))
    n_words = count_words(sentence)
    if n_words < SHORT_WORDS:
        parts.append((f"short ({n_words} word{'s' if n_words != 1 else ''})", SHORT_PENALTY))
    return [(text, round(delta, 4)) for text, delta in parts]


def _describes_unnamed_finding(sentence: str, parts: list[tuple[str, float]]) -> bool:
    """Anatomy or appearance words (colour, size, shape, distribution), no negative term, no disease named
    without a deictic, and long enough to be a sentence: what is left of a finding sentence whose finding
    word was misheard."""
    if any(delta < 0 for _, delta in parts) or any(t.startswith("diagnosis ") for t, _ in parts):
        return False
    described = any(m.term.label == "descriptor" for m in find_terms(sentence, DEICTIC_TERMS))
    anchored = bool(terms_of_kind(find_terms(sentence, TERMS), "anatomy", "finding"))
    return described or anchored


def _first_per_label(matches: Sequence[TermMatch]) -> list[str]:
    seen: dict[str, str] = {}
    for m in matches:
        seen.setdefault(m.term.label, m.text)
    return list(seen.values())


def _distinct_texts(matches: Sequence[TermMatch]) -> list[str]:
    return list(dict.fromkeys(m.text.lower() for m in matches))


def _quote(texts: Sequence[str]) -> str:
    return ", ".join(f"'{t}'" for t in texts)
