"""The report's grounding measures and its rendering can fail: planted PHI is found, unsupported sentences,
non-words, lost scenes and non-clinical images move their figures, missed targets are red."""

from __future__ import annotations

from eval.corpus import file_of, stored_urls
from eval.quality import grounding
from eval.quality.records import Rec, sentences
from eval.quality.report import TARGETS, QualityReport, examples, render
from eval.quality.truth import Scene, locate, scenes

OCT = Scene(
    "b.mp4#1", "b.mp4", 5.0, 15.0, True, "oct",
    sentences=("A dark dome of subretinal fluid lifts the retina.", "The inner layers remain organised."),
    findings=frozenset({"subretinal fluid", "fluid"}),
)  # fmt: skip
TITLE = Scene(
    "b.mp4#0", "b.mp4", 0.0, 5.0, False, "diagram_or_slide", sentences=("Welcome to the OCT clinic.",)
)


def rec(answer: str, scene: Scene = OCT, image: str = "f1") -> Rec:
    return Rec(
        "r",
        "vqa",
        [{"role": "human", "text": "What is shown?"}, {"role": "gpt", "text": answer}],
        image,
        scene,
    )


def test_planted_phi_and_its_identifying_parts_are_found() -> None:
    truth = {
        "videos": [
            {"scenes": [{"phi_text": ["Jane Doe", "MRN 448812"], "sentences": [{"phi": ["John Smith"]}]}]}
        ]
    }
    planted = grounding.planted_phi(truth)
    assert {"Jane Doe", "448812", "Smith", "John Smith"} <= set(planted) and "MRN" not in planted
    assert grounding.leaks("The fundus of Mr Smith shows drusen.", planted)
    assert grounding.leaks("Record 448812 is attached.", planted)
    assert not grounding.leaks("The fundus shows drusen at the macula.", planted)


def test_leaks_finds_an_unplanted_identifier_by_its_shape() -> None:
    assert grounding.leaks("Born 12/03/1961, seen by Doctor Ramos.", []) == ["identifier", "identifier"]
    assert not grounding.leaks("A cup-to-disc ratio of 0.3 in the left eye.", [])


def test_clinical_precision_counts_records_on_non_clinical_scenes() -> None:
    assert grounding.clinical_precision([rec("Fluid."), rec("Fluid.")]).value == 1.0
    bad = grounding.clinical_precision([rec("Fluid."), rec("Welcome.", scene=TITLE, image="f0")])
    assert bad.value == 0.5 and bad.problems


def test_scene_recall_counts_a_clinical_scene_without_records() -> None:
    other = Scene("b.mp4#2", "b.mp4", 15.0, 20.0, True, "colour_fundus")
    assert grounding.scene_recall([rec("Fluid.")], [TITLE, OCT]).value == 1.0
    assert grounding.scene_recall([rec("Fluid.")], [TITLE, OCT, other]).value == 0.5


def test_fidelity_refuses_an_unsupported_sentence() -> None:
    good = grounding.fidelity([rec("Subretinal fluid forms a dark dome that lifts the retina.")])
    assert good.value == 1.0 and good.total == 1
    bad = grounding.fidelity([rec("Subretinal fluid lifts the retina. Drusen cover the optic disc.")])
    assert bad.value == 0.5


def test_descriptive_fidelity_leaves_out_only_a_chain_of_thoughts_reasoning() -> None:
    cot = Rec(
        "c",
        "cot",
        [
            {"role": "human", "text": "Reason about this scan."},
            {
                "role": "gpt",
                "text": "Step 1: A dark dome of subretinal fluid lifts the retina.\n"
                "Step 2: Subretinal fluid is a sign of exudation.\nConclusion: consistent with exudation.",
            },
        ],
        "f1",
        OCT,
    )
    everything = grounding.fidelity([cot])
    assert (everything.value, everything.total) == (0.3333, 3)
    assert (grounding.fidelity([cot], descriptive=True).value, grounding.fidelity([cot], True).total) == (
        1.0,
        1,
    )
    # A VQA answer is all description: its unsupported sentence still counts.
    assert grounding.fidelity([rec("Drusen cover the optic disc.")], descriptive=True).value == 0.0


def test_fidelity_refuses_a_diagnosis_the_narration_never_named() -> None:
    assert grounding.supported("Subretinal fluid lifts the retina in glaucoma.", OCT) is False
    assert grounding.supported("Subretinal fluid lifts the retina.", OCT) is True
    assert grounding.supported("This is an OCT scan.", OCT) is None  # modality: judged by its own figure


def test_garbled_counts_records_with_non_words() -> None:
    assert grounding.garbled([rec("Subretinal fluid lifts the retina.")], "").value == 0.0
    bad = grounding.garbled([rec("Subretinal fluid lifts the retna goman.")], "")
    assert bad.value == 1.0 and "goman" in bad.problems[0]


def test_garbled_accepts_a_word_the_narrator_said() -> None:
    assert grounding.garbled([rec("Okafor graded it.")], "I am Doctor Okafor.").value == 0.0


