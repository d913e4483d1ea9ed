"""One keyframe measured and decided: refine, de-identify, scores, clinical score, modality, keep/drop.

The keyframes stage calls assess_frame once per grabbed frame and stores what it returns on the frame row;
the decision reads only those stored numbers, so every drop can be re-derived from the row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ophin.adapters.ocr import Ocr, OcrWord
from ophin.imaging.deid import DeidParams
from ophin.imaging.modality import CHART_LABELS, CLINICAL_LABELS
from ophin.imaging.refine import RefineParams


@dataclass(frozen=True)
class ImageParams:
    refine: bool = True
    long_side: int = 1024  # stored image's long side cap (0: none)
    # Sharpness is the Laplacian variance at scores.WORK_SIDE and mean luma 128: the sample fundus
    # photographs (smooth, upscaled) score 4.0-133, a Gaussian-blurred (sigma 3) copy 1.5-2.7, OCT 1200+;
    # the stable frames of the sample fundus footage (zoomed into one photograph) 2.6-18. The measure is
    # absolute and content-dependent (8-bit quantisation alone gives ~1.9 on a dim fundus), so soft video
    # and a blurred photograph overlap: the default refuses only frames with next to no detail. Within a
    # span the sharpest stable sample is taken anyway (ophin/imaging/spans.py), the relative defence.
    min_sharpness: float = 1.0
    # Mean luma of the content (dark surround left out): clinical sample frames 0.38-0.56; at 30% of
    # their brightness 0.11-0.17; title cards (dark by design) 0.11-0.15, dropped earlier as slides.
    min_exposure: float = 0.2
    max_exposure: float = 0.92
    max_clipped_fraction: float = 0.25  # clinical sample frames <= 0.04; a blown-out copy 0.2-0.86
    max_text_fraction: float = 0.3  # OCR word boxes' share of the (refined) frame
    # Redaction boxes are drawn for safety and may be false alarms (OCR reads names into OCT speckle); past
    # this share of the picture hidden, its records describe what nobody can see: the frame is dropped.
    max_redacted_fraction: float = 0.1
    allowed_modalities: tuple[str, ...] = CLINICAL_LABELS
    classifier: str = "classical"
    clinical_threshold: float = 0.5
    deid: DeidParams = field(default_factory=DeidParams)

    def refine_params(self) -> RefineParams:
        return RefineParams(enabled=self.refine, long_side=self.long_side)


@dataclass(frozen=True)
class FrameAssessment:
    image: np.ndarray  # refined and redacted: the only pixels that may be stored
    phash: str  # of the refined image before redaction (bars differ between near-identical frames)
    crop_box: dict[str, Any]
    source_width: int
    source_height: int
    sharpness: float
    exposure: float
    clipped_fraction: float
    text_fraction: float
    modality: str
    modality_scores: dict[str, float]
    modality_reason: str
    scores: dict[str, Any]  # every measured feature
    face_count: int
    faces_blurred: int
    face_fraction: float
    face_is_subject: bool
    text_redacted: int
    redaction_reasons: list[str]
    redacted_fraction: float  # share of the picture redaction filled (deid.hidden_fraction)
    clinical_score: float
    clinical_reason: str
    is_clinical: bool
    drop_reason: str | None

    def frame_columns(self) -> dict[str, Any]:
        """The frame row's columns this assessment fills (the stage adds ids, times, keys, duplicates)."""
        h, w = self.image.shape[:2]
        return {
            "width": w,
            "height": h,
            "phash": self.phash,
            "crop_box": self.crop_box,
            "source_width": self.source_width,
            "source_height": self.source_height,
            "sharpness": self.sharpness,
            "exposure": self.exposure,
            "clipped_fraction": self.clipped_fraction,
            "text_fraction": self.text_fraction,
            "modality": self.modality,
            "modality_scores": self.modality_scores,
            "scores": self.scores,
            "face_count": self.face_count,
            "faces_blurred": self.faces_blurred,
            "text_redacted": self.text_redacted,
            "redaction_reasons": self.redaction_reasons or None,
            "clinical_score": self.clinical_score,
            "clinical_reason": self.clinical_reason,
        }


