#!/usr/bin/env python3
"""Generate the redistributable OphIn Engine sample corpus of narrated lecture videos.

The corpus consists of short synthetic "ophthalmology lectures": each video is a
sequence of still slides (title cards, bullet slides, a colour fundus photograph,
drawn OCT B-scans, a presenter's face) narrated by ``espeak-ng``.  Because every
sentence is synthesised separately and concatenated with fixed gaps, the exact
time span of every sentence and every scene is known and written to
``ground_truth.json`` next to the videos, together with a per-sentence flag saying
whether the sentence describes what is visible in the slide image.

Two sets are written by default, a third on request:

* ``demo/``    -- three lectures used for demos and development;
* ``heldout/`` -- three lectures with independent wording, scene order, findings
  vocabulary and image variants, meant to act as "never seen" lectures in tests;
* ``dev/``     -- nineteen short lectures to develop on and label by hand (``dev_lectures.py``; written only
  when ``--sets dev`` is named, and without footage).

The third lecture of each set ("cases") adds hard cases for privacy and visual grounding:
patient identifiers burned into a fundus frame, a patient's name spoken in the narration,
a closing text slide with visual-sounding narration, a normal and an abnormal image of
the same modality, and a clinical slide with the presenter's webcam inset.  Their scenes
carry extra ground truth (``findings``, ``normal``, ``phi_text``/``phi_box``,
``webcam_inset``/``face_box``; sentences ``phi_spoken``/``phi``).

Each set also gets two "footage" videos, written under their own ``footage`` key of the ground truth
(the ``videos`` entries stay as they were): a continuous, cut-free fundus examination (a camera panning and
zooming across the photograph with drawn findings, narrating each while it is in view) and a long static
slide narrated finding by finding.  Their ground truth has per-finding ``spans`` and sentences tagged
with the finding they are about.

Images come from scikit-image's bundled data (``retina``: CC0; ``astronaut``:
public-domain NASA photograph); everything else is drawn here.  The output is
deterministic: fixed seeds, bit-exact muxing, metadata stripped and re-set.

Requires ``ffmpeg``/``ffprobe`` (with libx264 and the native AAC encoder) and
``espeak-ng`` on ``PATH``.

Usage::

    python -m eval.corpus.generate                 # writes eval/corpus
    python -m eval.corpus.generate --out /tmp/corpus --verify
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import subprocess
import sys
import tempfile
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont
from skimage import data as skdata

# ---------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------

WIDTH, HEIGHT = 640, 360
FPS = 10
SAMPLE_RATE = 22050  # espeak-ng's native output rate
FRAME_SAMPLES = SAMPLE_RATE // FPS  # audio samples per video frame (2205)

LEAD_IN_S = 0.3  # silence before the first sentence of the video
SENTENCE_GAP_S = 0.25  # silence between sentences within a scene
SCENE_PAD_S = 0.7  # minimum silence after the last sentence of a scene
SILENCE_THRESHOLD = 300  # |int16| below this counts as silence when trimming TTS
TRIM_MARGIN_S = 0.02  # keep this much around the detected speech

ESPEAK_VOICE = "en-us"
ESPEAK_SPEED = 150

LICENSE = "CC-BY-4.0"
ARTIST = "OphIn Engine sample corpus"
COPYRIGHT = "CC-BY-4.0 OphIn Engine contributors"

CLINICAL_KINDS = {"fundus", "oct", "anterior", "field"}
SCENE_KINDS = {"title", "text", "fundus", "oct", "face", "anterior", "field"}
# The modality a scene kind's ground truth states (fundus and OCT scenes predate the field and leave it out).
STATED_MODALITY = {"anterior": "slit_lamp", "field": "visual_field"}

# Approximate location of the fovea in skimage.data.retina() (1411x1411 pixels);
# the optic disc centre is near (212, 640), just inside the left edge of the field.
RETINA_FOVEA_XY = (695, 695)
EXUDATE_RING_XY = (845, 675)  # centre of the drawn circinate exudate ring, temporal to the fovea

# Face found by OpenCV's frontal Haar cascade in skimage.data.astronaut() (512x512): x0, y0, x1, y1.
ASTRONAUT_FACE_BOX = (177, 67, 270, 160)

# ffmpeg's scene score threshold used by the pipeline, and the margin we demand.
SCENE_THRESHOLD = 0.3
SCENE_MARGIN = 0.38


# ---------------------------------------------------------------------------
# Lecture specification
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Sentence:
    """One narrated sentence and whether it describes the visible image."""

    text: str
    describes_image: bool = False
    phi: tuple[str, ...] = ()  # patient identifiers spoken in the sentence, verbatim


@dataclass(frozen=True)
class Banner:
    """Patient identifiers burned into the frame, like the header strip of a clinic export."""

    fields: tuple[str, ...]  # drawn left to right, each written to ``phi_text`` verbatim
    position: str = "top"  # "top" or "bottom" edge, left-aligned
    color: tuple[int, int, int] = (255, 255, 255)


@dataclass(frozen=True)
class Webcam:
    """The presenter's face (a crop of skimage's astronaut) inset in a bottom corner of a slide."""

    corner: str  # "left" or "right"
    crop: tuple[int, int, int, int]  # x0, y0, x1, y1 in the astronaut photograph
    width: int = WIDTH // 5
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)


@dataclass(frozen=True)
class SceneSpec:
    """A slide: its kind, renderer parameters, narration and optional overlays.

    ``findings`` is None for the scenes of the original four lectures, whose ground truth
    predates the field and must stay byte-identical; newer scenes always set it.
    """

    kind: str
    params: dict[str, Any]
    sentences: tuple[Sentence, ...]
    findings: tuple[str, ...] | None = None
    banner: Banner | None = None
    webcam: Webcam | None = None


@dataclass(frozen=True)
class LectureSpec:
    """A whole lecture video."""

    file: str
    title: str
    scenes: tuple[SceneSpec, ...]


def vis(text: str) -> Sentence:
    """A sentence that describes what is visible in the slide image."""
    return Sentence(text, True)


def say(text: str) -> Sentence:
    """A sentence that does not describe the slide image."""
    return Sentence(text, False)


def say_phi(text: str, *phi: str) -> Sentence:
    """A non-describing sentence that speaks patient identifiers (each must occur in ``text``)."""
    missing = [item for item in phi if item not in text]
    if not phi or missing:
        raise ValueError(f"phi {missing or phi!r} not spoken in {text!r}")
    return Sentence(text, False, phi)


def scene(
    kind: str,
    sentences: list[Sentence],
    *,
    findings: list[str] | None = None,
    banner: Banner | None = None,
    webcam: Webcam | None = None,
    **params: Any,
) -> SceneSpec:
    """Convenience constructor for :class:`SceneSpec`."""
    if kind not in SCENE_KINDS:
        raise ValueError(f"unknown scene kind {kind!r}")
    found = None if findings is None else tuple(findings)
    return SceneSpec(kind, dict(params), tuple(sentences), found, banner, webcam)


def demo_lectures() -> list[LectureSpec]:
    """The two demo lectures."""
    glaucoma = LectureSpec(
        file="lecture_glaucoma.mp4",
        title="Glaucoma and the Optic Disc",
        scenes=(
            scene(
                "title",
                [
                    say("Welcome to this lecture on glaucoma and the optic disc."),
                    say("My name is Doctor Lee."),
                    say("Let's get started."),
                ],
                title="Glaucoma and the Optic Disc",
                subtitle="Teaching lecture 1",
                theme=(18, 32, 64),
            ),
            scene(
                "text",
                [
                    say("Glaucoma affects more than seventy million people worldwide."),
                    say("Risk factors include age, family history and raised eye pressure."),
                ],
                heading="Epidemiology",
                bullets=[
                    "Over 70 million people affected worldwide",
                    "Risk rises with age and family history",
                    "Often symptomless until late",
                ],
                theme=(0, 96, 100),
            ),
            scene(
                "fundus",
                [
                    vis(
                        "In this fundus photograph, the optic disc is visible on the left with a sharp"
                        " margin."
                    ),
                    vis("Notice the retinal vessels arching around the macula."),
                    say("This patient was referred by her optometrist."),
                ],
                view="full",
            ),
            scene(
                "fundus",
                [
                    vis("Zooming in, the bright central cup stands out within the disc."),
                    vis("A thin dark crescent of pigment lines the right edge of the disc."),
                    say("Her eye pressure was twenty two in both eyes."),
                ],
                view="crop",
                center=(330, 640),
                crop_width=600,
            ),
            scene(
                "oct",
                [
                    vis("This OCT B-scan shows the retinal layers in cross section."),
                    vis("The foveal depression is visible in the centre."),
                    say("The scan takes only a few seconds."),
                ],
                seed=11,
                label="OCT  horizontal line scan  OS",
            ),
            scene(
                "text",
                [
                    say("Treatment aims to lower the intraocular pressure."),
                    say("Eye drops are usually the first option, followed by laser."),
                ],
                heading="Management",
                bullets=[
                    "Lower the intraocular pressure",
                    "Drops first, then laser",
                    "Surgery if progression continues",
                ],
                theme=(0, 96, 100),
            ),
            scene(
                "face",
                [
                    say("Thank you for watching."),
                    say("Please subscribe for more lectures."),
                ],
                crop=(0, 0, 512, 288),
            ),
        ),
    )
    macula = LectureSpec(
        file="lecture_macula.mp4",
        title="Macular Disease: An OCT Primer",
        scenes=(
            scene(
                "title",
                [
                    say("Welcome to this lecture on macular disease."),
                    say("My name is Doctor Patel."),
                    say("Let's get started."),
                ],
                title="Macular Disease: An OCT Primer",
                subtitle="Teaching lecture 2",
                theme=(48, 20, 56),
            ),
            scene(
                "face",
                [
                    say("All of the cases you will see have been anonymised."),
                ],
                crop=(40, 0, 472, 243),
            ),
            scene(
                "text",
                [
                    say("Macular degeneration is a leading cause of vision loss in older adults."),
                    say("Smoking is the most important risk factor that patients can change."),
                ],
                heading="Age-related macular degeneration",
                bullets=[
                    "Leading cause of vision loss over 60",
                    "Smoking is the key modifiable risk",
                    "Dry and wet forms",
                ],
                theme=(120, 40, 40),
            ),
            scene(
                "oct",
                [
                    vis("This OCT scan shows the macula in cross section."),
                    vis(
                        "Here you can see a dark cystic space within the inner retina, consistent with"
                        " macular edema."
                    ),
                    say("She noticed blurred vision two weeks ago."),
                ],
                seed=23,
                finding="cysts",
                label="OCT  macular B-scan  OS",
            ),
            scene(
                "fundus",
                [
                    vis("In this colour fundus photo, the macula sits in the middle of the image."),
                    vis("The fovea appears as a darker spot in the centre."),
                    say("Her vision in this eye was six over twelve."),
                ],
                view="full",
                rotate_deg=-6.0,
                gain=1.08,
                gamma=0.92,
            ),
            scene(
                "oct",
                [
                    vis("On this second scan, small bumps lift the bright pigment epithelium line."),
                    vis("These bumps are drusen, the hallmark of early macular degeneration."),
                    say("Patients should monitor their vision with an Amsler grid."),
                ],
                seed=37,
                finding="drusen",
                label="OCT  macular B-scan  OD",
            ),
            scene(
                "text",
                [
                    say("Always compare both eyes at every visit."),
                    say("Refer urgently if the patient reports sudden distortion."),
                ],
                heading="Key points",
                bullets=[
                    "OCT shows fluid and drusen",
                    "Compare both eyes",
                    "Refer sudden distortion urgently",
                ],
                theme=(120, 40, 40),
            ),
        ),
    )
    return [glaucoma, macula, demo_cases()]


def demo_cases() -> LectureSpec:
    """Demo hard cases: spoken name, burned-in identifiers, normal vs fluid OCT, webcam inset."""
    return LectureSpec(
        file="lecture_cases.mp4",
        title="Case Review: Reading Clinic Images",
        scenes=(
            scene(
                "title",
                [
                    say("Welcome to this case review on reading clinic images."),
                    say("My name is Doctor Nguyen, and we will look at four cases today."),
                ],
                findings=[],
                title="Case Review: Reading Clinic Images",
                subtitle="Teaching lecture 3",
                theme=(20, 56, 72),
            ),
            scene(
                "oct",
                [
                    say_phi(
                        "This is patient Thomas Baker, seventy-two years old, who came in for a routine"
                        " check.",
                        "Thomas Baker",
                    ),
                    vis("His OCT scan shows a normal macula, with a smooth foveal dip in the centre."),
                    vis("All of the retinal layers are evenly stacked and there is no fluid."),
                ],
                findings=[],
                seed=41,
                label="OCT  macular B-scan  OD",
            ),
            scene(
                "fundus",
                [
                    vis("This colour photograph shows a left eye with the optic disc near the left edge."),
                    vis("The disc has a healthy pink rim and the macula looks flat."),
                    say("She attends the diabetic screening clinic every year."),
                ],
                findings=[],
                banner=Banner(("Mary Jones", "DOB 04/17/1955", "MRN 552091")),
                view="full",
                rotate_deg=4.0,
                gain=1.04,
                gamma=0.96,
            ),
            scene(
                "oct",
                [
                    vis(
                        "Compare that with this scan, where a dark pocket of fluid sits under the central"
                        " retina."
                    ),
                    vis("The retina is lifted into a shallow dome above the fluid."),
                    say("He had noticed that straight lines looked bent."),
                ],
                findings=["fluid"],
                seed=57,
                finding="subretinal_fluid",
                label="OCT  macular B-scan  OS",
            ),
            scene(
                "fundus",
                [
                    vis("In this close view of the optic nerve head, the cup is small and centred."),
                    vis("The neuroretinal rim is even all the way around."),
                    say("Her eye pressure was normal at both visits."),
                ],
                findings=[],
                webcam=Webcam("right", (133, 28, 317, 166)),
                view="crop",
                center=(310, 620),
                crop_width=560,
                gain=0.98,
            ),
            scene(
                "text",
                [
                    say("In summary, always examine the rim and look for drusen at the macula."),
                    say("On every scan, look carefully for dark pockets of fluid under the retina."),
                ],
                findings=[],
                heading="Summary",
                bullets=[
                    "Examine the rim at every visit",
                    "Look for drusen at the macula",
                    "Check each scan for fluid",
                ],
                theme=(20, 56, 72),
            ),
        ),
    )


def dev_lectures() -> list[LectureSpec]:
    """The dev set's lectures (their narration lives in ``dev_lectures.py``, which builds on this module)."""
    from eval.corpus.dev_lectures import dev_lectures as build  # late: that module imports this one

    return build()


