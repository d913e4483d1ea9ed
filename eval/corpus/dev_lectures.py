"""The sample corpus's "dev" set: thirty-five short narrated lectures to run the engine on and label by hand.

Made with the same generator as ``demo/`` (the skimage retina photograph with drawn findings, drawn OCT
B-scans, espeak-ng ``en-us`` narration; the last four also drawn slit-lamp photographs and visual-field
printouts, ``dev_anterior.py``) but worded afresh, in several lecturer styles.  Development data: it
may be read and tuned on (the held-out sets may not).  Every clinical scene lists in ``findings`` what its
image shows, in the evaluation's canonical finding names (``eval/quality/vocab.py``), and its ``vis``
sentences describe only what is drawn.
"""

from __future__ import annotations

from typing import Any

from eval.corpus.generate import (
    CLINICAL_KINDS,
    OPTIC_DISC_XY,
    RETINA_FOVEA_XY,
    Banner,
    LectureSpec,
    SceneSpec,
    Sentence,
    Webcam,
    say,
    say_phi,
    scene,
    vis,
)

DISC_VIEW: dict[str, Any] = {"view": "crop", "center": (330, 640), "crop_width": 600}
MACULA_VIEW: dict[str, Any] = {"view": "crop", "center": RETINA_FOVEA_XY, "crop_width": 640}
# oct_bscan's pathology behind each finding name an OCT scene may list ("macular oedema" is what cysts show).
OCT_DRAWN = {
    "intraretinal cysts": "cysts",
    "macular oedema": "cysts",
    "subretinal fluid": "subretinal_fluid",
    "pigment epithelial detachment": "ped",
    "drusen": "drusen",
    "rnfl thinning": "thin_rnfl",
}
# Pan-retinal laser: three patches of 3x5 burns, above and below the macula, inside the round field.
PRP = (("laser scars", (950, 1120)), ("laser scars", (880, 280)), ("laser scars", (450, 1110)))
Painted = tuple[tuple[str, tuple[int, int]], ...]


def photo(findings: list[str], sentences: list[Sentence], *, paint: Painted = (),
          lesions: tuple[str, ...] = (), seed: int = 0, banner: Banner | None = None,
          webcam: Webcam | None = None, **view: Any) -> SceneSpec:  # fmt: skip
    """A fundus slide; ``paint`` is (footage finding, photograph centre) pairs, ``lesions`` draw_lesions'."""
    return scene("fundus", sentences, findings=findings, banner=banner, webcam=webcam, painted=paint,
                 lesions=lesions, lesion_seed=seed, **view)  # fmt: skip


def bscan(findings: list[str], sentences: list[Sentence], *, seed: int, eye: str = "OD",
          webcam: Webcam | None = None) -> SceneSpec:  # fmt: skip
    """An OCT slide whose drawn pathology follows from ``findings``: the label and the image cannot part.
    Several pathologies are drawn together on one scan (oct_bscan's ``+``), as wet AMD shows them."""
    drawn = "+".join(sorted({OCT_DRAWN[name] for name in findings})) or "normal"
    return scene("oct", sentences, findings=findings, webcam=webcam, seed=seed, finding=drawn,
                 label=f"OCT  macular B-scan  {eye}")  # fmt: skip


def eye(findings: list[str], sentences: list[Sentence], *, drawn: tuple[str, ...] = (), seed: int,
        iris: str = "brown", light: str = "dark") -> SceneSpec:  # fmt: skip
    """An anterior segment at the slit lamp (``dev_anterior.render_anterior``) with ``drawn`` in it."""
    return scene("anterior", sentences, findings=findings, seed=seed, drawn=drawn, iris=iris, light=light)


def field(findings: list[str], sentences: list[Sentence], *, defect: str, seed: int, side: str = "OD",
          backdrop: tuple[int, int, int] | None = None) -> SceneSpec:  # fmt: skip
    """A threshold visual-field printout (``dev_anterior.render_field``) with its ``defect``."""
    return scene("field", sentences, findings=findings, seed=seed, defect=defect, eye=side, backdrop=backdrop)


def title(text: str, theme: tuple[int, int, int], sentences: list[Sentence]) -> SceneSpec:
    return scene("title", sentences, findings=[], title=text, subtitle="Dev teaching set", theme=theme)


def bullets(
    heading: str, items: list[str], theme: tuple[int, int, int], sentences: list[Sentence]
) -> SceneSpec:
    return scene("text", sentences, findings=[], heading=heading, bullets=items, theme=theme)


def presenter(sentences: list[Sentence], crop: tuple[int, int, int, int] = (0, 0, 512, 288)) -> SceneSpec:
    return scene("face", sentences, findings=[], crop=crop)


# A scene showing this many findings may take a fifth sentence: one per finding (the engine writes a
# conversation only from three findings narrated in separate sentences), then a reading or an aside.
MANY_FINDINGS = 3


def lecture(topic: str, name: str, *scenes: SceneSpec) -> LectureSpec:
    """A dev lecture, refused unless it keeps the set's shape: 3-5 clinical scenes of 2-4 sentences (5 for a
    scene showing MANY_FINDINGS or more; at most one not describing the image), at most 2 other scenes."""
    clinical = [s for s in scenes if s.kind in CLINICAL_KINDS]
    if not 3 <= len(clinical) <= 5 or len(scenes) - len(clinical) > 2:
        raise ValueError(f"{topic}: {len(clinical)} clinical and {len(scenes) - len(clinical)} other scenes")
    for s in clinical:
        asides = sum(not sentence.describes_image for sentence in s.sentences)
        most = 5 if s.findings and len(s.findings) >= MANY_FINDINGS else 4
        if not 2 <= len(s.sentences) <= most or asides > 1 or s.findings is None:
            raise ValueError(f"{topic}: clinical scene {s.sentences[0].text!r} breaks the narration rules")
    return LectureSpec(file=f"dev_{topic}.mp4", title=name, scenes=scenes)


def dev_lectures() -> list[LectureSpec]:
    """The dev set, in file order."""
    return [
        glaucoma_cupping(), drusen_amd(), background_dr(), proliferative_dr(), macular_oedema(),
        central_serous(), ped(), rnfl_glaucoma(), hypertensive(), normal_anatomy(), laser_scars(),
        vein_occlusion(), case_conference(), oct_patterns(), screening_grading(), wet_amd(), spot_quiz(),
        retinal_ischaemia(), glaucoma_follow_up(),
        diabetic_maculopathy(), severe_npdr(), pdr_after_laser(), disc_haemorrhage(),
        malignant_hypertension(), wet_amd_fluid(), central_vein_occlusion(), oct_compartments(),
        screening_referrals(), diabetes_and_glaucoma(), registrar_quiz(), case_review(),
        cataract_clinic(), red_eye(), glaucoma_fields(), front_and_fields_quiz(),
    ]  # fmt: skip


