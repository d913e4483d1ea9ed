"""How much a frame looks like a clinical image (fundus, OCT, slit lamp) rather than a slide or title card.

Measured, not learned: every feature is a fraction of the frame or a ratio a reviewer can check, and the
score is a short formula over them. A frame is scored as a whole; faces are de-identification's business.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ophin.adapters.ocr import OcrWord


@dataclass(frozen=True)
class ClinicalParams:
    threshold: float = 0.5  # is_clinical when score >= threshold
    work_side: int = 320  # long side the frame is measured at: enough for regions, cheap
    flat_std: float = 2.0  # grey-level std in 5x5 below which a pixel is flat (slide fill, black surround)
    flat_noise_ratio: float = 1.6  # ... or below this multiple of the frame's noise floor (noisy recordings)
    flat_std_max: float = 6.0
    dark_value: float = 0.10  # HSV value below which a pixel is background black
    # Slide text and line art are two-tone: high local contrast, pixels at one of two levels. Photographs
    # (fundus, OCT speckle, skin) fill the range in between. Catches text that OCR missed.
    graphic_contrast: float = 60.0
    graphic_two_tone: float = 0.12
    photo_full: float = 0.20  # photographic area (fraction of the frame) that counts fully
    warm_full: float = 0.15  # warm textured tissue (fundus, iris, conjunctiva, lids) that counts fully
    grey_full: float = 0.20  # greyscale textured image (OCT, angiography, autofluorescence) that counts fully
    # A photograph with no clinical colour or layering cue tops out at photo_weight, below threshold:
    # "photographic" alone does not make a frame clinical, a fundus-like or greyscale-scan cue must too.
    photo_weight: float = 0.45
    grey_base: float = (
        0.6  # a flat-layered greyscale photo's modality credit; horizontal layering adds the rest
    )
    text_penalty: float = 0.5  # score multiplier lost when text covers as much as the photograph does, x2


@dataclass(frozen=True)
class ClinicalScore:
    score: float  # 0..1
    is_clinical: bool
    reason: str
    features: dict[str, Any] = field(default_factory=dict)


def clinical_score(
    image_bgr: np.ndarray, ocr_words: Sequence[OcrWord] | None, params: ClinicalParams | None = None
) -> ClinicalScore:
    p = params or ClinicalParams()
    f = measure(image_bgr, ocr_words or (), p)
    photo = _clip(f["photo_fraction"] / p.photo_full)
    warm = _clip(f["warm_fraction"] / p.warm_full)
    layered = _clip((f["horizontal_ratio"] - 0.55) / 0.15)  # isotropic texture reads 0.5; OCT layers ~0.8
    grey = _clip(f["grey_fraction"] / p.grey_full) * (p.grey_base + (1 - p.grey_base) * layered)
    modality = max(warm, grey)
    text_share = f["text_fraction"] / (f["text_fraction"] + f["photo_fraction"] + 1e-6)
    score = (p.photo_weight * photo + (1 - p.photo_weight) * modality) * (1 - p.text_penalty * text_share)
    score = round(_clip(score), 4)
    f |= {"warm_cue": warm, "grey_cue": grey, "layered_cue": layered, "text_share": text_share}
    features = {k: round(float(v), 4) if isinstance(v, float) else v for k, v in f.items()}
    return ClinicalScore(score, score >= p.threshold, _reason(score >= p.threshold, features), features)


def photographic_mask(
    image_bgr: np.ndarray, ocr_words: Sequence[OcrWord], p: ClinicalParams | None = None
) -> tuple[np.ndarray, float]:
    """The photographic-region mask measure() counts, at p.work_side, and the scale it was measured at
    (refinement crops a slide to the mask's largest component)."""
    m = _masks(image_bgr, ocr_words, p or ClinicalParams())
    return m["photo"], m["scale"]


def measure(image_bgr: np.ndarray, ocr_words: Sequence[OcrWord], p: ClinicalParams) -> dict[str, Any]:
    """Fractions of the frame, each in 0..1, measured at p.work_side."""
    import cv2

    m = _masks(image_bgr, ocr_words, p)
    im, gray, hue, sat, val = m["im"], m["gray"], m["hue"], m["sat"], m["val"]
    text, flat, dark, graphic, photo = m["text"], m["flat"], m["dark"], m["graphic"], m["photo"]
    noise = m["noise"]

    # OpenCV hue is 0..180: reds and oranges sit at both ends.
    warm = ((hue <= 25) | (hue >= 165)) & (sat > 0.35) & (val > 0.2) & photo
    grey = (sat < 0.12) & photo
    smooth = cv2.GaussianBlur(gray, (0, 0), 2)
    gx = np.abs(cv2.Sobel(smooth, cv2.CV_32F, 1, 0))[photo]
    gy = np.abs(cv2.Sobel(smooth, cv2.CV_32F, 0, 1))[photo]
    horizontal = float((gy.sum() + 1) / (gx.sum() + gy.sum() + 2)) if photo.any() else 0.5
    edges = cv2.Canny(im, 60, 150) > 0
    return {
        "noise_floor": noise,
        "text_fraction": float(text.mean()),
        "text_words": len(ocr_words),
        "photo_fraction": float(photo.mean()),
        "flat_fraction": float((flat & ~dark).mean()),
        "dark_fraction": float(dark.mean()),
        "graphic_fraction": float(graphic.mean()),
        "warm_fraction": float(warm.mean()),
        "grey_fraction": float(grey.mean()),
        "horizontal_ratio": horizontal,
        "edge_density": float((edges & photo).sum() / max(1, photo.sum())),
        "saturation": float(sat[photo].mean()) if photo.any() else 0.0,
    }


def _masks(image_bgr: np.ndarray, ocr_words: Sequence[OcrWord], p: ClinicalParams) -> dict[str, Any]:
    import cv2

    if image_bgr.ndim == 2:
        image_bgr = cv2.cvtColor(image_bgr, cv2.COLOR_GRAY2BGR)
    h0, w0 = image_bgr.shape[:2]
    s = min(1.0, p.work_side / max(h0, w0))
    im = cv2.resize(image_bgr, (max(1, round(w0 * s)), max(1, round(h0 * s))), interpolation=cv2.INTER_AREA)
    gray = cv2.cvtColor(im, cv2.COLOR_BGR2GRAY).astype(np.float32)
    hsv = cv2.cvtColor(im, cv2.COLOR_BGR2HSV)
    hue, sat, val = hsv[..., 0], hsv[..., 1] / 255.0, hsv[..., 2] / 255.0

    text = _text_mask(gray.shape, ocr_words, s)
    near_text = cv2.dilate(text.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    mean = cv2.blur(gray, (5, 5))
    std = np.sqrt(np.maximum(cv2.blur(gray * gray, (5, 5)) - mean * mean, 0))
    # Filmed or re-encoded slides carry noise: a fill is flat relative to the frame's own floor, the local
    # std most of a slide sits at. The quartile, not the median, so a photograph's texture cannot lift it.
    noise = float(np.percentile(std, 25))
    flat = std < min(p.flat_std_max, max(p.flat_std, p.flat_noise_ratio * noise))
    dark = val < p.dark_value
    graphic = _graphic_mask(gray, p)
    textured = ~flat & ~dark & ~near_text & ~graphic
    # Close fills the smooth patches inside a photograph; open drops thin leftovers (rules, bullets).
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))
    photo = cv2.morphologyEx(textured.astype(np.uint8), cv2.MORPH_CLOSE, k)
    photo = cv2.morphologyEx(photo, cv2.MORPH_OPEN, k).astype(bool) & ~near_text
    # A round field on a dark surround (fundus camera, angiogram) is tissue edge to edge: its smooth
    # periphery and macula read flat, yet the whole disc is the photograph (not text, not line art).
    disc = _round_field(im)
    if disc is not None:
        photo |= disc & ~dark & ~near_text & ~graphic
    # Zoomed past the mask (a macula close-up, out of focus) the retina is smooth orange-red edge to edge:
    # the same tissue, read as photograph when the fundus hue band fills the frame and has relief.
    elif _retina_edge_to_edge(im):
        photo |= ~dark & ~near_text & ~graphic
    arrays = {"im": im, "gray": gray, "hue": hue, "sat": sat, "val": val, "text": text, "flat": flat}
    return arrays | {"dark": dark, "graphic": graphic, "photo": photo, "noise": noise, "scale": s}


