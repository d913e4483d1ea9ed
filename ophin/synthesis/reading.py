"""Reading an image's cue sentences: polarity, stage, focus terms, findings, fitting relations."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from ophin.cues.lexicon import ACRONYM, DIAGNOSIS_QUALIFIERS, TERMS, TermMatch, find_terms, terms_of_kind
from ophin.domains.pack import current
from ophin.knowledge.relations import (
    HEDGE,
    Relation,
    condition_narrated,
    is_negated,
    normal_relations,
    relations_in,
)
from ophin.synthesis.base import PairContext
from ophin.synthesis.modality import fits, narrated_modalities, noun, other_modalities, record_modality, scrub
from ophin.synthesis.normalize import normalize_cue
from ophin.synthesis.phrases import clauses, noun_phrase_at
from ophin.text.tokens import LETTER_RUN
from ophin.verification.claims import normalize_spelling

_SPACES = re.compile(r"\s+")
MAX_FINDINGS = 4  # an observation names at most this many findings (each interpretation's premise among them)
_WORDING = current().wording  # the domain pack's wording.json
# "What about the cystic?" reads badly: adjective forms are asked about by their lexicon label instead.
_ADJECTIVE = re.compile(r"(?:ic|al|ous|ed|ar|ary|ive|en|oid|pale)$", re.IGNORECASE)
_NOT_ADJECTIVES = frozenset(_WORDING.not_adjectives)  # nouns that merely end like adjectives
_COPULA = re.compile(r"\b(?:is|are|was|were|be|been|looks?|appears?|seems?|becomes?|became)\s+$", re.I)
_EXISTENTIAL = re.compile(r"\bthere\s+(?:is|are|was|were)\s+$", re.IGNORECASE)
_FUNCTION_WORDS = frozenset(
    "a an and are as at but by for from in into is of on or over the to under was were which with".split()
)
# A cue's polarity. Some findings are normal anatomy as often as not (the pack's soft_findings).
SOFT_FINDINGS = frozenset(_WORDING.soft_findings)
NORMAL = re.compile(
    r"\b(?:normal|healthy|unremarkable|physiological|within normal limits|well[\s-]*defined|sharp(?:ly)?"
    r"|crisp|intact|preserved|regular|clear|flat|symmetric(?:al)?)\b",
    re.IGNORECASE,
)
ABNORMAL = re.compile(
    r"\b(?:abnormal\w*|patholog\w*|enlarg\w*|increased|elevated|raised|dilated|distort\w*|disrupt\w*"
    r"|irregular\w*|loss of|lost|attenuated|narrowed|blurr(?:ed|y)|indistinct|ill[\s-]*defined|asymmetr\w*"
    r"|engorged)\b",
    re.IGNORECASE,
)
INTERPRETIVE = re.compile(
    r"\b(?:consistent with|suggest\w*|indicat\w*|typical of|characteristic of|diagnos\w*|in keeping with"
    r"|compatible with|pathognomonic|hallmark)\b",
    re.IGNORECASE,
)
# How something looks: a cue with one of these describes, a cue without only locates.
APPEARANCE = re.compile(
    r"\b(?:appear\w*|looks?|colou?r\w*|dark\w*|bright\w*|pale\w*|pink\w*|red\w*|yellow\w*|white\w*"
    r"|gr[ae]y\w*|smooth\w*|thin\w*|thick\w*|round\w*|oval|small\w*|large\w*|even(?:ly)?|shin\w*"
    r"|reflex\w*|stacked|swollen|spots?|streaks?|patch\w*|bumps?)\b",
    re.IGNORECASE,
)
# A picture named as a noun phrase ("A fundus photograph of the right eye."): no verb of its own.
_VERB = re.compile(
    r"\b(?:is|are|was|were|has|have|had|can|could|will|would|shows?|showing|demonstrates?|reveals?|appears?"
    r"|looks?|sits?|lies|lines?|stands?)\b",
    re.IGNORECASE,
)


# "This OCT B-scan shows the retinal layers in cross section": the cue says what the picture shows.
_SHOWS = re.compile(
    r"\b(?:shows?|showing|demonstrates?|demonstrating|reveals?|revealing|displays?|depicts?|illustrates?)"
    r"\s+(?P<what>[^.;!?]+)",
    re.IGNORECASE,
)
# Where a structure sits in the picture: a place, not a look ("the macula in the middle of the image").
_WHERE = re.compile(
    r"\b(?:in|at|on|to(?:wards?)?|near|from|along)\s+(?:the\s+)?(?:(?:very|far|upper|lower)\s+)?"
    r"(?:middle|cent(?:re|er)|left|right|top|bottom|edge|side|corner|periphery)\b"
    r"(?:\s+of\s+(?:the\s+|this\s+)?(?:image|picture|photo\w*|slide|scan|screen|frame|field))?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Cue:
    text: str  # normalised sentence, naming no modality but the record's
    stage: int  # 0 modality/overview, 1 anatomy/findings, 2 interpretation/diagnosis
    polarity: str  # "normal" | "abnormal" | "neutral"
    topic: str | None  # what a question about this cue names (may be a lexicon label)
    label: str | None
    topic_kind: str | None  # the lexicon kind of the topic: "finding", "anatomy", ...
    denied: tuple[str, ...]  # findings the cue says are absent, as spoken
    phrase: str | None  # the abnormality as spoken, safe to restate ("enlarged cup-to-disc ratio")
    anatomy: tuple[str, ...]  # anatomy as spoken
    labels: tuple[str, ...]  # anatomy labels, for normal-appearance relations
    findings: tuple[str, ...]  # lexicon labels of the findings the cue asserts (not negated)
    diagnosis: str | None  # a named diagnosis, as spoken
    relations: tuple[Relation, ...]  # sign relations asserted here whose modality fits the record's
    names_modality: bool
    diagnosis_hedged: bool = False  # said only as a sign or a possibility ("a sign of glaucoma")


@dataclass(frozen=True)
class Image:
    modality: str | None  # the one modality the records name (lexicon label), or None
    noun: str
    cues: tuple[Cue, ...]  # clinical order: overview, anatomy/findings, interpretation
    status: str  # "normal" | "abnormal" | "unknown"
    relations: tuple[Relation, ...]
    normals: tuple[Relation, ...]
    findings: tuple[str, ...]  # abnormalities as spoken, for summaries
    # (the noun phrase naming a relation's finding in its cue, the relation): an interpretation's premise,
    # which the observation names in these same words
    premises: tuple[tuple[str, Relation], ...]
    diagnoses: tuple[str, ...]  # diagnoses the narration names
    diagnoses_hedged: bool  # every cue naming a diagnosis hedges it: a conclusion may not state it as fact
    meanings: tuple[str, ...]  # what cited relations say the findings indicate (derived, never as fact)
    # "narrated": a relation leading to a diagnosis is used only where the narration names it;
    # "hedged": any fitting relation, its diagnosis hedged and cited (settings.synthesis.derived_diagnoses)
    derived: str = "narrated"


def clean_cues(cues: Iterable[str]) -> list[str]:
    """Normalised cue clauses: a run-on of several sentences joined by commas (ASR without full stops)
    becomes one clause each, so an answer takes only the clauses about its focus."""
    # Whisper sometimes repeats a sentence verbatim across segment boundaries.
    seen: dict[str, str] = {}
    for cue in cues:
        whole = normalize_cue(cue) if cue and cue.strip() else ""
        for text in (normalize_cue(c) for c in clauses(whole)) if whole else ():
            if text and text.lower() not in seen:
                seen[text.lower()] = text
    return list(seen.values())


DERIVED = ("narrated", "hedged")


@lru_cache(maxsize=1024)
def read_image(ctx: PairContext, derived: str = "narrated") -> Image:
    if derived not in DERIVED:
        raise ValueError(f"derived_diagnoses must be one of {DERIVED}, not {derived!r}")
    modality = record_modality(ctx.modality, ctx.cues)
    texts = []
    for text in clean_cues(ctx.cues):
        others = other_modalities(text, modality)
        # The slide shows this picture and another one: a cue naming only the other is about the other.
        if others and modality is not None and modality not in narrated_modalities([text]):
            continue
        texts.append(scrub(text, modality))
    # A cue with a word in no list ("a dark cystic space within the dinnerette") would make the verifier
    # refuse every record that restates it, and a VQA or conversation restates it whole: the image's other
    # cues make its records. Kept only when every cue is garbled (the refusal then says why).
    clear = [t for t in texts if not garbled(t)]
    texts = clear or texts
    cues = sorted((read_cue(t, modality) for t in texts), key=lambda c: c.stage)  # stable: spoken order
    abnormal = [c for c in cues if c.polarity == "abnormal"]
    status = "abnormal" if abnormal else "normal" if any(c.polarity == "normal" for c in cues) else "unknown"
    relations = tuple(dict.fromkeys(r for c in cues for r in c.relations))
    # How the structures the cues name look when healthy: the reading of a normal image, and the reference
    # an undiagnosed one is compared with. Never about anatomy the cues do not name.
    normals: dict[Relation, None] = {}
    for cue in (c for c in cues if status != "normal" or c.polarity == "normal"):
        fitting = [r for r in normal_relations(cue.labels, modality) if fits(r, modality)]
        normals.update(dict.fromkeys(fitting[:1]))
    # What was said while the image was on screen (its cues and window): a derived diagnosis it does not name
    # is an invented one to a trainer, hedged or not.
    narration = (*ctx.cues, ctx.transcript)
    usable = [
        r
        for r in dict.fromkeys(r for c in abnormal for r in c.relations)
        if derived == "hedged" or condition_narrated(r, narration)
    ]
    premises = tuple(
        dict.fromkeys(
            (p, r)
            for c in abnormal
            for r in c.relations
            if r in usable and (p := premise(c.text, r)) is not None
        )
    )
    phrases = [c.phrase for c in abnormal if c.phrase]
    premises = tuple(dict.fromkeys((_fuller(p, phrases), r) for p, r in premises))
    findings = _distinct([*(p for p, _ in premises), *phrases])
    diagnoses = tuple(dict.fromkeys(c.diagnosis for c in cues if c.diagnosis))
    hedged = bool(diagnoses) and all(c.diagnosis_hedged for c in cues if c.diagnosis)
    return Image(
        modality=modality,
        noun=noun(modality),
        cues=tuple(cues),
        status=status,
        relations=relations,
        normals=tuple(normals)[:2],
        findings=findings[:MAX_FINDINGS],
        premises=tuple((p, r) for p, r in premises if p in findings[:MAX_FINDINGS]),
        diagnoses=diagnoses,
        diagnoses_hedged=hedged,
        meanings=tuple(dict.fromkeys(r.indicates for p, r in premises if p in findings[:MAX_FINDINGS]))[:2],
        derived=derived,
    )


def _words(phrase: str) -> frozenset[str]:
    return frozenset(LETTER_RUN.findall(_bare(phrase).lower()))


def _fuller(premise: str, phrases: Sequence[str]) -> str:
    """The first cue phrase that says the premise with more words ("the cup" -> "the pale cup"), or it."""
    words = _words(premise)
    return next((p for p in phrases if words < _words(p)), premise)


def _distinct(phrases: Iterable[str]) -> tuple[str, ...]:
    """Phrases in order, leaving out one whose words hold or are held by an earlier one's ("the white
    hypopyon" after "the hypopyon": one finding, not "the hypopyon and the white hypopyon")."""
    kept: list[tuple[str, frozenset[str]]] = []
    for phrase in phrases:
        words = _words(phrase)
        if not any(words <= other or other <= words for _, other in kept):
            kept.append((phrase, words))
    return tuple(p for p, _ in kept)


