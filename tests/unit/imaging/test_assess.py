"""assess_frame: each decision threshold changes the decision on the bad case; the row carries every score."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from ophin.adapters.ocr import OcrWord
from ophin.adapters.vision import Face
from ophin.imaging.assess import ImageParams, assess_frame
from ophin.imaging.labels import LabelParams
from tests.support.imaging_frames import blurred, brightness, face_photo, fit, fundus_photo, oct_bscan, write

P = ImageParams()


def _no_faces(image: np.ndarray) -> list[Face]:
    return []


class _Words:
    """An OCR that reads the words it was given (positions in the image it is asked about)."""

    def __init__(self, words: list[OcrWord]) -> None:
        self._words = words

    def words(self, image_bgr: np.ndarray) -> list[OcrWord]:
        return list(self._words)


def _assess(image: np.ndarray, params: ImageParams = P, ocr=None, faces=_no_faces):  # noqa: ANN001
    return assess_frame(image, ocr=ocr, detect_faces=faces, params=params)


def test_assess_keeps_a_fundus_and_fills_the_row() -> None:
    a = _assess(fit(fundus_photo()))
    assert a.drop_reason is None and a.modality == "colour_fundus"
    cols = a.frame_columns()
    assert cols["crop_box"]["box"][0] > 100 and "pillarbox" in cols["crop_box"]["removed"]
    assert (cols["source_width"], cols["source_height"]) == (640, 360)
    assert (cols["width"], cols["height"]) == a.image.shape[1::-1]
    for key in ("sharpness", "exposure", "clipped_fraction", "text_fraction", "modality_scores", "phash"):
        assert cols[key] is not None
    assert {"photo_fraction", "surround_fraction", "sharpness", "classifier"} <= set(cols["scores"])


def test_assess_blurred_copy_is_dropped_and_sharp_one_kept() -> None:
    frame = fit(fundus_photo())
    strict = ImageParams(min_sharpness=3.0)  # the default (1.0) refuses only frames with no detail
    assert _assess(frame, strict).drop_reason is None
    drop = _assess(blurred(frame, 4), strict).drop_reason
    assert drop is not None and drop.startswith("too blurred")
    assert _assess(blurred(frame, 4), ImageParams(min_sharpness=0.0)).drop_reason is None
    flat = np.full_like(frame, 96)  # a defocused or blank frame: no detail at all
    assert _assess(flat).sharpness < ImageParams().min_sharpness


def test_assess_too_dark_and_blown_out_are_dropped() -> None:
    frame = fit(oct_bscan(h=220))
    dark = _assess(brightness(frame, 0.3))
    assert dark.drop_reason is not None and dark.drop_reason.startswith("too dark")
    assert _assess(brightness(frame, 0.3), ImageParams(min_exposure=0.05)).drop_reason is None
    blown = _assess(brightness(frame, 3.0))
    assert blown.drop_reason is not None and blown.drop_reason.startswith(("blown out", "clipped"))
    loose = ImageParams(max_exposure=1.0, max_clipped_fraction=1.0)
    assert _assess(brightness(frame, 3.0), loose).drop_reason is None


def test_assess_clipped_fraction_has_its_own_threshold() -> None:
    frame = fit(oct_bscan(h=220))
    a = _assess(frame)
    assert a.drop_reason is None and a.clipped_fraction > 0
    tight = _assess(frame, ImageParams(max_clipped_fraction=a.clipped_fraction / 2))
    assert tight.drop_reason is not None and tight.drop_reason.startswith("clipped")


def test_assess_text_fraction_over_the_limit_drops_the_frame() -> None:
    frame = fit(fundus_photo())
    caption = frame.copy()
    words = write(caption, "Optic disc with cupping", 150, 30, 0.8, (255, 255, 255), 2)
    a = _assess(caption, ocr=_Words([]))
    assert a.drop_reason is None
    # The OCR reads the whole frame once (its words are mapped into the crop): words over most of it.
    h, w = caption.shape[:2]
    big = [OcrWord("CAPTION", 95.0, (0, 0, w, round(0.6 * h)))]
    # The scripted OCR hands the same word to every read, a label line's re-read included, where the
    # name-shaped "CAPTION" gets the caption's line filled and the word with it: labels off here.
    no_labels = replace(P, deid=replace(P.deid, labels=LabelParams(enabled=False)))
    dropped = _assess(caption, no_labels, ocr=_Words(big))
    assert dropped.text_fraction > 0.3
    assert dropped.drop_reason is not None and (
        dropped.drop_reason.startswith("text covers") or "text" in dropped.drop_reason
    )
    assert words  # the caption was drawn


def test_assess_drops_a_frame_whose_redaction_hides_the_picture() -> None:
    """OCR reads names into OCT speckle and the lines are filled: past max_redacted_fraction the records
    would describe fluid nobody can see (labelled bad), so the frame goes; a small label bar stays."""
    frame = fit(oct_bscan(h=220))
    h, w = frame.shape[:2]
    no_labels = replace(P, deid=replace(P.deid, labels=LabelParams(enabled=False)))
    label = OcrWord("Patient: DOE, JANE", 90.0, (w // 3, h // 2, 120, 14))  # over the retina
    small = _assess(frame, no_labels, ocr=_Words([label]))
    assert small.drop_reason is None and 0 < small.redacted_fraction <= P.max_redacted_fraction
    assert small.frame_columns()["scores"]["redacted_fraction"] == small.redacted_fraction
    speckle = [
        OcrWord(f"Patient: DOE, JANE {i}", 60.0, (0, y, w, 40)) for i, y in enumerate(range(60, h - 40, 45))
    ]
    hidden = _assess(frame, no_labels, ocr=_Words(speckle))
    assert hidden.redacted_fraction > P.max_redacted_fraction
    assert hidden.drop_reason is not None and hidden.drop_reason.startswith("redaction hides")
    lenient = replace(no_labels, max_redacted_fraction=1.0)
    assert _assess(frame, lenient, ocr=_Words(speckle)).drop_reason is None
    # A black surround filled black hides nothing: only pixels that showed something count.
    assert _assess(fit(fundus_photo())).redacted_fraction < 0.01


def test_assess_face_as_subject_is_dropped() -> None:
    def portrait(image: np.ndarray) -> list[Face]:
        h, w = image.shape[:2]
        return [Face((w // 3, h // 4, w // 3, h // 2), 0.99)]

    a = _assess(face_photo(), faces=portrait)
    assert a.drop_reason is not None and "face is the main content" in a.drop_reason
    assert a.face_count == 1 and a.faces_blurred == 1 and a.face_fraction > 0.1


def test_assess_modality_not_allowed_is_dropped() -> None:
    frame = fit(oct_bscan(h=220))
    assert _assess(frame).modality == "oct"
    only_fundus = ImageParams(allowed_modalities=("colour_fundus",))
    drop = _assess(frame, only_fundus).drop_reason
    assert drop is not None and drop.startswith("modality oct not allowed")


def test_assess_slide_is_dropped_as_not_clinical() -> None:
    slide = np.full((360, 640, 3), 245, np.uint8)
    words = write(slide, "Risk factors include age", 30, 100, 0.9, (30, 30, 30), 2)
    a = _assess(slide, ocr=_Words(words))
    assert a.drop_reason is not None and a.drop_reason.startswith("not a clinical image")
    assert a.modality == "diagram_or_slide"


@pytest.mark.parametrize("refine", [True, False])
def test_assess_refine_setting_turns_the_crop_off(refine: bool) -> None:
    a = _assess(fit(fundus_photo()), ImageParams(refine=refine))
    assert (a.crop_box["box"] == [0, 0, 640, 360]) is not refine


def test_assess_reads_a_cropped_frame_once() -> None:
    """The crop's pass reuses the frame pass's words: OCR (seconds a frame on OCT speckle) runs once."""
    calls: list[tuple[int, ...]] = []

    class Counting(_Words):
        def words(self, image_bgr: np.ndarray) -> list[OcrWord]:
            calls.append(image_bgr.shape)
            return super().words(image_bgr)

    frame = fit(fundus_photo())
    a = _assess(frame, ocr=Counting([OcrWord("Optic", 95.0, (400, 300, 60, 20))]))
    assert a.crop_box["box"][2] < frame.shape[1]  # cropped: both passes ran
    assert calls == [frame.shape]
    assert a.text_redacted == 0


def _ringed_fundus() -> np.ndarray:
    """A teaching slide's fundus: numbered rings drawn round lesions, two of them crossing the top and bottom
    border bands (the demo's slide_fundus_findings.mp4 frame, redrawn)."""
    import cv2

    img = fit(fundus_photo())
    for i, (cx, cy) in enumerate([(190, 165), (295, 95), (318, 178), (303, 256)], 1):
        cv2.circle(img, (cx, cy), 34 if i == 3 else 36, (255, 255, 255), 2, cv2.LINE_AA)
        cv2.putText(img, str(i), (cx + 26, cy - 34), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1)
    return img


def test_assess_keeps_a_slide_fundus_with_rings_drawn_round_its_lesions() -> None:
    # The rings' arcs in the bands are no label lines: nothing is filled, the photograph is kept whole.
    frame = _ringed_fundus()
    a = _assess(frame)
    assert a.drop_reason is None
    assert a.redaction_reasons == [] and a.text_redacted == 0
    x, y, w, h = a.crop_box["box"]
    photo = frame[y : y + h, x : x + w]
    blacked = (a.image.max(axis=2) <= 20) & (photo.max(axis=2) > 40)  # tissue or ring turned black
    assert blacked.sum() < 20, blacked.sum()  # no bar over the lesions (old code: 4353 px under the two arcs)


def test_assess_looks_for_faces_before_the_frame_pass_fills_a_label() -> None:
    # A label over the tissue is filled on the whole frame; the black bar on a round red field reads to
    # MTCNN as a mouth. The detector is asked about the picture as it came, so the bar is no face.
    import cv2

    frame = fit(fundus_photo())
    cv2.putText(frame, "SATO, HIRO", (272, 330), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1)

    def sees_the_fill_as_a_mouth(image: np.ndarray) -> list[Face]:
        h, w = image.shape[:2]
        centre = image[h // 4 :, w // 4 : 3 * w // 4]
        filled = int((centre.max(axis=2) == 0).sum())
        return [Face((0, 0, w, h), 0.96)] if filled > 100 else []

    a = _assess(frame, faces=sees_the_fill_as_a_mouth)
    assert "whole frame: unreadable label text" in a.redaction_reasons  # the label was filled
    assert a.face_count == 0 and a.drop_reason is None