def _round_field(im: np.ndarray) -> np.ndarray | None:
    """The disc of a round field on a dark surround (field.field_circle), as a mask, or None."""
    import cv2

    from ophin.imaging.field import field_circle

    circle = field_circle(im)
    if circle is None:
        return None
    disc = np.zeros(im.shape[:2], np.uint8)
    cv2.circle(disc, circle[:2], circle[2], 1, -1)
    return disc.astype(bool)


def _retina_edge_to_edge(im: np.ndarray) -> bool:
    """modality.tissue_shape's fundus hue band over >= 90 % of the frame with relief (std >= 4 grey
    levels at the macula's scale): an orange fill or grainy wall has none. The band's share there leaves
    paper white out, so the frame must also be near free of white (a slide's page is not retina)."""
    import cv2

    from ophin.imaging.modality import tissue_shape

    hsv = cv2.cvtColor(im, cv2.COLOR_BGR2HSV)
    white = float(((hsv[..., 1] < 38) & (hsv[..., 2] > 216)).mean())
    t = tissue_shape(im)
    return white < 0.05 and t["tissue_band"] >= 0.9 and t["tissue_relief"] >= 4.0


def _text_mask(shape: tuple[int, ...], words: Sequence[OcrWord], s: float) -> np.ndarray:
    mask = np.zeros(shape[:2], bool)
    for word in words:
        x, y, w, h = word.box
        mask[int(y * s) : int((y + h) * s) + 1, int(x * s) : int((x + w) * s) + 1] = True
    return mask


