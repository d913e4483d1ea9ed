"""Each trainer measure on small fake records: a bad case moves the figure, a good case does not."""

from __future__ import annotations

from eval.quality import trainer
from eval.quality.records import Rec
from eval.quality.truth import Scene

FUNDUS = Scene(
    "a.mp4#2", "a.mp4", 0.0, 10.0, True, "colour_fundus",
    sentences=("Yellow drusen are scattered around the macula.", "A flame haemorrhage lies beside the disc.",
               "This pattern may suggest early macular degeneration."),
    image_sentences=("Yellow drusen are scattered around the macula.",
                     "A flame haemorrhage lies beside the disc."),
    findings=frozenset({"drusen", "flame haemorrhages"}),
    diagnoses=frozenset({"macular degeneration"}),
)  # fmt: skip


def rec(answer: str, kind: str = "vqa", question: str = "What does the macula show?", image: str = "f1",
        rid: str = "r") -> Rec:  # fmt: skip
    return Rec(
        rid, kind, [{"role": "human", "text": question}, {"role": "gpt", "text": answer}], image, FUNDUS
    )


def conversation(turns: int, image: str = "f1") -> Rec:
    pairs = [
        t
        for _ in range(turns)
        for t in ({"role": "human", "text": "And?"}, {"role": "gpt", "text": "Drusen."})
    ]
    return Rec("c", "conversation", pairs, image, FUNDUS)


def test_key_finding_recall_counts_a_finding_no_record_names() -> None:
    good = [rec("Drusen lie at the macula."), rec("A flame-shaped haemorrhage is beside the disc.")]
    assert trainer.key_finding_recall(good).value == 1.0
    bad = trainer.key_finding_recall([rec("Drusen lie at the macula.")])
    assert bad.value == 0.5 and "flame haemorrhages" in bad.problems[0]


def test_key_finding_recall_does_not_count_a_negated_finding() -> None:
    negated = [rec("Drusen lie at the macula; there is no flame haemorrhage.")]
    assert trainer.key_finding_recall(negated).value == 0.5


def test_key_finding_recall_pools_over_images() -> None:
    records = [rec("Drusen and a flame haemorrhage.", image="f1"), rec("Nothing else.", image="f2")]
    assert trainer.key_finding_recall(records).value == 0.5


def test_modality_contradictions_counts_a_record_naming_another_modality() -> None:
    assert trainer.modality_contradictions([rec("This fundus photograph shows drusen.")]).value == 0.0
    bad = trainer.modality_contradictions([rec("This OCT scan shows drusen."), rec("Drusen are present.")])
    assert bad.value == 0.5 and "oct" in bad.problems[0]


def test_invented_diagnoses_counts_a_hedged_naming_too() -> None:
    named, stated = trainer.invented_diagnoses([rec("The drusen show macular degeneration.")])
    assert named.value == 0.0 and stated.value == 0.0  # narrated: no invention
    named, stated = trainer.invented_diagnoses([rec("This is glaucoma."), rec("Drusen.")])
    assert named.value == 0.5 and stated.value == 0.5
    named, stated = trainer.invented_diagnoses([rec("The haemorrhage is consistent with a vein occlusion.")])
    assert named.value == 1.0 and stated.value == 0.0


def test_invented_diagnoses_ignores_a_negated_diagnosis() -> None:
    named, _ = trainer.invented_diagnoses([rec("There is no sign of glaucoma.")])
    assert named.value == 0.0


def test_qa_focus_match_refuses_an_answer_about_another_part() -> None:
    ok, generic = trainer.qa_focus_match(
        [rec("Drusen surround the fovea.", question="What is at the fovea?")]
    )
    assert ok.value == 1.0 and generic == 0
    bad, _ = trainer.qa_focus_match([rec("The optic disc has a pale rim.", question="What is at the fovea?")])
    assert bad.value == 0.0 and bad.problems


def test_qa_focus_match_leaves_out_a_question_with_no_focus() -> None:
    measured, generic = trainer.qa_focus_match([rec("Drusen.", question="What does this picture show?")])
    assert measured.value is None and generic == 1


def test_conversation_depth_counts_shallow_conversations() -> None:
    assert trainer.conversation_depth([conversation(3), conversation(4)]).value == 1.0
    assert trainer.conversation_depth([conversation(3), conversation(1)]).value == 0.5


def test_cot_overlap_finds_a_step_copying_another_kind() -> None:
    vqa = rec("Yellow drusen are scattered around the macula.")
    fresh = rec(
        "Step 1: The lesions are small and pale.\nStep 2: Their spread marks early disease.", kind="cot"
    )
    assert trainer.cot_overlap([vqa, fresh]).value == 0.0
    copy = rec(
        "Step 1: Yellow drusen are scattered around the macula.\nConclusion: early disease.", kind="cot"
    )
    assert trainer.cot_overlap([vqa, copy]).value == 1.0


def test_cot_overlap_compares_only_the_same_image() -> None:
    vqa = rec("Yellow drusen are scattered around the macula.", image="f2")
    copy = rec("Step 1: Yellow drusen are scattered around the macula.", kind="cot", image="f1")
    assert trainer.cot_overlap([vqa, copy]).value == 0.0


def test_narration_artefacts_finds_pointing_greeting_and_person() -> None:
    assert trainer.narration_artefacts([rec("Drusen are scattered around the macula.")]).value == 0.0
    for bad in ("As you can see, drusen are present.", "On this slide, drusen.", "Hello, these are drusen.",
                "We see drusen here.", "Your patient has drusen."):  # fmt: skip
        assert trainer.narration_artefacts([rec(bad)]).value == 1.0, bad


def test_narration_artefacts_reads_answers_not_questions() -> None:
    asked = rec("Drusen are present.", question="What can you see in your view?")
    assert trainer.narration_artefacts([asked]).value == 0.0


def test_image_concentration_is_the_largest_share_of_one_image() -> None:
    spread = [rec("Drusen.", image=f"f{i}") for i in range(10)]
    assert trainer.image_concentration(spread).value == 0.1
    heavy = spread + [rec("Drusen.", image="f0")] * 5
    assert trainer.image_concentration(heavy).value == round(6 / 15, 4)


def test_modality_confusion_counts_each_image_once() -> None:
    frames = [("f1", "colour_fundus", "colour_fundus"), ("f1", "colour_fundus", "colour_fundus"),
              ("f2", "slit_lamp", "non_clinical"), ("f3", "oct", None)]  # fmt: skip
    table = trainer.modality_confusion(frames)
    assert table == {
        "colour_fundus": {"colour_fundus": 1},
        "oct": {"none": 1},
        "slit_lamp": {"non_clinical": 1},
    }
