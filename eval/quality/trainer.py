"""What a VLM trainer reading each record beside its image would measure (issue 23, "Measures the trainer
would use"): findings kept, modality and diagnoses true to the scene, questions answered, depth, kinds that
differ, no narration artefacts, no image dominating the release."""

from __future__ import annotations

from collections import Counter, defaultdict
from difflib import SequenceMatcher

from eval.quality.records import Measured, Rec, content_words, sentences, share
from eval.quality.vocab import ANATOMY, DIAGNOSES, FINDINGS, MODALITIES, artefacts, mentions, names, terms


def key_finding_recall(records: list[Rec]) -> Measured:
    """Per kept clinical image: the findings narrated about it that at least one of its records names
    (affirmed), pooled over images."""
    by_image: dict[tuple[str, str], list[Rec]] = defaultdict(list)
    for r in records:
        if r.scene.clinical:
            by_image[(r.image, r.scene.key)].append(r)
    hits = total = 0
    problems = []
    for (image, key), recs in sorted(by_image.items()):
        findings = recs[0].scene.findings
        text = " ".join(r.answers for r in recs)
        missed = sorted(f for f in findings if not names(text, f, FINDINGS))
        hits += len(findings) - len(missed)
        total += len(findings)
        if missed:
            problems.append(f"image {image} ({key}): narrated finding(s) in no record: {', '.join(missed)}")
    return share(hits, total, problems)


def modality_contradictions(records: list[Rec]) -> Measured:
    """Records naming a modality other than the scene's true one (one the narration itself names is no
    contradiction: the narrator may compare)."""
    bad = []
    for r in records:
        said = terms(r.scene.narration, MODALITIES, affirmed=False)
        wrong = terms(r.answers, MODALITIES) - {r.scene.modality} - said
        if wrong:
            bad.append(f"record {r.id} ({r.scene.key}, {r.scene.modality}) names {', '.join(sorted(wrong))}")
    return share(len(bad), len(records), bad)


def invented_diagnoses(records: list[Rec]) -> tuple[Measured, Measured]:
    """(named at all, stated as fact): records naming a diagnosis the scene's narration does not name.

    A hedge ("consistent with", "suggests") still puts the diagnosis in the record a model learns from, so the
    target counts every naming; the stated-as-fact share beside it shows how much of that is unhedged."""
    named, fact = [], []
    for r in records:
        invented = [
            m for m in mentions(r.answers, DIAGNOSES) if not m.negated and m.term not in r.scene.diagnoses
        ]
        if not invented:
            continue
        how = "states" if any(not m.hedged for m in invented) else "hedges"
        line = f"record {r.id} ({r.scene.key}) {how} {', '.join(sorted({m.term for m in invented}))}"
        named.append(line)
        if how == "states":
            fact.append(line)
    return share(len(named), len(records), named), share(len(fact), len(records), fact)


def _focus(text: str) -> set[str]:
    return terms(text, FINDINGS) | terms(text, DIAGNOSES) | terms(text, ANATOMY)


def qa_focus_match(records: list[Rec]) -> tuple[Measured, int]:
    """VQA records whose answer names what the question asks about (its anatomy, finding or diagnosis).
    A question with no focus term ("What does this image show?") is left out and counted."""
    hits = total = generic = 0
    problems = []
    for r in records:
        if r.kind != "vqa" or not r.questions:
            continue
        focus = set().union(*(_focus(q) for q in r.questions))
        if not focus:
            generic += 1
            continue
        total += 1
        if focus & _focus(r.answers):
            hits += 1
        else:
            problems.append(f"record {r.id}: question about {', '.join(sorted(focus))}, answer not")
    return share(hits, total, problems), generic


def qa_turns(record: Rec) -> int:
    """Question-answer exchanges: a human turn answered by a gpt turn."""
    roles = [t["role"] for t in record.turns]
    return sum(1 for a, b in zip(roles, roles[1:], strict=False) if a == "human" and b == "gpt")


def conversation_depth(records: list[Rec], min_turns: int = 3) -> Measured:
    convs = [r for r in records if r.kind == "conversation"]
    shallow = [f"record {r.id}: {qa_turns(r)} turn(s)" for r in convs if qa_turns(r) < min_turns]
    return share(len(convs) - len(shallow), len(convs), shallow)


def near_copy(a: str, b: str, threshold: float = 0.6) -> bool:
    """Two sentences saying (nearly) the same: their content words mostly shared, or the text nearly equal."""
    wa, wb = set(content_words(a)), set(content_words(b))
    if not wa or not wb:
        return False
    if len(wa & wb) / len(wa | wb) >= threshold:
        return True
    return SequenceMatcher(None, " ".join(content_words(a)), " ".join(content_words(b))).ratio() >= 0.85


def cot_overlap(records: list[Rec]) -> Measured:
    """CoT records with a step that is (nearly) an answer sentence of another kind on the same image."""
    others: dict[str, list[str]] = defaultdict(list)
    for r in records:
        if r.kind != "cot":
            others[r.image] += sentences(r.answers)
    cots = [r for r in records if r.kind == "cot"]
    bad = []
    for r in cots:
        for n, step in enumerate(sentences(r.answers), start=1):
            if any(near_copy(step, other) for other in others[r.image]):
                bad.append(f"record {r.id}: step {n} repeats another kind's answer")
                break
    return share(len(bad), len(cots), bad)


def narration_artefacts(records: list[Rec]) -> Measured:
    bad = []
    for r in records:
        found = artefacts(r.answers)
        if found:
            bad.append(f"record {r.id}: {', '.join(found)}")
    return share(len(bad), len(records), bad)


def image_concentration(records: list[Rec]) -> Measured:
    """The largest share of the release's records on one image."""
    counts = Counter(r.image for r in records)
    if not counts:
        return share(0, 0)
    image, most = counts.most_common(1)[0]
    return share(most, len(records), [f"image {image} carries {most} of {len(records)} records"])


def modality_confusion(frames: list[tuple[str, str, str | None]]) -> dict[str, dict[str, int]]:
    """(image, true scene modality, stored frame modality) of every kept frame -> true -> stored -> images."""
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for _image, true, stored in set(frames):
        table[true][stored or "none"] += 1
    return {true: dict(sorted(row.items())) for true, row in sorted(table.items())}
