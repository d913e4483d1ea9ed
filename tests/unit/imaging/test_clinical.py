"""clinical_score on drawn slides, scikit-image's fundus photograph and a synthetic OCT B-scan."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from ophin.adapters.ocr import OcrWord
from ophin.imaging.clinical import ClinicalParams, clinical_score
from tests.support.imaging_frames import H, W, oct_bscan
from tests.support.imaging_frames import fit as _fit
from tests.support.imaging_frames import write as _write


def _text_slide(lines: list[str], bg=(245, 245, 245), ink=(40, 40, 40)) -> tuple[np.ndarray, list[OcrWord]]:
    image = np.full((H, W, 3), bg, np.uint8)
    image[:48] = (110, 80, 20)  # a coloured title bar
    words = _write(image, "Summary", 20, 34, 0.9, (255, 255, 255), 2)
    for i, line in enumerate(lines):
        words += _write(image, line, 40, 100 + 40 * i, 0.7, ink, 2)
    return image, words


CLOSING = ["In summary, always examine the rim", "of the optic disc in both eyes", "and refer if it changes."]


def _title_card() -> tuple[np.ndarray, list[OcrWord]]:
    ramp = np.linspace(70, 20, H)[:, None, None] * np.array([1.0, 0.5, 0.3])
    image = np.broadcast_to(ramp, (H, W, 3)).astype(np.uint8).copy()
    words = _write(image, "Glaucoma and the Optic Disc", 110, 170, 1.1, (255, 255, 255), 2)
    words += _write(image, "Teaching lecture 1", 230, 215, 0.6, (220, 220, 220), 1)
    return image, words


def _fundus() -> np.ndarray:
    return _fit(cv2.cvtColor(data.retina(), cv2.COLOR_RGB2BGR))


def _oct_bscan(seed: int = 0) -> np.ndarray:
    """A synthetic OCT B-scan letterboxed as a lecture shows it."""
    return _fit(oct_bscan(seed))


def _inset(frame: np.ndarray, photo: np.ndarray, frac: float) -> np.ndarray:
    out = frame.copy()
    h = int(frame.shape[0] * frac)
    w = int(photo.shape[1] * h / photo.shape[0])
    out[-h:, -w:] = cv2.resize(photo, (w, h), interpolation=cv2.INTER_AREA)
    return out


def test_clinical_score_text_slide_is_low_with_or_without_ocr() -> None:
    image, words = _text_slide(CLOSING)
    for given in (words, []):
        r = clinical_score(image, given)
        assert r.score < 0.2 and not r.is_clinical, (len(given), r)
    assert "slide" in clinical_score(image, words).reason


def test_clinical_score_title_card_is_low() -> None:
    image, words = _title_card()
    r = clinical_score(image, words)
    assert r.score < 0.2 and not r.is_clinical


def test_clinical_score_fundus_photograph_is_high() -> None:
    r = clinical_score(_fundus(), [])
    assert r.score > 0.9 and r.is_clinical
    assert r.features["warm_fraction"] > 0.2
    assert "fundus" in r.reason


def test_clinical_score_oct_bscan_is_high_and_layered() -> None:
    r = clinical_score(_oct_bscan(), [])
    assert r.score > 0.9 and r.is_clinical
    assert r.features["horizontal_ratio"] > 0.7
    assert "OCT" in r.reason


def test_clinical_score_greyscale_fundus_counts_without_layers() -> None:
    red_free = cv2.cvtColor(data.retina()[..., 1], cv2.COLOR_GRAY2BGR)  # angiography-like
    r = clinical_score(_fit(red_free), [])
    assert r.is_clinical and r.features["warm_fraction"] == 0


def test_clinical_score_fundus_with_caption_stays_high() -> None:
    image = _fundus()
    words = _write(image, "Fig 2. Dot-blot haemorrhages, left eye", 10, 350, 0.5, (255, 255, 255))
    r = clinical_score(image, words)
    assert r.score > 0.9 and r.features["text_fraction"] > 0


def test_clinical_score_fundus_with_webcam_inset_stays_high() -> None:
    speaker = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    r = clinical_score(_inset(_fundus(), speaker, 1 / 4), [])
    assert r.score > 0.9


def test_clinical_score_text_slide_with_webcam_inset_stays_low() -> None:
    image, words = _text_slide(CLOSING)
    speaker = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    r = clinical_score(_inset(image, speaker, 1 / 3), words)
    assert not r.is_clinical


def test_clinical_score_noisy_recording_of_a_slide_stays_low() -> None:
    image, words = _text_slide(CLOSING)
    noise = np.random.default_rng(1).normal(0, 8, image.shape)
    noisy = cv2.GaussianBlur(np.clip(image + noise, 0, 255).astype(np.uint8), (3, 3), 0)
    assert not clinical_score(noisy, words).is_clinical


@pytest.mark.parametrize("value", [0, 255])
def test_clinical_score_blank_frame_is_low(value: int) -> None:
    r = clinical_score(np.full((H, W, 3), value, np.uint8), [])
    assert r.score == 0 and not r.is_clinical


def test_clinical_score_threshold_is_a_parameter() -> None:
    image = _fundus()
    assert clinical_score(image, []).is_clinical
    assert not clinical_score(image, [], ClinicalParams(threshold=1.01)).is_clinical


def test_clinical_score_accepts_greyscale_input_and_reports_features() -> None:
    grey = cv2.cvtColor(_oct_bscan(), cv2.COLOR_BGR2GRAY)
    r = clinical_score(grey, None)
    for key in ("text_fraction", "photo_fraction", "flat_fraction", "warm_fraction", "grey_fraction"):
        assert 0.0 <= r.features[key] <= 1.0
    assert 0.0 <= r.score <= 1.0
