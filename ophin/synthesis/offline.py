"""Offline instruction generator: a focused VQA, a conversation over the narrated findings and a reasoned
CoT per image; every answer word from the cue sentences, a cited relation statement, or a fixed frame."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from ophin.cues.lexicon import LEXICON_DIGEST
from ophin.knowledge.relations import RELATIONS_DIGEST, normal_relations, relations_in
from ophin.synthesis.base import KINDS, Citation, GeneratedInstruction, InstructionKind, PairContext, Turn
from ophin.synthesis.kinds.conversation import conversation, has_conversation
from ophin.synthesis.kinds.cot import cot, has_cot
from ophin.synthesis.kinds.vqa import has_vqa, vqa
from ophin.synthesis.modality import NOUNS
from ophin.synthesis.normalize import normalize_cue
from ophin.synthesis.reading import DERIVED, clean_cues, read_cue, read_image
from ophin.synthesis.templates import ANSWER_FRAMES, TEMPLATES_DIGEST, Ledger

__all__ = [
    "ANSWER_FRAMES",
    "NOUNS",
    "TEMPLATES_DIGEST",
    "OfflineCueGenerator",
    "applicable_kinds",
    "knowledge_for",
    "normalize_cue",
]


class OfflineCueGenerator:
    """Deterministic and invents nothing: every answer word comes from ctx.cues, from a cited relation
    statement (see knowledge_for), or from ANSWER_FRAMES."""

    name = "offline-cue-template"
    # 3: one modality per record, artefacts removed, focused VQA, conversation of >= 3 findings or none,
    # CoT from phrases and cited relations (hedged) that copies no other kind's answer; 4: run-on cues split
    # into clauses, noun phrases taken whole, each premise named in the observation, no CoT or VQA without
    # a finding, a diagnosis or a described appearance; 5: a relation leading to a diagnosis the narration
    # does not name is not used (derived_diagnoses="narrated"), a cue saying what the picture shows is asked;
    # 6: two narrated findings or more make one VQA asking for all of them (kinds/vqa.VQA_FINDINGS); 7: no CoT
    # of a normal picture naming no structure, no "does not point to one cause" before a narrated diagnosis;
    # 8: no premise that is its relation's own meaning ("macular edema ... consistent with macular oedema"),
    # no "the some"/"the few" before a finding; a narrated diagnosis keeps its grade ("proliferative
    # retinopathy") and, said only as a sign or a possibility, is concluded as "consistent with"; a question
    # names a finding whole ("blot hemorrhages", not "the blot"); the wording is picked by the narration
    # (wording_seed), not by the pair id; a yes/no question about a narrated finding is answered "Yes: ...";
    # the lecture's order ("finally", "for comparison") and a leftover "as well" are removed from cues;
    # 9: a noun phrase ends before a word that takes an object ("the lens opacity blocks the reflex"), and one
    # finding is named once, in the words that say most ("the white hypopyon", not "... and the hypopyon");
    # a cue with a word in no list is used only when every cue is garbled; 10: a VQA about a structure asks
    # about one whose look is a finding ("its cup is large and pale") before one that only looks some way;
    # cues in one answer stay a sentence each (glued by ";" they made a sentence no narration sentence holds);
    # a CoT that would restate another kind's answer names its findings without where they lie;
    # 11: one tokeniser: a noun phrase never ends in a quote or hyphen, and ’ reads as '
    version = "11"
    model = "offline-cue-template"

    def __init__(self, derived_diagnoses: str = "narrated") -> None:
        if derived_diagnoses not in DERIVED:
            raise ValueError(f"derived_diagnoses must be one of {DERIVED}, not {derived_diagnoses!r}")
        self.derived_diagnoses = derived_diagnoses

    def config(self) -> dict[str, object]:
        return {
            "name": self.name,
            "version": self.version,
            "templates": TEMPLATES_DIGEST,
            "relations": RELATIONS_DIGEST,
            "lexicon": LEXICON_DIGEST,
            "derived_diagnoses": self.derived_diagnoses,
        }

    def generate(self, ctx: PairContext, kind: InstructionKind) -> GeneratedInstruction:
        if kind not in KINDS:
            raise ValueError(f"unknown instruction kind {kind!r}; expected one of {KINDS}")
        if not clean_cues(ctx.cues):
            raise ValueError(f"pair {ctx.pair_id}: no visual-cue sentences to build an instruction from")
        plan = _plan(ctx, self.derived_diagnoses)
        if kind not in plan:  # the stage asks applicable_kinds() first; a direct caller learns why
            raise ValueError(f"pair {ctx.pair_id}: the narration supports no {kind} ({_WHY[kind]})")
        turns, citations = plan[kind]
        return GeneratedInstruction(
            kind=kind,
            turns=turns,
            generator=self.name,
            generator_version=self.version,
            prompt_version=None,
            citations=citations,
        )


_WHY = {
    "vqa": "no finding or appearance narrated, only where structures sit",
    "conversation": "fewer than three narrated findings",
    "cot": "no narrated finding, diagnosis or normal appearance to reason about",
}
_SUPPORTS = {"vqa": has_vqa, "conversation": has_conversation, "cot": has_cot}


def applicable_kinds(
    ctx: PairContext, kinds: tuple[str, ...] = KINDS, derived: str = "narrated"
) -> tuple[str, ...]:
    """The kinds an image's narration supports, for any generator: no conversation under three narrated
    findings (a one-turn exchange teaches nothing the VQA does not), no CoT without a finding, diagnosis or
    normal appearance, no VQA that only locates a structure; nothing without a cue. `derived`: the
    derived_diagnoses setting (a CoT needs a usable meaning or a narrated diagnosis under "narrated")."""
    if not clean_cues(ctx.cues):
        return ()
    image = read_image(ctx, derived)
    return tuple(k for k in kinds if k in _SUPPORTS and _SUPPORTS[k](image))


def knowledge_for(ctx: PairContext) -> tuple[str, ...]:
    """The relation statements a record of this context may state: grounding beside ctx.cues. Every relation
    a cue asserts, of any modality, so a verifier without the frame's label still accepts what the generator
    states (it states only those that fit the frame's modality)."""
    cues = clean_cues(ctx.cues)
    if not cues:
        return ()
    read = [read_cue(c) for c in cues]
    signs = [r for c in cues for r in relations_in(c)]
    normals = [r for c in read for r in normal_relations(c.labels, None)]
    image = read_image(ctx)
    return tuple(dict.fromkeys(r.statement for r in (*image.relations, *image.normals, *signs, *normals)))


def wording_seed(ctx: PairContext) -> str:
    """What picks a record's wording among the templates: what was said and the modality, not the pair's id.
    Ids follow the engine's parameters (a new keyframes version renews every one); the same narration on
    the same kind of image then still reads the same, so a reviewer's label of it still applies."""
    said = "\n".join((ctx.modality or "", *ctx.cues))
    return hashlib.sha256(said.encode()).hexdigest()[:16]


@lru_cache(maxsize=1024)
def _plan(ctx: PairContext, derived: str) -> dict[str, tuple[tuple[Turn, ...], tuple[Citation, ...]]]:
    image, ledger, seed = read_image(ctx, derived), Ledger(), wording_seed(ctx)
    plan: dict[str, tuple[tuple[Turn, ...], tuple[Citation, ...]]] = {}
    first = vqa(seed, image, ledger) if has_vqa(image) else ()  # first: keeps the plain cue wording
    if first:
        plan["vqa"] = (first, ())
    if has_conversation(image):
        asked = first[0].text if first else ""
        plan["conversation"] = (conversation(seed, image, ledger, vqa_question=asked), ())
    if has_cot(image):
        siblings = [t.text for turns, _ in plan.values() for t in turns if t.role == "gpt"]
        plan["cot"] = cot(seed, image, siblings)
    return plan