def glaucoma_cupping() -> LectureSpec:
    cup = (("cupping", OPTIC_DISC_XY),)
    return lecture(
        "glaucoma_cupping", "Reading the Glaucomatous Disc",
        title("Reading the Glaucomatous Disc", (18, 40, 70), [
            say("Hello, I'm Doctor Brennan, and this short talk is about the glaucomatous disc."),
        ]),
        photo(["cupping"], [
            vis("Here is the whole left fundus, with the optic disc at the far left of the picture."),
            vis("Even from this distance the cup looks pale and rather large."),
            say("He is sixty eight, and his brother went blind from glaucoma."),
        ], paint=cup, seed=101, rotate_deg=3.0),
        photo(["cupping", "rim thinning"], [
            vis("Closer in, the pale cup fills most of the disc."),
            vis("Only a narrow rim of pink tissue is left around it."),
        ], paint=cup, seed=101, **DISC_VIEW),
        bscan(["rnfl thinning"], [
            vis("On his OCT, the bright nerve fibre layer at the top of the retina is very thin."),
            vis("The deeper layers and the foveal pit look normal."),
        ], seed=102, eye="OS"),
        photo([], [
            vis("For comparison, this is a healthy disc with a small cup and a full pink rim."),
            say("His pressures were twenty six on the left and nineteen on the right."),
        ], **DISC_VIEW, gain=1.04, gamma=0.97),
    )  # fmt: skip


def drusen_amd() -> LectureSpec:
    drusen = (("drusen", RETINA_FOVEA_XY),)
    return lecture(
        "drusen_amd", "Drusen and Early Macular Degeneration",
        title("Drusen and Early AMD", (60, 30, 70), [
            say("Good morning. Today we are looking at drusen and early macular degeneration."),
        ]),
        photo(["drusen"], [
            vis("As you can see here, dozens of small yellow dots surround the fovea."),
            vis("These are drusen, most likely part of age related macular degeneration."),
            say("She is seventy four and smoked for forty years."),
        ], paint=drusen, seed=111, **MACULA_VIEW),
        bscan(["drusen"], [
            vis("On the OCT, the drusen are small mounds that lift the pigment epithelium."),
            vis("The retina above them keeps its layers, and I see no fluid."),
        ], seed=112, eye="OS"),
        photo(["drusen"], [
            vis("In the wider view, the drusen stay within the macula."),
            vis("The optic disc and the main vessels look healthy."),
        ], paint=drusen, seed=111, rotate_deg=-4.0, gain=1.05),
        bullets("Advice for patients", ["Stop smoking", "Leafy green vegetables", "Amsler grid at home"],
                (60, 30, 70), [
            say("We advise stopping smoking and eating plenty of leafy greens."),
            say("She should check each eye every week with an Amsler grid."),
        ]),
    )  # fmt: skip


def background_dr() -> LectureSpec:
    paint = (("blot haemorrhages", (980, 640)), ("cotton wool spots", (560, 470)))
    return lecture(
        "background_dr", "Background Diabetic Retinopathy",
        title("Background Diabetic Retinopathy", (10, 70, 60), [
            say("This is Doctor Mensah, with a case of background diabetic retinopathy."),
        ]),
        photo(["dot-blot haemorrhages"], [
            vis("This macular view shows scattered dark red dots and blots."),
            vis("They are intraretinal haemorrhages, the commonest sign of diabetic retinopathy."),
            say("The patient has had type one diabetes for twenty years."),
        ], lesions=("haemorrhage",), seed=21, view="crop", center=RETINA_FOVEA_XY, crop_width=700),
        bscan([], [
            vis("Reassuringly, the OCT has a normal foveal contour."),
            vis("There are no cysts and no fluid under the retina."),
        ], seed=31),
        photo(["dot-blot haemorrhages", "cotton wool spots"], [
            vis("The whole fundus shows more blot haemorrhages, the biggest ones temporal to the macula."),
            vis("Above the macula there are a few fluffy white cotton wool spots."),
            vis("Together, these suggest moderate non proliferative disease."),
        ], lesions=("haemorrhage",), paint=paint, seed=21),
        photo(["cotton wool spots", "dot-blot haemorrhages"], [
            vis("Zoomed in, the cotton wool spots have soft, feathery edges."),
            vis("A small vessel branch runs right between them."),
        ], lesions=("haemorrhage",), paint=paint, seed=21, view="crop", center=(580, 500), crop_width=560),
    )  # fmt: skip


def proliferative_dr() -> LectureSpec:
    paint = (("new vessels", OPTIC_DISC_XY), ("blot haemorrhages", (900, 850)),
             ("cotton wool spots", (640, 1010)))  # fmt: skip
    return lecture(
        "proliferative_dr", "Proliferative Diabetic Retinopathy",
        title("Proliferative Diabetic Retinopathy", (90, 20, 20), [
            say("Welcome. Let's talk about proliferative diabetic retinopathy."),
        ]),
        photo(["new vessels"], [
            vis("Look at the surface of the disc, where a tangle of fine red loops has grown."),
            vis("These are new vessels at the disc, so this is proliferative retinopathy."),
            say("He had missed his screening for four years."),
        ], paint=paint, seed=41, **DISC_VIEW),
        photo(["new vessels", "dot-blot haemorrhages", "cotton wool spots"], [
            vis("The whole fundus shows the new vessels on the disc, blot haemorrhages below the macula, and"
                " cotton wool spots lower down."),
            vis("Seen together, these findings suggest severe diabetic disease."),
        ], paint=paint, seed=41),
        bscan(["intraretinal cysts", "macular oedema"], [
            vis("His macular scan shows dark cystic spaces in the inner retina."),
            vis("So there is macular oedema too."),
        ], seed=42, eye="OS"),
        photo(["laser scars"], [
            vis("Three months on, rows of round laser scars cover the upper and lower retina."),
            vis("The disc is now flat, with no new vessels on it."),
        ], paint=PRP, seed=43),
    )  # fmt: skip


def macular_oedema() -> LectureSpec:
    ring = {"lesions": ("exudates",), "seed": 52}
    return lecture(
        "macular_oedema", "Diabetic Macular Oedema on OCT",
        title("Diabetic Macular Oedema", (20, 60, 100), [
            say("Doctor Lindqvist here, on diabetic macular oedema."),
        ]),
        bscan(["intraretinal cysts"], [
            vis("Several round, dark cysts sit in the inner retina around the fovea."),
            vis("The biggest one lies just to the right of centre."),
            say("Her vision had dropped to six over eighteen."),
        ], seed=51),
        photo(["hard exudates"], [
            vis("The colour photo shows a partial ring of yellow hard exudates temporal to the fovea."),
            say("Rings like this usually form around leaking microaneurysms."),
        ], **ring, view="crop", center=(800, 690), crop_width=640),
        bullets("Treatment", ["Anti-VEGF injections first", "Laser for leaks away from the centre"],
                (20, 60, 100), [
            say("First line treatment is a course of anti VEGF injections."),
            say("Laser still helps when the leak is away from the centre."),
        ]),
        bscan(["intraretinal cysts", "macular oedema"], [
            vis("Her left eye shows the same dark cystic spaces, so the oedema is in both eyes."),
            vis("The layers below the cysts look intact."),
        ], seed=53, eye="OS"),
        photo(["hard exudates"], [
            vis("On the wider photograph, the exudate ring is the only obvious abnormality."),
            vis("The disc and the periphery look clear."),
        ], **ring, gain=0.97),
    )  # fmt: skip