def test_locate_picks_the_scene_of_a_lecture_frame_and_the_span_of_footage() -> None:
    truth = {
        "videos": [{"file": "l.mp4", "scenes": [
            {"index": 0, "start_s": 0, "end_s": 5, "kind": "title", "clinical_image": False, "sentences": []},
            {"index": 1, "start_s": 5, "end_s": 9, "kind": "oct", "clinical_image": True, "sentences": [
                {"text": "Drusen lift the pigment epithelium.", "describes_image": True}]}]}],
        "footage": [{"file": "f.mp4", "modality": "fundus", "clinical_image": True, "spans": [
            {"index": 0, "start_s": 0, "end_s": 10, "finding": "cupping", "sentences": []},
            {"index": 1, "start_s": 12, "end_s": 20, "finding": "drusen", "sentences": [
                {"text": "These drusen mean macular degeneration.", "describes_image": True}]}]}],
    }  # fmt: skip
    by_file = scenes(truth)
    assert locate(by_file["l.mp4"], 6.0).key == "l.mp4#1"
    assert by_file["l.mp4"][1].findings == {"drusen"} and by_file["l.mp4"][1].modality == "oct"
    footage = by_file["f.mp4"]
    assert locate(footage, 1.0, (11.0, 19.0)).key == "f.mp4@1"  # one slide frame, the later span's narration
    assert footage[0].modality == "colour_fundus" and footage[0].findings == {"cupping"}
    assert footage[0].diagnoses == {"macular degeneration"}  # named later in the same eye's footage


def test_stored_urls_accept_the_older_engines_name_too() -> None:
    urls = stored_urls("heldout")
    assert "local-file:heldout_retina.mp4" in urls and "sample-corpus:heldout/heldout_retina.mp4" in urls
    assert {file_of(u) for u in urls} == {file_of(u) for u in urls[: len(urls) // 2]}
    assert file_of("local-file:heldout_retina.mp4") == file_of("sample-corpus:heldout/heldout_retina.mp4")


def test_report_marks_each_missed_target_and_an_uncomputed_figure() -> None:
    good = {name: (target if op == ">=" else 0) for name, (op, target) in TARGETS.items()}
    assert all(QualityReport("s", figures=good).passed().values())
    bad = {**good, "fidelity": 0.5, "phi_leaks": 1, "qa_focus_match": None}
    passed = QualityReport("s", figures=bad).passed()
    assert not passed["fidelity"] and not passed["phi_leaks"] and not passed["qa_focus_match"]
    assert passed["unblurred_faces"]


def test_render_paints_red_and_green_only_when_asked() -> None:
    figures = {name: (target if op == ">=" else 0) for name, (op, target) in TARGETS.items()}
    report = QualityReport("s", figures={**figures, "fidelity": 0.5}, counts={"records": 1, "images": 1})
    plain = render(report, color=False)
    assert "\033[" not in plain and "MISS fidelity" in plain
    painted = render(report, color=True)
    assert "\033[31m  MISS fidelity" in painted and "\033[32m  ok   garbled" in painted


def test_examples_spread_over_images_and_cap_per_kind() -> None:
    records = [rec("Fluid.", image="f1") for _ in range(4)] + [
        rec("Fluid.", image=f"f{i}") for i in range(2, 9)
    ]
    for n, r in enumerate(records):
        r.id = f"r{n}"
    chosen = examples(records)["vqa"]
    assert len(chosen) == 5 and len({c["image"] for c in chosen}) == 5


def test_supported_accepts_a_finding_in_the_narrations_own_words_but_not_an_unsaid_one() -> None:
    scene = Scene(
        "c#1", "c", 0, 1, True, "oct", sentences=("The central retina is thickened by dark spaces.",)
    )
    assert grounding.supported("Observation: the thickened retina.", scene) is True
    assert grounding.supported("Observation: the thickened retina with drusen.", scene) is False


def test_sentences_drop_step_numbers_and_labels() -> None:
    text = "Step 1: Observation: subretinal fluid.\nConclusion: a dome of fluid."
    assert sentences(text) == ["subretinal fluid.", "a dome of fluid."]


def test_held_out_text_is_withheld_from_problem_lines_and_examples() -> None:
    from eval.quality.report import WITHHELD, withhold_text

    report = QualityReport(
        "heldout2",
        problems=[
            "record r1 (a.mp4#1): unsupported: There are drusen around the fovea.",
            "record r2: non-word(s) dinnerette",
            "record r3: as you can see",
            "record r4: step 1 repeats another kind's answer",
            "image f1 (a.mp4#2): narrated finding(s) in no record: drusen",
        ],
        examples={"vqa": [{"answer": "There are drusen."}]},
    )
    withhold_text(report)
    assert report.problems == [
        f"record r1 (a.mp4#1): unsupported: {WITHHELD}",
        f"record r2: non-word(s) {WITHHELD}",
        f"record r3 {WITHHELD}",
        "record r4: step 1 repeats another kind's answer",
        "image f1 (a.mp4#2): narrated finding(s) in no record: drusen",
    ]
    assert report.examples == {}
    assert not any("drusen around" in p or "dinnerette" in p for p in report.problems)
