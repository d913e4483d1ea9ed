"""Chain of thought: what is seen (the findings as phrases, not the cue sentences other kinds answer with),
what each finding means and why (cited relations whose modality fits), and a conclusion that hedges a derived
diagnosis and states only the narration's own as a diagnosis."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ophin.synthesis.base import Citation, Turn
from ophin.synthesis.reading import Image
from ophin.synthesis.templates import (
    A_CONCLUDE_DERIVED,
    A_CONCLUDE_FALLBACK,
    A_CONCLUDE_NARRATED,
    A_CONCLUDE_NARRATED_ONLY,
    A_CONCLUDE_NORMAL,
    A_CONCLUDE_OPEN,
    A_INTERPRET_COMPARE,
    A_INTERPRET_NORMAL,
    A_INTERPRET_NOTHING,
    A_INTERPRET_OPEN,
    A_INTERPRET_SIGN,
    A_OBSERVE_FALLBACK,
    A_OBSERVE_FINDINGS,
    A_OBSERVE_NONE,
    A_OBSERVE_NORMAL,
    A_OBSERVE_STRUCTURES,
    COT_QUESTION,
    and_,
    cap,
    embed,
    fill,
    is_plural,
    pick,
    rotate,
)
from ophin.verification.checks import content_words

MAX_INTERPRETATIONS = 3
# An observation sharing this share of its content words (of the larger side) with another kind's answer
# says mostly what that answer said: its findings are then named without where they lie.
MAX_SHARED = 0.5
_WHERE = re.compile(
    r"\s+(?:at|in|around|within|above|below|near|along|on|under|beneath|over|across|from|to|temporal|nasal"
    r"|superior|inferior)\b.*$",
    re.IGNORECASE,
)


def has_cot(image: Image) -> bool:
    """A chain of thought needs something to reason about: a narrated finding or diagnosis, or a picture
    narrated as normal; where derived diagnoses must be narrated, a finding with a usable meaning (a
    non-diagnostic one, or a diagnosis the narration names) or a finding beside a narrated diagnosis. Anatomy
    named without a word on how it looks gives an observation with nothing to interpret ("this photograph
    shows the macula ... these observations summarise what it shows")."""
    if image.status == "normal":
        # Something to observe: a normal structure named. Without one the observation would only say the
        # picture "is examined feature by feature", a step reviewers rejected as reasoning about nothing.
        return any(c.anatomy for c in image.cues)
    if image.derived == "hedged":
        return bool(image.findings or image.diagnoses)
    # Derived diagnoses must be narrated: a finding with no usable meaning and no narrated diagnosis leaves
    # "abnormal, cause unknown", and a diagnosis with no finding leaves nothing to reason from.
    return bool(image.premises) or bool(image.findings and image.diagnoses)


def cot(
    pair_id: str, image: Image, siblings: Sequence[str] = ()
) -> tuple[tuple[Turn, ...], tuple[Citation, ...]]:
    """siblings: the answers the image's other kinds give, which no step may restate."""
    noun = image.noun
    names = _names(image, siblings)
    named = [names[f] for f in image.findings]
    # Every interpretation's premise is a finding the observation names, in the same words.
    premises = image.premises[:MAX_INTERPRETATIONS]
    used = tuple(r for _, r in premises)
    steps = [_observation(image, named)]
    for phrase, r in premises:
        finding = f"the {names.get(phrase, phrase)}"
        verb = "are" if is_plural(finding) else "is"
        steps.append(
            A_INTERPRET_SIGN.replace("{is}", verb).format(
                statement=embed(r.statement), finding=finding, indicates=r.indicates
            )
        )
    if not used:
        if image.status == "normal":
            steps += [A_INTERPRET_NORMAL.format(statement=embed(r.statement)) for r in image.normals]
            steps += [] if image.normals else [A_INTERPRET_NOTHING]
        elif image.status == "abnormal" and image.findings:
            # "On its own it does not point to one cause" would contradict a conclusion that states the
            # narration's own diagnosis: there the findings go straight to it.
            steps += [] if image.diagnoses else [fill(A_INTERPRET_OPEN, named)]
            steps += [A_INTERPRET_COMPARE.format(statement=embed(r.statement)) for r in image.normals[:1]]
    lines = [f"Step {n}: {step}" for n, step in enumerate(steps, start=1)]
    lines.append(_conclusion(pair_id, image, named))
    question = COT_QUESTION[pick(pair_id, "cot:question", len(COT_QUESTION))].format(noun=noun)
    cited = (*used, *(image.normals if not used and image.status == "normal" else ()))
    if not used and image.status == "abnormal" and image.findings:
        cited = (*cited, *image.normals[:1])
    citations = tuple(Citation(r.finding, r.indicates, r.statement, r.source) for r in dict.fromkeys(cited))
    return (Turn("human", question), Turn("gpt", "\n".join(lines))), citations


def _names(image: Image, siblings: Sequence[str]) -> dict[str, str]:
    """How the chain names each finding: as spoken ("the dark cysts around the fovea"), or by its head ("the
    dark cysts") where the observation in spoken words would restate another kind's answer (a VQA naming
    the same findings in the same places): the chain then reasons from what is seen, and the
    other answer keeps where it lies."""
    spoken = {p: p for p in image.findings}
    if not image.findings or image.status != "abnormal":
        return spoken
    mine = set(content_words(fill(A_OBSERVE_FINDINGS, image.findings, noun=image.noun)))
    for answer in siblings:  # whole: one observation summing up a two-sentence answer restates it
        theirs = set(content_words(answer))
        if mine and theirs and len(mine & theirs) / max(len(mine), len(theirs)) >= MAX_SHARED:
            heads = {p: _WHERE.sub("", p) or p for p in image.findings}
            return heads if len(set(heads.values())) == len(heads) else spoken
    return spoken


def _observation(image: Image, named: Sequence[str]) -> str:
    """named: the image's findings as the chain names them (_names)."""
    noun = image.noun
    # As spoken only ("no X"): "not swollen" denies oedema and "no disc haemorrhage" only the disc's, so
    # "no oedema" or "no haemorrhage" would say more than the narration.
    denied = list(
        dict.fromkeys(d for c in image.cues for d in c.denied if f"no {d.lower()}" in c.text.lower())
    )
    denied = denied[:3]
    if image.findings and image.status == "abnormal":
        text = fill(A_OBSERVE_FINDINGS, named, noun=noun)
    else:
        structures = list(dict.fromkeys(a for c in image.cues for a in c.anatomy))[:3]
        if not structures:
            return A_OBSERVE_FALLBACK.format(noun=noun) + "."
        # A normal structure is not "shown" like a finding: it is where nothing abnormal is.
        template = A_OBSERVE_NORMAL if image.status == "normal" else A_OBSERVE_STRUCTURES
        text = template.format(noun=noun, structures=and_(structures))
    if denied:
        text += A_OBSERVE_NONE.format(denied=and_(denied).replace(" and ", " or "))
    return cap(text) + "."


def _conclusion(pair_id: str, image: Image, findings: Sequence[str]) -> str:
    noun = image.noun
    if image.diagnoses:
        diagnosis = and_(list(image.diagnoses[:2]))
        if image.diagnoses_hedged:  # said only as "a sign of" or "may be": concluded as said, not as fact
            return rotate(A_CONCLUDE_DERIVED, pair_id)[0].format(noun=noun, meaning=diagnosis)
        if not findings:
            return A_CONCLUDE_NARRATED_ONLY.format(diagnosis=diagnosis)
        template = rotate(A_CONCLUDE_NARRATED, pair_id)[0]
        return fill(template, findings, diagnosis=diagnosis, noun=noun)
    if image.meanings:
        return rotate(A_CONCLUDE_DERIVED, pair_id)[0].format(noun=noun, meaning=and_(list(image.meanings)))
    if image.status == "normal":
        return rotate(A_CONCLUDE_NORMAL, pair_id)[0].format(noun=noun)
    if image.status == "abnormal":
        return rotate(A_CONCLUDE_OPEN, pair_id)[0].format(noun=noun)
    return A_CONCLUDE_FALLBACK.format(noun=noun)