def heldout_lectures() -> list[LectureSpec]:
    """Two held-out lectures, worded independently of the demo set."""
    retina = LectureSpec(
        file="heldout_retina.mp4",
        title="Diabetic Retinopathy: Grading the Fundus",
        scenes=(
            scene(
                "title",
                [
                    say("Hello everyone, and thanks for joining."),
                    say("I am Doctor Okafor from the retina service."),
                ],
                title="Diabetic Retinopathy: Grading the Fundus",
                subtitle="Retina service seminar",
                theme=(10, 48, 30),
            ),
            scene(
                "text",
                [
                    say("Anyone with diabetes should have a retinal examination once a year."),
                    say("Tight control of blood sugar and blood pressure slows progression."),
                ],
                heading="Screening intervals",
                bullets=[
                    "Annual retinal examination",
                    "Control glucose and blood pressure",
                    "Screen more often in pregnancy",
                ],
                theme=(30, 70, 130),
            ),
            scene(
                "fundus",
                [
                    vis(
                        "This colour photograph of a left eye shows a healthy optic nerve head at the left"
                        " side."
                    ),
                    vis("The cup-to-disc ratio looks small, roughly zero point three."),
                    say("She has had diabetes for fifteen years."),
                ],
                view="full",
                rotate_deg=7.0,
                gain=0.92,
                gamma=1.15,
            ),
            scene(
                "fundus",
                [
                    vis("Moving to the macula, fine vessels converge toward the dark fovea."),
                    vis("There are no microaneurysms, hard exudates or cotton wool spots in this view."),
                    say("These photographs were taken without dilating drops."),
                ],
                view="crop",
                center=RETINA_FOVEA_XY,
                crop_width=720,
                gain=1.05,
            ),
            scene(
                "face",
                [
                    say("Let me pause briefly to answer a question from the audience."),
                ],
                crop=(104, 8, 408, 179),
                tint=(1.04, 1.0, 0.94),
            ),
            scene(
                "fundus",
                [
                    vis(
                        "In this close view of the nerve head, the neuroretinal rim is well preserved with"
                        " no notching."
                    ),
                    vis("The main vessels emerge from the disc and fan out above and below."),
                ],
                view="crop",
                center=(300, 600),
                crop_width=480,
                gain=0.96,
                aspect_4x3=True,
            ),
            scene(
                "text",
                [
                    say("Yearly screening prevents most blindness from diabetes."),
                    say("Laser and injections work best when started early."),
                ],
                heading="Summary",
                bullets=[
                    "Screening saves sight",
                    "Treat early: laser or injections",
                ],
                theme=(30, 70, 130),
            ),
        ),
    )
    oct_lecture = LectureSpec(
        file="heldout_oct.mp4",
        title="Reading OCT: Fluid and Detachments",
        scenes=(
            scene(
                "title",
                [
                    say("Good afternoon, and welcome to part two of our imaging series."),
                    say("Today we focus on optical coherence tomography."),
                ],
                title="Reading OCT: Fluid and Detachments",
                subtitle="Imaging series, part 2",
                theme=(60, 40, 10),
            ),
            scene(
                "oct",
                [
                    vis(
                        "In this B-scan, a dark dome of subretinal fluid lifts the retina off the pigment"
                        " epithelium."
                    ),
                    vis("The inner retinal layers above the fluid remain well organised."),
                    say("He is a forty five year old pilot."),
                ],
                seed=101,
                finding="subretinal_fluid",
                label="Spectral-domain OCT  OD",
            ),
            scene(
                "text",
                [
                    say("This condition is most common in men under fifty."),
                    say("Most episodes settle without treatment within three months."),
                ],
                heading="Central serous chorioretinopathy",
                bullets=[
                    "Typically men under 50",
                    "Steroids are a known trigger",
                    "Often resolves within 3 months",
                ],
                theme=(150, 90, 0),
            ),
            scene(
                "oct",
                [
                    vis(
                        "Here we see a pigment epithelial detachment, a smooth elevation of the brightest"
                        " outer band."
                    ),
                    vis("Beneath the raised band there is a dark, optically empty space."),
                ],
                seed=202,
                finding="ped",
                label="Spectral-domain OCT  OS",
            ),
            scene(
                "fundus",
                [
                    vis(
                        "The matching colour photograph places the nerve head close to the left border of"
                        " the frame."
                    ),
                    say("Colour photographs often look normal when the fluid is shallow."),
                ],
                view="full",
                zoom=1.12,
                rotate_deg=-3.0,
                gain=1.12,
                gamma=1.05,
            ),
            scene(
                "oct",
                [
                    vis(
                        "This last scan shows retinal nerve fibre layer thinning,"
                        " with only a faint bright band along the inner surface."
                    ),
                    say("Such thinning can be an early sign of glaucomatous damage."),
                ],
                seed=303,
                finding="thin_rnfl",
                label="Spectral-domain OCT  OS",
            ),
            scene(
                "face",
                [
                    say("Thanks for staying with me through this session."),
                    say("If you found it useful, share it with your colleagues."),
                ],
                crop=(96, 0, 448, 198),
                tint=(0.96, 1.0, 1.05),
            ),
        ),
    )
    return [retina, oct_lecture, heldout_cases()]


