"""The sample corpus's "dev" set: nineteen short narrated lectures to run the engine on and label by hand.

Made with the same generator as ``demo/`` (the skimage retina photograph with drawn findings, drawn OCT
B-scans, espeak-ng ``en-us`` narration) but worded afresh, in several lecturer styles.  Development data: it
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
    """An OCT slide whose drawn pathology follows from ``findings``: the label and the image cannot part."""
    drawn = {OCT_DRAWN[name] for name in findings}
    if len(drawn) > 1:
        raise ValueError(f"one B-scan draws one pathology, not {sorted(drawn)}")
    return scene("oct", sentences, findings=findings, webcam=webcam, seed=seed,
                 finding=drawn.pop() if drawn else "normal", label=f"OCT  macular B-scan  {eye}")  # fmt: skip


def title(text: str, theme: tuple[int, int, int], sentences: list[Sentence]) -> SceneSpec:
    return scene("title", sentences, findings=[], title=text, subtitle="Dev teaching set", theme=theme)


def bullets(
    heading: str, items: list[str], theme: tuple[int, int, int], sentences: list[Sentence]
) -> SceneSpec:
    return scene("text", sentences, findings=[], heading=heading, bullets=items, theme=theme)


def presenter(sentences: list[Sentence], crop: tuple[int, int, int, int] = (0, 0, 512, 288)) -> SceneSpec:
    return scene("face", sentences, findings=[], crop=crop)


def lecture(topic: str, name: str, *scenes: SceneSpec) -> LectureSpec:
    """A dev lecture, refused unless it keeps the set's shape: 3-5 clinical scenes of 2-4 sentences (at most
    one not describing the image), at most 2 other scenes."""
    clinical = [s for s in scenes if s.kind in CLINICAL_KINDS]
    if not 3 <= len(clinical) <= 5 or len(scenes) - len(clinical) > 2:
        raise ValueError(f"{topic}: {len(clinical)} clinical and {len(scenes) - len(clinical)} other scenes")
    for s in clinical:
        asides = sum(not sentence.describes_image for sentence in s.sentences)
        if not 2 <= len(s.sentences) <= 4 or asides > 1 or s.findings is None:
            raise ValueError(f"{topic}: clinical scene {s.sentences[0].text!r} breaks the narration rules")
    return LectureSpec(file=f"dev_{topic}.mp4", title=name, scenes=scenes)


def dev_lectures() -> list[LectureSpec]:
    """The dev set, in file order."""
    return [
        glaucoma_cupping(), drusen_amd(), background_dr(), proliferative_dr(), macular_oedema(),
        central_serous(), ped(), rnfl_glaucoma(), hypertensive(), normal_anatomy(), laser_scars(),
        vein_occlusion(), case_conference(), oct_patterns(), screening_grading(), wet_amd(), spot_quiz(),
        retinal_ischaemia(), glaucoma_follow_up(),
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