def assess_frame(
    image_bgr: np.ndarray,
    *,
    ocr: Ocr | None,
    detect_faces: Callable[[np.ndarray], list] | None,
    params: ImageParams,
) -> FrameAssessment:
    from ophin.adapters import vision
    from ophin.imaging.clinical import ClinicalParams, clinical_score
    from ophin.imaging.deid import deidentify, face_detector, hidden_fraction
    from ophin.imaging.modality import get_classifier
    from ophin.imaging.refine import refine_image
    from ophin.imaging.scores import image_scores

    refined = refine_image(image_bgr, params.refine_params())
    crop, frame_boxes, frame_reasons, words = _redacted_crop(image_bgr, refined, ocr, params)
    # Faces are looked for in the picture as it came, not in the crop the frame pass already filled: a
    # black bar over the lower middle of a round red field reads to MTCNN as a mouth in a face (0.96).
    faces = face_detector(params.deid, detect_faces)(refined.image)
    deid = deidentify(crop, ocr=ocr, params=params.deid, detect_faces=lambda _im: faces, words=words)
    # Scores read the refined image before redaction: a black PHI bar is not crushed exposure.
    s = image_scores(refined.image, deid.ocr_words, faces=deid.faces, face_fraction=deid.face_fraction)
    clinical = clinical_score(
        refined.image, deid.ocr_words, ClinicalParams(threshold=params.clinical_threshold)
    )
    features = clinical.features | {
        "face_fraction": deid.face_fraction,
        "face_is_subject": deid.face_is_subject,
    }
    modality = get_classifier(params.classifier).classify(refined.image, features)
    # A perimetry printout is clinical without photographic texture: the clinical score cannot see it.
    chart = modality.label in CHART_LABELS
    clinical_reason = f"clinical: {modality.reason}" if chart else clinical.reason
    shape = {k: v for k, v in vars(s).items() if k not in ("faces", "face_fraction")}
    hidden = hidden_fraction(refined.image, deid.image, params.deid.fill_colour)
    measured = features | shape | {
        "faces": deid.faces, "classifier": params.classifier, "redacted_fraction": hidden
    }  # fmt: skip
    assessment = FrameAssessment(
        image=deid.image,
        phash=vision.perceptual_hash(refined.image),
        crop_box=refined.crop_box(),
        source_width=refined.source_size[0],
        source_height=refined.source_size[1],
        sharpness=s.sharpness,
        exposure=s.exposure,
        clipped_fraction=s.clipped_fraction,
        text_fraction=s.text_fraction,
        modality=modality.label,
        modality_scores=modality.scores,
        modality_reason=modality.reason,
        scores=measured,
        face_count=deid.faces,
        faces_blurred=deid.faces_blurred,
        face_fraction=deid.face_fraction,
        face_is_subject=deid.face_is_subject,
        text_redacted=deid.text_boxes_redacted + frame_boxes,
        redaction_reasons=list(dict.fromkeys(deid.redaction_reasons + frame_reasons)),
        redacted_fraction=hidden,
        clinical_score=clinical.score,
        clinical_reason=clinical_reason,
        is_clinical=clinical.is_clinical or chart,
        drop_reason=None,
    )
    return _with_decision(assessment, params)