def heldout_cases() -> LectureSpec:
    """Held-out hard cases, worded and ordered independently of :func:`demo_cases`."""
    return LectureSpec(
        file="heldout_cases.mp4",
        title="Medical Retina Case Conference",
        scenes=(
            scene(
                "title",
                [
                    say("Good morning, and thank you for coming to the case conference."),
                    say("I am Doctor Haddad, and I run the medical retina clinic."),
                ],
                findings=[],
                title="Medical Retina Case Conference",
                subtitle="Case conference, session 4",
                theme=(70, 30, 60),
            ),
            scene(
                "fundus",
                [
                    say_phi(
                        "Our first case is Margaret Hughes, a sixty-eight year old retired teacher.",
                        "Margaret Hughes",
                    ),
                    vis("Several dark red blot haemorrhages are scattered around the macula."),
                    vis("Clusters of yellow hard exudates form a partial ring near the centre."),
                ],
                findings=["haemorrhage", "exudates"],
                view="crop",
                center=RETINA_FOVEA_XY,
                crop_width=760,
                lesions=("haemorrhage", "exudates"),
                lesion_seed=5,
            ),
            scene(
                "oct",
                [
                    vis("Her OCT shows the central retina thickened by several round dark spaces."),
                    vis("These cystic spaces sit in the inner retina, on both sides of the fovea."),
                    say("She was treated with injections over the following months."),
                ],
                findings=["cyst", "oedema"],
                webcam=Webcam("left", (141, 36, 309, 162), tint=(1.03, 1.0, 0.95)),
                seed=61,
                finding="cysts",
                label="Spectral-domain OCT  macula  OD",
            ),
            scene(
                "fundus",
                [
                    vis("For comparison, this is a healthy macula at the same magnification."),
                    vis("The vessels are smooth and there is no bleeding and no yellow deposit."),
                ],
                findings=[],
                view="crop",
                center=(705, 690),
                crop_width=700,
                gain=1.03,
                gamma=0.97,
            ),
            scene(
                "fundus",
                [
                    vis(
                        "In this wide view of a left eye, the nerve head sits at the left border of the"
                        " picture."
                    ),
                    vis("The cup is small and the rim is pink all the way round."),
                    say("He has no symptoms and his reading vision is good."),
                ],
                findings=[],
                banner=Banner(
                    ("Ahmed Karimi", "DOB 1949-11-02", "MRN 0731846"),
                    position="bottom",
                    color=(255, 236, 150),
                ),
                view="full",
                rotate_deg=-8.0,
                zoom=1.05,
                gain=0.97,
                gamma=1.08,
            ),
            scene(
                "text",
                [
                    say("To wrap up, look closely around the macula for haemorrhages and yellow exudates."),
                    say("And always compare a worrying picture with a healthy eye."),
                ],
                findings=[],
                heading="Take-home messages",
                bullets=[
                    "Check around the macula for bleeding",
                    "Look for exudates near the centre",
                    "Compare with a healthy eye",
                ],
                theme=(70, 30, 60),
            ),
        ),
    )


# ---------------------------------------------------------------------------
# Drawing helpers
# ---------------------------------------------------------------------------


def get_font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """PIL's bundled default font at ``size`` pixels (bitmap fallback on old Pillow)."""
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has no size argument
        return ImageFont.load_default()