def central_serous() -> LectureSpec:
    return lecture(
        "central_serous", "Central Serous Chorioretinopathy",
        title("Central Serous Chorioretinopathy", (40, 44, 52), [
            say("Central serous chorioretinopathy, in under a minute."),
        ]),
        bscan(["subretinal fluid"], [
            vis("Here a dome of dark fluid lifts the retina away from the pigment epithelium."),
            vis("The fluid sits right under the fovea."),
            vis("In a stressed young man, that suggests central serous chorioretinopathy."),
        ], seed=61),
        photo([], [
            vis("His colour photograph looks essentially normal, with a healthy disc on the left."),
            say("Shallow fluid is often hard to see on a photograph."),
        ], rotate_deg=-2.0),
        bullets("Risk factors", [
            "Steroids in any form", "Stress, type A personality", "Usually self-limiting",
        ], (40, 44, 52), [
            say("Steroids of any kind are the main risk factor, even creams and inhalers."),
            say("Most episodes settle by themselves within three months."),
        ]),
        bscan([], [
            vis("Ten weeks later there is no fluid left, and the foveal dip is back."),
            vis("All the layers lie flat again."),
        ], seed=62),
    )  # fmt: skip


def ped() -> LectureSpec:
    drusen = (("drusen", RETINA_FOVEA_XY),)
    return lecture(
        "ped", "Pigment Epithelial Detachment",
        bscan(["pigment epithelial detachment"], [
            vis("This scan shows a smooth, dome shaped elevation of the pigment epithelium."),
            vis("Beneath it is a dark, empty looking space, so this is a serous pigment epithelial"
                " detachment."),
            vis("It lies just to the right of the fovea."),
        ], seed=71),
        photo(["drusen"], [
            vis("The same eye has many drusen scattered around the fovea."),
            vis("I suspect the detachment has arisen from macular degeneration."),
        ], paint=drusen, seed=72, **MACULA_VIEW, gain=1.03),
        bscan(["drusen"], [
            vis("The fellow eye only has small drusen, the little bumps under the pigment epithelium."),
            say("Her vision in that eye is still six over six."),
        ], seed=73, eye="OS"),
        presenter([
            say("Detachments like this need watching for new vessels."),
            say("Thanks for listening."),
        ], crop=(20, 0, 500, 270)),
    )  # fmt: skip


def rnfl_glaucoma() -> LectureSpec:
    cup = (("cupping", OPTIC_DISC_XY),)
    return lecture(
        "rnfl_glaucoma", "The Nerve Fibre Layer in Glaucoma",
        title("The Nerve Fibre Layer in Glaucoma", (10, 50, 90), [
            say("The nerve fibre layer in glaucoma, with Doctor Haas."),
        ]),
        bscan([], [
            vis("First, a normal scan."),
            vis("The bright nerve fibre layer on top is thickest on the left side of the scan."),
            vis("And the fovea forms a smooth dip in the middle."),
        ], seed=81),
        photo(["cupping", "rim thinning"], [
            vis("Now a patient with an enlarged, pale cup."),
            vis("The pink rim is thin all the way around."),
        ], paint=cup, seed=82, **DISC_VIEW, gamma=0.95),
        bscan(["rnfl thinning"], [
            vis("His scan shows the nerve fibre layer worn down to a thin line on both sides of the fovea."),
            say("This thinning matches the cupping we just saw."),
        ], seed=83),
        photo(["cupping"], [
            vis("On the full photograph, the large cup is the only abnormal sign."),
            say("Structural loss often comes before any field defect."),
        ], paint=cup, seed=82),
    )  # fmt: skip


def hypertensive() -> LectureSpec:
    paint = (("flame haemorrhages", (610, 370)), ("flame haemorrhages", (650, 960)),
             ("cotton wool spots", (950, 620)))  # fmt: skip
    return lecture(
        "hypertensive", "Hypertensive Retinopathy",
        title("Hypertensive Retinopathy", (100, 30, 60), [
            say("Hypertensive retinopathy. Let's look at some pictures."),
        ]),
        photo(["flame haemorrhages", "cotton wool spots"], [
            vis("This fundus has flame haemorrhages along both the upper and lower vessel arcades."),
            vis("There are also cotton wool spots temporal to the macula."),
            vis("With very high blood pressure, these signs point to hypertensive retinopathy."),
        ], paint=paint, seed=91),
        photo(["flame haemorrhages"], [
            vis("Zooming in on the upper arcade, the haemorrhages are dark red streaks with tapered ends."),
            vis("They follow the nerve fibres, which is what gives them their flame shape."),
        ], paint=paint, seed=91, view="crop", center=(580, 360), crop_width=560),
        bullets("Management", ["Measure the blood pressure now", "Admit if over 220 over 120"],
                (100, 30, 60), [
            say("His blood pressure was two hundred and twenty over one hundred and thirty."),
            say("He was admitted the same day for controlled lowering."),
        ]),
        photo(["cotton wool spots"], [
            vis("Temporal to the macula, these white patches have soft, fluffy borders."),
            vis("Cotton wool spots like these are small areas of ischaemic nerve fibre layer."),
        ], paint=paint, seed=91, view="crop", center=(960, 620), crop_width=520),
    )  # fmt: skip


def normal_anatomy() -> LectureSpec:
    return lecture(
        "normal_anatomy", "Normal Fundus and OCT Anatomy",
        photo([], [
            vis("This is a normal left fundus, with the optic disc on the left and the macula in the"
                " centre."),
            vis("The arteries are the thinner, lighter vessels, and the veins are darker and wider."),
        ], gain=1.02),
        photo([], [
            vis("The disc has a crisp margin, a pink rim and a small central cup."),
            vis("There is a little dark pigment along its temporal border, a common normal variant."),
        ], **DISC_VIEW),
        bscan([], [
            vis("On OCT, the bright top line is the nerve fibre layer, and the dip in the middle is the"
                " fovea."),
            vis("Below the bright pigment epithelium line lies the speckled choroid with its dark vessels."),
        ], seed=104),
        photo([], [
            vis("At the macula, the fovea is a darker spot with no large vessels crossing it."),
            vis("Fine branches come in from all sides and stop short of the centre."),
        ], **MACULA_VIEW, gain=1.06),
        bscan([], [
            vis("The other eye's scan looks the same, with evenly stacked layers."),
            vis("Nothing here is abnormal."),
        ], seed=105, eye="OS"),
    )  # fmt: skip


def laser_scars() -> LectureSpec:
    return lecture(
        "laser_scars", "Laser Scars and What They Tell You",
        title("Laser Scars", (30, 70, 30), [
            say("Doctor Moreau here. Today, laser scars and what they tell you."),
        ]),
        photo(["laser scars"], [
            vis("Notice the rows of round scars in the upper and lower retina."),
            vis("A pattern like this is typical of pan retinal photocoagulation."),
            say("She was treated for proliferative disease six years ago."),
        ], paint=PRP, seed=111),
        photo(["laser scars"], [
            vis("Close up, each burn has a dark pigmented ring and a pale centre."),
            vis("They sit in neat, evenly spaced rows."),
        ], paint=PRP, seed=111, view="crop", center=(950, 1120), crop_width=500),
        bscan([], [
            vis("Her macula is dry on OCT, with a normal foveal pit."),
            vis("There is no sign of oedema."),
        ], seed=112, eye="OS"),
        photo([], [
            vis("The disc is flat, with no new vessels on its surface."),
            vis("That fits with regression after the laser."),
        ], paint=PRP, seed=111, **DISC_VIEW),
    )  # fmt: skip