def _redacted_crop(
    image_bgr: np.ndarray, refined: Any, ocr: Ocr | None, params: ImageParams
) -> tuple[np.ndarray, int, list[str], list[OcrWord] | None]:
    """The refined crop with the whole frame's text redaction already in it, the boxes and reasons of
    that redaction, and the words the frame pass read that the crop keeps (in the crop's pixels).

    A camera label is read as one block on the whole frame (name over date of birth over record number);
    the crop to the photograph can cut the lower lines off and leave a name line that, alone, reads as no
    PHI. So text is redacted on the frame first (faces are left to the crop's pass), then cropped. The
    crop's pass reuses the frame's words instead of reading the same pixels again (OCR is most of a
    frame's cost: seconds on OCT speckle); it reads again only after it fills something, and re-reads
    the label lines of its own border bands that the frame pass did not read. A frame the refinement left
    whole needs one pass.
    """
    from dataclasses import replace

    from ophin.imaging.refine import as_bgr_uint8, cap_long_side

    src = as_bgr_uint8(image_bgr)
    h, w = src.shape[:2]
    if tuple(refined.box) == (0, 0, w, h):
        return refined.image, 0, [], None
    from ophin.imaging.deid import deidentify

    text_only = replace(params.deid, redact_regions=())  # the crop's pass fills configured regions
    whole = deidentify(src, ocr=ocr, params=text_only, detect_faces=lambda im: [])
    x, y, bw, bh = refined.box
    reasons = [f"whole frame: {r}" for r in whole.redaction_reasons]
    crop = cap_long_side(whole.image[y : y + bh, x : x + bw], params.long_side)
    words = _into_crop(whole.kept_words, refined.box, crop.shape[1] / max(1, bw)) if ocr else None
    return crop, whole.text_boxes_redacted, reasons, words


def _into_crop(words: tuple[OcrWord, ...], box: tuple[int, int, int, int], scale: float) -> list[OcrWord]:
    """Words mostly inside box, clipped to it, in the pixels of the crop scaled by scale."""
    x, y, bw, bh = box
    out = []
    for wd in words:
        wx, wy, ww, wh = wd.box
        x0, y0 = max(wx, x), max(wy, y)
        x1, y1 = min(wx + ww, x + bw), min(wy + wh, y + bh)
        if x1 <= x0 or y1 <= y0 or (x1 - x0) * (y1 - y0) <= 0.5 * ww * wh:
            continue
        mapped = (round((x0 - x) * scale), round((y0 - y) * scale))
        size = (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale)))
        out.append(OcrWord(wd.text, wd.conf, mapped + size))
    return out


def decide(a: FrameAssessment, p: ImageParams) -> str | None:
    """Why the frame is dropped, or None to keep it. Content first (what the frame is), then quality."""
    if a.face_is_subject:
        share = f"{a.face_fraction:.1%} of the frame"
        return f"a face is the main content ({share}): dropped for de-identification"
    if not a.is_clinical:
        return f"not a clinical image (score {a.clinical_score:.2f}): {a.clinical_reason}"
    if a.modality not in p.allowed_modalities:
        return f"modality {a.modality} not allowed ({a.modality_reason})"
    if a.redacted_fraction > p.max_redacted_fraction:
        share = f"{a.redacted_fraction:.0%} of the picture > {p.max_redacted_fraction:.0%}"
        return f"redaction hides {share}: its records would describe what nobody can see"
    if a.sharpness < p.min_sharpness:
        return f"too blurred: sharpness {a.sharpness:.1f} < {p.min_sharpness}"
    if a.modality in CHART_LABELS:
        # A printout is black on white by design and carries its numbers: the photograph's exposure,
        # clipping and text-share rules would drop every one.
        return None
    if a.exposure < p.min_exposure:
        return f"too dark: exposure {a.exposure:.2f} < {p.min_exposure}"
    if a.exposure > p.max_exposure:
        return f"blown out: exposure {a.exposure:.2f} > {p.max_exposure}"
    if a.clipped_fraction > p.max_clipped_fraction:
        return f"clipped: {a.clipped_fraction:.0%} crushed or blown > {p.max_clipped_fraction:.0%}"
    if a.text_fraction > p.max_text_fraction:
        return f"text covers {a.text_fraction:.0%} of the image > {p.max_text_fraction:.0%}"
    return None


def _with_decision(a: FrameAssessment, p: ImageParams) -> FrameAssessment:
    from dataclasses import replace

    return replace(a, drop_reason=decide(a, p))