def _bare(phrase: str) -> str:
    """A phrase without its leading determiner or quantifier: the frames add their own ("the ..."), and "the
    some macular edema" or "the a few cysts" is no English."""
    return re.sub(r"^(?:(?:a|an|the|these|those|this|its|their)\s+)?(?:(?:few|some|several)\s+)?", "", phrase)


def premise(text: str, relation: Relation) -> str | None:
    """The noun phrase of the cue that names the relation's finding, taken whole with its qualifiers."""
    named = (m for m in find_terms(text, TERMS) if m.term.label in relation.labels and not _negated(text, m))
    match = next(named, None)
    if match is None:
        return None
    # "... consistent with macular oedema": the narrator's conclusion, not something seen, is no premise.
    if INTERPRETIVE.search(text[: match.start]):
        return None
    phrase = _bare(noun_phrase_at(text, match.start, match.end, known_words()))
    if phrase == spoken(match.text) and is_adjective(match.text):  # "its cup is large and pale": "pale cup"
        before = [m for m in terms_of_kind(find_terms(text, TERMS), "anatomy") if m.end <= match.start]
        phrase = f"{phrase} {spoken(before[-1].text)}" if before else ""
    # "the macular edema is consistent with macular oedema" reasons in a circle: a finding that already is
    # the relation's meaning is no premise for it.
    if not phrase or normalize_spelling(relation.indicates) in normalize_spelling(phrase):
        return None
    return phrase