def vein_occlusion() -> LectureSpec:
    paint = (("flame haemorrhages", (640, 980)), ("flame haemorrhages", (880, 930)),
             ("cotton wool spots", (760, 1070)))  # fmt: skip
    return lecture(
        "vein_occlusion", "Branch Retinal Vein Occlusion",
        title("Branch Retinal Vein Occlusion", (50, 20, 80), [
            say("Branch retinal vein occlusion: a quick case."),
        ]),
        photo(["flame haemorrhages", "cotton wool spots"], [
            vis("The haemorrhages here are confined to the lower half of the retina."),
            vis("They are flame shaped and follow one branch vein, with a few cotton wool spots among them."),
            vis("The upper half is completely clear."),
        ], paint=paint, seed=121),
        bscan(["intraretinal cysts"], [
            vis("The OCT shows cystoid spaces at the fovea, so the macula is involved."),
            say("Her blood pressure had been poorly controlled for years."),
        ], seed=122),
        photo(["flame haemorrhages", "cotton wool spots"], [
            vis("Here you can see the haemorrhages close up, dark red and streaky."),
            vis("The cotton wool spots look like small white clouds just below them."),
        ], paint=paint, seed=121, view="crop", center=(760, 1000), crop_width=620),
        bullets("Treatment", [
            "Control blood pressure", "Injections for macular oedema", "Laser if new vessels",
        ], (50, 20, 80), [
            say("Treat the oedema with injections and control the risk factors."),
        ]),
    )  # fmt: skip


def case_conference() -> LectureSpec:
    cup = (("cupping", OPTIC_DISC_XY),)
    return lecture(
        "case_conference", "Case Conference: Three Referrals",
        title("Case Conference", (20, 56, 72), [
            say("Good afternoon. Three referrals from this week's clinic."),
        ]),
        photo(["dot-blot haemorrhages", "hard exudates"], [
            say_phi("Our first referral is Daniel Reyes, a fifty eight year old with type two diabetes.",
                    "Daniel Reyes"),
            vis("His photograph shows dot and blot haemorrhages around the macula and a ring of hard"
                " exudates."),
            vis("The exudates lie just temporal to the fovea."),
        ], lesions=("haemorrhage", "exudates"), seed=131,
           banner=Banner(("Daniel Reyes", "DOB 02/11/1967", "MRN 418226"), position="bottom")),
        bscan(["subretinal fluid"], [
            say("The second referral came from a high street optometrist."),
            vis("The scan shows a pocket of subretinal fluid under the fovea."),
            vis("There are no drusen and no detachment of the pigment epithelium."),
        ], seed=132),
        photo(["cupping", "rim thinning"], [
            vis("The third patient has a deeply cupped disc with a thin rim."),
            vis("That appearance is consistent with glaucoma."),
        ], paint=cup, seed=133, **DISC_VIEW),
        bscan(["rnfl thinning"], [
            vis("Her nerve fibre layer is thin on OCT as well."),
            vis("The macula itself looks normal."),
        ], seed=134, eye="OS"),
    )  # fmt: skip


def oct_patterns() -> LectureSpec:
    return lecture(
        "oct_patterns", "Four OCT Patterns",
        bscan([], [
            vis("Pattern one is the normal macula: a smooth pit and evenly stacked layers."),
            vis("As you can see, nothing breaks the bright pigment epithelium line."),
        ], seed=141),
        bullets("Reading a B-scan", ["Top to bottom", "Inner retina, outer retina, RPE, choroid"],
                (70, 40, 90), [
            say("Read every scan from the vitreous down to the choroid."),
        ]),
        bscan(["intraretinal cysts", "macular oedema"], [
            vis("Pattern two: round dark spaces within the retina, which are intraretinal cysts."),
            vis("Here they are consistent with macular oedema."),
        ], seed=142),
        photo(["hard exudates"], [
            vis("The colour photo of that eye shows hard exudates temporal to the fovea."),
            say("Exudates like these build up over months of leakage."),
        ], lesions=("exudates",), seed=143, view="crop", center=(800, 690), crop_width=600),
        bscan(["subretinal fluid"], [
            vis("Pattern three: fluid under the retina, lifting it off the pigment epithelium."),
            vis("The fluid looks black because it reflects almost no light."),
        ], seed=144),
        presenter([say("Pattern four is the one people tend to miss.")], crop=(60, 10, 460, 235)),
        bscan(["pigment epithelial detachment"], [
            vis("Here the pigment epithelium itself is lifted into a dome, right of the fovea."),
            vis("That is a pigment epithelial detachment."),
        ], seed=145),
    )  # fmt: skip


def screening_grading() -> LectureSpec:
    return lecture(
        "screening_grading", "Grading Diabetic Screening Photographs",
        title("Grading Screening Photographs", (0, 80, 80), [
            say("Doctor Petrov, on grading diabetic screening photographs."),
        ]),
        photo([], [
            vis("This first photograph has no haemorrhages, no exudates and no new vessels."),
            vis("So it is graded as no retinopathy."),
        ], rotate_deg=2.0),
        photo(["dot-blot haemorrhages"], [
            vis("Here there are a handful of dot and blot haemorrhages around the macula."),
            vis("On their own, they make this background retinopathy."),
        ], lesions=("haemorrhage",), seed=151, view="crop", center=RETINA_FOVEA_XY, crop_width=720),
        photo(["dot-blot haemorrhages", "hard exudates"], [
            vis("This one adds a ring of hard exudates close to the fovea."),
            say("Exudates within one disc diameter of the centre count as maculopathy."),
        ], lesions=("haemorrhage", "exudates"), seed=153, gain=1.03),
        photo(["new vessels"], [
            vis("And this disc has new vessels on its surface, the most urgent grade."),
            say("That patient needs to be seen within two weeks."),
        ], paint=(("new vessels", OPTIC_DISC_XY),), seed=154, **DISC_VIEW),
    )  # fmt: skip


def wet_amd() -> LectureSpec:
    return lecture(
        "wet_amd", "Wet Macular Degeneration",
        title("Wet Macular Degeneration", (120, 40, 40), [
            say("Wet macular degeneration, and how it shows on OCT."),
        ]),
        bscan(["pigment epithelial detachment"], [
            vis("A large dome of pigment epithelium rises to the right of the fovea."),
            vis("The dark space under it is a pigment epithelial detachment."),
            say("She noticed that door frames looked wavy."),
        ], seed=161),
        photo(["drusen"], [
            vis("Her colour photograph shows many soft yellow drusen at the macula."),
            vis("There is no haemorrhage anywhere in this view."),
        ], paint=(("drusen", RETINA_FOVEA_XY),), seed=162, **MACULA_VIEW,
           webcam=Webcam("right", (133, 28, 317, 166))),
        bscan(["subretinal fluid"], [
            vis("Another patient's scan has fluid under the retina, lifting it into a shallow dome."),
            vis("The pigment epithelium beneath the fluid stays flat."),
            say("Both patients started injections within two weeks."),
        ], seed=163, eye="OS"),
        presenter([say("Thanks for watching, and see you next time.")]),
    )  # fmt: skip


