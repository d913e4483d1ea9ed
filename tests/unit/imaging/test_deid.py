"""deidentify with a scripted OCR and face detector: what gets filled, blurred and reported."""

from __future__ import annotations

import numpy as np
import pytest

from ophin.adapters.ocr import OcrWord, lines
from ophin.adapters.vision import Face, blur_regions, fill_boxes
from ophin.imaging.deid import DeidParams, deidentify

W, H = 640, 360


class FakeOcr:
    """Returns the words it was given, whatever the image."""

    def __init__(self, words: list[OcrWord]) -> None:
        self._words = words
        self.calls = 0

    def words(self, image_bgr: np.ndarray) -> list[OcrWord]:
        self.calls += 1
        return list(self._words)


def _line(text: str, x: int, y: int, h: int = 14) -> list[OcrWord]:
    """Words of text laid out left to right from (x, y), about 9 px a character."""
    out = []
    for token in text.split():
        w = 9 * len(token)
        out.append(OcrWord(token, 90.0, (x, y, w, h)))
        x += w + 8
    return out


def _frame() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(40, 220, size=(H, W, 3), dtype=np.uint8)


def _no_faces(image: np.ndarray) -> list[Face]:
    return []


PHI = _line("Jane Doe  MRN 448812  DOB 12/03/1961", 10, 10)
CAPTION = _line("OCT B-scan, right eye", 10, 330)


def test_deidentify_fills_the_phi_line_and_keeps_the_caption() -> None:
    image = _frame()
    r = deidentify(image, ocr=FakeOcr(PHI + CAPTION), params=DeidParams(), detect_faces=_no_faces)

    x0 = PHI[0].box[0]
    x1 = PHI[-1].box[0] + PHI[-1].box[2]
    assert (r.image[10:24, x0:x1] == 0).all()
    caption = CAPTION[0].box
    assert (r.image[caption[1] - 4 : H, :] == image[caption[1] - 4 : H, :]).all()
    assert r.text_boxes_redacted == 1
    assert {"record number", "date of birth"} <= set(r.redaction_reasons)


def test_deidentify_reasons_name_kinds_never_the_text() -> None:
    r = deidentify(_frame(), ocr=FakeOcr(PHI), params=DeidParams(), detect_faces=_no_faces)
    joined = " ".join(r.redaction_reasons)
    for secret in ("Jane", "448812", "1961", "12/03"):
        assert secret not in joined
    assert "448812" in r.ocr_text  # for scoring only; the caller does not store it


def test_deidentify_leaves_a_frame_without_phi_untouched() -> None:
    image = _frame()
    r = deidentify(image, ocr=FakeOcr(CAPTION), params=DeidParams(), detect_faces=_no_faces)
    assert (r.image == image).all()
    assert r.text_boxes_redacted == 0
    assert r.redaction_reasons == []
    assert r.ocr_text == "OCT B-scan, right eye"


def test_deidentify_reads_a_label_above_its_value() -> None:
    # Device overlays stack the label over the value; neither line alone is PHI.
    words = _line("Name:", 400, 20) + _line("SMITH, JOHN", 400, 38)
    r = deidentify(_frame(), ocr=FakeOcr(words), params=DeidParams(), detect_faces=_no_faces)
    assert r.text_boxes_redacted == 2
    assert "person name" in r.redaction_reasons
    assert (r.image[20:34, 400:445] == 0).all() and (r.image[38:52, 400:498] == 0).all()


def test_deidentify_fills_configured_regions_without_ocr() -> None:
    params = DeidParams(redact_regions=((0.75, 0.0, 0.25, 0.1),), fill_colour=(0, 0, 255))
    r = deidentify(_frame(), ocr=None, params=params, detect_faces=_no_faces)
    assert (r.image[0:36, 480:640] == (0, 0, 255)).all()
    assert r.text_boxes_redacted == 1
    assert r.redaction_reasons == ["configured region"]
    assert not r.ocr_ran and r.ocr_text == "" and r.ocr_words == ()


def test_deidentify_marks_a_large_face_as_subject() -> None:
    def portrait(image: np.ndarray) -> list[Face]:
        return [Face((200, 60, 120, 150), 0.99)]  # 7.8% of the frame

    r = deidentify(_frame(), ocr=None, params=DeidParams(), detect_faces=portrait)
    assert r.faces == 1 and r.face_is_subject
    assert r.face_fraction == pytest.approx(120 * 150 / (W * H), abs=1e-4)


def test_deidentify_blurs_a_small_face_and_keeps_the_frame() -> None:
    image = _frame()

    def inset(img: np.ndarray) -> list[Face]:
        return [Face((590, 300, 20, 24), 0.99)]  # a webcam corner

    r = deidentify(image, ocr=None, params=DeidParams(), detect_faces=inset)
    assert r.faces == 1 and r.faces_blurred == 1 and not r.face_is_subject
    assert not (r.image[300:324, 590:610] == image[300:324, 590:610]).all()
    assert (r.image[:280, :] == image[:280, :]).all()  # nothing outside the padded face changed


def test_deidentify_keeps_a_close_webcam_face_in_a_corner() -> None:
    # A presenter close to the camera: 2.4% of the frame, but centred in the bottom-left corner zone.
    def webcam(img: np.ndarray) -> list[Face]:
        return [Face((37, 278, 71, 71), 0.99)]

    r = deidentify(_frame(), ocr=None, params=DeidParams(), detect_faces=webcam)
    assert r.face_fraction > DeidParams().face_subject_fraction
    assert not r.face_is_subject and r.faces_blurred == 1