def wrap_text(draw: ImageDraw.ImageDraw, text: str, font: Any, max_width: int) -> list[str]:
    """Greedy word wrap of ``text`` to lines no wider than ``max_width`` pixels."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and draw.textlength(candidate, font=font) > max_width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def vertical_gradient(top: tuple[int, int, int], bottom: tuple[int, int, int]) -> np.ndarray:
    """A full-frame RGB vertical gradient from ``top`` to ``bottom``."""
    t = np.linspace(0.0, 1.0, HEIGHT, dtype=np.float32)[:, None, None]
    top_a = np.asarray(top, np.float32)[None, None, :]
    bottom_a = np.asarray(bottom, np.float32)[None, None, :]
    grad = top_a * (1 - t) + bottom_a * t
    return np.broadcast_to(grad, (HEIGHT, WIDTH, 3)).astype(np.uint8)


def letterbox(image: np.ndarray, fill: tuple[int, int, int] = (0, 0, 0)) -> np.ndarray:
    """Resize an RGB image to fit inside the frame, centred on a ``fill`` background."""
    h, w = image.shape[:2]
    scale = min(WIDTH / w, HEIGHT / h)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    resized = cv2.resize(image, (new_w, new_h), interpolation=interp)
    canvas = np.empty((HEIGHT, WIDTH, 3), np.uint8)
    canvas[:] = fill
    y0, x0 = (HEIGHT - new_h) // 2, (WIDTH - new_w) // 2
    canvas[y0 : y0 + new_h, x0 : x0 + new_w] = resized
    return canvas


def adjust_tone(image: np.ndarray, gain: float = 1.0, gamma: float = 1.0) -> np.ndarray:
    """Apply a gamma curve then a gain to an RGB uint8 image."""
    x = image.astype(np.float32) / 255.0
    x = np.clip(gain * np.power(x, gamma), 0.0, 1.0)
    return (x * 255.0 + 0.5).astype(np.uint8)


# ---------------------------------------------------------------------------
# Slide renderers
# ---------------------------------------------------------------------------


def render_title(title: str, subtitle: str, theme: tuple[int, int, int]) -> np.ndarray:
    """Dark title card with the lecture title in large type."""
    bottom = tuple(max(0, c // 3) for c in theme)
    img = Image.fromarray(vertical_gradient(theme, bottom))  # type: ignore[arg-type]
    draw = ImageDraw.Draw(img)
    title_font, sub_font, foot_font = get_font(40), get_font(22), get_font(14)
    lines = wrap_text(draw, title, title_font, WIDTH - 80)
    line_h = 50
    y = HEIGHT // 2 - (len(lines) * line_h) // 2 - 30
    for line in lines:
        w = draw.textlength(line, font=title_font)
        draw.text(((WIDTH - w) / 2, y), line, font=title_font, fill=(255, 255, 255))
        y += line_h
    draw.line([(WIDTH // 2 - 120, y + 8), (WIDTH // 2 + 120, y + 8)], fill=(220, 180, 60), width=3)
    w = draw.textlength(subtitle, font=sub_font)
    draw.text(((WIDTH - w) / 2, y + 24), subtitle, font=sub_font, fill=(210, 215, 230))
    footer = "OphIn Engine sample corpus  |  CC-BY-4.0"
    w = draw.textlength(footer, font=foot_font)
    draw.text(((WIDTH - w) / 2, HEIGHT - 30), footer, font=foot_font, fill=(150, 160, 180))
    return np.asarray(img)


def render_text(heading: str, bullets: list[str], theme: tuple[int, int, int]) -> np.ndarray:
    """Light bullet slide with a coloured heading bar."""
    img = Image.new("RGB", (WIDTH, HEIGHT), (247, 246, 240))
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 0, WIDTH, 70], fill=theme)
    head_font, bullet_font = get_font(32), get_font(24)
    draw.text((30, 17), heading, font=head_font, fill=(255, 255, 255))
    y = 100
    for bullet in bullets:
        lines = wrap_text(draw, bullet, bullet_font, WIDTH - 110)
        draw.ellipse([40, y + 9, 50, y + 19], fill=theme)
        for line in lines:
            draw.text((66, y), line, font=bullet_font, fill=(40, 40, 40))
            y += 32
        y += 16
    draw.rectangle([0, HEIGHT - 6, WIDTH, HEIGHT], fill=theme)
    return np.asarray(img)


def render_fundus(
    view: str = "full",
    rotate_deg: float = 0.0,
    zoom: float = 1.0,
    gain: float = 1.0,
    gamma: float = 1.0,
    center: tuple[int, int] = RETINA_FOVEA_XY,
    crop_width: int = 640,
    aspect_4x3: bool = False,
    lesions: tuple[str, ...] = (),
    lesion_seed: int = 0,
    painted: tuple[tuple[str, tuple[int, int]], ...] = (),
) -> np.ndarray:
    """The scikit-image retina photograph, whole (letterboxed) or as a 16:9 crop.

    ``painted`` puts the footage painters' findings (:func:`draw_finding`) on a still slide: (finding, centre
    in photograph pixels) pairs, drawn after ``lesions`` with their own generator seeded by ``lesion_seed``.
    """
    retina = skdata.retina()
    if lesions:
        retina = draw_lesions(retina, lesions, lesion_seed)
    if painted:
        rng = np.random.default_rng(lesion_seed)
        img = retina.astype(np.float32)
        for finding, centre in painted:
            img = draw_finding(img, finding, centre, rng)
        retina = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    if view == "full":
        h, w = retina.shape[:2]
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), rotate_deg, zoom)
        retina = cv2.warpAffine(retina, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
        return adjust_tone(letterbox(retina), gain, gamma)
    if view == "crop":
        crop_h = round(crop_width * HEIGHT / WIDTH)
        if aspect_4x3:  # 4:3 crop, shown letterboxed on black
            crop_h = round(crop_width * 3 / 4)
        cx, cy = center
        x0 = int(np.clip(cx - crop_width // 2, 0, retina.shape[1] - crop_width))
        y0 = int(np.clip(cy - crop_h // 2, 0, retina.shape[0] - crop_h))
        patch = retina[y0 : y0 + crop_h, x0 : x0 + crop_width]
        return adjust_tone(letterbox(patch), gain, gamma)
    raise ValueError(f"unknown fundus view {view!r}")


def draw_lesions(retina: np.ndarray, lesions: tuple[str, ...], seed: int) -> np.ndarray:
    """Paint diabetic-retinopathy lesions around the fovea of the (normal) retina photograph.

    ``haemorrhage`` adds dark red dot and blot haemorrhages; ``exudates`` adds a partial
    ring of small yellow hard exudates temporal to the fovea.  Sizes are in photograph
    pixels (1411 wide), so they stay visible in a macula crop.
    """
    rng = np.random.default_rng(seed)
    img = retina.astype(np.float32)
    fx, fy = RETINA_FOVEA_XY
    for lesion in lesions:
        alpha = np.zeros(img.shape[:2], np.float32)
        if lesion == "haemorrhage":
            color, opacity, soften = (168.0, 30.0, 20.0), 0.8, 2.5
            placed = 0
            while placed < 12:  # within a 16:9 macula view, off the fovea and the exudate ring
                cx, cy = fx + rng.uniform(-330, 330), fy + rng.uniform(-180, 180)
                if math.dist((cx, cy), (fx, fy)) < 90 or 50 < math.dist((cx, cy), EXUDATE_RING_XY) < 160:
                    continue
                placed += 1
                for _ in range(int(rng.integers(1, 4))):  # a blot is a few overlapping lobes
                    centre = (int(cx + rng.normal(0, 5)), int(cy + rng.normal(0, 5)))
                    axes = (int(rng.uniform(6, 16)), int(rng.uniform(5, 12)))
                    cv2.ellipse(alpha, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1.0, -1)
        elif lesion == "exudates":
            color, opacity, soften = (246.0, 222.0, 120.0), 0.9, 2.0
            ring_x, ring_y = EXUDATE_RING_XY  # circinate ring centred temporal to the fovea
            for _ in range(46):
                angle, radius = rng.uniform(-2.2, 2.2), rng.normal(105, 12)
                cx, cy = ring_x - radius * np.cos(angle), ring_y + radius * np.sin(angle)
                cv2.circle(alpha, (int(cx), int(cy)), int(rng.uniform(3, 8)), 1.0, -1)
        else:
            raise ValueError(f"unknown fundus lesion {lesion!r}")
        alpha = cv2.GaussianBlur(alpha, (0, 0), soften)[:, :, None] * opacity
        img = img * (1 - alpha) + np.asarray(color, np.float32) * alpha
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    """Gaussian-filtered white noise normalised to unit standard deviation."""
    noise = cv2.GaussianBlur(rng.standard_normal(shape).astype(np.float32), (0, 0), sigma)
    return noise / (noise.std() + 1e-6)


def _bump(x: np.ndarray, centre: float, width: float, height: float) -> np.ndarray:
    """A Gaussian bump profile over column coordinates ``x``."""
    return height * np.exp(-(((x - centre) / width) ** 2))


OCT_PATHOLOGIES = frozenset({"cysts", "drusen", "subretinal_fluid", "ped", "thin_rnfl"})


def oct_bscan(seed: int, finding: str = "normal", size: tuple[int, int] = (300, 640)) -> np.ndarray:
    """Draw a grayscale OCT-like macular B-scan (float image in [0, 1]).

    Layers are built column by column from boundary curves; a foveal pit thins
    the inner layers in the centre.  ``finding`` adds a pathology: ``cysts``,
    ``drusen``, ``subretinal_fluid``, ``ped`` or ``thin_rnfl``, or several joined
    by ``+`` (``cysts+subretinal_fluid+ped``), as one eye with wet macular
    degeneration shows them.  Drusen and a PED both lift the RPE right of the
    fovea, so they are refused together.  A single pathology draws exactly what
    it drew before combinations existed (no random draw depends on ``finding``).
    """
    parts = set(finding.split("+"))
    if not parts <= OCT_PATHOLOGIES | {"normal"} or ("normal" in parts and len(parts) > 1):
        raise ValueError(f"unknown OCT finding {finding!r}")
    if {"drusen", "ped"} <= parts:
        raise ValueError("drusen and a PED lift the same stretch of RPE; draw them on separate scans")
    rng = np.random.default_rng(seed)
    h, w = size
    x = np.arange(w, dtype=np.float32)
    xc = w / 2 + rng.uniform(-15, 15)
    curve = 28.0 * ((x - xc) / (w / 2)) ** 2 + 2.0 * _smooth_noise(rng, (1, w), 30)[0]
    pit_w = 55.0
    f = 1.0 - np.exp(-(((x - xc) / pit_w) ** 2))  # 0 at fovea, 1 away from it

    rpe_top = 205.0 - curve  # top of the retinal pigment epithelium
    bruch = rpe_top + 9.0  # Bruch's membrane (bottom of RPE)
    lift = np.zeros(w, np.float32)  # neurosensory retina displacement (up)
    rpe_lift = np.zeros(w, np.float32)  # RPE displacement (up)
    inner_scale = np.ones(w, np.float32)

    rnfl_scale = 1.0
    if "drusen" in parts:
        for cx, wd, ht in [
            (xc - 115, 15, 13),
            (xc - 45, 19, 17),
            (xc + 50, 14, 12),
            (xc + 125, 17, 15),
        ]:
            rpe_lift += _bump(x, cx, wd, ht)
    if "subretinal_fluid" in parts:
        lift += _bump(x, xc + 10, 70, 34)  # the IZ->RPE gap becomes dark fluid below
    if "ped" in parts:
        rpe_lift += 36.0 * np.exp(-(((x - (xc + 85)) / 52.0) ** 4))  # flat-topped dome
    if "cysts" in parts:
        inner_scale += _bump(x, xc, 90, 0.6)
    if "thin_rnfl" in parts:
        rnfl_scale = 0.25

    rpe_top_l = rpe_top - rpe_lift
    iz_bottom = rpe_top_l - lift  # photoreceptor interdigitation zone sits on the RPE
    iz_top = iz_bottom - 5
    ez_top = iz_top - 6  # ellipsoid zone
    myoid_top = ez_top - 9
    elm = myoid_top - 2
    # Inner retina thicknesses (pixels) scaled by distance from the fovea.
    rnfl = (9.0 + 9.0 * np.clip((xc - x) / (w / 2), 0, None)) * f * rnfl_scale + 1.0
    gcl = 13.0 * f * inner_scale
    ipl = 10.0 * f * inner_scale
    inl = 10.0 * f * inner_scale + (10.0 * _bump(x, xc, 80, 1.0) if "cysts" in parts else 0.0)
    opl = 7.0 * f * inner_scale + 1.0
    onl = 30.0 + 10.0 * (1 - f)
    if "drusen" in parts:  # drusen deform the outer retina; the inner surface stays smooth
        onl = onl - 0.8 * rpe_lift
    opl_bottom = elm - onl
    inl_bottom = opl_bottom - opl
    ipl_bottom = inl_bottom - inl
    gcl_bottom = ipl_bottom - ipl
    rnfl_bottom = gcl_bottom - gcl
    ilm = rnfl_bottom - rnfl

    layers: list[tuple[np.ndarray, float]] = [
        (ilm, 0.85),  # RNFL
        (rnfl_bottom, 0.42),  # GCL
        (gcl_bottom, 0.58),  # IPL
        (ipl_bottom, 0.22),  # INL
        (inl_bottom, 0.55),  # OPL
        (opl_bottom, 0.12),  # ONL
        (elm, 0.45),  # ELM
        (elm + 2, 0.18),  # myoid zone
        (ez_top, 0.82),  # ellipsoid zone
        (iz_top, 0.35),  # interdigitation zone
        (iz_bottom, 0.04 if "subretinal_fluid" in parts else 0.35),  # fluid under the retina
        (rpe_top_l, 0.95),  # RPE
        (rpe_top_l + 8, 0.30),  # sub-RPE: drusen material / PED space (overwritten below)
        (bruch, 0.9),  # Bruch's membrane
        (bruch + 2, 0.50),  # choroid
        (bruch + 75 - 0.3 * curve, 0.14),  # sclera
    ]
    yy = np.arange(h, dtype=np.float32)[:, None]
    img = np.full((h, w), 0.006, np.float32)  # vitreous
    for boundary, value in layers:
        img = np.where(yy >= boundary[None, :], value, img)
    if "ped" in parts:
        gap = (yy >= (rpe_top_l + 8)[None, :]) & (yy < bruch[None, :]) & (rpe_lift[None, :] > 1)
        img = np.where(gap, 0.05, img)
    if "drusen" in parts:
        gap = (yy >= (rpe_top_l + 8)[None, :]) & (yy < bruch[None, :]) & (rpe_lift[None, :] > 1)
        img = np.where(gap, 0.55, img)

    # Choroidal vessels: dark blobs in the choroid band.
    choroid = (yy >= (bruch + 4)[None, :]) & (yy < (bruch + 70)[None, :])
    vessels = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), sigmaX=7.0, sigmaY=3.0)
    vessels /= vessels.std() + 1e-6
    img = np.where(choroid & (vessels > 0.8), img * 0.35, img)

    if "cysts" in parts:
        for cx, cy_off, rx, ry in [
            (xc - 34, 0, 18, 12),
            (xc + 32, -2, 24, 15),
            (xc + 74, 2, 12, 8),
            (xc - 72, 1, 10, 7),
        ]:
            col = int(np.clip(cx, 0, w - 1))
            cy = (ipl_bottom[col] + opl_bottom[col]) / 2 + cy_off
            mask = np.zeros((h, w), np.uint8)
            cv2.ellipse(mask, (int(cx), int(cy)), (rx, ry), 0, 0, 360, 1, -1)
            img = np.where(mask > 0, 0.01, img)

    # Speckle: multiplicative gamma noise, then mild blur and log-like compression.
    speckle = rng.gamma(3.0, 1.0 / 3.0, size=(h, w)).astype(np.float32)
    img = cv2.GaussianBlur(img, (0, 0), 1.0) * speckle
    img = cv2.GaussianBlur(img, (0, 0), 0.7)
    img = np.log1p(6.0 * np.clip(img, 0, None)) / np.log1p(6.0)
    noise_floor = 0.06
    return np.clip((img - noise_floor) / (1.0 - noise_floor), 0.0, 1.0)


def render_oct(seed: int, finding: str = "normal", label: str = "OCT") -> np.ndarray:
    """OCT slide: the grayscale B-scan on black with a small label and scale bar."""
    scan = oct_bscan(seed, finding)
    gray = (scan * 255.0 + 0.5).astype(np.uint8)
    canvas = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    top = HEIGHT - gray.shape[0] - 10
    canvas[top : top + gray.shape[0], : gray.shape[1]] = gray[:, :, None]
    img = Image.fromarray(canvas)
    draw = ImageDraw.Draw(img)
    draw.text((14, 12), label, font=get_font(18), fill=(235, 235, 235))
    draw.line([(WIDTH - 120, HEIGHT - 22), (WIDTH - 40, HEIGHT - 22)], fill=(255, 255, 255), width=3)
    draw.text((WIDTH - 110, HEIGHT - 44), "200 um", font=get_font(14), fill=(255, 255, 255))
    return np.asarray(img)


def render_face(
    crop: tuple[int, int, int, int], tint: tuple[float, float, float] = (1.0, 1.0, 1.0)
) -> np.ndarray:
    """Presenter shot: a 16:9 crop of skimage's astronaut photo filling the frame."""
    x0, y0, x1, y1 = crop
    patch = skdata.astronaut()[y0:y1, x0:x1].astype(np.float32) * np.asarray(tint, np.float32)
    patch = np.clip(patch, 0, 255).astype(np.uint8)
    return letterbox(patch, fill=(20, 20, 24))