def _graphic_mask(gray: np.ndarray, p: ClinicalParams) -> np.ndarray:
    """Pixels of high-contrast two-tone strokes (slide text, line art), grown by a pixel."""
    import cv2

    k = np.ones((7, 7), np.uint8)
    lo, hi = cv2.erode(gray, k), cv2.dilate(gray, k)
    spread = hi - lo
    # 0 at either local extreme, 0.5 halfway between: how far a pixel sits from being two-tone.
    between = np.minimum(gray - lo, hi - gray) / np.maximum(spread, 1)
    contrast = spread > p.graphic_contrast
    share = cv2.blur(contrast.astype(np.float32), (9, 9))
    mean_between = cv2.blur(np.where(contrast, between, 0).astype(np.float32), (9, 9)) / np.maximum(
        share, 1e-3
    )
    graphic = contrast & (share > 0.3) & (mean_between < p.graphic_two_tone)
    return cv2.dilate(graphic.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)


def _reason(clinical: bool, f: dict[str, Any]) -> str:
    photo, text = f["photo_fraction"], f["text_fraction"]
    if clinical:
        kind = (
            "warm tissue (fundus/anterior segment)"
            if f["warm_cue"] >= f["grey_cue"]
            else "layered greyscale scan (OCT)"
            if f["layered_cue"] >= 0.5
            else "greyscale clinical image (angiography/FAF)"
        )
        return f"clinical: {kind} over {photo:.0%} of the frame, text {text:.0%}"
    if photo < 0.05:
        flat = f["flat_fraction"]
        return f"no photographic content: text {text:.0%}, flat background {flat:.0%} (slide/title)"
    if f["text_share"] > 0.5:
        return f"text dominates: text {text:.0%} vs photograph {photo:.0%}"
    return f"photograph {photo:.0%} of the frame without fundus colour or scan layering"


def _clip(x: float) -> float:
    return float(min(1.0, max(0.0, x)))
