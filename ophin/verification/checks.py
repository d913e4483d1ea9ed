"""Per-instruction verification: each check compares the answer with something it was not copied from
(the cues' polarity and numbers, an English word list, PHI and injection patterns), so each can fail."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ophin.cues.lexicon import TERMS, find_terms
from ophin.domain.phi import find_phi
from ophin.synthesis.base import Turn
from ophin.text.fuzzy import similarity
from ophin.text.tokens import ALNUM_RUN, FRACTION, LETTERS
from ophin.verification.claims import Mention, normalize_numbers, normalize_spelling, numbers, polar_mentions
from ophin.verification.phrases import INJECTION, LEAKAGE, POINTING
from ophin.verification.vocabulary import WORD_LISTS, WordListMissingError, unknown_words, words

# The order check_instruction returns them in; the first four kept their places from version 1.
CHECKS = (
    "grounded",
    "no_leakage",
    "length",
    "well_formed",
    "content",
    "vocabulary",
    "no_phi",
    "no_injection",
)


@dataclass(frozen=True)
class CheckResult:
    check: str  # a name in CHECKS, or "distinct" / "reasoning" / "not_duplicate"
    passed: bool
    score: float | None
    detail: str


@dataclass(frozen=True)
class CheckParams:
    min_answer_chars: int = 20
    max_answer_chars: int = 1500
    # Fraction of answer content words (lowercased, stopwords removed, plurals stemmed) found in the cue text.
    min_grounding: float = 0.6
    # Answer words in no word list that still pass (0: any garbled ASR word rejects the instruction).
    max_unknown_words: int = 0
    # A finding or diagnosis the answer names must be named (either polarity) by the cues or knowledge.
    require_cued_findings: bool = True
    # English word lists for the vocabulary check; the first that exist are used, none fails the check.
    word_lists: tuple[str, ...] = WORD_LISTS

    def __post_init__(self) -> None:
        if not 0 <= self.min_answer_chars <= self.max_answer_chars:
            raise ValueError(f"need 0 <= min_answer_chars <= max_answer_chars, got {self}")
        if not 0.0 <= self.min_grounding <= 1.0:
            raise ValueError(f"min_grounding must be within [0, 1], got {self.min_grounding}")
        if self.max_unknown_words < 0:
            raise ValueError(f"max_unknown_words must be >= 0, got {self.max_unknown_words}")


# Offline answers wrap cue sentences in these frames; they are ours, not claims about the image.
_FRAME_WORDS = frozenset({"step", "observation", "interpretation", "conclusion"})
# Function words, plus the presentational verbs any description uses ("is seen", "shows"): no facts in them.
_STOPWORDS = frozenset(
    """
a about above after again against all also am an and any are around as at be because been before being
below between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most my
myself no nor not now of off on once only or other our ours ourselves out over own same she should so some
such than that the their theirs them themselves then there these they this those through to too under
until up very was we were what when where which while who whom why will with would you your yours yourself
yourselves one ones may might must us let lets okay ok um uh well quite really actually see seen shows
show shown showing visible appears appear appearance image picture noted present within yes
""".split()
)
# Kept in the near-duplicate key: "no drusen" and "drusen" are different answers.
_NEGATORS = frozenset({"no", "not", "nor", "without", "absent", "none", "neither"})
# The duplicate key reads numbers whole ("20/40", "0.8") and words as letter runs.
_KEY_TOKEN = re.compile(rf"{FRACTION}|{LETTERS}")
_PUNCT = re.compile(r"[^\w\s]|_")
_SPACES = re.compile(r"\s+")
_FRAMES = re.compile(r"\b(?:step\s+\d+|conclusion|observation|interpretation)\s*[:.)]", re.IGNORECASE)
_MAX_LISTED = 8


def check_instruction(
    turns: Sequence[Turn], cues: Sequence[str], params: CheckParams, *, knowledge: Sequence[str] = ()
) -> list[CheckResult]:
    """Every per-instruction check, always in CHECKS order. knowledge: statements the generator was allowed
    to use besides the cues (shipped domain facts); grounding accepts them as it accepts cues."""
    answers = [t.text for t in turns if t.role == "gpt"]
    return [
        _grounded(answers, cues, knowledge, params),
        _no_leakage(turns),
        _length(answers, params),
        _well_formed(turns),
        _content(answers),
        _vocabulary(answers, params),
        _no_phi(turns),
        _no_injection(turns),
    ]


def fingerprint(turns: Sequence[Turn]) -> str:
    """sha256 of roles + normalised text, so case, spacing and punctuation variants collide as duplicates."""
    canonical = "\n".join(f"{t.role}\t{_normalize(t.text)}" for t in turns)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def near_duplicate_key(turns: Sequence[Turn]) -> str:
    """sha256 of the answers only, lowercased, British spellings folded, stopwords, frames and punctuation
    dropped, plurals stemmed, numbers canonical ("0 .80" = "0.8") and negations kept: two answers that
    differ only in wording trivia collide. The verify stage pairs it with the image's perceptual hash."""
    tokens: list[str] = []
    for turn in turns:
        if turn.role != "gpt":
            continue
        text = normalize_spelling(normalize_numbers(_FRAMES.sub(" ", turn.text)))
        for token in _KEY_TOKEN.findall(text):
            if token in _NEGATORS or not (token in _STOPWORDS or token in _FRAME_WORDS):
                tokens.append(_stem(token))
        tokens.append("|")
    return hashlib.sha256(" ".join(tokens).encode("utf-8")).hexdigest()