def known_words() -> frozenset[str] | None:
    """English and domain words: a garbled word ends a phrase. None where no word list is installed."""
    from ophin.verification.vocabulary import WordListMissingError, vocabulary

    try:
        return vocabulary()
    except WordListMissingError:
        return None


def garbled(text: str) -> bool:
    """Whether the text holds a word in no word list (the verifier's vocabulary check); False where no word
    list is installed."""
    from ophin.verification.vocabulary import WordListMissingError, unknown_words

    try:
        return bool(unknown_words(text))
    except WordListMissingError:
        return False


def describes(cue: Cue) -> bool:
    """Whether a cue says how something looks (a finding, a normal appearance, a colour or shape), not only
    where a structure sits ("the macula sits in the middle of the image" teaches nothing)."""
    return cue.polarity != "neutral" or bool(APPEARANCE.search(cue.text))


def shown(cue: Cue) -> str | None:
    """What the cue says the picture shows, where that says more than a structure's name and place: "shows
    the retinal layers in cross section" -> "the retinal layers in cross section"; "shows the macula" (a
    name) and "shows the disc on the left" (a place) -> None, as does "does not show ..."."""
    m = _SHOWS.search(cue.text)
    if m is None or is_negated(cue.text, m.start(), m.start()):
        return None
    what = m.group("what").strip().rstrip(",")
    rest = _WHERE.sub(" ", what)
    for t in sorted(find_terms(rest, TERMS), key=lambda t: -t.start):
        rest = rest[: t.start] + " " + rest[t.end :]
    left = [w for w in LETTER_RUN.findall(rest.lower()) if w not in _FUNCTION_WORDS | _PLACE_WORDS]
    return what if left and terms_of_kind(find_terms(what, TERMS), "anatomy", "finding") else None


