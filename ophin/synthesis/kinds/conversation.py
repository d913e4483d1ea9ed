"""Conversation: one turn per narrated finding (at least three, or no conversation at all), after the
overview and before the narrator's own interpretation; never the derived reasoning, which is the CoT's."""

from __future__ import annotations

from ophin.cues.lexicon import TERMS, find_terms
from ophin.synthesis.base import Turn
from ophin.synthesis.reading import Cue, Image, describes, finding_cues, noun_phrase, question_topic
from ophin.synthesis.templates import (
    A_REFRAME,
    A_THIS_IS,
    CONV_DIAGNOSIS,
    CONV_FINDING,
    CONV_OVERVIEW,
    CONV_STRUCTURE,
    Ledger,
    cap,
    embed,
    rotate,
    topic_slots,
)

MIN_FINDINGS = 3  # fewer narrated findings make a one- or two-turn exchange: the VQA and CoT say it better
MAX_TURNS = 8


def has_conversation(image: Image) -> bool:
    return len(finding_cues(image)) >= MIN_FINDINGS


def conversation(pair_id: str, image: Image, ledger: Ledger, vqa_question: str) -> tuple[Turn, ...]:
    if not has_conversation(image):
        raise ValueError(
            f"pair {pair_id}: {len(finding_cues(image))} narrated findings; a conversation needs "
            f"{MIN_FINDINGS} (no conversation is written for this image)"
        )
    noun = image.noun
    by_finding = finding_cues(image)
    taken = {id(c) for _, c in by_finding}
    plan: list[tuple[tuple[str, ...], dict[str, str], Cue]] = []
    plan += [(CONV_OVERVIEW, {}, c) for c in image.cues if c.stage == 0][:1]
    plan += [(CONV_FINDING, topic_slots(_topic_of(c, label)), c) for label, c in by_finding]
    plan += [
        (CONV_STRUCTURE, topic_slots(c.topic), c)
        for c in image.cues
        if c.stage == 1 and id(c) not in taken and c.topic_kind == "anatomy" and c.topic and describes(c)
    ]
    plan += [(CONV_DIAGNOSIS, {}, c) for c in image.cues if c.stage == 2][:1]
    turns: list[Turn] = []
    asked: set[str] = {vqa_question.lower()}
    for i, (templates, slots, cue) in enumerate(plan[:MAX_TURNS]):
        where = f" in this {noun}" if i == 0 else ""
        questions = [
            cap(t.format(noun=noun, where=where, **slots)) for t in rotate(templates, f"{pair_id}:{i}")
        ]
        question = next((q for q in questions if q.lower() not in asked), questions[0])
        asked.add(question.lower())
        turns += [Turn("human", question), Turn("gpt", ledger.take(_reframings(cue, noun)))]
    return tuple(turns)


def _topic_of(cue: Cue, label: str) -> str:
    match = next(m for m in find_terms(cue.text, TERMS) if m.term.label == label)
    return question_topic(match) or label


def _reframings(cue: Cue, noun: str) -> list[str]:
    """The cue as spoken first, then the same words in a frame, for when another kind already said it."""
    lowered, phrase = embed(cue.text), noun_phrase(cue.text)
    frames = [f.format(cue=embed(phrase)) for f in A_THIS_IS] if phrase else []
    plain = not cue.names_modality and not cue.text.lower().startswith(("in this", "on this", "this", "here"))
    frames += [f.format(cue=lowered, noun=noun) for f in A_REFRAME if plain or "{noun}" not in f]
    return [cue.text, *frames, A_REFRAME[-1].format(cue=lowered, noun=noun)]