def norm_box(x0: float, y0: float, x1: float, y1: float) -> list[float]:
    """A pixel box as [x0, y0, x1, y1] in fractions of the frame's width and height."""
    return [round(x0 / WIDTH, 4), round(y0 / HEIGHT, 4), round(x1 / WIDTH, 4), round(y1 / HEIGHT, 4)]


def draw_banner(frame: np.ndarray, banner: Banner) -> tuple[np.ndarray, dict[str, Any]]:
    """Burn patient identifiers into a darkened strip; return the frame and its ground truth."""
    font, gap, pad, bar_h, margin = get_font(16), 22, 8, 26, 6
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    widths = [probe.textlength(text, font=font) for text in banner.fields]
    x0, x1 = margin, margin + math.ceil(sum(widths) + gap * (len(widths) - 1)) + 2 * pad
    y0 = margin if banner.position == "top" else HEIGHT - margin - bar_h
    if banner.position not in ("top", "bottom") or x1 > WIDTH - margin:
        raise ValueError(f"banner does not fit: {banner}")
    out = frame.copy()
    out[y0 : y0 + bar_h, x0:x1] = (out[y0 : y0 + bar_h, x0:x1].astype(np.uint16) * 3 // 10).astype(np.uint8)
    img = Image.fromarray(out)
    draw = ImageDraw.Draw(img)
    x = float(x0 + pad)
    for text, width in zip(banner.fields, widths, strict=True):
        draw.text((x, y0 + 4), text, font=font, fill=banner.color)
        x += width + gap
    truth = {"phi_text": list(banner.fields), "phi_box": norm_box(x0, y0, x1, y0 + bar_h)}
    return np.asarray(img), truth


def draw_webcam(frame: np.ndarray, cam: Webcam) -> tuple[np.ndarray, dict[str, Any]]:
    """Inset the presenter's face in a bottom corner; return the frame and its ground truth."""
    cx0, cy0, cx1, cy1 = cam.crop
    patch = skdata.astronaut()[cy0:cy1, cx0:cx1].astype(np.float32) * np.asarray(cam.tint, np.float32)
    scale = cam.width / (cx1 - cx0)
    height = round((cy1 - cy0) * scale)
    patch = cv2.resize(np.clip(patch, 0, 255).astype(np.uint8), (cam.width, height), cv2.INTER_AREA)
    margin, border = 10, 2
    if cam.corner not in ("left", "right"):
        raise ValueError(f"unknown webcam corner {cam.corner!r}")
    x0 = margin if cam.corner == "left" else WIDTH - margin - cam.width
    y0 = HEIGHT - margin - height
    out = frame.copy()
    out[y0 - border : y0 + height + border, x0 - border : x0 + cam.width + border] = (230, 230, 230)
    out[y0 : y0 + height, x0 : x0 + cam.width] = patch

    def in_frame(x: float, y: float) -> tuple[float, float]:  # astronaut pixel -> frame pixel
        return x0 + (x - cx0) * scale, y0 + (y - cy0) * scale

    fx0, fy0, fx1, fy1 = ASTRONAUT_FACE_BOX
    truth = {
        "webcam_inset": True,
        "face_box": norm_box(*in_frame(fx0, fy0), *in_frame(fx1, fy1)),
        "inset_box": norm_box(x0, y0, x0 + cam.width, y0 + height),
    }
    return out, truth


def render_anterior(**params: Any) -> np.ndarray:
    from eval.corpus.dev_anterior import render_anterior as draw  # late: that module imports this one

    return draw(**params)


def render_field(**params: Any) -> np.ndarray:
    from eval.corpus.dev_anterior import render_field as draw

    return draw(**params)


RENDERERS: dict[str, Callable[..., np.ndarray]] = {
    "title": render_title,
    "text": render_text,
    "fundus": render_fundus,
    "oct": render_oct,
    "face": render_face,
    "anterior": render_anterior,
    "field": render_field,
}


def render_scene(spec: SceneSpec) -> tuple[np.ndarray, dict[str, Any]]:
    """Render one slide to a (HEIGHT, WIDTH, 3) uint8 RGB frame, plus its overlays' ground truth."""
    frame = RENDERERS[spec.kind](**spec.params)
    if frame.shape != (HEIGHT, WIDTH, 3) or frame.dtype != np.uint8:
        raise AssertionError(f"{spec.kind} renderer returned {frame.shape} {frame.dtype}")
    truth: dict[str, Any] = {}
    if spec.findings is not None:
        truth["findings"] = list(spec.findings)
        if spec.kind in CLINICAL_KINDS:
            truth["normal"] = not spec.findings
    if spec.kind in STATED_MODALITY:
        truth["modality"] = STATED_MODALITY[spec.kind]
    if spec.banner is not None:
        frame, extra = draw_banner(frame, spec.banner)
        truth.update(extra)
    if spec.webcam is not None:
        frame, extra = draw_webcam(frame, spec.webcam)
        truth.update(extra)
    return np.ascontiguousarray(frame), truth


def scene_change_score(a: np.ndarray, b: np.ndarray) -> float:
    """Approximate ffmpeg's ``scene`` score between two RGB frames.

    ffmpeg's select filter sums absolute differences over all YUV420 planes and
    divides by the sample count and 100 (for a static previous frame the score
    reduces to this mean absolute difference).
    """
    ya = cv2.cvtColor(a, cv2.COLOR_RGB2YUV_I420).astype(np.int32)
    yb = cv2.cvtColor(b, cv2.COLOR_RGB2YUV_I420).astype(np.int32)
    return float(np.abs(ya - yb).mean() / 100.0)


# ---------------------------------------------------------------------------
# Speech synthesis and timeline
# ---------------------------------------------------------------------------


def read_wav_mono16(path: Path) -> np.ndarray:
    """Read a 16-bit mono WAV at SAMPLE_RATE into an int16 array."""
    with wave.open(str(path), "rb") as wav:
        if wav.getnchannels() != 1 or wav.getsampwidth() != 2 or wav.getframerate() != SAMPLE_RATE:
            raise RuntimeError(f"unexpected WAV format in {path}")
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16).copy()


def write_wav_mono16(path: Path, samples: np.ndarray) -> None:
    """Write int16 samples as a mono 16-bit WAV at SAMPLE_RATE."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(samples.astype(np.int16).tobytes())


def trim_silence(samples: np.ndarray) -> np.ndarray:
    """Drop leading/trailing near-silence from synthesised speech (keeping a small margin)."""
    loud = np.nonzero(np.abs(samples.astype(np.int32)) > SILENCE_THRESHOLD)[0]
    if loud.size == 0:
        raise RuntimeError("espeak-ng produced silence")
    margin = round(TRIM_MARGIN_S * SAMPLE_RATE)
    start = max(0, int(loud[0]) - margin)
    stop = min(samples.size, int(loud[-1]) + 1 + margin)
    return samples[start:stop]


def synthesize(text: str, workdir: Path, index: int) -> np.ndarray:
    """Speak one sentence with espeak-ng and return the trimmed int16 samples."""
    path = workdir / f"tts_{index:04d}.wav"
    cmd = ["espeak-ng", "-v", ESPEAK_VOICE, "-s", str(ESPEAK_SPEED), "-w", str(path), text]
    subprocess.run(cmd, check=True, capture_output=True)
    return trim_silence(read_wav_mono16(path))


def silence(seconds: float) -> np.ndarray:
    """``seconds`` of digital silence."""
    return np.zeros(round(seconds * SAMPLE_RATE), np.int16)


@dataclass
class Timeline:
    """Audio track plus exact scene/sentence timings (in samples)."""

    audio: list[np.ndarray] = field(default_factory=list)
    cursor: int = 0
    scenes: list[dict[str, Any]] = field(default_factory=list)

    def append(self, samples: np.ndarray) -> None:
        self.audio.append(samples)
        self.cursor += samples.size

    def samples(self) -> np.ndarray:
        return np.concatenate(self.audio) if self.audio else np.zeros(0, np.int16)


def seconds(n_samples: int) -> float:
    """Sample count to seconds, rounded to the millisecond."""
    return round(n_samples / SAMPLE_RATE, 3)


def build_timeline(lecture: LectureSpec, workdir: Path) -> Timeline:
    """Synthesise all narration and lay scenes out on a frame-aligned timeline."""
    tl = Timeline()
    counter = 0
    for index, spec in enumerate(lecture.scenes):
        scene_start = tl.cursor
        if index == 0:
            tl.append(silence(LEAD_IN_S))
        sentences = []
        for s_index, sentence in enumerate(spec.sentences):
            if s_index:
                tl.append(silence(SENTENCE_GAP_S))
            speech = synthesize(sentence.text, workdir, counter)
            counter += 1
            start = tl.cursor
            tl.append(speech)
            record = {
                "text": sentence.text,
                "start_s": seconds(start),
                "end_s": seconds(tl.cursor),
                "describes_image": sentence.describes_image,
            }
            if sentence.phi:
                record.update(phi_spoken=True, phi=list(sentence.phi))
            sentences.append(record)
        # Pad with at least SCENE_PAD_S of silence, ending on a frame boundary.
        padded_end = tl.cursor + round(SCENE_PAD_S * SAMPLE_RATE)
        scene_end = math.ceil(padded_end / FRAME_SAMPLES) * FRAME_SAMPLES
        tl.append(np.zeros(scene_end - tl.cursor, np.int16))
        tl.scenes.append(
            {
                "index": index,
                "start_s": seconds(scene_start),
                "end_s": seconds(scene_end),
                "kind": spec.kind,
                "clinical_image": spec.kind in CLINICAL_KINDS,
                "sentences": sentences,
                "_frames": (scene_end - scene_start) // FRAME_SAMPLES,
            }
        )
    return tl


# ---------------------------------------------------------------------------
# Encoding
# ---------------------------------------------------------------------------


def ffmpeg_command(audio_path: Path, out_path: Path, title: str) -> list[str]:
    """ffmpeg invocation that reads raw RGB frames on stdin and muxes them with ``audio_path``."""
    return [
        "ffmpeg", "-y", "-hide_banner", "-loglevel", "error",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{WIDTH}x{HEIGHT}", "-r", str(FPS), "-i", "pipe:0",
        "-i", str(audio_path),
        "-map", "0:v:0", "-map", "1:a:0", "-map_metadata", "-1",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "30", "-pix_fmt", "yuv420p", "-threads", "1",
        "-c:a", "aac", "-b:a", "64k", "-ac", "1", "-ar", str(SAMPLE_RATE),
        "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
        "-movflags", "+faststart+use_metadata_tags",
        "-metadata", f"title={title}",
        "-metadata", f"artist={ARTIST}",
        "-metadata", f"license={LICENSE}",
        "-metadata", f"copyright={COPYRIGHT}",
        str(out_path),
    ]  # fmt: skip


def encode_video(
    frames: list[np.ndarray], counts: list[int], audio_path: Path, out_path: Path, title: str
) -> None:
    """Encode ``counts[i]`` copies of ``frames[i]`` plus the audio track into an MP4."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            ffmpeg_command(audio_path, out_path, title), stdin=subprocess.PIPE, stderr=err
        )
        assert proc.stdin is not None
        try:
            for frame, count in zip(frames, counts, strict=True):
                data = frame.tobytes()
                for _ in range(count):
                    proc.stdin.write(data)
        finally:
            proc.stdin.close()
        rc = proc.wait()
        if rc != 0:
            err.seek(0)
            raise RuntimeError(f"ffmpeg failed ({rc}): {err.read().decode(errors='replace')}")