def content_words(text: str) -> list[str]:
    """Lowercased, stemmed content words in order of first appearance (no stopwords, frames or numbers)."""
    words_: dict[str, None] = {}
    for token in ALNUM_RUN.findall(text.lower()):
        if len(token) < 2 or token.isdigit() or token in _STOPWORDS or token in _FRAME_WORDS:
            continue
        words_.setdefault(_stem(token), None)
    return list(words_)


def distinct_from_siblings(
    answer_text: str, sibling_answers: Sequence[str], max_similarity: float = 0.8
) -> CheckResult:
    """An answer must say more than a re-run of its siblings (the other instruction kinds of the same image):
    word-sequence similarity to each sibling and to all of them joined stays below max_similarity."""
    mine = _similarity_tokens(answer_text)
    if not mine:
        return CheckResult("distinct", False, None, "the answer has no words to compare")
    others = [s for s in sibling_answers if s and s.strip()]
    candidates = [(f"sibling {i}", _similarity_tokens(s)) for i, s in enumerate(others)]
    if len(others) > 1:
        candidates.append(("the siblings joined", _similarity_tokens(" ".join(others))))
    if not candidates:
        return CheckResult("distinct", True, 0.0, "no sibling answers to compare with")
    name, best = max(((n, _similarity(mine, toks)) for n, toks in candidates), key=lambda c: c[1])
    detail = f"most similar to {name}: {best:.2f} (max {max_similarity:.2f})"
    return CheckResult("distinct", best < max_similarity, round(best, 4), detail)


_STEP = re.compile(r"Step\s+\d+\s*:\s*(.+?)(?=Step\s+\d+\s*:|Conclusion\s*:|$)", re.IGNORECASE | re.DOTALL)
_CONCLUSION = re.compile(r"Conclusion\s*:\s*(.+)$", re.IGNORECASE | re.DOTALL)


def check_reasoning(turns: Sequence[Turn], max_similarity: float = 0.8) -> CheckResult:
    """Chain-of-thought only: 'Step n:' observations and a 'Conclusion:' that is not a copy of any of them."""
    answer = next((t.text for t in reversed(turns) if t.role == "gpt"), "")
    steps = [s.strip() for s in _STEP.findall(answer)]
    conclusion = _CONCLUSION.search(answer)
    if not steps or conclusion is None:
        return CheckResult("reasoning", False, None, "needs 'Step n:' lines and a 'Conclusion:'")
    ending = _similarity_tokens(conclusion.group(1))
    if not ending:
        return CheckResult("reasoning", False, None, "the conclusion is empty")
    scores = [_similarity(ending, _similarity_tokens(s)) for s in steps]
    worst = max(range(len(steps)), key=scores.__getitem__)
    if scores[worst] >= max_similarity:
        detail = f"the conclusion repeats step {worst + 1} (similarity {scores[worst]:.2f})"
        return CheckResult("reasoning", False, round(1 - scores[worst], 4), detail)
    detail = f"{len(steps)} step(s) before a conclusion of its own"
    return CheckResult("reasoning", True, round(1 - scores[worst], 4), detail)