_PLACE_WORDS = frozenset(
    {"both", "its", "their", "this", "these", "those", "here", "there", "image", "picture"}
)


def finding_cues(image: Image) -> list[tuple[str, Cue]]:
    """One cue per narrated finding: each cue takes the first finding it asserts that no earlier cue took, so
    two findings in one sentence count once (a turn cannot split a sentence)."""
    taken: dict[str, Cue] = {}
    for cue in image.cues:
        label = next((f for f in cue.findings if f not in taken), None)
        if label is not None and cue not in taken.values():
            taken[label] = cue
    return list(taken.items())


def read_cue(text: str, modality: str | None = None) -> Cue:
    matches = find_terms(text, TERMS)
    asserted = [m for m in matches if m.term.kind in ("anatomy", "modality") or not _negated(text, m)]
    denied = [m for m in matches if m.term.kind in ("finding", "diagnosis") and _negated(text, m)]
    strong = [m for m in terms_of_kind(asserted, "finding") if m.term.label not in SOFT_FINDINGS]
    diagnoses = terms_of_kind(asserted, "diagnosis")
    anatomy = terms_of_kind(asserted, "anatomy")
    markers = [m for m in ABNORMAL.finditer(text) if not is_negated(text, m.start(), m.end())]
    normal = [m for m in NORMAL.finditer(text) if not is_negated(text, m.start(), m.end())]
    denied_normal = len(list(NORMAL.finditer(text))) > len(normal)  # "the disc is not normal"
    relations = tuple(r for r in relations_in(text) if fits(r, modality))
    if strong or diagnoses or markers or relations or denied_normal:
        polarity = "abnormal"
    elif normal or denied or len(list(ABNORMAL.finditer(text))) > len(markers):
        polarity = "normal"
    else:
        polarity = "neutral"
    names_modality = bool(terms_of_kind(asserted, "modality"))
    if diagnoses or INTERPRETIVE.search(text):
        stage = 2
    elif names_modality and not terms_of_kind(asserted, "finding") and (not anatomy or noun_phrase(text)):
        stage = 0
    else:
        stage = 1
    topic = _topic_match(text, strong, diagnoses, terms_of_kind(asserted, "finding"), anatomy)
    named = next((m for m in diagnoses if not is_adjective(m.text)), None)
    return Cue(
        text=text,
        stage=stage,
        polarity=polarity,
        topic=question_topic(topic),
        label=topic.term.label if topic else None,
        topic_kind=topic.term.kind if topic else None,
        denied=tuple(dict.fromkeys(t for t in map(question_topic, denied) if t)),
        phrase=_phrase(text, strong, anatomy, markers) if polarity == "abnormal" else None,
        anatomy=tuple(dict.fromkeys(spoken(m.text) for m in anatomy)),
        labels=tuple(dict.fromkeys(m.term.label for m in anatomy)),
        findings=tuple(dict.fromkeys(m.term.label for m in strong)),
        diagnosis=qualified(text, named) if named else None,
        diagnosis_hedged=bool(named and HEDGE.search(text[: named.start])),
        relations=relations,
        names_modality=names_modality,
    )