def spot_quiz() -> LectureSpec:
    return lecture(
        "spot_quiz", "Spot Diagnosis Quiz",
        photo(["cupping", "rim thinning"], [
            say("Case one: what do you see?"),
            vis("The answer is a large, pale cup with very little rim left, so think of glaucoma."),
        ], paint=(("cupping", OPTIC_DISC_XY),), seed=171, **DISC_VIEW),
        bscan(["drusen"], [
            say("Case two."),
            vis("These small bumps under the pigment epithelium are drusen."),
        ], seed=172),
        photo(["flame haemorrhages", "cotton wool spots"], [
            say("Case three is a photograph."),
            vis("Flame haemorrhages above the macula, and cotton wool spots below it."),
            vis("That combination probably means high blood pressure."),
        ], paint=(("flame haemorrhages", (610, 370)), ("cotton wool spots", (640, 1000))), seed=173),
        bscan(["subretinal fluid"], [
            say("Case four."),
            vis("A black dome of fluid under the fovea, in other words subretinal fluid."),
        ], seed=174, eye="OS"),
        photo(["laser scars"], [
            say("And the last one."),
            vis("Regular round scars with dark edges, from old laser treatment."),
        ], paint=PRP, seed=175, view="crop", center=(880, 280), crop_width=560),
    )  # fmt: skip


def retinal_ischaemia() -> LectureSpec:
    paint = (("cotton wool spots", (560, 480)), ("blot haemorrhages", (980, 720)),
             ("new vessels", (950, 410)))  # fmt: skip
    return lecture(
        "retinal_ischaemia", "Signs of Retinal Ischaemia",
        title("Signs of Retinal Ischaemia", (80, 60, 20), [
            say("Signs of retinal ischaemia, one photograph at a time."),
        ]),
        photo(["cotton wool spots", "dot-blot haemorrhages", "new vessels"], [
            vis("This fundus shows cotton wool spots above the macula, blot haemorrhages temporal to it,"
                " and a frond of new vessels on the upper arcade."),
            vis("That is three separate signs of ischaemia in one picture."),
        ], paint=paint, seed=181),
        photo(["new vessels"], [
            vis("Close up, the new vessels are a small tangle of fine loops."),
            vis("Away from the disc like this, we call them new vessels elsewhere."),
        ], paint=paint, seed=181, view="crop", center=(1000, 420), crop_width=520),
        bscan(["intraretinal cysts"], [
            vis("The OCT shows cysts within the macula."),
            vis("So this eye has maculopathy as well as proliferative change."),
        ], seed=182),
        bullets("Next steps", ["Pan-retinal laser", "Injections for the macula", "Review in two weeks"],
                (80, 60, 20), [
            say("He needs pan retinal laser, and injections for the macula."),
            say("We will see him again in two weeks."),
        ]),
    )  # fmt: skip


def glaucoma_follow_up() -> LectureSpec:
    cup = (("cupping", OPTIC_DISC_XY),)
    return lecture(
        "glaucoma_follow_up", "Glaucoma Follow-up Clinic",
        photo(["cupping", "rim thinning"], [
            say_phi("Mrs Susan Whitfield has been coming to this clinic for ten years.", "Susan Whitfield"),
            vis("Her disc now shows a large, pale cup."),
            vis("There's very little neuroretinal rim left at all."),
        ], paint=cup, seed=191, **DISC_VIEW, webcam=Webcam("left", (140, 30, 310, 170))),
        bscan(["rnfl thinning"], [
            vis("The OCT confirms it: the nerve fibre layer is thin across the whole scan."),
            vis("The rest of the retina is normal."),
        ], seed=192, eye="OS"),
        photo(["cupping"], [
            vis("On the whole photograph, the large cup is visible even at this size."),
            vis("There are no haemorrhages around the disc, and the macula looks normal."),
            say("Her last field test showed a dense upper arcuate defect."),
        ], paint=cup, seed=191, rotate_deg=-3.0),
        bscan([], [
            vis("Her right eye scan is normal, with a full nerve fibre layer."),
            say("We have added a second drop and will see her in four months."),
        ], seed=193),
    )  # fmt: skip


# The second batch (issue 24: records to label, conversations among them).  Most scenes here show three or
# four findings and narrate each in its own sentence; views, seeds and painted positions are new.


def diabetic_maculopathy() -> LectureSpec:
    cws = (("cotton wool spots", (640, 470)),)
    return lecture(
        "diabetic_maculopathy", "Diabetic Maculopathy in Three Pictures",
        title("Diabetic Maculopathy", (16, 52, 84), [
            say("Doctor Varga here, with three pictures of diabetic maculopathy."),
        ]),
        photo(["dot-blot haemorrhages", "hard exudates", "cotton wool spots"], [
            vis("Dark red blot haemorrhages are scattered all around the macula."),
            vis("Temporal to the fovea, yellow hard exudates form a broken ring."),
            vis("Above the fovea there are a few soft white cotton wool spots."),
            say("Her sugar control has been poor for years."),
        ], lesions=("haemorrhage", "exudates"), paint=cws, seed=201, view="crop", center=(720, 620),
           crop_width=820, gain=0.95),
        bscan(["intraretinal cysts", "macular oedema", "subretinal fluid"], [
            vis("Her OCT shows round dark cysts within the inner retina."),
            vis("The centre is thickened, so this is diabetic macular oedema."),
            vis("Beneath the fovea there is also a shallow pocket of subretinal fluid."),
        ], seed=202),
        photo(["dot-blot haemorrhages", "hard exudates", "cotton wool spots"], [
            vis("On the whole photograph, every lesion stays inside the vascular arcades."),
            vis("The disc itself looks healthy."),
        ], lesions=("haemorrhage", "exudates"), paint=cws, seed=201, rotate_deg=4.0, gamma=1.06),
    )  # fmt: skip


def severe_npdr() -> LectureSpec:
    paint = (("blot haemorrhages", (500, 430)), ("blot haemorrhages", (1010, 460)),
             ("blot haemorrhages", (520, 990)), ("blot haemorrhages", (1000, 980)),
             ("cotton wool spots", (760, 360)), ("hard exudates", (850, 730)))  # fmt: skip
    return lecture(
        "severe_npdr", "Severe Non-Proliferative Retinopathy",
        title("Severe Non-Proliferative Retinopathy", (70, 50, 10), [
            say("Severe non proliferative retinopathy, and the four quadrant rule."),
        ]),
        photo(["dot-blot haemorrhages", "cotton wool spots", "hard exudates"], [
            vis("Blot haemorrhages appear in all four quadrants of this fundus."),
            vis("Several fluffy cotton wool spots lie along the upper arcade."),
            vis("A ring of hard exudates sits just temporal to the fovea."),
            vis("Haemorrhages in four quadrants are enough to call this severe disease."),
        ], paint=paint, seed=211, rotate_deg=-5.0, gain=1.02),
        photo(["dot-blot haemorrhages"], [
            vis("Close up, the blots are round and dark red."),
            vis("Between them lie much smaller red dots."),
        ], paint=paint, seed=211, view="crop", center=(1010, 1010), crop_width=560),
        bscan([], [
            vis("His OCT is dry, with a normal foveal pit."),
            vis("So there is no macular oedema yet."),
        ], seed=212, eye="OS"),
        bullets("Referral", ["Severe NPDR: eye clinic within weeks", "Tighten glucose and blood pressure"],
                (70, 50, 10), [
            say("He should be seen in the eye clinic within a few weeks."),
        ]),
    )  # fmt: skip