def _grounded(
    answers: Sequence[str], cues: Sequence[str], knowledge: Sequence[str], params: CheckParams
) -> CheckResult:
    if not answers:
        return CheckResult("grounded", False, 0.0, "no gpt turns to ground")
    sources = [*cues, *knowledge]
    where = "cues and knowledge" if knowledge else "cues"
    answer_words = _grounding_words(answers)
    if not answer_words:
        return CheckResult("grounded", False, 0.0, "answers hold no content words to ground")
    source_words = _grounding_words(sources)
    missing = [shown for w, shown in answer_words.items() if w not in source_words]
    score = round(1 - len(missing) / len(answer_words), 4)
    parts = [f"{len(answer_words) - len(missing)}/{len(answer_words)} answer content words found in {where}"]
    if missing:
        parts.append(f"not in {where}: {_listed(missing)}")
    claims = _claim_problems(answers, sources, where, params) + _number_problems(answers, sources, where)
    parts += claims
    return CheckResult("grounded", score >= params.min_grounding and not claims, score, "; ".join(parts))


def _grounding_words(texts: Sequence[str]) -> dict[str, str]:
    """Content words (spelling-folded, mapped to how they were first written), with each lexicon term as one
    '[label]' token so synonyms and abbreviations ("RPE", "retinal pigment epithelium") count as one word."""
    out: dict[str, str] = {}
    for text in texts:
        rest, last = [], 0
        for m in find_terms(text, TERMS):
            out.setdefault(f"[{m.term.label}]", m.text.lower())
            rest.append(text[last : m.start])
            last = m.end
        rest.append(text[last:])
        for word in content_words(" ".join(rest)):
            out.setdefault(normalize_spelling(word), word)
    return out


def _claim_problems(
    answers: Sequence[str], sources: Sequence[str], where: str, params: CheckParams
) -> list[str]:
    told = [m for s in sources for m in polar_mentions(s)]
    problems: dict[str, None] = {}
    for said in (m for a in answers for m in polar_mentions(a)):
        same_term = [m for m in told if m.label == said.label]
        if not same_term:
            if params.require_cued_findings and said.kind in ("finding", "diagnosis"):
                problems.setdefault(f"{said.kind} '{said.surface}' is not named in the {where}", None)
            continue
        # Prefer the cue's own wording: "disc oedema" and "macular oedema" share a label, not a claim.
        worded = [m for m in same_term if _key(m) == _key(said)] or same_term
        if said.negated not in {m.negated for m in worded}:
            stance, other = ("denied", "affirmed") if said.negated else ("affirmed", "denied")
            problems.setdefault(f"'{said.surface}' is {stance} in the answer but only {other} in the {where}")
    return list(problems)


def _number_problems(answers: Sequence[str], sources: Sequence[str], where: str) -> list[str]:
    known = {n for s in sources for n in numbers(s)}
    unsupported = list(dict.fromkeys(n for a in answers for n in numbers(a) if n not in known))
    return [f"number {n} is not in the {where}" for n in unsupported]


def _key(mention: Mention) -> str:
    return " ".join(_stem(w) for w in mention.surface.split())


def _content(answers: Sequence[str]) -> CheckResult:
    if not answers:
        return CheckResult("content", False, 0.0, "no gpt turns")
    empty: list[str] = []
    informative = total = 0
    for i, answer in enumerate(answers):
        found = content_words(_FRAMES.sub(" ", answer))
        kept = [w for w in found if w not in POINTING and _stem(w) not in POINTING]
        total += len(found)
        informative += len(kept)
        if not kept:
            pointing = f" (only pointing or filler words: {_listed(found)})" if found else ""
            empty.append(f"gpt turn {i} has no content words{pointing}")
    score = round(informative / total, 4) if total else 0.0
    if empty:
        return CheckResult("content", False, score, "; ".join(empty))
    return CheckResult(
        "content", True, score, f"{informative} content word(s) across {len(answers)} answer(s)"
    )


def _vocabulary(answers: Sequence[str], params: CheckParams) -> CheckResult:
    text = "\n".join(answers)
    try:
        unknown = unknown_words(text, tuple(params.word_lists))
    except WordListMissingError as exc:
        return CheckResult("vocabulary", False, None, str(exc))
    total = len(set(words(text)))
    score = round(1 - len(unknown) / total, 4) if total else 0.0
    if not total:
        return CheckResult("vocabulary", False, 0.0, "answers hold no words")
    if len(unknown) > params.max_unknown_words:
        detail = f"{len(unknown)} word(s) in no word list: {_listed(unknown)}"
        return CheckResult("vocabulary", False, score, detail)
    return CheckResult("vocabulary", True, score, f"{total - len(unknown)}/{total} distinct words known")


