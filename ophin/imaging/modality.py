"""Which modality a frame shows, behind a protocol so a learned classifier can replace the rules.

The labels are the domain pack's (lexicon.json's frame_labels, clinical_frames, chart_frames). The classical
classifier is hand-made rules for ophthalmic images over measured features (clinical.measure's fractions plus
the shape of the bright field), each label a short product of cues a reviewer can recompute. Settings choose a
classifier by name (`image.classifier`); a learned one (a CLIP-style model on a GPU worker) registers a
factory under its own name with register_classifier() and is chosen the same way, the stage unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from ophin.domains.pack import current

_LEXICON = current().lexicon
LABELS: tuple[str, ...] = tuple(_LEXICON.frame_labels)  # the frame classifier's labels
CLINICAL_LABELS: tuple[str, ...] = tuple(_LEXICON.clinical_frames)  # frames kept by default
# Labels that are clinical although not photographs: the clinical score (photographic texture) misses them.
CHART_LABELS: tuple[str, ...] = tuple(_LEXICON.chart_frames)


@dataclass(frozen=True)
class Modality:
    label: str
    scores: dict[str, float] = field(default_factory=dict)  # every label, 0..1
    reason: str = ""


class ModalityClassifier(Protocol):
    name: str

    def classify(self, image_bgr: np.ndarray, features: Mapping[str, Any]) -> Modality:
        """features: clinical.measure's dict for this image, plus face_fraction and face_is_subject
        when faces were sought."""
        ...


class ClassicalModalityClassifier:
    """Rules: warm tissue in a round field on black, or with a vessel tree, or zoomed in (orange-red edge
    to edge, with relief) = fundus; greyscale horizontal
    layers = OCT; greyscale without layering in a round field or with vessels = angiography; a pupil
    ringed by coloured tissue = anterior segment (one large eye: slit lamp; small eyes in skin: external
    eye); a white page of printer dots = visual field; a face in the frame = non-clinical."""

    name = "classical"

    def classify(self, image_bgr: np.ndarray, features: Mapping[str, Any]) -> Modality:
        f = dict(features) | field_shape(image_bgr) | eye_shape(image_bgr) | printout_shape(image_bgr)
        f |= vessel_shape(image_bgr) | tissue_shape(image_bgr)
        scores = classical_scores(f)
        label = max(scores, key=lambda k: scores[k])
        return Modality(label, scores, _reason(label, f))


def classical_scores(f: Mapping[str, Any]) -> dict[str, float]:
    photo = float(f.get("photo_fraction", 0.0))
    text = float(f.get("text_fraction", 0.0))
    photo_cue = _clip(photo / 0.2)
    warm_share = float(f.get("warm_fraction", 0.0)) / max(photo, 1e-6)
    grey_share = float(f.get("grey_fraction", 0.0)) / max(photo, 1e-6)
    # A fundus is warm all over (warm share ~1); skin, wood and lit rooms are warm in half their pixels.
    warm, grey = _clip((warm_share - 0.5) / 0.4), _clip(grey_share / 0.7)
    skin = _clip(warm_share / 0.3) * (1 - warm)
    layered = _clip((float(f.get("horizontal_ratio", 0.5)) - 0.55) / 0.15)
    round_ = float(f.get("round_field", 0.0))
    surround = float(f.get("surround_fraction", 0.0))
    blown = _clip(float(f.get("blown_fraction", 0.0)) / 0.02)
    # A face that is the frame's subject (deid's rule); a webcam inset's face says nothing of the rest.
    face = 1.0 if f.get("face_is_subject") else 0.0
    text_share = text / (text + photo + 1e-6)
    no_face = 1 - face
    # A fundus has a fundus's shape: a round field on a dark surround (the camera's mask), or, zoomed past
    # the mask, a vessel tree (long thin dark lines making up most of the dark detail). Warm colour alone
    # is skin, wood, fur and coffee.
    vessels = _clip(float(f.get("vessel_fraction", 0.0)) / 0.04) * _clip(
        (float(f.get("vessel_purity", 0.0)) - 0.45) / 0.25
    )
    # Past the mask the retina is orange-red edge to edge: nearly every pixel in the narrow fundus hue
    # band. Natural warm photographs span hues (a cat's grey fur, a white cup, sky, a flag: band share
    # 0.40-0.86 on the skimage photos, >= 0.93 on zoomed fundi), so the hue band gates both cues that
    # stand in for the mask: the vessel tree (a cup's rim and coffee's swirls read as dark lines) and the
    # tissue's relief (a macula close-up shows no vessel, only the macula's shadow, disc and lesions; an
    # orange wall or noise field has no relief). See tissue_shape.
    hue_band = _clip((float(f.get("tissue_band", 0.0)) - 0.87) / 0.08)
    relief = _clip((float(f.get("tissue_relief", 0.0)) - 2.5) / 3.0)
    # A clear vessel tree counts at 0.65 weight even outside the band: a disc view's pale disc and yellow
    # rim take it under the band (demo footage at the disc: band 0.89, vessels 4 %, purity 0.66), and losing
    # a fundus view costs more than calling a warm photograph with dark swirls (coffee) a fundus.
    fundus_shape = max(round_, hue_band * max(vessels, relief), 0.65 * vessels)
    # A grey photograph is a scan only with a scan's shape: layers (OCT) or a round camera field
    # (angiography). camera() is grey, unlayered and square: a full-frame angiogram crop reads the same,
    # which is where a learned classifier has to take over.
    scan = grey * max(layered, round_, vessels)
    # An eye seen from the front: a round dark pupil inside coloured tissue (not a grey scan's dark spot).
    # Or its iris, found by the limbus where the pupil is not dark (a cataract, a pupil lost in the iris);
    # a pupil is about a ninth of its iris's area.
    limbus = float(f.get("limbus_fraction", 0.0))
    pupil = max(_clip(float(f.get("pupil_fraction", 0.0)) / 0.001), _clip(limbus / 0.01)) * (1 - grey)
    sclera = _clip(float(f.get("sclera_fraction", 0.0)) / 0.05)
    eye_size = max(float(f.get("pupil_fraction", 0.0)), limbus / 9)
    small_eyes = 1.0 if eye_size < 0.006 or f.get("pupils", 0) >= 2 else 0.0
    anterior = pupil * (0.6 + 0.4 * sclera)
    printout = _clip((float(f.get("paper_fraction", 0.0)) - 0.5) / 0.2) * _clip(
        float(f.get("dot_density", 0.0)) / 60
    )
    scores = {
        "colour_fundus": photo_cue * warm * fundus_shape * (1 - 0.6 * blown) * (1 - anterior) * no_face,
        "oct": photo_cue * grey * layered * no_face,
        # A grey fundus: its round field, or its vessel tree where the crop lost the mask.
        "angiography": photo_cue * grey * (1 - layered) * (0.35 + 0.65 * max(round_, vessels)) * no_face,
        # One large eye (an anterior segment in a dark room or under diffuse light), not a round camera field.
        "slit_lamp": max(
            0.7 * _clip((surround - 0.3) / 0.3) * (1 - round_) * max(warm, 0.5),
            anterior * (1 - small_eyes) * (1 - 0.5 * round_),
        )
        * photo_cue
        * no_face,
        "external_eye": max(0.6 * skin * (1 - pupil), anterior * small_eyes) * photo_cue * no_face,
        # An operating field lit hard (instruments, reflexes): a fundus photograph's pale disc can blow a
        # few pixels too, so the fundus reading keeps the label unless the glare is broad.
        "surgical_microscope": photo_cue
        * warm
        * round_
        * blown
        * (1 - anterior)
        * no_face
        * _clip(float(f.get("blown_fraction", 0.0)) / 0.05),
        "visual_field": printout * no_face,
        "diagram_or_slide": max(1 - photo_cue, text_share) * (1 - printout),
        "non_clinical": max(face, photo_cue * (1 - max(warm * fundus_shape, scan, 0.6 * skin, anterior))),
    }
    return {k: round(float(v), 4) for k, v in scores.items()}


def field_shape(image_bgr: np.ndarray) -> dict[str, float]:
    """round_field: 1 when the content is a disc on a dark border-connected surround (a fundus camera's
    mask, a microscope's field stop); blown_fraction: specular highlights (instruments, reflexes)."""
    import cv2

    from ophin.imaging.scores import dark_surround

    luma = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
    surround = dark_surround(luma)
    content = (~surround).astype(np.uint8)
    share = float(surround.mean())
    round_ = 0.0
    if 0.08 <= share <= 0.8:
        contours, _ = cv2.findContours(content, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        big = max(contours, key=cv2.contourArea)
        (_, _), r = cv2.minEnclosingCircle(big)
        round_ = _clip((cv2.contourArea(big) / (np.pi * r * r + 1e-6) - 0.6) / 0.3)
    return {"round_field": round(round_, 4), "surround_fraction": round(share, 4),
            "blown_fraction": round(float((luma >= 250).mean()), 4)}  # fmt: skip


def vessel_shape(image_bgr: np.ndarray) -> dict[str, float]:
    """vessel_fraction: share of the content in long thin dark lines of the green channel (a black top-hat
    narrower than 5 % of the short side: retinal vessels, which are darker than the tissue in every
    fundus and red-free view); vessel_purity: those lines' share of all the dark thin detail, high where
    the dark detail is a vessel tree, low where it is texture, edges of objects, hair or fabric."""
    import cv2

    h0, w0 = image_bgr.shape[:2]
    s = min(1.0, 320 / max(h0, w0))
    im = cv2.resize(image_bgr, (max(1, round(w0 * s)), max(1, round(h0 * s))), interpolation=cv2.INTER_AREA)
    green = im[..., 1] if im.ndim == 3 else im
    luma = cv2.cvtColor(im, cv2.COLOR_BGR2GRAY) if im.ndim == 3 else im
    content = cv2.erode((luma > 12).astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    side = min(im.shape[:2])
    k = max(5, round(side * 0.05)) | 1
    hat = cv2.morphologyEx(cv2.GaussianBlur(green, (0, 0), 1.0), cv2.MORPH_BLACKHAT,
                           cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))  # fmt: skip
    line = (hat > 10) & content  # 10 grey levels: a vessel's depth; sensor grain stays under it
    n, _, st, _ = cv2.connectedComponentsWithStats(line.astype(np.uint8), connectivity=8)
    diag = np.hypot(st[1:, 2], st[1:, 3])
    thin = (diag >= 0.08 * side) & (st[1:, 4] <= diag * (0.08 * diag + 3))  # long, and about a line's area
    kept, total, area = float(st[1:, 4][thin].sum()), float(line.sum()), float(max(1, content.sum()))
    return {"vessel_fraction": round(kept / area, 4), "vessel_purity": round(kept / max(total, 1.0), 4)}


def tissue_shape(image_bgr: np.ndarray) -> dict[str, float]:
    """tissue_band: share of the lit, non-white pixels in the fundus hue band (OpenCV hue <= 20 or >= 170,
    saturated: retina, choroid and vessels are all orange-red; a white cup, grey fur, sky or green leave it);
    tissue_relief: grey-level std of the frame blurred at 4 % of its short side (the macula's shadow,
    the disc, lesions and vignetting) about the plane that fits it best, near 0 on a uniformly coloured or
    merely grainy field and on a slide's linear colour gradient."""
    import cv2

    h0, w0 = image_bgr.shape[:2]
    if image_bgr.ndim == 2:
        return {"tissue_band": 0.0, "tissue_relief": 0.0}
    s = min(1.0, 320 / max(h0, w0))
    im = cv2.resize(image_bgr, (max(1, round(w0 * s)), max(1, round(h0 * s))), interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(im, cv2.COLOR_BGR2HSV)
    hue, sat, val = hsv[..., 0], hsv[..., 1] / 255.0, hsv[..., 2] / 255.0
    # Paper white is left out of the share: a fundus drawing pasted on a light slide is still all fundus.
    lit = (val > 0.1) & ~((sat < 0.15) & (val > 0.85))
    if not lit.any():
        return {"tissue_band": 0.0, "tissue_relief": 0.0}
    band = ((hue <= 20) | (hue >= 170)) & (sat > 0.35) & (val > 0.2) & lit
    gray = cv2.cvtColor(im, cv2.COLOR_BGR2GRAY).astype(np.float32)
    gray[~lit] = float(np.median(gray[lit]))  # white text or paper is no relief of the tissue
    relief = cv2.GaussianBlur(gray, (0, 0), max(1.0, min(gray.shape) * 0.04))
    # A slide's colour gradient is relief with no feature in it: what a plane explains is left out.
    yy, xx = np.nonzero(lit)
    plane = np.column_stack([np.ones(len(xx)), xx, yy]).astype(np.float32)
    coef, *_ = np.linalg.lstsq(plane, relief[lit], rcond=None)
    return {"tissue_band": round(float(band.sum() / lit.sum()), 4),
            "tissue_relief": round(float((relief[lit] - plane @ coef).std()), 2)}  # fmt: skip


def eye_shape(image_bgr: np.ndarray) -> dict[str, float]:
    """pupil_fraction: the largest dark round blob enclosed by lighter tissue (not the border-connected
    surround), 0.08-12 % of the frame, as its share; pupils: how many; sclera_fraction: bright unsaturated
    pixels (the white of the eye; also paper and glare, so only a helper)."""
    import cv2

    h0, w0 = image_bgr.shape[:2]
    s = min(1.0, 320 / max(h0, w0))
    im = cv2.resize(image_bgr, (max(1, round(w0 * s)), max(1, round(h0 * s))), interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(im, cv2.COLOR_BGR2HSV)
    sat, val = hsv[..., 1] / 255.0, hsv[..., 2] / 255.0
    dark = (val < 0.16).astype(np.uint8)
    n, _, st, cen = cv2.connectedComponentsWithStats(dark, connectivity=8)
    h, w = dark.shape
    pupils = []
    for i in range(1, n):
        x, y, bw, bh, area = (int(v) for v in st[i])
        r = max(bw, bh) / 2
        if x == 0 or y == 0 or x + bw >= w or y + bh >= h or not 0.0008 <= area / (h * w) <= 0.12:
            continue
        if not 0.6 <= bw / max(bh, 1) <= 1.6 or area / (np.pi * r * r) < 0.6:
            continue
        ring = np.zeros_like(dark)  # lighter tissue all round, about a pupil's radius out
        cv2.circle(ring, (int(cen[i][0]), int(cen[i][1])), int(r * 2.2) + 1, 1, max(1, int(r * 0.6)))
        if ring.any() and float(val[ring > 0].mean()) > 0.25:
            pupils.append(area / (h * w))
    white = (val > 0.62) & (sat < 0.22)
    # An injected (red) eye's sclera is pink: pale and lit, if no longer white.
    pale = (val > 0.6) & (sat < 0.38)
    return {"pupil_fraction": round(max(pupils, default=0.0), 5), "pupils": len(pupils),
            "sclera_fraction": round(float(white.mean()), 4),
            "limbus_fraction": round(_limbus(im, val, pale), 5)}  # fmt: skip


def _limbus(im: np.ndarray, val: np.ndarray, pale: np.ndarray) -> float:
    """The share of the frame inside the largest iris found by its limbus: a round disc darker than the
    pale tissue flanking it on both sides (the sclera, white or injected), 8-45 % of the short side across.
    It finds the eye where the pupil is not dark: a white cataract, a hypopyon, a pupil lost in a dark iris.
    Centres come from circles of any size (the pupil is often the strongest); about each, a radius is a
    limbus where the ring inside it (the iris) is not pale, the tissue just outside is pale on both sides,
    and the disc is darker than that tissue."""
    import cv2

    h, w = val.shape
    side = min(h, w)
    grey = cv2.GaussianBlur(cv2.cvtColor(im, cv2.COLOR_BGR2GRAY), (0, 0), 1.5)
    circles = cv2.HoughCircles(grey, cv2.HOUGH_GRADIENT, dp=1.5, minDist=side / 8, param1=90, param2=28,
                               minRadius=round(side * 0.04), maxRadius=round(side * 0.45))  # fmt: skip
    yy, xx = np.mgrid[0:h, 0:w]
    best = 0.0
    for cx, cy, _ in circles[0][:6] if circles is not None else ():
        d = np.hypot(xx - cx, yy - cy)
        level = np.abs(yy - cy) < 0.5 * d  # the sectors left and right of the centre
        sides = (level & (xx < cx), level & (xx > cx))
        for r in np.linspace(side * 0.08, side * 0.45, 24):
            flanks = [s & (d > 1.1 * r) & (d < 1.4 * r) for s in sides]
            rim = (d > 0.7 * r) & (d < 0.95 * r)
            if not all(f.sum() > 0.05 * r * r for f in flanks) or not rim.any():
                continue
            if min(float(pale[f].mean()) for f in flanks) < 0.5 or float(pale[rim].mean()) > 0.3:
                continue
            if float(val[d < 0.95 * r].mean()) <= min(float(val[f].mean()) for f in flanks) - 0.15:
                best = max(best, float(np.pi * r * r / (h * w)))
    return best


def printout_shape(image_bgr: np.ndarray) -> dict[str, float]:
    """paper_fraction: white page; dot_density: isolated printer dots (<= 6 px at 720 px) per 10,000 px,
    the dither a perimeter prints its grey-scale plot with (letters and line art are larger strokes)."""
    import cv2

    g = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY) if image_bgr.ndim == 3 else image_bgr
    h0, w0 = g.shape
    s = min(1.0, 720 / max(h0, w0))
    g = cv2.resize(g, (max(1, round(w0 * s)), max(1, round(h0 * s))), interpolation=cv2.INTER_AREA)
    ink = (g < 110).astype(np.uint8)
    _, _, st, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    dots = int((st[1:, 4] <= 6).sum())
    return {
        "paper_fraction": round(float((g > 200).mean()), 4),
        "dot_density": round(dots / (g.size / 1e4), 2),
    }


def _reason(label: str, f: Mapping[str, Any]) -> str:
    photo = float(f.get("photo_fraction", 0.0))
    cues = (
        f"photo {photo:.0%}, warm {f.get('warm_fraction', 0):.0%}, grey {f.get('grey_fraction', 0):.0%}, "
        f"layering {f.get('horizontal_ratio', 0.5):.2f}, round field {f.get('round_field', 0):.2f}, "
        f"text {f.get('text_fraction', 0):.0%}"
    )
    if f.get("vessel_fraction"):
        cues += f", vessels {f['vessel_fraction']:.1%} (purity {f.get('vessel_purity', 0):.2f})"
    if f.get("tissue_band"):
        cues += f", fundus hue band {f['tissue_band']:.0%} (relief {f.get('tissue_relief', 0):.1f})"
    if f.get("pupil_fraction"):
        pupils, sclera = f.get("pupils", 0), f.get("sclera_fraction", 0)
        cues += f", pupil {f['pupil_fraction']:.1%} ({pupils}), sclera {sclera:.0%}"
    if f.get("limbus_fraction"):
        cues += f", iris in sclera {f['limbus_fraction']:.1%}"
    if f.get("dot_density", 0) > 10:
        cues += f", paper {f.get('paper_fraction', 0):.0%}, printer dots {f['dot_density']:.0f}/10k px"
    if f.get("face_is_subject"):
        cues += f", face {f['face_fraction']:.0%}"
    return f"{label}: {cues}"


_REGISTRY: dict[str, Callable[[], ModalityClassifier]] = {"classical": ClassicalModalityClassifier}


def register_classifier(name: str, factory: Callable[[], ModalityClassifier]) -> None:
    """Make a classifier choosable by settings (`OPHIN_IMAGE__CLASSIFIER=<name>`)."""
    _REGISTRY[name] = factory


def get_classifier(name: str) -> ModalityClassifier:
    try:
        return _REGISTRY[name]()
    except KeyError:
        raise ValueError(
            f"unknown modality classifier {name!r}; known: {', '.join(sorted(_REGISTRY))}"
        ) from None


def _clip(x: float) -> float:
    return float(min(1.0, max(0.0, x)))
