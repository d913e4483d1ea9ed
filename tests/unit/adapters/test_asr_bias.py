"""The domain-biased decoding prompt: lexicon terms, slide terms read by OCR, nothing else from a slide."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ophin.adapters.asr_bias import build_prompt, lexicon_terms, slide_terms, window_slide_terms
from ophin.adapters.ocr import OcrWord


def test_lexicon_terms_come_from_the_lexicon_findings_first() -> None:
    terms = lexicon_terms()
    assert "drusen" in terms and "optic disc" in terms and "glaucoma" in terms
    assert terms.index("drusen") < terms.index("optic disc")  # findings before anatomy
    assert len(terms) == len(set(terms))


def test_slide_terms_keep_domain_terms_and_drop_names_and_dates() -> None:
    text = "Patient: John Smith 12/03/2021 Soft DRUSEN at the macula; Bruch's membrane intact. Choroidal"
    terms = slide_terms(text)
    assert "drusen" in terms and "macula" in terms and "choroidal" in terms
    assert not {"john", "smith", "patient", "12/03/2021"} & {t.lower() for t in terms}
    assert all("john" not in t and "smith" not in t for t in terms)


def test_build_prompt_puts_slide_terms_first_and_caps_the_count() -> None:
    prompt = build_prompt("Ophthalmology lecture.", ["choroidal", "drusen"], 5)
    assert prompt.startswith("Ophthalmology lecture. Choroidal. Drusen. ")
    assert prompt.count(".") == 6 and "," not in prompt  # five terms, each a sentence of its own
    assert build_prompt("Ophthalmology lecture. Drusen.", ["drusen"], 3).count("drusen") == 0  # said once
    assert build_prompt("Lecture.", [], 0) == "Lecture."


class _Media:
    def __init__(self) -> None:
        self.asked: list[float] = []

    def frames_at(self, path: Path, times: list[float]) -> dict[float, np.ndarray]:
        self.asked += times
        return {t: np.zeros((4, 4, 3), np.uint8) for t in times}


class _Ocr:
    def words(self, image_bgr: np.ndarray) -> list[OcrWord]:
        return [OcrWord(w, 90.0, (0, 0, 1, 1)) for w in "Dr Jane Roe : geographic atrophy of the RPE".split()]


def test_window_slide_terms_samples_frames_in_the_window() -> None:
    media = _Media()
    terms = window_slide_terms(media, _Ocr(), Path("v.mp4"), 30.0, 60.0, 10.0)
    assert len(media.asked) == 3 and all(30.0 <= t < 60.0 for t in media.asked)
    assert "atrophy" in terms and not any("jane" in t or "roe" == t for t in terms)


def test_window_slide_terms_without_ocr_or_picture_is_empty() -> None:
    assert window_slide_terms(_Media(), None, Path("v.mp4"), 0.0, 60.0, 10.0) == []

    class _NoPicture:
        def frames_at(self, path: Path, times: list[float]) -> dict[float, np.ndarray]:
            raise RuntimeError("no video stream")

    assert window_slide_terms(_NoPicture(), _Ocr(), Path("a.m4a"), 0.0, 60.0, 10.0) == []
