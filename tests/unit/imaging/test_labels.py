"""Camera labels on real tesseract and real images: found in every band, redacted in the stored crop,
a clean fundus left alone, and the recall target on labelled frames through the eval report."""

from __future__ import annotations

import numpy as np
import pytest

from eval.redaction.frames import background, burn_label, clean_set, labelled_set
from eval.redaction.report import evaluate, name_readable, run, stored_image
from ophin.adapters.ocr import TesseractOcr
from ophin.imaging.deid import DeidParams, deidentify, name_shaped
from ophin.imaging.labels import label_lines

pytestmark = pytest.mark.skipif(
    not TesseractOcr.available(), reason="tesseract with English is not installed"
)


@pytest.fixture(scope="module")
def ocr() -> TesseractOcr:
    return TesseractOcr(min_conf=0)


@pytest.fixture(scope="module")
def reader() -> TesseractOcr:
    return TesseractOcr(min_conf=50)


def _fundus_label(lines: list[str], place: str, px: int, ink=(255, 255, 255)) -> tuple[np.ndarray, tuple]:
    frame, _, _, anchor = background("fundus", 1280, 720)
    image, box, _ = burn_label(frame, lines, place=place, anchor=anchor, height=px, ink=ink, family="dev",
                               font=0)  # fmt: skip
    return image, box


def test_label_lines_finds_small_light_text_on_black_in_each_corner() -> None:
    for place in ("tl", "tr", "bl", "br"):
        image, (x, y, w, h) = _fundus_label(["OKAFOR, CHIDI"], place, 10, ink=(185, 185, 185))
        found = label_lines(image)
        assert any(abs(b[1] - y) <= h and b[0] <= x + w and x <= b[0] + b[2] for b in found), place


def _hits(found: list, box: tuple) -> bool:
    x, y, w, h = box
    return any(abs(b[1] - y) <= h and b[0] <= x + w and x <= b[0] + b[2] for b in found)


@pytest.mark.parametrize("place", ["top", "bottom"])
def test_label_lines_finds_a_name_written_over_fundus_tissue(place: str) -> None:
    # Top and bottom centre: the name lies on the field's vessels and edge gradient, not on black.
    for ink in ((255, 255, 255), (0, 225, 250)):
        image, box = _fundus_label(["SATO, HIRO", "DOB 03/04/1970"], place, 10, ink=ink)
        assert _hits(label_lines(image), box), ink


@pytest.mark.parametrize("px", [18, 24])
def test_label_lines_finds_large_text_whose_letters_stand_apart(px: int) -> None:
    # Letters of large text are further apart than the closing joins; the line is their row.
    image, box = _fundus_label(["DOE, JANE", "DOB 25/07/1964"], "tl", px, ink=(60, 200, 60))
    x, y, w, h = box
    found = [b for b in label_lines(image) if abs(b[1] - y) <= h]
    covered = sum(max(0, min(b[0] + b[2], x + w) - max(b[0], x)) for b in found)
    assert covered >= 0.9 * w


def test_label_lines_finds_dark_text_on_a_slide_next_to_the_photograph() -> None:
    # Below the photograph on a light slide: the ground around the line is slide and photograph edge.
    frame, _, _, anchor = background("slide", 1280, 720)
    block = ["SATO, HIRO", "DOB 03/04/1970", "ID 458706"]
    image, box, _ = burn_label(frame, block, place="bottom", anchor=anchor, height=10, ink=(45, 45, 45),
                               family="dev", font=0)  # fmt: skip
    assert _hits(label_lines(image), box)


def test_label_lines_finds_nothing_in_a_clean_fundus() -> None:
    frame, _, _, _ = background("fundus", 1280, 720)
    assert sum(b[2] * b[3] for b in label_lines(frame)) < 0.001 * 1280 * 720


def test_name_shaped_tells_names_from_captions() -> None:
    assert name_shaped("DOE, JANE") and name_shaped("Chidi Okafor")
    assert not name_shaped("OCT B-scan, right eye") and not name_shaped("OD") and not name_shaped("ID 4488")