def probe_duration(path: Path) -> float:
    """Container duration reported by ffprobe, in seconds."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return round(float(json.loads(out)["format"]["duration"]), 3)


def detect_cuts(path: Path, threshold: float = SCENE_THRESHOLD) -> list[float]:
    """Timestamps of frames ffmpeg's scene detector flags (``select='gt(scene,T)'``)."""
    proc = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path),
         "-vf", f"select='gt(scene,{threshold})',showinfo", "-an", "-f", "null", "-"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return [float(m) for m in re.findall(r"pts_time:([0-9.]+)", proc.stderr)]


# ---------------------------------------------------------------------------
# Continuous footage and long slides
# ---------------------------------------------------------------------------
#
# Two more kinds of video, kept out of the ``videos`` lists (tests iterate over those and their expected
# figures would shift) and written under ``footage`` in ground_truth.json:
#
# * ``continuous``: a fundus examination filmed as one shot.  A virtual camera pans and zooms slowly across a
#   fundus photograph with drawn findings, dwelling on each finding while its narration plays; no hard cut
#   anywhere, slight blur while the camera moves and a slow change of illumination throughout.
# * ``long_slide``: one static slide (the whole photograph with its findings circled and numbered) shown for
#   over a minute while the findings are narrated in turn, with pauses between them.

PAN_S = 4.0  # camera move between two findings (frame-aligned: a whole number of frames)
FINDING_PAUSE_S = 2.0  # silence between two findings on a long slide
FOOTAGE_SENTENCE_GAP_S = 0.4
CONTINUITY_LIMIT = 0.2  # largest scene score allowed between consecutive footage frames (cuts need 0.3)
OPTIC_DISC_XY = (205, 650)  # centre of the optic disc in skimage.data.retina()


@dataclass(frozen=True)
class FindingSpan:
    """One finding of a footage video: where it is on the canvas, how much the camera shows, its narration."""

    finding: str
    center: tuple[int, int]  # canvas pixel at the centre of the view (and of the drawn finding)
    crop_width: int  # canvas pixels across the view while the camera dwells here
    sentences: tuple[Sentence, ...]
    drift: tuple[int, int] = (24, 10)  # slow camera drift over the dwell, canvas pixels


@dataclass(frozen=True)
class FootageSpec:
    """A continuous-footage or long-slide video over one fundus canvas."""

    file: str
    title: str
    kind: str  # "continuous" | "long_slide"
    lesion_seed: int
    spans: tuple[FindingSpan, ...]
    intro: tuple[Sentence, ...] = ()  # long slide: said before the first finding, about no finding
    markers: str = "123456"  # long slide: the label drawn next to each finding's circle
    tone: tuple[float, float] = (1.0, 1.0)  # gain, gamma of the whole canvas


def span(finding: str, center: tuple[int, int], crop_width: int, sentences: list[Sentence]) -> FindingSpan:
    return FindingSpan(finding, center, crop_width, tuple(sentences))


def footage_canvas(spec: FootageSpec) -> np.ndarray:
    """The retina photograph with every finding of ``spec`` drawn at its span's centre."""
    rng = np.random.default_rng(spec.lesion_seed)
    img = skdata.retina().astype(np.float32)
    for item in spec.spans:
        img = draw_finding(img, item.finding, item.center, rng)
    img = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    return adjust_tone(img, *spec.tone)


def _paint(
    img: np.ndarray, alpha: np.ndarray, color: tuple[float, float, float], soften: float
) -> np.ndarray:
    alpha = cv2.GaussianBlur(alpha, (0, 0), soften)[:, :, None]
    return img * (1 - alpha) + np.asarray(color, np.float32) * alpha


def draw_finding(
    img: np.ndarray, finding: str, center: tuple[int, int], rng: np.random.Generator
) -> np.ndarray:
    """Paint one finding around ``center`` (photograph pixels) on a float RGB image.

    Sizes are chosen to stay visible both in a close-up and in the whole photograph shown 360 pixels tall.
    """
    cx, cy = center
    alpha = np.zeros(img.shape[:2], np.float32)
    if finding == "cupping":  # an enlarged pale cup filling most of the disc
        cv2.ellipse(alpha, (cx + 8, cy - 4), (58, 66), 0, 0, 360, 0.85, -1)
        return _paint(img, alpha, (250.0, 236.0, 190.0), 9.0)
    if finding == "flame haemorrhages":  # streaks along the nerve fibres of the arcade
        for _ in range(9):
            x, y = cx + rng.uniform(-150, 150), cy + rng.uniform(-45, 45)
            angle = float(rng.uniform(-35, 35))
            axes = (int(rng.uniform(22, 38)), int(rng.uniform(6, 10)))
            cv2.ellipse(alpha, (int(x), int(y)), axes, angle, 0, 360, 0.9, -1)
        return _paint(img, alpha, (120.0, 18.0, 12.0), 2.5)
    if finding == "drusen":  # yellow dots scattered around the fovea
        for _ in range(34):
            r, a = abs(rng.normal(110, 45)), rng.uniform(0, 2 * np.pi)
            cv2.circle(
                alpha, (int(cx + r * np.cos(a)), int(cy + r * np.sin(a))), int(rng.uniform(7, 14)), 0.85, -1
            )
        return _paint(img, alpha, (236.0, 214.0, 120.0), 3.0)
    if finding == "cotton wool spots":  # fluffy white patches
        for _ in range(5):
            x, y = cx + rng.uniform(-140, 140), cy + rng.uniform(-60, 60)
            for _ in range(4):
                centre = (int(x + rng.normal(0, 9)), int(y + rng.normal(0, 7)))
                cv2.ellipse(alpha, centre, (int(rng.uniform(14, 24)), int(rng.uniform(9, 15))),
                            float(rng.uniform(0, 180)), 0, 360, 0.8, -1)  # fmt: skip
        return _paint(img, alpha, (246.0, 240.0, 226.0), 6.0)
    if finding == "hard exudates":  # a circinate ring of small bright yellow deposits
        for _ in range(60):
            angle, radius = rng.uniform(-2.4, 2.4), rng.normal(95, 10)
            x, y = cx - radius * np.cos(angle), cy + radius * np.sin(angle)
            cv2.circle(alpha, (int(x), int(y)), int(rng.uniform(5, 10)), 0.95, -1)
        return _paint(img, alpha, (250.0, 230.0, 110.0), 2.0)
    if finding == "blot haemorrhages":  # round dark red blots with a few microaneurysm dots
        for _ in range(10):
            x, y = cx + rng.uniform(-140, 140), cy + rng.uniform(-90, 90)
            cv2.circle(alpha, (int(x), int(y)), int(rng.uniform(10, 20)), 0.9, -1)
        for _ in range(16):
            x, y = cx + rng.uniform(-160, 160), cy + rng.uniform(-100, 100)
            cv2.circle(alpha, (int(x), int(y)), int(rng.uniform(3, 5)), 1.0, -1)
        return _paint(img, alpha, (110.0, 14.0, 12.0), 1.8)
    if finding == "new vessels":  # a tangle of fine loops on the disc
        for _ in range(14):
            x, y = cx + rng.uniform(-55, 55), cy + rng.uniform(-60, 60)
            cv2.ellipse(alpha, (int(x), int(y)), (int(rng.uniform(14, 30)), int(rng.uniform(8, 20))),
                        float(rng.uniform(0, 180)), 0, 300, 1.0, 3)  # fmt: skip
        return _paint(img, alpha, (150.0, 10.0, 20.0), 1.2)
    if finding == "laser scars":  # rows of pigmented rings with pale centres
        ring, core = np.zeros_like(alpha), np.zeros_like(alpha)
        for row in range(3):
            for col in range(5):
                x = int(cx - 160 + col * 80 + rng.normal(0, 6))
                y = int(cy - 70 + row * 70 + rng.normal(0, 6))
                cv2.circle(ring, (x, y), 24, 0.95, -1)
                cv2.circle(core, (x, y), 13, 0.9, -1)
        img = _paint(img, ring, (52.0, 34.0, 24.0), 2.0)
        return _paint(img, core, (232.0, 214.0, 180.0), 2.0)
    raise ValueError(f"unknown footage finding {finding!r}")


def _smoothstep(u: float) -> float:
    u = min(max(u, 0.0), 1.0)
    return u * u * (3 - 2 * u)


def camera_view(
    canvas: np.ndarray, cx: float, cy: float, width: float, gain: float, blur: float
) -> np.ndarray:
    """What a camera centred on canvas pixel (cx, cy), ``width`` canvas pixels across, sees (WIDTHxHEIGHT)."""
    s = width / WIDTH
    matrix = np.float32([[1 / s, 0, WIDTH / 2 - cx / s], [0, 1 / s, HEIGHT / 2 - cy / s]])
    flags = cv2.INTER_AREA if s > 1 else cv2.INTER_LINEAR
    view = cv2.warpAffine(canvas, matrix, (WIDTH, HEIGHT), flags=flags, borderValue=(0, 0, 0))
    if blur > 0.3:
        view = cv2.GaussianBlur(view, (0, 0), blur)
    return np.clip(view.astype(np.float32) * gain + 0.5, 0, 255).astype(np.uint8)


