"""A fundus photograph's round field: its surround (where cameras write labels) is filled whole, the
field is left alone, and pictures that are not a round field on black are not touched."""

from __future__ import annotations

import numpy as np

from eval.redaction.frames import background, burn_label
from ophin.imaging.deid import DeidParams, deidentify
from ophin.imaging.field import FieldParams, clear_surround, field_circle
from ophin.imaging.labels import LabelParams

NO_LABELS = DeidParams(labels=LabelParams(enabled=False))


def _labelled(place: str, ink: tuple[int, int, int], px: int = 12) -> tuple[np.ndarray, ...]:
    frame, clinical, _, anchor = background("fundus", 1280, 720)
    image, _, name_ink = burn_label(frame, ["QUIRINO, ZOE", "DOB 02/03/1951"], place=place, anchor=anchor,
                                    height=px, ink=ink, family="dev", font=1)  # fmt: skip
    return image, name_ink, clinical


def test_a_label_in_the_surround_is_filled_whatever_its_colour_without_ocr() -> None:
    for place, ink in (("tl", (255, 0, 255)), ("br", (40, 90, 200)), ("tr", (200, 200, 200))):
        image, name_ink, clinical = _labelled(place, ink)
        # The label finder (labels.py) is off: the surround is filled by the field alone.
        r = deidentify(image, ocr=None, params=NO_LABELS, detect_faces=lambda im: [])
        filled = r.image.max(axis=2) == 0
        assert filled[name_ink].mean() >= 0.9, place
        assert "fundus surround" in r.redaction_reasons
        assert filled[clinical].mean() < 0.002, place  # the field itself is kept


def test_a_clean_fundus_keeps_its_field_and_gets_no_reason() -> None:
    frame, clinical, _, _ = background("fundus", 1280, 720)
    assert field_circle(frame) is not None
    out, removed = clear_surround(frame)
    assert (out.max(axis=2) == 0)[clinical].mean() < 0.002
    r = deidentify(frame, ocr=None, params=NO_LABELS, detect_faces=lambda im: [])
    assert r.redaction_reasons == [] and r.text_boxes_redacted == 0


def test_no_field_on_an_oct_a_slide_or_a_full_frame_photograph() -> None:
    for kind in ("oct", "slide"):
        frame, _, _, _ = background(kind, 1280, 720)
        assert field_circle(frame) is None, kind
    tissue = np.full((480, 640, 3), (40, 80, 190), np.uint8)  # fills the frame: no surround to clear
    assert field_circle(tissue) is None
    square = np.zeros((480, 640, 3), np.uint8)
    square[40:440, 120:520] = (40, 80, 190)  # a square picture on black is not round
    assert field_circle(square) is None
    assert field_circle(background("fundus", 1280, 720)[0], FieldParams(enabled=False)) is None