def pdr_after_laser() -> LectureSpec:
    paint = (("laser scars", (1000, 340)), ("laser scars", (1070, 1010)), ("laser scars", (500, 1120)),
             ("new vessels", OPTIC_DISC_XY), ("blot haemorrhages", (760, 900)))  # fmt: skip
    return lecture(
        "pdr_after_laser", "Proliferative Disease After Laser",
        photo(["laser scars", "new vessels", "dot-blot haemorrhages"], [
            vis("Patches of old laser scars lie in the upper and lower periphery."),
            vis("Despite them, a tangle of new vessels still sits on the disc."),
            vis("Blot haemorrhages are scattered below the fovea."),
            say("He admits he missed two of his laser sessions."),
        ], paint=paint, seed=221, zoom=1.08, rotate_deg=2.5),
        photo(["new vessels"], [
            vis("Close to the disc, the new vessels form fine red loops across its surface."),
            vis("This is still active proliferative retinopathy."),
        ], paint=paint, seed=221, view="crop", center=(260, 620), crop_width=520, gamma=0.92),
        bscan(["intraretinal cysts", "macular oedema"], [
            vis("His OCT has a few dark cysts around the fovea."),
            vis("So there is some macular oedema as well."),
        ], seed=222),
        photo(["laser scars"], [
            vis("Up close, each scar has a dark rim and a pale middle."),
            vis("The burns sit in three neat rows."),
        ], paint=paint, seed=221, view="crop", center=(1000, 360), crop_width=600, gain=1.05),
    )  # fmt: skip


def disc_haemorrhage() -> LectureSpec:
    paint = (("cupping", OPTIC_DISC_XY), ("flame haemorrhages", (250, 530)))
    return lecture(
        "disc_haemorrhage", "The Disc Haemorrhage in Glaucoma",
        title("The Disc Haemorrhage", (12, 30, 60), [
            say("Doctor Sato, on a small glaucoma sign that is easy to miss."),
        ]),
        photo(["cupping", "rim thinning", "flame haemorrhages"], [
            vis("This disc shows marked cupping, with a large cup filling most of it."),
            vis("Around the cup, only a thinned, narrow rim of pink tissue is left."),
            vis("Just above the disc, flame haemorrhages streak along the nerve fibres."),
            say("A disc haemorrhage often means the glaucoma is progressing."),
        ], paint=paint, seed=231, view="crop", center=(300, 610), crop_width=560),
        bscan(["rnfl thinning"], [
            vis("On OCT, there is nerve fibre layer thinning on both sides of the fovea."),
            vis("The deeper layers look normal."),
        ], seed=232, eye="OS"),
        photo(["cupping", "rim thinning", "flame haemorrhages"], [
            vis("From further back, the large cup and the flame haemorrhages above it still stand out."),
            vis("The macula and the vessels look normal."),
        ], paint=paint, seed=231, rotate_deg=6.0, gain=0.96),
    )  # fmt: skip


def malignant_hypertension() -> LectureSpec:
    paint = (("flame haemorrhages", (560, 420)), ("flame haemorrhages", (830, 990)),
             ("cotton wool spots", (450, 700)), ("hard exudates", (705, 700)))  # fmt: skip
    return lecture(
        "malignant_hypertension", "Malignant Hypertension: The Fundus",
        photo(["flame haemorrhages", "cotton wool spots", "hard exudates"], [
            vis("Flame haemorrhages line both the upper and the lower arcades."),
            vis("Cotton wool spots cluster between the disc and the macula."),
            vis("Around the fovea, hard exudates form an incomplete ring."),
            say("Her blood pressure was two hundred and forty over one hundred and forty."),
        ], paint=paint, seed=241, gamma=1.08),
        photo(["cotton wool spots", "hard exudates"], [
            vis("Closer in, the cotton wool spots look like small white clouds."),
            vis("To their right, the first hard exudates of the ring come into view."),
        ], paint=paint, seed=241, view="crop", center=(470, 700), crop_width=540, gain=1.04),
        bullets("Emergency", ["Admit the same day", "Lower the pressure slowly"], (110, 20, 30), [
            say("She needs admission, and her pressure must come down slowly."),
        ]),
        bscan(["subretinal fluid"], [
            vis("Her OCT shows a small dome of subretinal fluid under the fovea."),
            say("This usually settles as the pressure comes down."),
        ], seed=242),
    )  # fmt: skip


def wet_amd_fluid() -> LectureSpec:
    paint = (("drusen", (680, 680)), ("blot haemorrhages", (600, 860)), ("hard exudates", (1040, 700)))
    return lecture(
        "wet_amd_fluid", "Fluid and Blood in Wet AMD",
        bscan(["intraretinal cysts", "subretinal fluid", "pigment epithelial detachment"], [
            vis("This scan has fluid in all three places at once."),
            vis("Dark cysts sit within the retina itself."),
            vis("Under the fovea there is a layer of subretinal fluid."),
            vis("And to its right, a dome of pigment epithelium is lifted off: a pigment epithelial"
                " detachment."),
        ], seed=251),
        photo(["drusen", "dot-blot haemorrhages", "hard exudates"], [
            vis("Soft yellow drusen are scattered across the macula."),
            vis("Below the fovea there are several dark blot haemorrhages."),
            vis("Further temporally, hard exudates form a ring."),
            say("She noticed straight lines bending only a week ago."),
        ], paint=paint, seed=252, view="crop", center=(780, 700), crop_width=820, aspect_4x3=True),
        bscan(["drusen", "subretinal fluid"], [
            vis("Her other eye has drusen lifting the pigment epithelium."),
            vis("Above them sits a small pocket of subretinal fluid, so this eye is active too."),
        ], seed=253, eye="OS"),
        presenter([say("So both eyes start injections this week. Thank you.")], crop=(40, 20, 480, 268)),
    )  # fmt: skip


