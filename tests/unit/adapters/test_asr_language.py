"""The spoken language over several windows, allowed languages given a margin (a stand-in detector)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from ophin.adapters.asr_language import choose_language, detect_language_robust, window_starts
from ophin.domain.transcript import LanguageGuess

RATE = 16000


def _wav(path: Path, seconds: float) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((np.random.default_rng(0).normal(0, 300, int(seconds * RATE))).astype("<i2").tobytes())
    return path


class _Detector:
    """Answers each window with the next distribution given; counts the windows it was asked about."""

    name = "stand-in"

    def __init__(self, answers: list[dict[str, float] | None]) -> None:
        self.answers, self.asked = answers, 0

    def language_probabilities(self, audio: Path) -> dict[str, float] | None:
        with wave.open(str(audio)) as w:
            assert w.getnframes() <= 30 * RATE  # one encoder window at a time
        self.asked += 1
        return self.answers[(self.asked - 1) % len(self.answers)]

    def detect_language(self, audio: Path) -> LanguageGuess | None:  # the protocol; not used here
        raise AssertionError("the distribution is used when a backend gives one")

    def transcribe(self, audio: Path, prompt: str | None = None):  # noqa: ANN201
        raise AssertionError("no transcription to detect a language")


def test_choose_language_prefers_an_allowed_language_within_the_margin() -> None:
    guess, rule = choose_language({"la": 0.34, "en": 0.30, "it": 0.1}, ("en",), 0.5)
    assert (guess.language, rule) == ("en", "allowed-within-margin")


def test_choose_language_keeps_a_clearly_foreign_lecture_foreign() -> None:
    guess, rule = choose_language({"fr": 0.93, "en": 0.03}, ("en",), 0.5)
    assert (guess.language, rule) == ("fr", "top-not-allowed")
    guess, rule = choose_language({"en": 0.9, "la": 0.05}, ("en",), 0.5)
    assert (guess.language, rule) == ("en", "top")


def test_window_starts_spread_over_the_audio() -> None:
    assert window_starts(20.0, 3) == [0.0]
    assert window_starts(120.0, 3) == [0.0, 45.0, 90.0]
    assert window_starts(65.0, 3) == [0.0, 35.0]  # two whole windows fit


def test_detect_language_robust_averages_windows_and_records_evidence(tmp_path: Path) -> None:
    # One noisy window tips to Latin; averaged with the others English leads, and within the margin anyway.
    detector = _Detector([{"la": 0.45, "en": 0.35}, {"en": 0.6, "la": 0.2}, {"en": 0.55, "de": 0.2}])
    guess, evidence = detect_language_robust(
        detector, _wav(tmp_path / "a.wav", 120.0), tmp_path, allowed=("en",), margin=0.5, windows=3
    )
    assert detector.asked == 3
    assert guess is not None and guess.language == "en"
    assert evidence["rule"] == "top" and len(evidence["windows"]) == 3
    assert evidence["windows"][0]["top"][0] == ["la", 0.45]
    assert not list(tmp_path.glob("language-*.wav"))  # scratch cleaned


def test_detect_language_robust_rescues_a_noisy_lecture_heard_as_latin(tmp_path: Path) -> None:
    detector = _Detector([{"la": 0.4, "en": 0.3, "it": 0.1}])
    guess, evidence = detect_language_robust(
        detector, _wav(tmp_path / "a.wav", 50.0), tmp_path, allowed=("en",), margin=0.5, windows=3
    )
    assert guess is not None and guess.language == "en"
    assert evidence["rule"] == "allowed-within-margin" and evidence["mean"]["la"] == 0.4


def test_detect_language_robust_flags_a_foreign_lecture(tmp_path: Path) -> None:
    detector = _Detector([{"fr": 0.9, "en": 0.04}])
    guess, evidence = detect_language_robust(
        detector, _wav(tmp_path / "a.wav", 50.0), tmp_path, allowed=("en",), margin=0.5, windows=3
    )
    assert guess is not None and guess.language == "fr" and evidence["rule"] == "top-not-allowed"


def test_detect_language_robust_with_no_speech_returns_none(tmp_path: Path) -> None:
    detector = _Detector([None])
    guess, evidence = detect_language_robust(
        detector, _wav(tmp_path / "a.wav", 10.0), tmp_path, allowed=("en",), margin=0.5, windows=3
    )
    assert guess is None and evidence["rule"] == "no-speech"