def test_deidentify_redacts_a_lone_name_line_that_reads_as_no_phi(ocr: TesseractOcr, reader) -> None:
    # The crop kept the name line and cut the lines below it: find_phi alone sees no label, no title.
    image, _ = _fundus_label(["LINDQVIST, ANNA"], "tl", 14)
    assert name_readable(image, "LINDQVIST, ANNA", reader)  # the check below means something
    r = deidentify(image, ocr=ocr, params=DeidParams(), detect_faces=lambda im: [])
    assert not name_readable(r.image, "LINDQVIST, ANNA", reader)
    assert r.text_boxes_redacted >= 1


def test_stored_crop_has_no_name_when_the_crop_cuts_the_block(ocr: TesseractOcr, reader) -> None:
    """The label straddles the photograph's box: the crop keeps the name, the frame pass reads the block."""
    frame, _, _, (ax, ay, aw, ah) = background("fundus", 1280, 720)
    lines = ["HADDAD, RAMI", "DOB 03/04/1951", "ID 449003"]
    image, _, _ = burn_label(
        frame, lines, place="tl", anchor=(ax, ay, aw, ah), height=16, ink=(0, 225, 250), family="dev", font=0
    )
    stored, box, _ = stored_image(image, ocr)
    assert box != (0, 0, 1280, 720)  # cropped to the photograph
    assert not name_readable(stored, "HADDAD, RAMI", reader)


def test_clean_frames_are_not_blacked_out(ocr: TesseractOcr, reader) -> None:
    for frame in clean_set():
        assert evaluate(frame, ocr, reader).false_redaction <= 0.01, frame.name


# Every 17th labelled frame (backgrounds, places, sizes 10-32 px, inks and cut blocks all vary along it).
# Measured on this sample at 8bd9862: dev recall 4/7, held-out 5/7, false redaction 1.7 % / 1.2 %; with
# the residual ground test, rows of parts and the fundus surround fill: dev 6/7, held-out 5/7, false
# redaction 1.9 % / 1.3 % (a label over tissue takes the tissue between its letters). The targets (recall
# >= 0.95, false redaction <= 1 %) are NOT met: make eval-redaction prints them red. These are regression
# floors until the label finder reads text over OCT speckle (the dev miss left here).
DEV_FLOOR, HELDOUT_FLOOR, FALSE_CEILING = 0.85, 0.71, 0.02


@pytest.mark.slow  # about 14 frames of real OCR: a minute or more
def test_redaction_recall_on_labelled_frames_holds_its_floor() -> None:
    report = run(stride=17, clean=False)
    assert report["dev"]["recall"] >= DEV_FLOOR, report["dev"]["missed"]
    assert report["heldout"]["recall"] >= HELDOUT_FLOOR  # its misses are never shown
    for family in ("dev", "heldout"):
        assert report[family]["false_redaction_mean"] <= FALSE_CEILING, family
    assert report["heldout"]["missed"] == [] and report["heldout"]["by"] == {}  # never tuned on, never shown
    assert labelled_set("dev", limit=1)  # the generator runs without a font on the machine


def test_label_lines_takes_no_ring_drawn_round_a_lesion_for_a_line() -> None:
    # A teaching slide rings its lesions in white; the band's edge cuts a ring into a wide, flat arc with
    # a clean ground, which the line tests alone took for a label (and the photograph got a black bar).
    import cv2

    frame, _, _, _ = background("fundus", 1280, 720)
    for cx, cy in ((600, 190), (640, 520)):
        cv2.circle(frame, (cx, cy), 72, (255, 255, 255), 4, cv2.LINE_AA)
    assert label_lines(frame) == []
    image, box = _fundus_label(["SATO, HIRO", "DOB 03/04/1970"], "bottom", 10)
    cv2.circle(image, (640, 520), 72, (255, 255, 255), 4, cv2.LINE_AA)
    assert _hits(label_lines(image), box)  # a name under the ring is still found