def central_vein_occlusion() -> LectureSpec:
    paint = (("flame haemorrhages", (560, 430)), ("flame haemorrhages", (930, 440)),
             ("flame haemorrhages", (560, 980)), ("flame haemorrhages", (930, 990)),
             ("cotton wool spots", (760, 560)), ("blot haemorrhages", (720, 820)))  # fmt: skip
    return lecture(
        "central_vein_occlusion", "Central Retinal Vein Occlusion",
        title("Central Retinal Vein Occlusion", (40, 20, 60), [
            say("Central retinal vein occlusion, with Doctor Okoye."),
        ]),
        photo(["flame haemorrhages", "cotton wool spots", "dot-blot haemorrhages"], [
            vis("Flame haemorrhages fill all four quadrants of the retina."),
            vis("Above the macula sits a group of white cotton wool spots."),
            vis("Below it there are deeper, rounder blot haemorrhages."),
            vis("This widespread picture suggests a central retinal vein occlusion."),
        ], paint=paint, seed=261, rotate_deg=-3.0, zoom=1.1),
        bscan(["intraretinal cysts", "macular oedema", "subretinal fluid"], [
            vis("The macula is swollen with large dark cysts."),
            vis("That is macular oedema from the occlusion."),
            vis("There is a little subretinal fluid under the fovea as well."),
        ], seed=262, eye="OS"),
        photo(["flame haemorrhages", "dot-blot haemorrhages"], [
            vis("Close up, the streaky flame haemorrhages follow the nerve fibres."),
            vis("Each one tapers at both ends."),
            vis("At the top left there is also a round blot haemorrhage."),
        ], paint=paint, seed=261, view="crop", center=(930, 1000), crop_width=600, gain=1.04),
    )  # fmt: skip


def oct_compartments() -> LectureSpec:
    exudates = (("hard exudates", (920, 700)), ("drusen", (620, 700)), ("blot haemorrhages", (720, 480)))
    return lecture(
        "oct_compartments", "Three Fluid Compartments on OCT",
        bscan(["subretinal fluid", "pigment epithelial detachment"], [
            say("First scan: where is the fluid?"),
            vis("There is subretinal fluid under the fovea."),
            vis("Beside it, the pigment epithelium rises into a dome, a pigment epithelial detachment."),
        ], seed=271),
        bullets("Where is the fluid?", ["Within the retina", "Under the retina", "Under the RPE"],
                (30, 80, 70), [
            say("Name the compartment first, then the disease."),
        ]),
        bscan(["intraretinal cysts", "macular oedema", "subretinal fluid", "pigment epithelial detachment"], [
            vis("Second scan: round black cysts sit within the retina."),
            vis("Cysts like these mean macular oedema."),
            vis("Subretinal fluid lifts the fovea."),
            vis("And on the right there is a pigment epithelial detachment."),
        ], seed=272, eye="OS"),
        photo(["drusen", "hard exudates", "dot-blot haemorrhages"], [
            vis("The colour photo of that eye has drusen around the fovea."),
            vis("Hard exudates form a ring on the temporal side."),
            vis("And there are blot haemorrhages above the macula."),
        ], paint=exudates, seed=273, view="crop", center=(770, 640), crop_width=860, gamma=1.1),
        bscan([], [
            vis("Last scan: no fluid anywhere, and a normal foveal pit."),
            vis("A dry macula is an answer too."),
        ], seed=274),
    )  # fmt: skip


def screening_referrals() -> LectureSpec:
    maculopathy = (("hard exudates", (820, 690)), ("blot haemorrhages", (600, 880)),
                   ("cotton wool spots", (940, 470)))  # fmt: skip
    ischaemic = (("new vessels", (480, 950)), ("blot haemorrhages", (930, 860)),
                 ("cotton wool spots", (560, 420)), ("flame haemorrhages", (980, 420)))  # fmt: skip
    return lecture(
        "screening_referrals", "Screening Photographs That Need Referral",
        title("Which Photographs Need Referral?", (0, 60, 100), [
            say("Doctor Castillo, on screening photographs that need a referral."),
        ]),
        photo(["hard exudates", "dot-blot haemorrhages", "cotton wool spots"], [
            vis("In this photograph, hard exudates lie close to the fovea."),
            vis("Blot haemorrhages sit below the macula."),
            vis("A few cotton wool spots are up and to the right."),
        ], paint=maculopathy, seed=281, rotate_deg=3.5, gain=1.03),
        bullets("Referral rules", ["Exudates near the fovea: routine", "New vessels anywhere: urgent"],
                (0, 60, 100), [
            say("Exudates within one disc diameter of the fovea mean a routine referral."),
        ]),
        photo(["new vessels", "dot-blot haemorrhages", "cotton wool spots", "flame haemorrhages"], [
            vis("This one has a frond of new vessels below the disc."),
            vis("There are blot haemorrhages temporal to the macula."),
            vis("Cotton wool spots sit along the upper arcade."),
            vis("And flame haemorrhages lie above and to the right."),
            say("New vessels anywhere mean an urgent referral."),
        ], paint=ischaemic, seed=282, rotate_deg=-4.0, zoom=1.05),
        photo(["new vessels"], [
            vis("Zoomed in, the new vessels are fine, looping and irregular."),
            vis("They lie away from the disc, so these are new vessels elsewhere."),
        ], paint=ischaemic, seed=282, view="crop", center=(480, 950), crop_width=460, gamma=0.94),
    )  # fmt: skip


def diabetes_and_glaucoma() -> LectureSpec:
    both = (("cupping", OPTIC_DISC_XY), ("new vessels", (215, 640)))
    return lecture(
        "diabetes_and_glaucoma", "Diabetes and Glaucoma in One Eye",
        photo(["cupping", "rim thinning", "dot-blot haemorrhages", "hard exudates"], [
            vis("This eye has two diseases at once."),
            vis("The disc shows obvious cupping, the cup large and pale."),
            vis("Around the cup, only a thin rim is left."),
            vis("Around the macula are dot and blot haemorrhages."),
            vis("And temporal to the fovea, hard exudates form a ring."),
        ], lesions=("haemorrhage", "exudates"), paint=(("cupping", OPTIC_DISC_XY),), seed=291, zoom=1.12,
           rotate_deg=-6.0),
        photo(["cupping", "rim thinning", "new vessels"], [
            vis("A year later, the cupping looks much the same."),
            vis("There is rim thinning all the way around."),
            vis("And new vessels have grown across the surface of the disc."),
            say("That combination raises the fear of neovascular glaucoma."),
        ], paint=both, seed=292, view="crop", center=(240, 650), crop_width=520),
        bscan(["rnfl thinning", "intraretinal cysts"], [
            vis("His OCT shows a thin nerve fibre layer."),
            vis("There are small cysts at the fovea as well."),
        ], seed=293),
    )  # fmt: skip


def registrar_quiz() -> LectureSpec:
    hypertensive = (("flame haemorrhages", (640, 450)), ("cotton wool spots", (880, 560)),
                    ("hard exudates", (740, 720)))  # fmt: skip
    old_laser = (("laser scars", (760, 1000)), ("drusen", RETINA_FOVEA_XY), ("blot haemorrhages", (760, 480)))
    return lecture(
        "registrar_quiz", "Registrar Teaching: Name Every Finding",
        presenter([say("Name every finding before you give a diagnosis.")], crop=(100, 30, 470, 238)),
        photo(["flame haemorrhages", "cotton wool spots", "hard exudates"], [
            vis("Picture one has flame haemorrhages near the upper arcade."),
            vis("There are cotton wool spots above and temporal to the macula."),
            vis("And hard exudates gather around the fovea."),
        ], paint=hypertensive, seed=301, view="crop", center=(740, 600), crop_width=820,
           webcam=Webcam("right", (150, 25, 320, 160))),
        bscan(["intraretinal cysts", "subretinal fluid", "pigment epithelial detachment"], [
            vis("Picture two has cysts inside the retina."),
            vis("It has subretinal fluid beneath the fovea."),
            vis("And it has a pigment epithelial detachment to the right."),
        ], seed=302, eye="OS"),
        photo(["laser scars", "drusen", "dot-blot haemorrhages"], [
            vis("Picture three has rows of laser scars below the macula."),
            vis("Yellow drusen surround the fovea."),
            vis("And blot haemorrhages sit above it."),
        ], paint=old_laser, seed=303, rotate_deg=-2.0, gain=0.97, gamma=1.04),
        bscan(["rnfl thinning"], [
            vis("Picture four is a scan with a thin nerve fibre layer on both sides of the fovea."),
            vis("Everything below it looks normal."),
            say("Well done if you named every finding."),
        ], seed=304),
    )  # fmt: skip


