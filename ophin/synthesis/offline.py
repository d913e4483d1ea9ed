"""Offline instruction generator: a focused VQA, an ordered conversation and a reasoned CoT per image, every
answer word taken from the visual-cue sentences, a cited relation statement, or a fixed template frame."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from ophin.cues.lexicon import LEXICON_DIGEST, TERMS, TermMatch, find_terms, terms_of_kind
from ophin.knowledge.relations import RELATIONS_DIGEST, Relation, is_negated, normal_relations, relations_in
from ophin.synthesis.base import KINDS, GeneratedInstruction, InstructionKind, PairContext, Turn

MAX_CONVERSATION_PAIRS = 8
MAX_VQA_CUES = 2  # a focused answer: one or two sentences about one thing
MAX_OBSERVATIONS_PER_STEP = 3
MAX_INTERPRETATIONS = 3

# What a lecturer says to point at the screen carries no content for a reader of the answer.
_FILLER = r"(?:(?:and|so|now|okay|ok|well|also|um|uh|right|then|again|alright|all right)\b[,\s]*)"
_DEICTIC_LEAD = (
    r"(?:(?:as |here |now |so |and |again )?(?:you|we) can (?:also |clearly |probably |actually |now )?"
    r"(?:see|appreciate|notice)|as you can see|(?:here )?(?:you|we) see|notice|note|look at"
    r"|if you look(?: at)?|here (?:is|are|we have)|here's|here"
    r"|in this (?:\w+ ){0,2}(?:image|photo|photograph|picture|scan|slide|video|case|example|one)"
    r"|(?:if we |when we |now )?zoom(?:ing)? in|looking (?:more )?closely"
    r"|on the (?:left|right)(?: side)?"
    r"|on (?:the|this) (?:oct(?: scan)?|scan|image|photo|photograph|picture|angiogram"
    r"|fundus(?: photo(?:graph)?)?))"
)
_LEAD = re.compile(rf"^{_FILLER}*{_DEICTIC_LEAD}\b(?:\s*(?:that|how)\b)?[\s,:;-]*", re.IGNORECASE)
_FILLER_ONLY = re.compile(rf"^{_FILLER}+", re.IGNORECASE)
_TRAILING = re.compile(r"[\s.,;:!?…-]+$")
_SPACES = re.compile(r"\s+")
_ACRONYM = re.compile(
    r"^(?:rpe|cnvm?|peds?|irf|srf|r?nfl|gcl|elm|cdr|irma|nv[de]|n?pdr|amd|[cb]r[va]o|cscr?|oct)$",
    re.IGNORECASE,
)
_MIN_WORDS_AFTER_STRIP = 3
# "What about the cystic?" reads badly: adjective forms are asked about by their lexicon label instead.
_ADJECTIVE = re.compile(r"(?:ic|al|ous|ed|ar|ary|ive|en|oid|pale)$", re.IGNORECASE)
_NOT_ADJECTIVES = frozenset({"drusen", "scar", "bleed"})  # nouns that merely end like adjectives
_COPULA = re.compile(r"\b(?:is|are|was|were|be|been|looks?|appears?|seems?|becomes?|became)\s+$", re.I)
_PROPER = frozenset({"bruch's", "bruch", "hollenhorst", "drance", "humphrey", "optos", "amsler", "goldmann"})
_FUNCTION_WORDS = frozenset(
    "a an and are as at but by for from in into is of on or over the to under was were which with".split()
)

# A cue's polarity. Findings like "hyperreflective band" or "pigmentation" are normal anatomy as often as not.
_SOFT_FINDINGS = frozenset({"reflectivity", "pigmentary change"})
_NORMAL = re.compile(
    r"\b(?:normal|healthy|unremarkable|physiological|within normal limits|well[\s-]*defined|sharp(?:ly)?"
    r"|crisp|intact|preserved|regular|clear|flat|symmetric(?:al)?)\b",
    re.IGNORECASE,
)
_ABNORMAL = re.compile(
    r"\b(?:abnormal\w*|patholog\w*|enlarg\w*|increased|elevated|raised|dilated|distort\w*|disrupt\w*"
    r"|irregular\w*|loss of|lost|attenuated|narrowed|blurr(?:ed|y)|indistinct|ill[\s-]*defined|asymmetr\w*"
    r"|engorged)\b",
    re.IGNORECASE,
)
_INTERPRETIVE = re.compile(
    r"\b(?:consistent with|suggest\w*|indicat\w*|typical of|characteristic of|diagnos\w*|in keeping with"
    r"|compatible with|pathognomonic|hallmark)\b",
    re.IGNORECASE,
)
# Cues that already point at the picture take no "In this image," frame.
_DEICTIC_START = re.compile(r"(?:(?:in|on|at) (?:this|these|the)|this|these|here)\b", re.IGNORECASE)
# A picture named as a noun phrase ("A fundus photograph of the right eye."): no verb of its own.
_VERB = re.compile(
    r"\b(?:is|are|was|were|has|have|had|can|could|will|would|shows?|showing|demonstrates?|reveals?|appears?"
    r"|looks?|sits?|lies|lines?|stands?)\b",
    re.IGNORECASE,
)

NOUNS = {
    "fundus photograph": "fundus photograph",
    "oct": "OCT scan",
    "angiogram": "angiogram",
    "autofluorescence": "autofluorescence image",
    "slit lamp": "slit-lamp photograph",
    "ultrasound": "ultrasound image",
    "visual field": "visual field test",
}

# Questions: free wording, never checked against the cues. Answers: frames below, plus cue or relation text.
_VQA_STATUS = (
    "Is this {noun} normal or abnormal?",
    "Does this {noun} look normal?",
    "Would you call this {noun} normal or abnormal?",
)
_VQA_PRESENT = ("{is_there} any {topic} in this {noun}?", "Does this {noun} show any {topic}?")
_VQA_DESCRIBE = (
    "Describe the {topic} in this {noun}.",
    "What {does} the {topic} look like in this {noun}?",
    "How {does} the {topic} appear in this {noun}?",
)
_VQA_STRUCTURE = ("Which structure is shown in this {noun}?", "What part of the eye does this {noun} show?")
_VQA_WHOLE = ("What does this {noun} show?", "What can be seen in this {noun}?")
_VQA_MODALITY = ("What kind of image is this?", "Which imaging modality is shown here?")
_VQA_DIAGNOSIS = ("What is the likely diagnosis in this {noun}?", "What condition does this {noun} suggest?")
_CONV_OVERVIEW_FIRST = (
    "What does this {noun} show?",
    "What kind of image is this?",
    "What are we looking at here?",
)
_CONV_OVERVIEW_NEXT = ("What else does this {noun} show?",)
_CONV_TOPIC = (
    "How {does} the {topic} look{where}?",
    "What can you tell me about the {topic}{where}?",
    "Describe the {topic}{where}.",
    "What is notable about the {topic}{where}?",
)
_CONV_TOPIC_AGAIN = (
    "What else is there to note about the {topic}?",
    "Is there anything more about the {topic}?",
)
_CONV_DENIED = ("{is_there} any {topic}{where}?",)
_CONV_ELSE = ("What else can be seen in this {noun}?", "What other feature does this {noun} show?")
_CONV_DIAGNOSIS = ("What is the likely diagnosis{where}?", "How would you interpret these findings{where}?")
_CONV_MEANING = ("What do these findings suggest?", "What condition do these findings point to?")
_CONV_NORMAL = ("Is there anything abnormal in this {noun}?", "Overall, does anything here look abnormal?")
_CONV_ABNORMAL = ("Overall, is this {noun} normal?", "Would you call this {noun} normal?")
_COT_QUESTION = (
    "Examine this {noun} step by step and summarise the key finding.",
    "Work through this {noun} step by step: what do you observe, and what does it suggest?",
    "Reason step by step about this {noun} and give a conclusion.",
)
# Answer frames. {findings}: "the a and the b"; {are}: "is" or "are" to agree with it.
_A_STATUS = "{verdict}: {cues}."
_A_VERDICTS = ("Normal", "Abnormal")
_A_NO = "No: {cues}."
_A_SHORT_SHOWS = "this {noun} shows {findings}"
_A_THIS_IS = ("This is {cue}.", "It is {cue}.")
_A_REFRAME = (
    "In this {noun}, {cue}.",
    "Looking at this {noun}, {cue}.",
    "Here, {cue}.",
    "On this {noun}: {cue}.",
)
# The conversation names only the meaning; the CoT conclusion ties it to the findings.
_A_MEANING = ("They suggest {meaning}.", "They point to {meaning}.")
# No polarity is restated for anatomy: "the disc looks normal" would be a claim the cues may not make.
_A_NOTHING_ABNORMAL = (
    "Nothing abnormal is seen in this {noun}.",
    "Everything in this {noun} looks normal.",
)
_A_ABNORMAL_BECAUSE = "It is abnormal because of {findings}."
_A_OBSERVATION = "Observation: {cues}."
_A_INTERPRETATION = "Interpretation: {text}."
_A_COMPARISON = "Interpretation: for comparison, {text}."
_A_NO_ABNORMAL_FEATURE = "Interpretation: nothing here is abnormal."
_A_CONCLUDE_MEANING = (
    "{Findings} {are} consistent with {meaning}.",
    "In summary, this {noun} shows {findings}, in keeping with {meaning}.",
)
_A_CONCLUDE_MEANING_ONLY = (
    "This {noun} is consistent with {meaning}.",
    "Overall, the picture is in keeping with {meaning}.",
)
_A_CONCLUDE_NORMAL = (
    "No abnormality is identified; this is a normal {noun}.",
    "This is a normal {noun}, with no abnormality identified.",
)
_A_CONCLUDE_ABNORMAL = (
    "The key abnormality in this {noun}: {findings}.",
    "This {noun} is abnormal, showing {findings}.",
)
_A_CONCLUDE_FEATURES = (
    "The key features of this {noun}: {findings}.",
    "This {noun} mainly shows {findings}.",
)
_A_CONCLUDE_FALLBACK = "These observations summarise what this {noun} shows."
_ARE = ("is", "are")

# Every fixed word an answer may contain besides cue and relation text: for the verifier and the tests.
ANSWER_FRAMES: tuple[str, ...] = (
    _A_STATUS, *_A_VERDICTS, _A_SHORT_SHOWS, _A_NO, *_A_THIS_IS, *_A_REFRAME,
    *_A_MEANING, *_A_NOTHING_ABNORMAL, _A_ABNORMAL_BECAUSE, _A_OBSERVATION, _A_INTERPRETATION, _A_COMPARISON,
    _A_NO_ABNORMAL_FEATURE, *_A_CONCLUDE_MEANING, *_A_CONCLUDE_MEANING_ONLY, *_A_CONCLUDE_NORMAL,
    *_A_CONCLUDE_ABNORMAL, *_A_CONCLUDE_FEATURES, _A_CONCLUDE_FALLBACK, "Step", "Conclusion", "the", "and",
    *_ARE, *NOUNS.values(),
)  # fmt: skip
_QUESTIONS = (
    _VQA_STATUS, _VQA_PRESENT, _VQA_DESCRIBE, _VQA_WHOLE, _VQA_STRUCTURE, _VQA_MODALITY, _VQA_DIAGNOSIS,
    _CONV_OVERVIEW_FIRST, _CONV_OVERVIEW_NEXT, _CONV_TOPIC, _CONV_TOPIC_AGAIN, _CONV_DENIED, _CONV_ELSE,
    _CONV_DIAGNOSIS, _CONV_MEANING, _CONV_NORMAL, _CONV_ABNORMAL, _COT_QUESTION,
)  # fmt: skip
TEMPLATES_DIGEST = hashlib.sha256(
    json.dumps(
        [
            ANSWER_FRAMES,
            _QUESTIONS,
            _NORMAL.pattern,
            _ABNORMAL.pattern,
            _INTERPRETIVE.pattern,
            sorted(_SOFT_FINDINGS),
        ]
    ).encode()
).hexdigest()[:12]


class OfflineCueGenerator:
    """Deterministic and invents nothing: every answer word comes from ctx.cues, from a cited relation
    statement (see knowledge_for), or from ANSWER_FRAMES."""

    name = "offline-cue-template"
    version = "2"  # 2: focused VQA, ordered conversation, CoT with cited interpretation, normal/abnormal
    model = "offline-cue-template"

    def config(self) -> dict[str, object]:
        return {
            "name": self.name,
            "version": self.version,
            "templates": TEMPLATES_DIGEST,
            "relations": RELATIONS_DIGEST,
            "lexicon": LEXICON_DIGEST,
        }

    def generate(self, ctx: PairContext, kind: InstructionKind) -> GeneratedInstruction:
        if kind not in KINDS:
            raise ValueError(f"unknown instruction kind {kind!r}; expected one of {KINDS}")
        if not _clean_cues(ctx.cues):
            raise ValueError(f"pair {ctx.pair_id}: no visual-cue sentences to build an instruction from")
        return GeneratedInstruction(
            kind=kind,
            turns=_plan(ctx)[kind],
            generator=self.name,
            generator_version=self.version,
            prompt_version=None,
        )


def knowledge_for(ctx: PairContext) -> tuple[str, ...]:
    """The relation statements the generator may state for this context: grounding beside ctx.cues."""
    if not _clean_cues(ctx.cues):
        return ()
    image = _image(ctx)
    return tuple(dict.fromkeys(r.statement for r in (*image.relations, *image.normals)))


def normalize_cue(sentence: str) -> str:
    """Drop leading fillers and pointing phrases ("so here you can see", "notice that"), capitalise, end with
    a period. Only removes words, so the result stays grounded in the spoken sentence."""
    text = _SPACES.sub(" ", sentence).strip()
    stripped = text
    for _ in range(3):  # "so, on the left, you can see ..." takes more than one pass
        candidate = _LEAD.sub("", stripped, count=1)
        if candidate == stripped:
            break
        stripped = candidate
    stripped = _FILLER_ONLY.sub("", stripped)
    # "In this fundus photograph of the right eye, the disc ...": the lead is part of a longer phrase.
    if len(stripped.split()) >= _MIN_WORDS_AFTER_STRIP and not re.match(r"of\b", stripped, re.I):
        text = stripped
    text = _TRAILING.sub("", text)
    if not text:
        return ""
    return text[0].upper() + text[1:] + "."


# --- reading the cues ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cue:
    text: str  # normalised sentence
    stage: int  # 0 modality/overview, 1 anatomy/findings, 2 interpretation/diagnosis
    polarity: str  # "normal" | "abnormal" | "neutral"
    topic: str | None  # what a question about this cue names (may be a lexicon label)
    label: str | None
    topic_kind: str | None  # the lexicon kind of the topic: "finding", "anatomy", ...
    denied: tuple[str, ...]  # findings the cue says are absent, as spoken
    phrase: str | None  # the abnormality as spoken, safe to restate ("enlarged cup-to-disc ratio")
    anatomy: tuple[str, ...]  # anatomy as spoken
    labels: tuple[str, ...]  # anatomy labels, for normal-appearance relations
    diagnosis: str | None  # a named diagnosis, as spoken
    relations: tuple[Relation, ...]
    names_modality: bool


@dataclass(frozen=True)
class _Image:
    noun: str
    cues: tuple[_Cue, ...]  # clinical order: overview, anatomy/findings, interpretation
    status: str  # "normal" | "abnormal" | "unknown"
    relations: tuple[Relation, ...]
    normals: tuple[Relation, ...]
    findings: tuple[str, ...]
    meanings: tuple[str, ...]


def _clean_cues(cues: Iterable[str]) -> list[str]:
    # Whisper sometimes repeats a sentence verbatim across segment boundaries.
    seen: dict[str, str] = {}
    for cue in cues:
        text = normalize_cue(cue) if cue and cue.strip() else ""
        if text and text.lower() not in seen:
            seen[text.lower()] = text
    return list(seen.values())


@lru_cache(maxsize=1024)
def _image(ctx: PairContext) -> _Image:
    cues = sorted((_read(c) for c in _clean_cues(ctx.cues)), key=lambda c: c.stage)  # stable: spoken order
    modality = _modality([find_terms(c, TERMS) for c in ctx.cues])
    abnormal = [c for c in cues if c.polarity == "abnormal"]
    status = "abnormal" if abnormal else "normal" if any(c.polarity == "normal" for c in cues) else "unknown"
    relations = tuple(dict.fromkeys(r for c in cues for r in c.relations))
    # How the structures the cues name look when healthy: the reading of a normal image, and the reference
    # an undiagnosed one is compared with. Never about anatomy the cues do not name.
    normals: dict[Relation, None] = {}
    for cue in (c for c in cues if status != "normal" or c.polarity == "normal"):
        normals.update(dict.fromkeys(normal_relations(cue.labels, modality)[:1]))
    findings = tuple(dict.fromkeys(c.phrase for c in abnormal if c.phrase))[:3]
    diagnoses = tuple(dict.fromkeys(c.diagnosis for c in cues if c.diagnosis))
    meanings = (diagnoses or tuple(dict.fromkeys(r.indicates for r in relations)))[:2]
    return _Image(
        noun=NOUNS.get(modality or "", "image"),
        cues=tuple(cues),
        status=status,
        relations=relations,
        normals=tuple(normals)[:2],
        findings=findings or tuple(r.finding for r in relations)[:2],
        meanings=meanings,
    )


def _read(text: str) -> _Cue:
    matches = find_terms(text, TERMS)
    asserted = [m for m in matches if m.term.kind in ("anatomy", "modality") or not _negated(text, m)]
    denied = [m for m in matches if m.term.kind in ("finding", "diagnosis") and _negated(text, m)]
    strong = [m for m in terms_of_kind(asserted, "finding") if m.term.label not in _SOFT_FINDINGS]
    diagnoses = terms_of_kind(asserted, "diagnosis")
    anatomy = terms_of_kind(asserted, "anatomy")
    markers = [m for m in _ABNORMAL.finditer(text) if not is_negated(text, m.start(), m.end())]
    normal = [m for m in _NORMAL.finditer(text) if not is_negated(text, m.start(), m.end())]
    denied_normal = len(list(_NORMAL.finditer(text))) > len(normal)  # "the disc is not normal"
    relations = tuple(relations_in(text))
    if strong or diagnoses or markers or relations or denied_normal:
        polarity = "abnormal"
    elif normal or denied or len(list(_ABNORMAL.finditer(text))) > len(markers):
        polarity = "normal"
    else:
        polarity = "neutral"
    names_modality = bool(terms_of_kind(asserted, "modality"))
    if diagnoses or _INTERPRETIVE.search(text):
        stage = 2
    elif names_modality and not terms_of_kind(asserted, "finding") and (not anatomy or _noun_phrase(text)):
        stage = 0
    else:
        stage = 1
    topic = _topic_match(text, strong, diagnoses, terms_of_kind(asserted, "finding"), anatomy)
    diagnosis = next((_spoken(m.text) for m in diagnoses if not _is_adjective(m.text)), None)
    return _Cue(
        text=text,
        stage=stage,
        polarity=polarity,
        topic=_question_topic(topic),
        label=topic.term.label if topic else None,
        topic_kind=topic.term.kind if topic else None,
        denied=tuple(dict.fromkeys(t for t in map(_question_topic, denied) if t)),
        phrase=_phrase(text, strong, anatomy, markers) if polarity == "abnormal" else None,
        anatomy=tuple(dict.fromkeys(_spoken(m.text) for m in anatomy)),
        labels=tuple(dict.fromkeys(m.term.label for m in anatomy)),
        diagnosis=diagnosis,
        relations=relations,
        names_modality=names_modality,
    )


def _negated(text: str, match: TermMatch) -> bool:
    return is_negated(text, match.start, match.end)


def _topic_match(
    text: str,
    strong: list[TermMatch],
    diagnoses: list[TermMatch],
    findings: list[TermMatch],
    anatomy: list[TermMatch],
) -> TermMatch | None:
    # "The disc is swollen": asked about as the disc; "a cystic space": asked about as the cyst (its label).
    if strong and _is_adjective(strong[0].text) and _COPULA.search(text[: strong[0].start]) and anatomy:
        return anatomy[0]
    for group in (strong, diagnoses, findings, anatomy):
        if group:
            return group[0]
    return None


def _question_topic(match: TermMatch | None) -> str | None:
    if match is None:
        return None
    text = _SPACES.sub(" ", match.text)
    if _ACRONYM.match(text):
        return text.upper()
    return match.term.label if _is_adjective(text) else text.lower()


def _phrase(
    text: str, strong: list[TermMatch], anatomy: list[TermMatch], markers: list[re.Match[str]]
) -> str | None:
    """The abnormality in the cue's own words: a finding noun, an adjective with its noun, or a marker with
    the anatomy it qualifies. None when the cue offers no such phrase."""
    if strong:
        first = strong[0]
        if not _is_adjective(first.text):
            return _spoken(first.text)
        noun = re.match(r"\s+([a-z][a-z'-]+)", text[first.end :], re.IGNORECASE)
        # "a cystic space" (attributive) vs "the disc is swollen" (predicative: describes the anatomy).
        attributive = noun and not _COPULA.search(text[: first.start]) and not noun.group(1).endswith("ly")
        if attributive and noun.group(1).lower() not in _FUNCTION_WORDS:
            return f"{_spoken(first.text)} {noun.group(1).lower()}"
        return f"{_spoken(first.text)} {_spoken(anatomy[0].text)}" if anatomy else None
    if markers and anatomy:
        return f"{markers[0].group(0).lower()} {_spoken(anatomy[0].text)}"
    return None


def _spoken(text: str) -> str:
    text = _SPACES.sub(" ", text).strip()
    return text.upper() if _ACRONYM.match(text) else text.lower()


def _modality(matches: Sequence[Sequence[TermMatch]]) -> str | None:
    # Raw cues, because normalising strips "on the OCT ..." which is exactly where the modality is named.
    for found in matches:
        for m in terms_of_kind(found, "modality"):
            return m.term.label
    return None


# --- writing the three kinds --------------------------------------------------------------------------------


class _Ledger:
    """Sentences already written for this image: no answer sentence repeats verbatim across its kinds."""

    _MARK = re.compile(r"^(?:step\s+\d+\s*:|conclusion\s*:)\s*", re.IGNORECASE)

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def take(self, candidates: Sequence[str]) -> str:
        chosen = next((c for c in candidates if not self.seen & set(self.sentences(c))), candidates[0])
        self.seen.update(self.sentences(chosen))
        return chosen

    @classmethod
    def sentences(cls, text: str) -> list[str]:
        out = []
        for line in text.split("\n"):
            for sentence in re.split(r"(?<=[.!?])\s+", line.strip()):
                body = re.sub(r"[^\w\s]|_", " ", cls._MARK.sub("", sentence).lower())
                if body.split():
                    out.append(" ".join(body.split()))
        return out


@lru_cache(maxsize=1024)
def _plan(ctx: PairContext) -> dict[str, tuple[Turn, ...]]:
    image, ledger = _image(ctx), _Ledger()
    vqa = _vqa(ctx.pair_id, image, ledger)  # first: the focused answer keeps the plain cue wording
    conversation = _conversation(ctx.pair_id, image, ledger, vqa_question=vqa[0].text)
    return {"vqa": vqa, "conversation": conversation, "cot": _cot(ctx.pair_id, image, ledger)}


def _vqa(pair_id: str, image: _Image, ledger: _Ledger) -> tuple[Turn, ...]:
    noun, cues = image.noun, image.cues
    # Focused: never the whole image when there is more than one thing to say (the conversation says it).
    limit = min(MAX_VQA_CUES, max(1, len(cues) // 2))
    options: list[list[tuple[Sequence[str], dict[str, str], str]]] = []  # per question type
    if len(cues) == 1 and (short := _short_vqa(image)):
        # One sentence is all the image has: the conversation and the CoT restate it, so the VQA names
        # just the verdict or the structure, in the cue's own words.
        options.append([short])
    if image.status != "unknown":
        chosen = [c for c in cues if c.polarity == image.status][:limit]
        verdict = _A_VERDICTS[0] if image.status == "normal" else _A_VERDICTS[1]
        options.append([(_VQA_STATUS, {}, _A_STATUS.format(verdict=verdict, cues=_join(chosen)))])
    present = [
        (_VQA_PRESENT, _topic_slots(t), _one_sentence(group))
        for t, group in _groups(
            (c for c in cues if c.polarity == "abnormal" and c.topic_kind == "finding"), limit
        )
    ] + [
        (_VQA_PRESENT, _topic_slots(d), _A_NO.format(cues=_join([c])))
        for c in cues
        if c.polarity == "normal"
        for d in c.denied[:1]
    ]
    describe = [
        (_VQA_DESCRIBE, _topic_slots(t), _one_sentence(group))
        for t, group in _groups((c for c in cues if c.stage == 1 and c.topic), limit)
    ]
    # Only a cue that is about the picture itself answers "what kind of image is this?" and nothing more.
    overview = [c for c in cues if c.stage == 0 and (_noun_phrase(c.text) or not c.anatomy)][:1]
    modality = [(_VQA_MODALITY, {}, _this_is(c)) for c in overview]
    diagnosis = [(_VQA_DIAGNOSIS, {}, c.text) for c in cues if c.stage == 2][:1]
    options += [o for o in (present, describe, modality, diagnosis) if o]
    if not options:  # only topic-less, modality-less cues: ask about the image as a whole
        options.append([(_VQA_WHOLE, {}, _one_sentence(cues[:limit]))])
    kind = options[0 if len(cues) == 1 else _pick(pair_id, "vqa:type", len(options))]
    templates, slots, answer = kind[_pick(pair_id, "vqa:topic", len(kind))]
    question = templates[_pick(pair_id, "vqa:question", len(templates))].format(noun=noun, **slots)
    return (Turn("human", _cap(question)), Turn("gpt", ledger.take([answer])))


def _short_vqa(image: _Image) -> tuple[Sequence[str], dict[str, str], str] | None:
    noun, cue = image.noun, image.cues[0]
    if image.status == "normal":
        return _VQA_STATUS, {}, _A_STATUS.format(verdict=_A_VERDICTS[0], cues=_embed(cue.text))
    if image.status == "abnormal" and cue.phrase:
        shows = _fill(_A_SHORT_SHOWS, [cue.phrase], noun=noun)
        return _VQA_STATUS, {}, _A_STATUS.format(verdict=_A_VERDICTS[1], cues=_embed(shows))
    if cue.anatomy:
        return _VQA_STRUCTURE, {}, _fill(_A_SHORT_SHOWS, cue.anatomy[:2], noun=noun) + "."
    return None


def _conversation(pair_id: str, image: _Image, ledger: _Ledger, vqa_question: str) -> tuple[Turn, ...]:
    noun, turns, asked = image.noun, [], set()
    for i, cue in enumerate(image.cues[: MAX_CONVERSATION_PAIRS - 1]):
        where = f" in this {noun}" if i == 0 else ""
        if cue.stage == 0:
            templates, slots = (_CONV_OVERVIEW_FIRST if i == 0 else _CONV_OVERVIEW_NEXT), {}
        elif cue.stage == 2:
            templates, slots = _CONV_DIAGNOSIS, {}
        elif cue.denied and cue.label is None:
            templates, slots = _CONV_DENIED, _topic_slots(cue.denied[0])
        elif cue.label and cue.label not in asked:
            templates, slots = _CONV_TOPIC, _topic_slots(cue.topic)
        elif cue.label:
            templates, slots = _CONV_TOPIC_AGAIN, _topic_slots(cue.topic)
        else:
            templates, slots = (_CONV_OVERVIEW_FIRST if i == 0 else _CONV_ELSE), {}
        asked.add(cue.label)
        # Rotated, and never the VQA's own question word for word.
        questions = [
            _cap(t.format(noun=noun, where=where, **slots)) for t in _rotate(templates, f"{pair_id}:{i}")
        ]
        question = next((q for q in questions if q.lower() != vqa_question.lower()), questions[0])
        turns += [Turn("human", question), Turn("gpt", ledger.take(_reframings(cue, noun)))]
    closing = _closing(pair_id, image, ledger)
    return tuple(turns + closing)


def _closing(pair_id: str, image: _Image, ledger: _Ledger) -> list[Turn]:
    """The interpretation turn the spoken cues did not give: what the findings mean, or normal/abnormal."""
    noun = image.noun
    if any(c.stage == 2 for c in image.cues):
        return []
    if image.meanings:
        answers = [t.format(meaning=_and(image.meanings)) for t in _rotate(_A_MEANING, pair_id)]
        questions = _CONV_MEANING
    elif image.status == "normal":
        answers = [t.format(noun=noun) for t in _rotate(_A_NOTHING_ABNORMAL, pair_id)]
        questions = _CONV_NORMAL
    elif image.status == "abnormal" and image.findings:
        answers, questions = [_fill(_A_ABNORMAL_BECAUSE, image.findings)], _CONV_ABNORMAL
    else:
        return []
    question = questions[_pick(pair_id, "conv:closing", len(questions))].format(noun=noun)
    return [Turn("human", question), Turn("gpt", ledger.take(answers))]


def _cot(pair_id: str, image: _Image, ledger: _Ledger) -> tuple[Turn, ...]:
    noun = image.noun
    seen = [c for c in image.cues if c.stage < 2]
    steps = [
        _A_OBSERVATION.format(cues=_join(chunk))
        for group in (
            [c for c in seen if c.polarity != "abnormal"],
            [c for c in seen if c.polarity == "abnormal"],
        )
        for chunk in _chunks(group, MAX_OBSERVATIONS_PER_STEP)
    ]
    # Knowledge only for findings the cues name (relations_in), then the narrator's own interpretation.
    steps += [
        _A_INTERPRETATION.format(text=_embed(r.statement)) for r in image.relations[:MAX_INTERPRETATIONS]
    ]
    steps += [_A_INTERPRETATION.format(text=_embed(c.text)) for c in image.cues if c.stage == 2][:2]
    if image.status == "normal" and not image.relations:
        steps += [_A_INTERPRETATION.format(text=_embed(r.statement)) for r in image.normals] or [
            _A_NO_ABNORMAL_FEATURE
        ]
    elif not image.relations and not any(c.stage == 2 for c in image.cues):
        steps += [_A_COMPARISON.format(text=_embed(r.statement)) for r in image.normals[:1]]
    lines = [f"Step {n}: {ledger.take([step])}" for n, step in enumerate(steps, start=1)]
    lines.append(f"Conclusion: {ledger.take(_conclusions(pair_id, image))}")
    question = _COT_QUESTION[_pick(pair_id, "cot:question", len(_COT_QUESTION))].format(noun=noun)
    return (Turn("human", question), Turn("gpt", "\n".join(lines)))


def _conclusions(pair_id: str, image: _Image) -> list[str]:
    """Candidate syntheses, preferred first; none of them is a cue or a step."""
    noun, findings = image.noun, image.findings
    if image.meanings:
        meaning = _and(image.meanings)
        templates = _A_CONCLUDE_MEANING if findings else _A_CONCLUDE_MEANING_ONLY
        return [_fill(t, findings, meaning=meaning, noun=noun) for t in _rotate(templates, pair_id)]
    if image.status == "normal":
        return [t.format(noun=noun) for t in _rotate(_A_CONCLUDE_NORMAL, pair_id)]
    if image.status == "abnormal" and findings:
        return [_fill(t, findings, noun=noun) for t in _rotate(_A_CONCLUDE_ABNORMAL, pair_id)]
    anatomy = tuple(dict.fromkeys(a for c in image.cues for a in c.anatomy))[:3]
    if anatomy:
        return [_fill(t, anatomy, noun=noun) for t in _rotate(_A_CONCLUDE_FEATURES, pair_id)]
    return [_A_CONCLUDE_FALLBACK.format(noun=noun)]


# --- small helpers ------------------------------------------------------------------------------------------


def _reframings(cue: _Cue, noun: str) -> list[str]:
    """The cue as spoken first, then the same words in a frame, for when another kind already said it."""
    lowered, phrase = _embed(cue.text), _noun_phrase(cue.text)
    frames = [f.format(cue=phrase) for f in _A_THIS_IS] if phrase else []
    # Not "In this image, this colour photograph shows": a frame naming the picture needs a cue that does not.
    plain = not cue.names_modality and not _DEICTIC_START.match(cue.text)
    frames += [f.format(cue=lowered, noun=noun) for f in _A_REFRAME if plain or "{noun}" not in f]
    return [cue.text, *frames, _A_REFRAME[-1].format(cue=lowered, noun=noun)]


def _noun_phrase(text: str) -> str | None:
    """'A fundus photo of ...' or 'This is a fundus photo of ...' -> 'a fundus photo of ...'; None for a
    sentence with a verb of its own, or one that does not name the picture."""
    m = re.match(r"(?:(?:this|it) is\s+)?((?:a|an)\s.*?)[.!?]?$", text, re.IGNORECASE)
    if not m or _VERB.search(m.group(1)) or not terms_of_kind(find_terms(m.group(1), TERMS), "modality"):
        return None
    return _embed(m.group(1))


def _this_is(cue: _Cue) -> str:
    phrase = _noun_phrase(cue.text)
    return _A_THIS_IS[0].format(cue=phrase) if phrase else cue.text


def _groups(cues: Iterable[_Cue], limit: int) -> list[tuple[str, list[_Cue]]]:
    by_label: dict[str, list[_Cue]] = {}
    topics: dict[str, str] = {}
    for cue in cues:
        assert cue.label is not None and cue.topic is not None  # noqa: S101 - kept cues are labelled
        by_label.setdefault(cue.label, []).append(cue)
        topics.setdefault(cue.label, cue.topic)
    return [(topics[label], group[:limit]) for label, group in by_label.items()]


def _one_sentence(cues: Sequence[_Cue]) -> str:
    # Two cues become one sentence, so each stays free for the conversation to use as spoken.
    return cues[0].text if len(cues) == 1 else _cap(_join(cues)) + "."


def _fill(template: str, subjects: Sequence[str], **slots: str) -> str:
    """Fill {findings}/{Findings} ('the a and the b') and {are}, which agrees with them."""
    plural = len(subjects) > 1 or (bool(subjects) and _is_plural(subjects[0]))
    listed = _and([f"the {s}" for s in subjects])
    text = template.format(findings=listed, Findings=_cap(listed), are=_ARE[plural], **slots)
    return _cap(text)


def _join(cues: Sequence[_Cue]) -> str:
    return "; ".join(_embed(c.text) for c in cues)


def _embed(sentence: str) -> str:
    """A sentence made ready to sit inside another: no final stop, lower-case first word unless it is an
    acronym or a name."""
    text = sentence.strip().rstrip(".!?")
    first = text.split(" ", 1)[0]
    if first.isupper() and len(first) > 1 or any(ch.isdigit() for ch in first) or first.lower() in _PROPER:
        return text
    return text[:1].lower() + text[1:]


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _is_plural(phrase: str) -> bool:
    last = phrase.split()[-1].lower()
    return last in {"drusen", "emboli", "striae", "precipitates"} or (
        last.endswith("s") and not last.endswith(("ss", "us", "is"))
    )


def _topic_slots(topic: str) -> dict[str, str]:
    plural = _is_plural(topic)
    return {
        "topic": topic,
        "is_there": "Are there" if plural else "Is there",
        "does": "do" if plural else "does",
    }


def _is_adjective(text: str) -> bool:
    return bool(_ADJECTIVE.search(text)) and text.lower() not in _NOT_ADJECTIVES


def _chunks(items: Sequence[_Cue], size: int) -> list[Sequence[_Cue]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _rotate(templates: Sequence[str], seed: str) -> list[str]:
    start = _pick(seed, "rotate", len(templates))
    return [*templates[start:], *templates[:start]]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _pick(pair_id: str, salt: str, n: int) -> int:
    # Stable across runs and machines (unlike hash()), yet varied across pairs.
    return int(hashlib.sha256(f"{pair_id}:{salt}".encode()).hexdigest()[:8], 16) % n
