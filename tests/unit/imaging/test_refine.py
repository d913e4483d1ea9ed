"""refine_image: letterbox/pillarbox trimming, a slide cropped to its photograph, insets, size and format."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ophin.imaging.refine import RefineParams, as_bgr_uint8, refine_image
from tests.support.imaging_frames import (
    H,
    W,
    face_photo,
    fit,
    fundus_photo,
    grey_photo,
    oct_bscan,
    photo_beside_bullets,
    with_inset,
    write,
)


def _inside(outer: list[int], inner: tuple[int, int, int, int], slack: int = 0) -> bool:
    ox, oy, ow, oh = outer
    x, y, w, h = inner
    return ox <= x + slack and oy <= y + slack and ox + ow >= x + w - slack and oy + oh >= y + h - slack


def test_refine_trims_letterbox_bars_of_an_oct() -> None:
    scan = oct_bscan(h=200)  # 640x200 in a 640x360 frame: 80 px bars above and below
    r = refine_image(fit(scan))
    x, y, w, h = r.box
    assert "letterbox" in r.removed
    assert y >= 70 and y + h <= 290 and w >= 600
    assert r.image.shape[:2] == (h, w)


def test_refine_trims_pillarbox_bars_of_a_fundus() -> None:
    r = refine_image(fit(fundus_photo()))
    x, _, w, _ = r.box
    assert "pillarbox" in r.removed
    assert x >= 130 and x + w <= 510


def test_refine_crops_a_slide_to_its_photograph_and_drops_the_bullets() -> None:
    slide, photo_box = photo_beside_bullets(fundus_photo())
    r = refine_image(slide)
    assert "slide-text" in r.removed
    assert _inside(r.box, photo_box, slack=12)  # the whole photograph is kept ...
    assert r.box[0] > 200  # ... and the bullets on the left are not
    assert r.crop_box()["box"] == list(r.box)


@pytest.mark.parametrize("photo", [fundus_photo, lambda: oct_bscan(h=300, w=400)], ids=["fundus", "oct"])
@pytest.mark.parametrize("side", [220, 300])
def test_refine_crop_follows_the_photograph_wherever_it_sits(photo, side: int) -> None:
    slide, photo_box = photo_beside_bullets(photo(), side=side)
    flipped = cv2.flip(slide, 1)  # the photo on the left, the bullets mirrored to the right
    fx = W - photo_box[0] - photo_box[2]
    for image, box in ((slide, photo_box), (flipped, (fx, *photo_box[1:]))):
        r = refine_image(image)
        # Across, the whole photograph and no bullets; down, an OCT's own black vitreous may go too.
        across = (r.box[0], box[1], r.box[2], box[3])
        assert _inside(list(across), box, slack=12), (r.box, box)
        assert r.box[1] + r.box[3] > box[1] + box[3] / 2 and r.box[3] >= box[3] * 0.6
        assert r.box[2] < box[2] + 0.1 * W


def test_refine_never_chooses_a_webcam_inset_as_the_region() -> None:
    slide, photo_box = photo_beside_bullets(fundus_photo(), side=240)
    frame = with_inset(slide, face_photo(), frac=0.2, corner="bl")  # webcam below the bullets
    r = refine_image(frame)
    assert _inside(r.box, photo_box, slack=12)
    assert r.box[0] > 200 and "inset" in r.removed


def test_refine_falls_back_to_the_whole_frame_when_the_crop_would_be_tiny() -> None:
    slide = np.full((H, W, 3), (240, 244, 246), np.uint8)
    write(slide, "A very small thumbnail", 20, 40, 0.8, (40, 40, 40), 2)
    thumb = cv2.resize(fundus_photo()[400:1000, 400:1000], (90, 90), interpolation=cv2.INTER_AREA)
    slide[200:290, 400:490] = thumb  # 3.5% of the frame
    r = refine_image(slide)
    assert r.box == (0, 0, W, H) and r.removed == []
    assert "too small" in r.reason
    r_big = refine_image(slide, RefineParams(min_crop_share=0.001, min_crop_side=16))
    assert r_big.box != (0, 0, W, H)  # the limit, not the finder, refused the crop


def test_refine_keeps_a_full_frame_photograph_whole() -> None:
    photo = cv2.resize(fundus_photo()[300:1100, 300:1400], (W, H))  # a fundus crop filling the frame
    r = refine_image(photo)
    assert r.box == (0, 0, W, H) and r.removed == []


def test_refine_off_returns_the_frame() -> None:
    r = refine_image(fit(oct_bscan(h=200)), RefineParams(enabled=False))
    assert r.box == (0, 0, W, H) and r.removed == [] and r.reason == "refinement off"


def test_refine_caps_the_long_side_and_keeps_the_box_in_source_pixels() -> None:
    big = cv2.resize(fit(fundus_photo()), (1920, 1080))
    r = refine_image(big, RefineParams(long_side=512))
    assert max(r.image.shape[:2]) == 512
    assert r.box[0] > 380 and r.box[0] + r.box[2] <= 1540  # pillarbox bars measured at 1920 wide
    assert r.source_size == (1920, 1080)


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((40, 50), np.uint8),
        np.zeros((40, 50, 4), np.uint8),
        np.full((40, 50, 3), 65535, np.uint16),
        np.zeros((40, 50, 1), np.uint8),
    ],
    ids=["grey", "bgra", "uint16", "one-channel"],
)
def test_as_bgr_uint8_normalises_format(image: np.ndarray) -> None:
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    out = as_bgr_uint8(image)
    assert out.dtype == np.uint8 and out.shape == (40, 50, 3)
    if image.dtype == np.uint16:
        assert out.max() == 255


def test_refine_blank_frame_keeps_everything() -> None:
    r = refine_image(np.zeros((H, W, 3), np.uint8))
    assert r.box == (0, 0, W, H)


def test_refine_keeps_a_labelled_round_field_whole() -> None:
    """A fundus camera's frame: the round field on black with a patient label in the corner. The crop keeps
    the whole disc (its smooth periphery reads flat to the photographic mask) and its dark surround."""
    frame = fit(fundus_photo())
    disc = fit(fundus_photo()).max(axis=2) > 20
    ys, xs = np.nonzero(disc)
    write(frame, "Jane Doe  DOB 01/02/1950", 8, 20, 0.5, (230, 230, 230), 1)
    r = refine_image(frame)
    lit = (int(xs.min()), int(ys.min()), int(xs.max() - xs.min()), int(ys.max() - ys.min()))
    assert _inside(list(r.box), lit, slack=2), (r.box, lit)
    assert "round field" in r.reason


@pytest.mark.parametrize("seed", range(3))
def test_refine_keeps_an_angiogram_round_field_and_its_surround(seed: int) -> None:
    from ophin.imaging.modality import field_shape
    from tests.fixtures.modality_dev.generate import angiogram

    image = angiogram(np.random.default_rng(seed))
    r = refine_image(image)
    shape = field_shape(r.image)
    assert shape["round_field"] >= 0.8 and shape["surround_fraction"] >= 0.08, (r.box, r.reason, shape)


@pytest.mark.parametrize("corner", ["br"])
def test_refine_leaves_out_a_webcam_inset_over_a_full_frame_photograph(corner: str) -> None:
    """A webcam pasted over a fundus zoomed to fill the frame touches the photograph: found by its frame."""
    photo = cv2.resize(fundus_photo()[300:1100, 300:1400], (W, H))
    webcam = grey_photo()  # a lecturer before a grey wall (an orange suit on an orange fundus has no frame)
    frame = with_inset(photo, webcam, frac=0.25, corner=corner)
    r = refine_image(frame)
    x, y, w, h = r.box
    side = int(webcam.shape[1] * int(H * 0.25) / webcam.shape[0])
    inset = (W - side - 4, H - int(H * 0.25) - 4) if corner == "br" else (4, 4)
    assert "inset" in r.removed
    assert x + w <= inset[0] + 2 if corner == "br" else x >= inset[0] + side - 2, r.box
    assert w * h >= 0.6 * W * H  # the photograph beside it is kept


def test_refine_keeps_a_full_frame_photograph_without_an_inset_whole() -> None:
    photo = cv2.resize(fundus_photo()[300:1100, 300:1400], (W, H))
    r = refine_image(photo)
    assert "inset" not in r.removed and r.box == (0, 0, W, H)