def camera_path(spec: FootageSpec, dwell_frames: list[int]) -> list[tuple[float, float, float, float]]:
    """Per-frame (cx, cy, width, blur): drift slowly while dwelling on a finding, glide (zooming out a little)
    between findings; blur grows with the camera's speed, as a real slit-lamp or fundus camera smears."""
    pan_frames = round(PAN_S * FPS)
    path: list[tuple[float, float, float]] = []
    for i, (item, n) in enumerate(zip(spec.spans, dwell_frames, strict=True)):
        (cx, cy), (dx, dy), w = item.center, item.drift, item.crop_width
        for k in range(n):
            u = k / max(n - 1, 1)
            path.append((cx - dx / 2 + dx * u, cy - dy / 2 + dy * u, w * (1.04 - 0.04 * u)))
        if i + 1 < len(spec.spans):
            nxt = spec.spans[i + 1]
            a = path[-1]
            b = (nxt.center[0] - nxt.drift[0] / 2, nxt.center[1] - nxt.drift[1] / 2, nxt.crop_width * 1.04)
            for k in range(1, pan_frames + 1):
                u = _smoothstep(k / (pan_frames + 1))
                zoom_out = 1.0 + 0.35 * math.sin(math.pi * k / (pan_frames + 1))
                path.append(
                    (
                        a[0] + (b[0] - a[0]) * u,
                        a[1] + (b[1] - a[1]) * u,
                        (a[2] + (b[2] - a[2]) * u) * zoom_out,
                    )
                )
    out = []
    for k, (cx, cy, w) in enumerate(path):
        px, py, _ = path[max(k - 1, 0)]
        speed = math.hypot(cx - px, cy - py) * WIDTH / w  # output pixels per frame
        out.append((cx, cy, w, min(1.6, speed / 12.0)))
    return out


def long_slide_frame(spec: FootageSpec, canvas: np.ndarray) -> tuple[np.ndarray, list[list[float]]]:
    """The whole photograph letterboxed, each finding circled and labelled; also the circles' boxes."""
    frame = letterbox(canvas)
    scale, x_off = HEIGHT / canvas.shape[0], (WIDTH - round(canvas.shape[1] * HEIGHT / canvas.shape[0])) / 2
    img = Image.fromarray(frame)
    draw = ImageDraw.Draw(img)
    boxes = []
    for item, label in zip(spec.spans, spec.markers, strict=False):
        x, y, r = x_off + item.center[0] * scale, item.center[1] * scale, item.crop_width * scale * 0.3
        draw.ellipse([x - r, y - r, x + r, y + r], outline=(255, 255, 255), width=2)
        draw.text((x + r * 0.75, y - r - 14), label, font=get_font(18), fill=(255, 255, 255))
        boxes.append(norm_box(x - r, y - r, x + r, y + r))
    return np.asarray(img), boxes


def _speak(sentence: Sentence, tl: Timeline, workdir: Path, extra: dict[str, Any]) -> dict[str, Any]:
    speech = synthesize(sentence.text, workdir, len(tl.audio))
    start = tl.cursor
    tl.append(speech)
    return {"text": sentence.text, "start_s": seconds(start), "end_s": seconds(tl.cursor),
            "describes_image": sentence.describes_image, **extra}  # fmt: skip


def _pad_to_frame(tl: Timeline, at_least_s: float) -> None:
    end = math.ceil((tl.cursor + round(at_least_s * SAMPLE_RATE)) / FRAME_SAMPLES) * FRAME_SAMPLES
    tl.append(np.zeros(end - tl.cursor, np.int16))