def _no_phi(turns: Sequence[Turn]) -> CheckResult:
    # Kinds and turn numbers only: the detail is stored and shown, and must not carry the PHI itself.
    found = [
        f"turn {i} ({t.role}): {', '.join(dict.fromkeys(m.kind for m in matches))}"
        for i, t in enumerate(turns)
        if (matches := find_phi(t.text))
    ]
    if found:
        return CheckResult("no_phi", False, None, "protected health information: " + "; ".join(found))
    return CheckResult("no_phi", True, None, "no names, dates, record numbers or contact details")


def _no_injection(turns: Sequence[Turn]) -> CheckResult:
    found = [
        f"turn {i} ({t.role}): {', '.join(kinds)}"
        for i, t in enumerate(turns)
        if (kinds := list(dict.fromkeys(kind for kind, pattern in INJECTION if pattern.search(t.text))))
    ]
    if found:
        return CheckResult("no_injection", False, None, "; ".join(found))
    return CheckResult(
        "no_injection", True, None, "no links, instructions to a model, calls to action or code"
    )


def _no_leakage(turns: Sequence[Turn]) -> CheckResult:
    found: dict[str, None] = {}
    for turn in turns:
        for pattern in LEAKAGE:
            for m in pattern.finditer(turn.text):
                found.setdefault(m.group(0).lower(), None)
    if found:
        phrases = ", ".join(f"'{p}'" for p in found)
        return CheckResult("no_leakage", False, None, f"reveals the source: {phrases}")
    return CheckResult("no_leakage", True, None, "no source-revealing phrases")


def _length(answers: Sequence[str], params: CheckParams) -> CheckResult:
    if not answers:
        return CheckResult("length", False, None, "no gpt turns")
    lengths = [len(a.strip()) for a in answers]
    problems = [
        f"gpt turn {i} has {n} chars (< {params.min_answer_chars})"
        if n < params.min_answer_chars
        else f"gpt turn {i} has {n} chars (> {params.max_answer_chars})"
        for i, n in enumerate(lengths)
        if not params.min_answer_chars <= n <= params.max_answer_chars
    ]
    if problems:
        return CheckResult("length", False, None, "; ".join(problems))
    detail = f"{len(lengths)} gpt turn(s), {min(lengths)}-{max(lengths)} chars"
    return CheckResult("length", True, None, detail)


def _well_formed(turns: Sequence[Turn]) -> CheckResult:
    if not turns:
        return CheckResult("well_formed", False, None, "no turns")
    for i, turn in enumerate(turns):
        expected = "human" if i % 2 == 0 else "gpt"
        if turn.role != expected:
            detail = f"turn {i} is {turn.role!r}, expected {expected!r}"
            return CheckResult("well_formed", False, None, detail)
        if not turn.text or not turn.text.strip():
            return CheckResult("well_formed", False, None, f"turn {i} ({turn.role}) is empty")
    if turns[-1].role != "gpt":
        return CheckResult("well_formed", False, None, "last turn is not a gpt answer")
    return CheckResult("well_formed", True, None, f"{len(turns)} alternating turns, human first, gpt last")


def _similarity_tokens(text: str) -> list[str]:
    text = normalize_spelling(normalize_numbers(_FRAMES.sub(" ", text)))
    return [_stem(t) for t in _KEY_TOKEN.findall(text)]


def _similarity(a: list[str], b: list[str]) -> float:
    """The larger of word-sequence similarity and word-pair (bigram) overlap: the second still sees a copy
    whose sentences were shuffled, as a chain of thought re-ordering its sibling's answer would be."""
    if not a or not b:
        return 0.0
    pairs_a, pairs_b = set(zip(a, a[1:], strict=False)), set(zip(b, b[1:], strict=False))
    overlap = 2 * len(pairs_a & pairs_b) / (len(pairs_a) + len(pairs_b)) if pairs_a and pairs_b else 0.0
    return max(similarity(a, b), overlap)


def _listed(items: Sequence[str]) -> str:
    listed = ", ".join(f"'{w}'" for w in items[:_MAX_LISTED])
    more = f" (+{len(items) - _MAX_LISTED} more)" if len(items) > _MAX_LISTED else ""
    return listed + more


def _stem(word: str) -> str:
    # Plural folding only: enough to match "haemorrhages" to "haemorrhage" without a stemmer dependency.
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _normalize(text: str) -> str:
    return _SPACES.sub(" ", _PUNCT.sub(" ", text.lower())).strip()
