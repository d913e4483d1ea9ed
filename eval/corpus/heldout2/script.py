"""What the heldout2 lectures show and say: scenes, narration, findings, diagnoses, voices and rooms.

Written for this corpus only, in the way lecturers speak (greetings, "as you can see", "next slide please",
asides on history, epidemiology and treatment), with British and American spellings.  Each clinical scene
lists the canonical names of the findings its narration names (``findings``) and the diagnoses it names
(``diagnoses``, often none, so that a diagnosis a record adds can be counted as invented).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eval.corpus.heldout2_fundus import Fundus

# Phrases that are narration artefacts rather than content, recorded per sentence as ``artefacts``.
ARTEFACT_PHRASES = (
    "good morning",
    "good afternoon",
    "hi everyone",
    "hello everyone",
    "thanks for coming",
    "thank you",
    "as you can see",
    "you can see here",
    "on this slide",
    "next slide please",
    "next slide, please",
    "here's",
    "so here is",
    "right, ",
    "okay, ",
    "let's look at",
    "let's talk about",
)


@dataclass(frozen=True)
class Line:
    text: str
    describes: bool = False
    findings: tuple[str, ...] = ()
    phi: tuple[str, ...] = ()

    def artefacts(self) -> list[str]:
        low = self.text.lower()
        return [p.strip(" ,") for p in ARTEFACT_PHRASES if p in low]


def see(text: str, *findings: str) -> Line:
    """A sentence about what is in the picture, naming ``findings`` (canonical names)."""
    return Line(text, True, findings)


def aside(text: str) -> Line:
    """A sentence that does not describe the picture (history, epidemiology, treatment, artefacts)."""
    return Line(text, False)


@dataclass(frozen=True)
class Scene:
    kind: str  # title | text | fundus | oct | slit_lamp | external_eye | visual_field | diagram | speaker
    modality: str
    picture: dict[str, Any]  # how to draw it (read by make_heldout2.render)
    lines: tuple[Line, ...]
    findings: tuple[str, ...] = ()
    diagnoses: tuple[str, ...] = ()
    banner: tuple[str, ...] = ()  # patient label burned into the top-left corner (phi_text)

    @property
    def clinical(self) -> bool:
        return self.modality not in ("non_clinical",) and self.kind not in ("title", "text")


@dataclass(frozen=True)
class Voice:
    name: str  # espeak-ng voice (+variant)
    speed: int  # words per minute
    pitch: int
    noise: str  # pink | brown
    snr_db: float
    hum: bool = False
    reverb: bool = False


@dataclass(frozen=True)
class Lecture:
    file: str
    title: str
    theme: str
    voice: Voice
    scenes: tuple[Scene, ...]


@dataclass(frozen=True)
class Span:
    finding: str
    at: str  # "disc" | "fovea" | offset name resolved by make_heldout2
    offset: tuple[float, float]  # from ``at``, in field radii
    width: float  # view width in field radii
    lines: tuple[Line, ...]
    diagnoses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Footage:
    file: str
    title: str
    voice: Voice
    fundus: Fundus
    intro: tuple[Line, ...]
    spans: tuple[Span, ...] = field(default_factory=tuple)


def _s(
    kind: str,
    modality: str,
    picture: dict[str, Any],
    lines: list[Line],
    findings: tuple[str, ...] = (),
    diagnoses: tuple[str, ...] = (),
    banner: tuple[str, ...] = (),
) -> Scene:
    named = {f for line in lines for f in line.findings}
    if not set(findings) >= named:
        raise ValueError(
            f"sentence findings {sorted(named - set(findings))} missing from the scene's findings"
        )
    return Scene(kind, modality, picture, tuple(lines), findings, diagnoses, banner)


def title(text: str, subtitle: str, lines: list[Line]) -> Scene:
    return _s("title", "diagram_or_slide", {"draw": "title", "title": text, "subtitle": subtitle}, lines)


def bullets(heading: str, items: list[str], lines: list[Line]) -> Scene:
    return _s("text", "diagram_or_slide", {"draw": "text", "heading": heading, "bullets": items}, lines)


def speaker(lines: list[Line]) -> Scene:
    return _s("speaker", "non_clinical", {"draw": "speaker"}, lines)


def lectures() -> list[Lecture]:
    amd = Lecture(
        "h2_amd.mp4",
        "Age-related macular degeneration: what to look for",
        "teal",
        Voice("en-gb", 165, 42, "pink", 22.0),
        (
            title(
                "Age-related macular degeneration: what to look for",
                "Medical retina update",
                [
                    aside("Good morning, everyone, and thanks for coming."),
                    aside("Today I want to go through the signs of age-related macular degeneration."),
                ],
            ),
            _s(
                "fundus",
                "colour_fundus",
                {"draw": "fundus", "fundus": Fundus(201, "OD", ("drusen",)), "layout": "full"},
                [
                    see(
                        "So, as you can see here, there are multiple soft drusen clustered around the fovea.",
                        "drusen",
                    ),
                    see("They're pale yellow and round, and some of them are becoming confluent.", "drusen"),
                    see("This is intermediate age-related macular degeneration."),
                    aside("About one in ten people over sixty-five have drusen of this kind."),
                ],
                ("drusen",),
                ("age-related macular degeneration",),
            ),
            _s(
                "oct",
                "oct",
                {"draw": "oct", "finding": "drusen", "seed": 202, "layout": "full"},
                [
                    see(
                        "On the OCT through the same macula, the retinal pigment epithelium is lifted "
                        "into several "
                        "small dome-shaped bumps.",
                        "drusen",
                    ),
                    see(
                        "Those bumps are the drusen, sitting between the RPE and Bruch's membrane.", "drusen"
                    ),
                    see("The photoreceptor layer above them is still intact."),
                ],
                ("drusen",),
            ),
            bullets(
                "Managing dry AMD",
                ["AREDS2 supplements", "Stop smoking", "Amsler grid at home"],
                [
                    aside(
                        "For intermediate disease we recommend the AREDS two formula "
                        "of vitamins and minerals."
                    ),
                    aside("Stopping smoking matters more than any supplement."),
                    aside("Next slide, please."),
                ],
            ),
            _s(
                "oct",
                "oct",
                {
                    "draw": "oct",
                    "finding": "srf_ped",
                    "seed": 203,
                    "layout": "slide",
                    "heading": "Sudden distortion",
                    "caption": "Macular OCT",
                },
                [
                    aside("This lady came back a year later with sudden distortion."),
                    see(
                        "The scan shows a dark pocket of subretinal fluid under the fovea.",
                        "subretinal fluid",
                    ),
                    see(
                        "Next to it there is a pigment epithelial detachment.",
                        "pigment epithelial detachment",
                    ),
                    see("That combination tells you this is neovascular AMD."),
                    aside("She was started on monthly anti-VEGF injections."),
                ],
                ("subretinal fluid", "pigment epithelial detachment"),
                ("neovascular age-related macular degeneration",),
            ),
            speaker([aside("Right, that's all I have, thank you very much.")]),
        ),
    )
    diabetic = Lecture(
        "h2_diabetic.mp4",
        "Diabetic retinopathy in practice",
        "navy",
        Voice("en-us+f2", 150, 62, "brown", 17.0, hum=True, reverb=True),
        (
            title(
                "Diabetic retinopathy in practice",
                "Screening, grading and treatment",
                [aside("Hi everyone, I'm going to walk you through diabetic retinopathy today.")],
            ),
            bullets(
                "Why screen?",
                [
                    "A leading cause of vision loss in working-age adults",
                    "About one in three people with diabetes has retinopathy",
                    "Annual photographic screening",
                ],
                [
                    aside(
                        "Diabetic retinopathy is still a leading cause of vision loss in working-age adults."
                    ),
                    aside("Roughly a third of people with diabetes have some degree of retinopathy."),
                ],
            ),
            _s(
                "fundus",
                "colour_fundus",
                {
                    "draw": "fundus",
                    "layout": "full",
                    "fundus": Fundus(211, "OS", ("dot_blot", "microaneurysms", "exudate_ring")),
                },
                [
                    see(
                        "On this slide you can see scattered dot and blot hemorrhages in all four quadrants.",
                        "dot-blot haemorrhages",
                    ),
                    see("There are also tiny red dots, which are microaneurysms.", "microaneurysms"),
                    see(
                        "And temporal to the fovea, hard exudates are forming a circinate ring.",
                        "hard exudates",
                    ),
                ],
                ("dot-blot haemorrhages", "microaneurysms", "hard exudates"),
            ),
            _s(
                "fundus",
                "colour_fundus",
                {
                    "draw": "fundus",
                    "layout": "full",
                    "fundus": Fundus(212, "OD", ("nvd", "cotton_wool"), pigment=1.25),
                },
                [
                    aside("This next photograph is from a different patient."),
                    see(
                        "Look at the optic disc: there's a fine tuft of new vessels growing on its surface.",
                        "neovascularisation of the disc",
                    ),
                    see(
                        "There are a few fluffy cotton-wool spots along the arcades as well.",
                        "cotton wool spots",
                    ),
                    see(
                        "New vessels on the disc mean proliferative diabetic retinopathy.",
                        "neovascularisation of the disc",
                    ),
                ],
                ("neovascularisation of the disc", "cotton wool spots"),
                ("proliferative diabetic retinopathy",),
            ),
            _s(
                "oct",
                "oct",
                {"draw": "oct", "finding": "cysts", "seed": 213, "layout": "full"},
                [
                    see(
                        "The OCT shows multiple intraretinal cysts, and the central retina is thickened.",
                        "cystoid macular oedema",
                    ),
                    see("This is diabetic macular edema."),
                    aside("First-line treatment is intravitreal anti-VEGF."),
                ],
                ("cystoid macular oedema",),
                ("diabetic macular oedema",),
            ),
            _s(
                "fundus",
                "colour_fundus",
                {
                    "draw": "fundus",
                    "layout": "slide",
                    "heading": "After treatment",
                    "caption": "Colour fundus photograph, right eye",
                    "fundus": Fundus(214, "OD", ("laser_scars",)),
                },
                [
                    see(
                        "After panretinal photocoagulation, you end up with a fundus like this one.",
                        "laser scars",
                    ),
                    see("Rows of pigmented laser scars cover the mid periphery.", "laser scars"),
                    aside("We still see these patients every few months."),
                ],
                ("laser scars",),
            ),
        ),
    )
    glaucoma = Lecture(
        "h2_glaucoma.mp4",
        "Glaucoma: the disc and the field",
        "olive",
        Voice("en-gb-scotland", 178, 34, "pink", 19.0),
        (
            title(
                "Glaucoma: the disc and the field",
                "Glaucoma clinic teaching",
                [aside("Good afternoon. This session is about assessing the optic disc in glaucoma.")],
            ),
            _s(
                "fundus",
                "colour_fundus",
                {"draw": "fundus", "layout": "full", "crop": "disc", "fundus": Fundus(221, "OD", cdr=0.8)},
                [
                    Line(
                        "This is the right optic disc of Callum Ferguson, "
                        "who was referred by his optometrist.",
                        False,
                        (),
                        ("Callum Ferguson",),
                    ),
                    see(
                        "As you can see, the cup is enlarged, "
                        "with a cup to disc ratio of about zero point eight.",
                        "optic disc cupping",
                    ),
                    see("The neuroretinal rim is thinnest inferiorly.", "neuroretinal rim thinning"),
                ],
                ("optic disc cupping", "neuroretinal rim thinning"),
                banner=("FERGUSON, Callum", "DOB 14/02/1951", "MRN 7730412"),
            ),
            _s(
                "visual_field",
                "visual_field",
                {"draw": "visual_field", "seed": 222, "layout": "full"},
                [
                    see(
                        "His Humphrey twenty-four two field shows a dense superior arcuate defect.",
                        "arcuate visual field defect",
                    ),
                    see("Notice that it respects the horizontal midline."),
                    see("Put together with the disc, this is primary open-angle glaucoma."),
                ],
                ("arcuate visual field defect",),
                ("primary open-angle glaucoma",),
            ),
            _s(
                "fundus",
                "colour_fundus",
                {
                    "draw": "fundus",
                    "layout": "slide",
                    "heading": "Pallor versus cupping",
                    "caption": "Optic disc photograph, right eye",
                    "crop": "disc",
                    "fundus": Fundus(223, "OD", cdr=0.2, pallor=0.85, pigment=0.85),
                },
                [
                    see(
                        "Compare that with this disc, which is pale rather than cupped.", "optic disc pallor"
                    ),
                    see(
                        "The pallor involves the whole of the disc, and the cup is small.",
                        "optic disc pallor",
                    ),
                    aside("Pallor out of proportion to cupping should prompt neuroimaging."),
                ],
                ("optic disc pallor",),
            ),
            bullets(
                "Treatment",
                [
                    "Prostaglandin analogue drops",
                    "Selective laser trabeculoplasty",
                    "Set a target pressure; repeat fields",
                ],
                [
                    aside(
                        "First-line treatment is a prostaglandin analogue, "
                        "or selective laser trabeculoplasty."
                    ),
                    aside("Next slide please."),
                ],
            ),
            speaker([aside("That's everything from me, I'm happy to take questions.")]),
        ),
    )
    red_eye = Lecture(
        "h2_red_eye.mp4",
        "The red eye and the anterior segment",
        "rust",
        Voice("en-us+f4", 142, 66, "brown", 16.0, reverb=True),
        (
            title(
                "The red eye and the anterior segment",
                "Emergency eye care",
                [aside("Hello everyone, let's talk about the red eye.")],
            ),
            _s(
                "external_eye",
                "external_eye",
                {"draw": "anterior", "finding": "injection", "slit": False, "seed": 231, "layout": "full"},
                [
                    see(
                        "Here's a diffusely red eye, with injection of the conjunctival vessels.",
                        "conjunctival injection",
                    ),
                    see(
                        "The redness is worst towards the fornices, and the cornea looks clear.",
                        "conjunctival injection",
                    ),
                    see("This turned out to be an adenoviral conjunctivitis."),
                    aside("It is very contagious, so wash your hands and wipe down the slit lamp."),
                ],
                ("conjunctival injection",),
                ("adenoviral conjunctivitis",),
            ),
            _s(
                "slit_lamp",
                "slit_lamp",
                {"draw": "anterior", "finding": "cataract", "slit": True, "seed": 232, "layout": "full"},
                [
                    see(
                        "With the slit beam through the pupil, "
                        "you can see the lens nucleus is dense and yellowish brown.",
                        "cataract",
                    ),
                    aside("His vision has dropped to six over twenty-four."),
                    aside("Surgery is offered once it interferes with daily life."),
                ],
                ("cataract",),
            ),
            _s(
                "slit_lamp",
                "slit_lamp",
                {
                    "draw": "anterior",
                    "finding": "infiltrate_hypopyon",
                    "slit": True,
                    "seed": 233,
                    "layout": "slide",
                    "heading": "A painful red eye",
                    "caption": "Slit-lamp photograph",
                },
                [
                    aside("This patient is a contact lens wearer with a very painful eye."),
                    see(
                        "There's a dense white corneal infiltrate just below the visual axis.",
                        "corneal opacity",
                    ),
                    see(
                        "And inferiorly, a hypopyon, a layer of white cells settled in the anterior chamber.",
                        "hypopyon",
                    ),
                ],
                ("corneal opacity", "hypopyon"),
            ),
            _s(
                "slit_lamp",
                "slit_lamp",
                {
                    "draw": "anterior",
                    "finding": "normal",
                    "slit": True,
                    "seed": 234,
                    "layout": "full",
                    "iris": (70, 95, 130),
                },
                [
                    see("For comparison, this is a quiet eye on the slit lamp."),
                    see(
                        "The cornea is clear, the anterior chamber is deep and quiet, and the lens is clear."
                    ),
                ],
            ),
            bullets(
                "Red flags",
                ["Reduced vision", "Photophobia", "Severe pain", "Contact lens wear"],
                [
                    aside("Any red eye with reduced vision or photophobia needs same-day review."),
                    aside("Okay, next slide please."),
                ],
            ),
        ),
    )
    surgery = Lecture(
        "h2_macular_surgery.mp4",
        "Macular surgery and the OCT",
        "plum",
        Voice("en-gb-x-rp", 185, 50, "pink", 24.0),
        (
            title(
                "Macular surgery and the OCT",
                "Vitreoretinal update",
                [aside("Right, good morning. Let's look at some surgical macular conditions.")],
            ),
            _s(
                "oct",
                "oct",
                {
                    "draw": "oct",
                    "finding": "normal",
                    "seed": 241,
                    "layout": "slide",
                    "heading": "Normal macula",
                    "caption": "Macular OCT",
                },
                [
                    see("First, a normal macular OCT for reference."),
                    see("Note the smooth foveal pit and the well-defined outer retinal bands."),
                ],
            ),
            _s(
                "oct",
                "oct",
                {"draw": "oct", "finding": "hole", "seed": 242, "layout": "full"},
                [
                    see("This is a full-thickness macular hole.", "full-thickness macular hole"),
                    see(
                        "The edges are elevated, with small cystic spaces at the margins, "
                        "and there's an operculum "
                        "floating above.",
                        "full-thickness macular hole",
                    ),
                    aside(
                        "Vitrectomy with an internal limiting membrane peel closes most holes of this size."
                    ),
                ],
                ("full-thickness macular hole",),
            ),
            _s(
                "oct",
                "oct",
                {"draw": "oct", "finding": "erm", "seed": 243, "layout": "full"},
                [
                    see(
                        "Here, a bright epiretinal membrane sits on the inner surface of the retina.",
                        "epiretinal membrane",
                    ),
                    see(
                        "The foveal contour is lost and the retina is thickened underneath.",
                        "retinal thickening",
                    ),
                    aside("Patients usually complain of distortion."),
                ],
                ("epiretinal membrane", "retinal thickening"),
            ),
            _s(
                "diagram",
                "diagram_or_slide",
                {"draw": "diagram", "seed": 244, "layout": "full"},
                [
                    see("This sketch shows what happens in a branch retinal vein occlusion."),
                    see(
                        "The flame haemorrhages are confined to the sector drained by the blocked vein.",
                        "flame haemorrhages",
                    ),
                    aside("Macular oedema from an occlusion responds to the same injections."),
                ],
                ("flame haemorrhages",),
                ("branch retinal vein occlusion",),
            ),
            speaker([aside("Okay, thank you all, and enjoy the rest of the meeting.")]),
        ),
    )
    return [amd, diabetic, glaucoma, red_eye, surgery]


def footage() -> list[Footage]:
    """One continuous fundus examination: the camera dwells on four findings in turn."""
    return [
        Footage(
            "h2_footage_hypertensive.mp4",
            "Examining a hypertensive fundus",
            Voice("en-gb-x-gbcwmd", 160, 55, "pink", 20.0, hum=True),
            Fundus(
                251,
                "OD",
                ("disc_swelling", "flame", "cotton_wool", "macular_star"),
                flame_sector="superotemporal",
                cotton_wool_at=(-0.35, 0.42),
            ),
            (aside("Let's look at this fundus together."),),
            (
                Span(
                    "optic disc swelling",
                    "disc",
                    (0.0, 0.0),
                    1.1,
                    (
                        see(
                            "We start at the optic disc.",
                        ),
                        see(
                            "The disc margins are blurred and the whole disc is swollen.",
                            "optic disc swelling",
                        ),
                        see(
                            "The vessels are partly hidden where they cross the margin.",
                            "optic disc swelling",
                        ),
                    ),
                ),
                Span(
                    "flame haemorrhages",
                    "disc",
                    (-0.3, -0.42),
                    1.2,
                    (
                        see(
                            "Moving up along the superior arcade, there are flame-shaped haemorrhages.",
                            "flame haemorrhages",
                        ),
                        see("They follow the course of the nerve fibres.", "flame haemorrhages"),
                        aside("His blood pressure was two hundred and twenty over one hundred and thirty."),
                    ),
                ),
                Span(
                    "cotton wool spots",
                    "disc",
                    (-0.35, 0.42),
                    1.2,
                    (
                        see("Below the disc here, several cotton wool spots.", "cotton wool spots"),
                        aside("They are small infarcts of the nerve fibre layer."),
                    ),
                ),
                Span(
                    "hard exudates",
                    "fovea",
                    (0.0, 0.0),
                    1.2,
                    (
                        see(
                            "And at the macula, hard exudates form a star around the fovea.", "hard exudates"
                        ),
                        see("With a swollen disc, this is grade four hypertensive retinopathy."),
                        aside("He needs urgent blood pressure control."),
                    ),
                    ("hypertensive retinopathy",),
                ),
            ),
        )
    ]