def test_deidentify_a_face_filling_a_corner_is_still_the_subject() -> None:
    def side_by_side(img: np.ndarray) -> list[Face]:
        return [Face((430, 180, 180, 170), 0.99)]  # 13% of the frame

    assert deidentify(_frame(), ocr=None, params=DeidParams(), detect_faces=side_by_side).face_is_subject


def test_deidentify_subject_threshold_is_a_parameter() -> None:
    def face(img: np.ndarray) -> list[Face]:
        return [Face((288, 144, 64, 72), 0.99)]  # 2.0% of the frame, centred

    strict = deidentify(_frame(), ocr=None, params=DeidParams(face_subject_fraction=0.01), detect_faces=face)
    loose = deidentify(_frame(), ocr=None, params=DeidParams(face_subject_fraction=0.05), detect_faces=face)
    assert strict.face_is_subject and not loose.face_is_subject


class RevealingOcr:
    """Reads the banner's record number only once its neighbours are blacked out, as tesseract did."""

    def __init__(self) -> None:
        self.calls = 0

    def words(self, image_bgr: np.ndarray) -> list[OcrWord]:
        self.calls += 1
        first = _line("Mary Jones  DOB 04/17/1955", 10, 10)
        hidden = _line("MRN 552091", 300, 10)
        return first + CAPTION if self.calls == 1 else hidden + CAPTION


def test_deidentify_rereads_the_frame_after_redacting() -> None:
    ocr = RevealingOcr()
    r = deidentify(_frame(), ocr=ocr, params=DeidParams(), detect_faces=_no_faces)
    assert ocr.calls == 3  # read, re-read (found the number), re-read (nothing new)
    assert r.text_boxes_redacted == 2
    assert {"date of birth", "record number"} <= set(r.redaction_reasons)
    assert (r.image[10:24, 300:390] == 0).all()


def test_deidentify_reads_a_clean_frame_once() -> None:
    ocr = FakeOcr(CAPTION)
    deidentify(_frame(), ocr=ocr, params=DeidParams(), detect_faces=_no_faces)
    assert ocr.calls == 1


def test_deidentify_redacts_unsure_words_but_reports_only_sure_ones() -> None:
    unsure = [OcrWord(w.text, 12.0, w.box) for w in _line("MRN 552091", 10, 10)]
    r = deidentify(_frame(), ocr=FakeOcr(unsure + CAPTION), params=DeidParams(), detect_faces=_no_faces)
    assert r.text_boxes_redacted == 1
    assert "552091" not in r.ocr_text and "B-scan," in r.ocr_text
    assert all(w.conf >= 50 for w in r.ocr_words)


def test_deidentify_never_changes_its_input() -> None:
    image = _frame()
    before = image.copy()
    deidentify(
        image,
        ocr=FakeOcr(PHI),
        params=DeidParams(redact_regions=((0, 0, 0.5, 0.5),)),
        detect_faces=lambda im: [Face((300, 200, 40, 40), 0.99)],
    )
    assert (image == before).all()


def test_lines_groups_words_by_row_across_double_spaces() -> None:
    found = lines(CAPTION + PHI)
    assert [ln.text for ln in found] == ["Jane Doe MRN 448812 DOB 12/03/1961", "OCT B-scan, right eye"]
    x, y, w, h = found[0].box
    assert (x, y) == (10, 10) and x + w == PHI[-1].box[0] + PHI[-1].box[2]


def test_lines_splits_columns_far_apart() -> None:
    words = _line("Left", 10, 10) + _line("Right", 500, 10)
    assert [ln.text for ln in lines(words)] == ["Left", "Right"]


def test_blur_regions_changes_only_the_padded_box() -> None:
    image = _frame()
    out = blur_regions(image, [(100, 100, 40, 40)], pad=0.25)
    assert not (out[100:140, 100:140] == image[100:140, 100:140]).all()
    assert (out[:90, :] == image[:90, :]).all() and (out[:, 151:] == image[:, 151:]).all()
    # Pixelated: the detail inside is gone, not just softened.
    assert out[100:140, 100:140].std() < image[100:140, 100:140].std() / 3


def test_fill_boxes_clips_to_the_frame() -> None:
    out = fill_boxes(_frame(), [(-10, -10, 30, 30), (630, 350, 50, 50)], (255, 255, 255))
    assert (out[:20, :20] == 255).all() and (out[350:, 630:] == 255).all()


def test_a_name_the_ocr_made_of_texture_is_not_redacted_but_a_read_one_is() -> None:
    # Tesseract reads capitalised junk in OCT speckle ("Bae Wivaeias", conf 0-26) that the name resource
    # takes for a person: 5 dev B-scans were filled up to 37 %. A name needs its words read surely.
    from ophin.imaging.deid import _phi_lines

    def line(conf: float) -> list:
        return lines([OcrWord("Priya", conf, (10, 10, 50, 14)), OcrWord("Patel", conf, (64, 10, 50, 14))])

    assert _phi_lines(line(12)) == ([], [])
    boxes, kinds = _phi_lines(line(90))
    assert boxes and kinds == ["person name"]
    # Dates and record numbers keep their shape whatever the confidence (a translucent banner reads low).
    record = [OcrWord("MRN", 5, (10, 10, 40, 14)), OcrWord("552091", 20, (56, 10, 60, 14))]
    assert _phi_lines(lines(record))[0]