def noun_phrase(text: str) -> str | None:
    """'A fundus photo of ...' or 'This is a fundus photo of ...' -> 'a fundus photo of ...'; None for a
    sentence with a verb of its own, or one that does not name the picture."""
    m = re.match(r"(?:(?:this|it) is\s+)?((?:a|an)\s.*?)[.!?]?$", text, re.IGNORECASE)
    if not m or _VERB.search(m.group(1)) or not terms_of_kind(find_terms(m.group(1), TERMS), "modality"):
        return None
    return m.group(1)


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
    # The structure described is the one just before the copula ("near the fovea the disc is swollen": the
    # disc), or a question about the fovea gets an answer about the disc.
    # Likewise "a large, pale cup" is asked about as the cup: "pallor" alone would ask about the disc's pallor
    # (another sign), and reviewers called "Describe the pallor" answered by a pale cup a mismatch.
    if strong and is_adjective(strong[0].text) and anatomy:
        adjective = strong[0]
        before = [a for a in anatomy if a.end <= adjective.start]
        if _COPULA.search(text[: adjective.start]):
            return before[-1] if before else anatomy[0]
        after = [
            a
            for a in anatomy
            if a.start >= adjective.end and _QUALIFIES.fullmatch(text[adjective.end : a.start])
        ]
        if after or before:
            return after[0] if after else before[-1]
    for group in (strong, diagnoses, findings, anatomy):
        if group:
            return _whole(text, group[0], group)
    return None


# Between an adjective and the noun it qualifies: spaces, commas and at most two more words ("pale, swollen").
_QUALIFIES = re.compile(r"[\s,]*(?:[\w-]+[\s,]+){0,2}")


def _whole(text: str, match: TermMatch, group: list[TermMatch]) -> TermMatch:
    """The match run on through matches of its label right after it: "blot hemorrhages" (the lexicon
    finds "blot" and "hemorrhages" apart) is asked about whole, not as "the blot"."""
    for m in group:
        if m.term.label == match.term.label and m.start > match.end and not text[match.end : m.start].strip():
            match = TermMatch(match.term, text[match.start : m.end], match.start, m.end)
    return match


def question_topic(match: TermMatch | None) -> str | None:
    if match is None:
        return None
    text = _SPACES.sub(" ", match.text)
    if ACRONYM.match(text):
        return text.upper()
    return match.term.label if is_adjective(text) else text.lower()


def _phrase(
    text: str, strong: list[TermMatch], anatomy: list[TermMatch], markers: list[re.Match[str]]
) -> str | None:
    """The abnormality in the cue's own words: a finding noun, an adjective with its noun, or a marker with
    the anatomy it qualifies. None when the cue offers no such phrase."""
    if strong:
        first = strong[0]
        # "the disc is swollen" (predicative: describes the anatomy) reads "swollen disc"; otherwise the noun
        # phrase around the finding, taken whole ("a thin dark crescent of pigment", "the pale central cup").
        before = text[: first.start]
        predicative = _COPULA.search(before) and not _EXISTENTIAL.search(before)  # not "there are cystic"
        phrase = _bare(noun_phrase_at(text, first.start, first.end, known_words()))
        # A lone adjective ("its cup is large and pale") is predicative too: it describes the anatomy.
        if not (is_adjective(first.text) and (predicative or phrase == spoken(first.text))):
            return phrase
        return f"{spoken(first.text)} {spoken(anatomy[0].text)}" if anatomy else None
    if markers and anatomy:
        return f"{markers[0].group(0).lower()} {spoken(anatomy[0].text)}"
    return None


def qualified(text: str, match: TermMatch) -> str:
    """A diagnosis as spoken with the qualifiers right before it that grade or type it ("so this is
    proliferative retinopathy" -> "proliferative retinopathy", not "retinopathy"); any other word ends
    them."""
    words = re.search(r"(?:[A-Za-z][\w-]*[ \t]+)*$", text[: match.start])
    before = words.group(0).split() if words else []
    kept: list[str] = []
    for word in reversed(before):
        if word.lower() not in DIAGNOSIS_QUALIFIERS:
            break
        kept.insert(0, word.lower())
    return " ".join([*kept, spoken(match.text)])


def spoken(text: str) -> str:
    text = _SPACES.sub(" ", text).strip()
    return text.upper() if ACRONYM.match(text) else text.lower()


def is_adjective(text: str) -> bool:
    return bool(_ADJECTIVE.search(text)) and text.lower() not in _NOT_ADJECTIVES


def mentions(cue: Cue, label: str) -> bool:
    """Whether the cue names this lexicon label (asserted or denied)."""
    return any(m.term.label == label for m in find_terms(cue.text, TERMS))


def chunks(items: Sequence[Cue], size: int) -> list[Sequence[Cue]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
