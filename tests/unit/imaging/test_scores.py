"""image_scores: resolution-independent sharpness, exposure and clipping that ignore a fundus's black mask."""

from __future__ import annotations

import cv2
import numpy as np

from ophin.adapters.ocr import OcrWord
from ophin.imaging.scores import dark_surround, image_scores, sharpness, text_fraction
from tests.support.imaging_frames import blurred, brightness, fit, fundus_photo, oct_bscan


def test_sharpness_means_the_same_at_any_resolution() -> None:
    # One picture recorded at 1080p, 720p and 576p (each a downscale of the same source).
    source = fundus_photo()  # 1411 px square: every copy is a true downscale
    copies = [cv2.resize(source, (s, s), interpolation=cv2.INTER_AREA) for s in (1080, 720, 576)]
    values = [sharpness(im) for im in copies]
    raw = [float(cv2.Laplacian(cv2.cvtColor(im, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var()) for im in copies]
    spread, raw_spread = max(values) / min(values), max(raw) / min(raw)
    assert spread < 1.6 and raw_spread > 2 * spread, (values, raw)  # raw: 1080p reads as blurrier


def test_sharpness_drops_for_a_blurred_copy() -> None:
    for image in (fit(fundus_photo()), oct_bscan()):
        assert image_scores(blurred(image)).sharpness < image_scores(image).sharpness / 3


def test_fundus_black_surround_is_neither_clipped_nor_dark() -> None:
    frame = fit(fundus_photo())
    s = image_scores(frame)
    assert s.surround_fraction > 0.3  # pillarbox + the camera's round mask
    assert s.clipped_fraction < 0.02 and s.exposure > 0.3
    naive = (cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) <= 6).mean()
    assert naive > 0.3  # counted over the whole frame it would read as crushed


def test_exposure_and_clipping_follow_brightness() -> None:
    frame = fit(fundus_photo())
    dark, normal = image_scores(brightness(frame, 0.3)), image_scores(frame)
    blown = image_scores(brightness(frame, 2.5))  # black stays black: the surround is still surround
    assert dark.exposure < 0.2 < normal.exposure < 0.9
    assert blown.exposure > 0.75 and blown.clipped_fraction > normal.clipped_fraction + 0.05


def test_crushed_black_inside_the_image_counts_as_clipped() -> None:
    frame = fit(fundus_photo())
    holed = frame.copy()
    cv2.circle(holed, (320, 180), 80, (0, 0, 0), -1)  # black inside the fundus, not reached from the border
    assert image_scores(holed).clipped_fraction > image_scores(frame).clipped_fraction + 0.1


def test_dark_surround_is_only_border_connected() -> None:
    luma = np.full((50, 50), 128, np.uint8)
    luma[:, :5] = 0
    luma[20:30, 20:30] = 0
    mask = dark_surround(luma)
    assert mask[:, :5].all() and not mask[20:30, 20:30].any()


def test_text_fraction_is_the_word_boxes_share() -> None:
    words = [OcrWord("a", 90, (0, 0, 10, 10)), OcrWord("b", 90, (5, 5, 10, 10))]
    assert text_fraction((20, 20), words) == (100 + 100 - 25) / 400
    s = image_scores(np.zeros((20, 20, 3), np.uint8) + 128, words, faces=2, face_fraction=0.1)
    assert s.text_fraction == round(175 / 400, 4) and s.faces == 2 and s.face_fraction == 0.1


def test_sharpness_does_not_fall_for_a_dimmer_copy() -> None:
    frame = fit(fundus_photo())
    s, dim = image_scores(frame).sharpness, image_scores(brightness(frame, 0.6)).sharpness
    assert 0.8 < dim / s < 1.3, (s, dim)


def test_a_white_slide_margin_is_surround_but_a_blown_band_is_not() -> None:
    # A fundus photograph cropped from a white slide with a margin: its black corners meet the white.
    on_slide = fit(fundus_photo(), bg=(255, 255, 255))
    assert image_scores(on_slide).clipped_fraction < 0.05
    # The same white as a blown band along one edge of a picture is clipping, not a frame.
    banded = fit(fundus_photo())
    banded[: banded.shape[0] // 3] = 255
    assert image_scores(banded).clipped_fraction > 0.25