def build_footage_timeline(
    spec: FootageSpec, workdir: Path
) -> tuple[Timeline, list[dict[str, Any]], list[dict]]:
    """Narrate a footage video: intro, then, each finding's sentences, a pan or pause between findings.

    Returns the timeline, the spans (one per finding, from the camera settling on it to it leaving) and the
    intro sentences.  Every span starts and ends on a frame boundary.
    """
    tl = Timeline()
    tl.append(silence(LEAD_IN_S))
    intro = []
    for s_index, sentence in enumerate(spec.intro):
        if s_index:
            tl.append(silence(FOOTAGE_SENTENCE_GAP_S))
        intro.append(_speak(sentence, tl, workdir, {"finding": None, "span": None}))
    if intro:
        _pad_to_frame(tl, FINDING_PAUSE_S)
    spans = []
    for index, item in enumerate(spec.spans):
        start = tl.cursor
        if index:
            tl.append(silence(0.3))  # the camera has settled (or the pause ended) before the narrator speaks
        sentences = []
        for s_index, sentence in enumerate(item.sentences):
            if s_index:
                tl.append(silence(FOOTAGE_SENTENCE_GAP_S))
            sentences.append(_speak(sentence, tl, workdir, {"finding": item.finding, "span": index}))
        _pad_to_frame(tl, SCENE_PAD_S)
        spans.append({"index": index, "start_s": seconds(start), "end_s": seconds(tl.cursor),
                      "finding": item.finding, "sentences": sentences,
                      "_frames": (tl.cursor - start) // FRAME_SAMPLES})  # fmt: skip
        if index + 1 < len(spec.spans):
            gap = PAN_S if spec.kind == "continuous" else FINDING_PAUSE_S
            tl.append(silence(gap))  # PAN_S and FINDING_PAUSE_S are whole frames
    return tl, spans, intro


def encode_frames(frames: Any, audio_path: Path, out_path: Path, title: str) -> None:
    """Encode an iterable of distinct RGB frames (one video frame each) plus the audio track into an MP4."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            ffmpeg_command(audio_path, out_path, title), stdin=subprocess.PIPE, stderr=err
        )
        assert proc.stdin is not None
        try:
            for frame in frames:
                proc.stdin.write(np.ascontiguousarray(frame).tobytes())
        finally:
            proc.stdin.close()
        if proc.wait() != 0:
            err.seek(0)
            raise RuntimeError(f"ffmpeg failed: {err.read().decode(errors='replace')}")


def continuous_frames(
    spec: FootageSpec, canvas: np.ndarray, path: list[tuple[float, float, float, float]]
) -> Any:
    """Yield the camera's frames, refusing any pair of neighbours a scene-cut detector could call a cut."""
    previous = None
    for k, (cx, cy, w, blur) in enumerate(path):
        gain = 1.0 + 0.07 * math.sin(2 * math.pi * k / (FPS * 23.0))  # slow illumination change
        frame = camera_view(canvas, cx, cy, w, gain, blur)
        if previous is not None and (score := scene_change_score(previous, frame)) > CONTINUITY_LIMIT:
            raise RuntimeError(f"{spec.file}: frames {k - 1}->{k} jump (scene score {score:.3f})")
        previous = frame
        yield frame


def make_footage(spec: FootageSpec, out_dir: Path, workdir: Path) -> dict[str, Any]:
    """Render, narrate and encode one footage video; return its ground-truth record."""
    canvas = footage_canvas(spec)
    tl, spans, intro = build_footage_timeline(spec, workdir)
    audio_path = workdir / f"{Path(spec.file).stem}.wav"
    write_wav_mono16(audio_path, tl.samples())
    dwell = [s.pop("_frames") for s in spans]
    total_frames = tl.cursor // FRAME_SAMPLES
    out_path = out_dir / spec.file
    ch, cw = canvas.shape[:2]
    if spec.kind == "continuous":
        path = camera_path(spec, dwell)
        # Hold the first view over the lead-in (and an intro, if footage ever has one).
        lead = total_frames - len(path)
        path = [path[0]] * lead + path
        for record, item in zip(spans, spec.spans, strict=True):
            w, h = item.crop_width, item.crop_width * HEIGHT / WIDTH
            x, y = item.center
            record["region"] = [round((x - w / 2) / cw, 4), round((y - h / 2) / ch, 4),
                                round((x + w / 2) / cw, 4), round((y + h / 2) / ch, 4)]  # fmt: skip
        encode_frames(continuous_frames(spec, canvas, path), audio_path, out_path, spec.title)
        # A finding-to-finding boundary is the middle of the pan between them: the view changes gradually, so
        # a segmenter may put it anywhere in the pan (PAN_S long).
        boundaries = [
            round((a["end_s"] + b["start_s"]) / 2, 3) for a, b in zip(spans, spans[1:], strict=False)
        ]
    else:
        frame, boxes = long_slide_frame(spec, canvas)
        for record, box, label in zip(spans, boxes, spec.markers, strict=False):
            record.update(marker=label, finding_box=box)
        encode_video([frame], [total_frames], audio_path, out_path, spec.title)
        boundaries = []  # one static slide: nothing changes on screen
    return {
        "file": spec.file,
        "title": spec.title,
        "license": LICENSE,
        "kind": spec.kind,
        "duration_s": probe_duration(out_path),
        "clinical_image": True,
        "modality": "fundus",
        "finding_order": [s.finding for s in spec.spans],
        "boundaries_s": boundaries,
        "pan_s": PAN_S if spec.kind == "continuous" else 0.0,
        "intro": intro,
        "spans": spans,
    }


def demo_footage() -> list[FootageSpec]:
    """Demo set: a filmed fundus examination of a glaucoma-and-vascular case, and its long teaching slide."""
    spans = (
        span("cupping", OPTIC_DISC_XY, 430, [
            vis("We begin the examination at the optic disc."),
            vis("The pale central cup is enlarged and fills most of the disc."),
            vis("This degree of cupping suggests glaucomatous damage."),
            say("The patient is a sixty year old man with high blood pressure."),
        ]),
        span("flame haemorrhages", (610, 370), 500, [
            vis("Moving along the upper arcade, there are flame shaped haemorrhages."),
            vis("They are dark red streaks that follow the nerve fibres."),
            vis("Several of them lie close to the main vein."),
            say("Bleeding like this often follows a sudden rise in blood pressure."),
        ]),
        span("drusen", RETINA_FOVEA_XY, 470, [
            vis("Now we come to the macula."),
            vis("Many small yellow drusen are scattered around the fovea."),
            vis("Drusen are deposits that lie under the retina."),
            vis("The fovea itself still looks darker than its surroundings."),
        ]),
        span("cotton wool spots", (640, 1000), 500, [
            vis("Finally, below the macula, we see fluffy white cotton wool spots."),
            vis("They sit along the lower arcade near the vessels."),
            say("We will repeat the examination in three months."),
        ]),
    )  # fmt: skip
    slide_spans = (
        span("cupping", OPTIC_DISC_XY, 430, [
            vis("Finding number one is the optic disc on the left."),
            vis("Its cup is large and pale, a sign of glaucoma."),
            vis("Only a thin rim of pink tissue is left around the cup."),
            say("Always measure the eye pressure in such a patient."),
        ]),
        span("flame haemorrhages", (610, 370), 500, [
            vis("Number two marks the flame haemorrhages above the macula."),
            vis("These red streaks follow the course of the nerve fibres."),
            vis("They are typical of high blood pressure."),
        ]),
        span("drusen", RETINA_FOVEA_XY, 470, [
            vis("Number three is in the middle, at the macula."),
            vis("The yellow dots here are drusen."),
            vis("They cluster in a loose ring around the fovea."),
            say("Drusen become more common with age."),
        ]),
        span("cotton wool spots", (640, 1000), 500, [
            vis("Number four points to the cotton wool spots at the bottom."),
            vis("These white patches are small areas of swollen nerve fibres."),
            vis("They show that the retina is short of blood."),
            say("Such patients need their blood pressure checked the same day."),
        ]),
    )  # fmt: skip
    return [
        FootageSpec(
            "footage_fundus_exam.mp4", "Fundus Examination: A Walk Across the Retina", "continuous", 61, spans
        ),
        FootageSpec(
            "slide_fundus_findings.mp4", "One Fundus, Four Findings", "long_slide", 61, slide_spans,
            intro=(say("This slide shows one fundus photograph with four findings marked."),),
        ),
    ]  # fmt: skip


def heldout_footage() -> list[FootageSpec]:
    """Held-out set: a diabetic eye filmed and taught on its own wording, findings and route."""
    spans = (
        span("hard exudates", EXUDATE_RING_XY, 440, [
            vis("The camera starts just beside the fovea."),
            vis("A ring of bright yellow hard exudates surrounds a leaking area."),
            vis("Such a circinate pattern points to macular oedema."),
            say("Her visual acuity is six over eighteen."),
        ]),
        span("blot haemorrhages", (1000, 960), 450, [
            vis("Sliding down and outwards, we reach a cluster of blot haemorrhages."),
            vis("Tiny red dots between them are microaneurysms."),
            say("Her blood sugar has been poorly controlled for years."),
        ]),
        span("new vessels", OPTIC_DISC_XY, 380, [
            vis("Next, the view travels across to the optic nerve head."),
            vis("Fine abnormal loops of new vessels grow on the surface of the disc."),
            vis("New vessels at the disc mean proliferative disease."),
            vis("They bleed easily, so look for blood in front of the retina."),
        ]),
        span("laser scars", (1050, 380), 470, [
            vis("Last, in the upper outer periphery, there are rows of round laser scars."),
            vis("Each scar has a dark pigmented rim and a pale centre."),
            say("The laser was given at another hospital."),
        ]),
    )  # fmt: skip
    slide_spans = (
        span("new vessels", OPTIC_DISC_XY, 380, [
            vis("Look first at label A, on the optic nerve head."),
            vis("A tangle of fine new vessels covers the disc."),
            vis("The loops are thin and do not follow the normal vessel pattern."),
            say("This finding needs treatment within days."),
        ]),
        span("laser scars", (1050, 380), 470, [
            vis("Label B, at the top right, marks old laser scars."),
            vis("They are round, with dark rims, arranged in rows."),
            vis("They show where the periphery was treated before."),
        ]),
        span("hard exudates", EXUDATE_RING_XY, 440, [
            vis("Label C sits just to the right of the fovea."),
            vis("Yellow hard exudates form a partial ring there."),
            say("Exudates are fats left behind by leaking vessels."),
            vis("The ring opens towards the fovea."),
        ]),
        span("blot haemorrhages", (1000, 960), 450, [
            vis("Label D, lower right, shows blot haemorrhages."),
            vis("These dark red blots lie deep in the retina."),
            vis("Small dots around them are microaneurysms."),
            say("Counting these lesions helps to grade the retinopathy."),
        ]),
    )  # fmt: skip
    return [
        FootageSpec("heldout_footage_diabetic.mp4", "Filming a Diabetic Fundus", "continuous", 73, spans,
                    tone=(1.05, 0.95)),
        FootageSpec(
            "heldout_slide_diabetic.mp4", "Diabetic Eye Disease on One Slide", "long_slide", 73, slide_spans,
            intro=(say("Here is a single photograph from a diabetic clinic."),
                   say("Four findings on it are labelled with letters.")),
            markers="ABCD", tone=(1.05, 0.95),
        ),
    ]  # fmt: skip


def verify_footage(truth_path: Path) -> bool:
    """Check that ffmpeg's scene detector finds no cut in any footage video (they are one shot each)."""
    ok = True
    for video in json.loads(truth_path.read_text(encoding="utf-8")).get("footage", []):
        found = detect_cuts(truth_path.parent / video["file"])
        ok &= not found
        print(f"  {'OK  ' if not found else 'FAIL'} {video['file']}: expected no cut, found {found}")
    return ok


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------


def check_adjacent_scenes(lecture: LectureSpec, frames: list[np.ndarray]) -> None:
    """Fail if two adjacent slides are too similar for the scene-cut detector."""
    for i in range(1, len(frames)):
        score = scene_change_score(frames[i - 1], frames[i])
        if score < SCENE_MARGIN:
            raise RuntimeError(
                f"{lecture.file}: scenes {i - 1} ({lecture.scenes[i - 1].kind}) and {i} "
                f"({lecture.scenes[i].kind}) differ too little (score {score:.3f} < {SCENE_MARGIN})"
            )


def make_lecture(lecture: LectureSpec, out_dir: Path, workdir: Path) -> dict[str, Any]:
    """Render, narrate and encode one lecture; return its ground-truth record."""
    rendered = [render_scene(spec) for spec in lecture.scenes]
    frames = [frame for frame, _ in rendered]
    check_adjacent_scenes(lecture, frames)
    timeline = build_timeline(lecture, workdir)
    audio_path = workdir / f"{Path(lecture.file).stem}.wav"
    write_wav_mono16(audio_path, timeline.samples())
    counts = [s.pop("_frames") for s in timeline.scenes]
    for record, (_, extra) in zip(timeline.scenes, rendered, strict=True):
        record.update(extra)
    out_path = out_dir / lecture.file
    encode_video(frames, counts, audio_path, out_path, lecture.title)
    return {
        "file": lecture.file,
        "title": lecture.title,
        "license": LICENSE,
        "duration_s": probe_duration(out_path),
        "scenes": timeline.scenes,
    }


def make_set(
    name: str, lectures: list[LectureSpec], out_root: Path, footage: list[FootageSpec] | None = None
) -> Path:
    """Write one corpus set (videos + ground_truth.json) under ``out_root/name``.

    The footage videos go under their own ``footage`` key, after ``videos``, so the lecture entries (and
    every test iterating over them) stay as they were.
    """
    out_dir = out_root / name
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ophin_corpus_") as tmp:
        videos = [make_lecture(lecture, out_dir, Path(tmp)) for lecture in lectures]
        truth: dict[str, Any] = {"videos": videos}
        if footage:
            truth["footage"] = [make_footage(spec, out_dir, Path(tmp)) for spec in footage]
    truth_path = out_dir / "ground_truth.json"
    truth_path.write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return truth_path


def verify_set(truth_path: Path, tolerance_s: float = 0.2) -> bool:
    """Check that ffmpeg scene detection finds every ground-truth cut (and nothing else)."""
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    ok = True
    for video in truth["videos"]:
        expected = [s["start_s"] for s in video["scenes"][1:]]
        found = detect_cuts(truth_path.parent / video["file"])
        matched = len(found) == len(expected) and all(
            abs(a - b) <= tolerance_s for a, b in zip(found, expected, strict=True)
        )
        ok &= matched
        status = "OK  " if matched else "FAIL"
        print(f"  {status} {video['file']}: expected {expected} found {found}")
    return ok


def check_tools() -> None:
    """Exit with a clear message if the external tools are missing."""
    missing = [tool for tool in ("ffmpeg", "ffprobe", "espeak-ng") if shutil.which(tool) is None]
    if missing:
        sys.exit(f"error: required tool(s) not found on PATH: {', '.join(missing)}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(
            "Generate the OphIn Engine sample corpus: narrated synthetic ophthalmology lecture "
            "videos (demo/ and heldout/ sets) with per-scene and per-sentence ground truth."
        ),
        epilog="Needs ffmpeg/ffprobe (libx264, aac) and espeak-ng on PATH.",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent,
        help="output directory for the demo/ and heldout/ sets (default: eval/corpus in this repo)",
    )
    parser.add_argument(
        "--sets",
        nargs="+",
        choices=("demo", "heldout", "dev"),
        default=["demo", "heldout"],
        help="which sets to generate (default: demo and heldout; dev only when named)",
    )
    parser.add_argument(
        "--verify",
        action="store_true",
        help="afterwards, run ffmpeg scene detection and compare cuts with the ground truth",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    check_tools()
    builders = {"demo": demo_lectures, "heldout": heldout_lectures, "dev": dev_lectures}
    footage = {"demo": demo_footage, "heldout": heldout_footage, "dev": list}  # dev has no footage
    ok = True
    for name in args.sets:
        truth_path = make_set(name, builders[name](), args.out, footage[name]())
        print(f"wrote {truth_path}")
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        for video in truth["videos"]:
            size_kb = (truth_path.parent / video["file"]).stat().st_size / 1024
            n_scenes = len(video["scenes"])
            print(f"  {video['file']}: {video['duration_s']:.1f} s, {n_scenes} scenes, {size_kb:.0f} KiB")
        for video in truth.get("footage", []):
            size_kb = (truth_path.parent / video["file"]).stat().st_size / 1024
            n_spans = len(video["spans"])
            print(f"  {video['file']}: {video['duration_s']:.1f} s, {video['kind']}, {n_spans} findings, "
                  f"{size_kb:.0f} KiB")  # fmt: skip
        if args.verify:
            ok &= verify_set(truth_path)
            ok &= verify_footage(truth_path)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
