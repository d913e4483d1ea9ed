"""VQA: one question about one focus term narrated for the image (a finding or a structure), answered by the
cue sentences that name that term; with two or more narrated findings, one question about all of them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ophin.synthesis.base import Turn
from ophin.synthesis.kinds.conversation import has_conversation
from ophin.synthesis.reading import Cue, Image, describes, noun_phrase, shown
from ophin.synthesis.templates import (
    A_NO,
    A_STATUS,
    A_THIS_IS,
    A_VERDICTS,
    A_YES,
    VQA_DESCRIBE,
    VQA_MODALITY,
    VQA_PRESENT,
    VQA_STATUS,
    VQA_WHOLE,
    Ledger,
    cap,
    embed,
    pick,
    said,
    topic_slots,
)

MAX_VQA_CUES = 2  # a focused answer: one or two sentences about one thing
# Two narrated findings or more: a focused question would leave all but one in no record (the conversation
# needs three, the CoT a diagnosis), so one question asks for every abnormal finding. No focus term in it:
# the verifier's focus check has nothing to match, and the answer names each finding by construction.
# Where a conversation is written it already gives each finding a turn in the same cue words: a VQA saying
# them all again would near-copy it (the verifier's sibling check), so the VQA stays focused there.
MIN_COVERED = 2
VQA_FINDINGS = (
    "What abnormal findings does this {noun} show?",
    "Which abnormalities can be seen in this {noun}?",
    "What is abnormal in this {noun}?",
    "Describe the abnormal findings in this {noun}.",
)

Option = tuple[Sequence[str], dict[str, str], str]  # question templates, their slots, the answer


def has_vqa(image: Image) -> bool:
    """A VQA needs a focus whose answer says how something looks or what the picture shows: an answer
    that only locates or names a normal structure ("the macula sits in the middle of the image") teaches
    nothing."""
    return bool(_options("", image))


def vqa(pair_id: str, image: Image, ledger: Ledger) -> tuple[Turn, ...]:
    options = _options(pair_id, image)
    if not options:
        raise ValueError(f"pair {pair_id}: no narrated finding or appearance to ask about (no VQA)")
    templates, slots, answer = options[pick(pair_id, "vqa:topic", len(options))]
    question = templates[pick(pair_id, "vqa:question", len(templates))].format(noun=image.noun, **slots)
    return (Turn("human", cap(question)), Turn("gpt", ledger.take([answer])))


def covered_findings(image: Image) -> dict[str, Cue]:
    """Each finding the cues assert, with the first cue asserting it, in clinical order: a lexicon finding
    by its label (a negated one is not asserted), or an abnormal look of a structure by its phrase
    ("enlarged cup-to-disc ratio"), which names no lexicon finding yet is one to a trainer."""
    found: dict[str, Cue] = {}
    for cue in image.cues:
        keys = cue.findings or ((cue.phrase,) if cue.polarity == "abnormal" and cue.phrase else ())
        for key in keys:
            found.setdefault(key, cue)
    return found


def _options(pair_id: str, image: Image) -> list[Option]:
    cues = image.cues
    covered = covered_findings(image)
    if len(covered) >= MIN_COVERED and not has_conversation(image):
        # The cues that first assert each finding, in clinical order and their own words (a cue naming two
        # findings stands for both): every finding is in the answer.
        return [(VQA_FINDINGS, {}, said(list(dict.fromkeys(covered.values()))))]
    limit = min(MAX_VQA_CUES, max(1, len(cues) // 2))
    # A narrated finding first (what a trainer most wants asked), then a structure, then an absent finding.
    # A yes/no question is answered "Yes: ..." (an answer that never says yes was labelled a fragment).
    findings = [
        (VQA_PRESENT, topic_slots(t), A_YES.format(cues=embed(said(group).rstrip("."))))
        if pick(pair_id, f"vqa:{t}", 2)
        else (VQA_DESCRIBE, topic_slots(t), said(group))
        for t, group in _groups(
            (c for c in cues if c.topic_kind == "finding" and c.polarity == "abnormal"), limit
        )
    ]
    described = _groups(
        (c for c in cues if c.stage == 1 and c.topic_kind == "anatomy" and describes(c)), limit
    )
    # A structure whose look is a finding ("its cup is large and pale": pallor) before one that only looks
    # some way ("a thin rim of pink tissue"): asking about the latter leaves the finding in no record.
    abnormal = [(t, group) for t, group in described if any(c.findings for c in group)]
    structures = [(VQA_DESCRIBE, topic_slots(t), said(group)) for t, group in abnormal or described]
    absent = [
        (VQA_PRESENT, topic_slots(c.denied[0]), A_NO.format(cues=embed(c.text))) for c in cues if c.denied
    ]
    # A cue saying what the picture shows ("... shows the retinal layers in cross section"): what it shows.
    seen = [(VQA_WHOLE, {}, cap(embed(w)) + ".") for c in cues if (w := shown(c))][:1]
    return findings or structures or absent or seen or _whole(image)


def _whole(image: Image) -> list[Option]:
    """No focus term was narrated: the picture's kind, its verdict, or what it shows."""
    cues = image.cues
    overview = [c for c in cues if c.stage == 0 and noun_phrase(c.text)][:1]
    if overview:
        return [(VQA_MODALITY, {}, A_THIS_IS[0].format(cue=embed(noun_phrase(overview[0].text) or "")))]
    if image.status != "unknown":
        chosen = [c for c in cues if c.polarity == image.status][:MAX_VQA_CUES]
        verdict = A_VERDICTS[image.status != "normal"]
        return [(VQA_STATUS, {}, A_STATUS.format(verdict=verdict, cues=embed(said(chosen))))]
    described = [c for c in cues if describes(c)][:MAX_VQA_CUES]
    return [(VQA_WHOLE, {}, said(described))] if described else []


def _groups(cues: Iterable[Cue], limit: int) -> list[tuple[str, list[Cue]]]:
    """Cues by focus label: an answer pairs cues about one thing, never two."""
    by_label: dict[str, list[Cue]] = {}
    topics: dict[str, str] = {}
    for cue in cues:
        if cue.label is None or cue.topic is None:
            continue
        by_label.setdefault(cue.label, []).append(cue)
        topics.setdefault(cue.label, cue.topic)
    return [(topics[label], group[:limit]) for label, group in by_label.items()]