def case_review() -> LectureSpec:
    paint = (("blot haemorrhages", (880, 820)), ("cotton wool spots", (600, 470)),
             ("hard exudates", (830, 690)), ("new vessels", (1010, 420)))  # fmt: skip
    return lecture(
        "case_review", "Case Review: One Patient, Both Eyes",
        photo(["dot-blot haemorrhages", "cotton wool spots", "hard exudates", "new vessels"], [
            say_phi("This is Graham Holt, who is sixty one and has had diabetes for thirty years.",
                    "Graham Holt"),
            vis("His right eye shows blot haemorrhages below and temporal to the fovea."),
            vis("Cotton wool spots lie above the macula, towards the disc."),
            vis("Hard exudates form a ring beside the fovea."),
            vis("And there are new vessels on the upper temporal arcade."),
        ], paint=paint, seed=311, gain=1.04,
           banner=Banner(("Graham Holt", "DOB 14/03/1964", "MRN 730418"), position="top")),
        bscan(["intraretinal cysts", "macular oedema"], [
            vis("The right macula has cysts on OCT."),
            vis("So he has macular oedema as well as proliferative disease."),
        ], seed=312),
        photo(["new vessels", "cotton wool spots", "hard exudates"], [
            vis("Close up, the new vessels are a small net of fine loops."),
            vis("A cotton wool spot shows at the left edge of this view."),
            vis("And the top of the hard exudate ring peeks in at the bottom left."),
        ], paint=paint, seed=311, view="crop", center=(960, 470), crop_width=560, gamma=0.96),
        bscan(["drusen"], [
            vis("His left eye has only a few small drusen under the pigment epithelium."),
            say("That eye will be watched for now."),
        ], seed=313, eye="OS"),
    )  # fmt: skip


# The front of the eye and visual fields: drawn slit-lamp photographs and threshold printouts
# (eval/corpus/dev_anterior.py), so the engine is developed on modalities beyond the fundus and OCT.


def cataract_clinic() -> LectureSpec:
    return lecture(
        "cataract_clinic", "Cataract at the Slit Lamp",
        title("Cataract at the Slit Lamp", (170, 200, 230), [
            say("Good morning, this is Doctor Okafor on assessing cataract."),
        ]),
        eye(["lens opacity"], [
            vis("At the slit lamp, the pupil is filled by a dense grey white cataract."),
            vis("The lens opacity blocks the red reflex completely."),
            say("She has noticed glare when driving at night."),
        ], drawn=("cataract",), seed=301),
        eye([], [
            vis("Her other eye has a clear lens and a black pupil."),
            vis("The iris and the cornea look healthy."),
        ], seed=302, iris="blue", light="diffuse"),
        eye(["lens opacity", "conjunctival injection"], [
            vis("A week after surgery in another patient, the conjunctiva is still red."),
            vis("Here too the pupil looks milky white, because this eye has not been operated on yet."),
        ], drawn=("cataract", "conjunctival injection"), seed=303),
        bullets("Plan", ["Biometry and consent", "Listed for phacoemulsification"], (170, 200, 230), [
            say("She is listed for surgery on the right eye first."),
        ]),
    )  # fmt: skip


def red_eye() -> LectureSpec:
    return lecture(
        "red_eye", "The Painful Red Eye",
        title("The Painful Red Eye", (230, 190, 120), [
            say("Three red eyes from one weekend on call."),
        ]),
        eye(["conjunctival injection", "hypopyon"], [
            vis("This eye is angry and red, with marked conjunctival injection."),
            vis("A white hypopyon has settled in the lower part of the anterior chamber."),
            vis("A hypopyon means severe inflammation or infection inside the eye."),
        ], drawn=("hypopyon", "conjunctival injection"), seed=311, iris="blue"),
        eye(["corneal opacity"], [
            vis("Here a dense white corneal infiltrate sits above and to the right of the pupil."),
            vis("In a contact lens wearer this is infectious keratitis until proven otherwise."),
            say("Scrape it before you start any drops."),
        ], drawn=("corneal ulcer",), seed=312, light="diffuse"),
        eye(["conjunctival injection"], [
            vis("By contrast, this red eye has a clear cornea and a round black pupil."),
            vis("Redness of the conjunctiva alone, with a clear cornea, is usually conjunctivitis."),
        ], drawn=("conjunctival injection",), seed=313, iris="blue"),
    )  # fmt: skip


def glaucoma_fields() -> LectureSpec:
    return lecture(
        "glaucoma_fields", "Reading a Glaucoma Field",
        title("Reading a Glaucoma Field", (20, 60, 50), [
            say("Let us read some glaucoma fields together."),
        ]),
        field(["field defect"], [
            vis("This twenty four two field of the right eye shows a dense superior arcuate scotoma."),
            vis("The dark band arches from the blind spot around the centre."),
            say("His pressure was thirty two in that eye."),
        ], defect="superior arcuate", seed=321, side="OD"),
        field(["field defect"], [
            vis("In his left eye there is an early nasal step."),
            vis("The loss stops at the horizontal line, as glaucoma damage does."),
        ], defect="nasal step", seed=322, side="OS", backdrop=(20, 60, 50)),
        field([], [
            vis("Compare a normal field, where only the blind spot is dark."),
            vis("The rest of the grey scale is pale and even."),
        ], defect="normal", seed=323, side="OD"),
    )  # fmt: skip


def front_and_fields_quiz() -> LectureSpec:
    return lecture(
        "front_and_fields_quiz", "Spot Diagnosis: Front of the Eye and Fields",
        title("Spot Diagnosis", (150, 220, 170), [
            say("Quick fire round, shout out the answer."),
        ]),
        eye(["hypopyon"], [
            vis("First, a white fluid level in the bottom of the anterior chamber."),
            vis("That level is a hypopyon."),
        ], drawn=("hypopyon",), seed=331),
        field(["field defect"], [
            vis("Next, this printout shows an inferior arcuate defect."),
            vis("It points to damage at the top of the optic disc."),
        ], defect="inferior arcuate", seed=332, side="OS"),
        eye(["lens opacity"], [
            vis("Finally, the pupil is grey instead of black."),
            vis("That is a mature cataract."),
        ], drawn=("cataract",), seed=333, iris="blue"),
    )  # fmt: skip
