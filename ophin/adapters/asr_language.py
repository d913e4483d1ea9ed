"""The spoken language, decided over several windows of the audio with the allowed languages given a margin.

One 30 s window over room noise can tip Whisper's detector to an implausible language at low probability
(an English lecture read over noise heard as Latin at 0.3, English close behind): the whole lecture was then
dropped as foreign. Here the detector's full distribution is averaged over windows spread across the audio,
and an allowed language wins when it has at least `margin` times the top language's probability. A lecture
clearly in another language (French at 0.9, English at 0.02) is still seen as French. The evidence (each
window's top languages, the average, the rule that decided) is returned for the rows.
"""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ophin.adapters.asr_base import Transcriber
from ophin.domain.subtitles import language_base
from ophin.domain.transcript import LanguageGuess

WINDOW_S = 30.0  # Whisper's encoder window
TOP_K = 3  # languages per window kept in the evidence


@runtime_checkable
class LanguageProbabilities(Protocol):
    def language_probabilities(self, audio: Path) -> dict[str, float] | None: ...


def choose_language(
    probabilities: dict[str, float], allowed: tuple[str, ...], margin: float
) -> tuple[LanguageGuess, str]:
    """(the language, the rule that chose it) from an averaged distribution."""
    top = max(probabilities, key=probabilities.__getitem__)
    allowed_bases = {language_base(a) for a in allowed}
    if language_base(top) in allowed_bases:
        return LanguageGuess(top, probabilities[top]), "top"
    candidates = [lang for lang in probabilities if language_base(lang) in allowed_bases]
    if candidates:
        best = max(candidates, key=probabilities.__getitem__)
        if probabilities[best] >= margin * probabilities[top]:
            return LanguageGuess(best, probabilities[best]), "allowed-within-margin"
    return LanguageGuess(top, probabilities[top]), "top-not-allowed"


def window_starts(duration_s: float, count: int) -> list[float]:
    """Starts of up to `count` WINDOW_S windows spread evenly over the audio (one when it is short)."""
    if duration_s <= WINDOW_S or count <= 1:
        return [0.0]
    last = duration_s - WINDOW_S
    n = max(1, min(count, int(duration_s // WINDOW_S)))
    return [round(last * k / max(n - 1, 1), 3) for k in range(n)]


def _cut(source: Path, out: Path, start_s: float, length_s: float) -> Path:
    with wave.open(str(source)) as src, wave.open(str(out), "wb") as dst:
        dst.setparams(src.getparams())
        rate = src.getframerate()
        src.setpos(min(int(start_s * rate), src.getnframes()))
        dst.writeframes(src.readframes(int(length_s * rate)))
    return out


def detect_language_robust(
    transcriber: Transcriber,
    wav: Path,
    scratch: Path,
    *,
    allowed: tuple[str, ...],
    margin: float,
    windows: int,
) -> tuple[LanguageGuess | None, dict[str, Any]]:
    """(the spoken language, its evidence). Backends without a full distribution (an HTTP server) give
    their single guess, judged by the same rule."""
    with wave.open(str(wav)) as w:
        duration = w.getnframes() / w.getframerate()
    if not isinstance(transcriber, LanguageProbabilities):
        guess = transcriber.detect_language(wav)
        if guess is None:
            return None, {"rule": "no-speech"}
        chosen, rule = choose_language({guess.language: guess.probability or 1.0}, allowed, margin)
        return chosen, {"rule": rule, "windows": [], "mean": {guess.language: guess.probability}}
    seen: list[dict[str, Any]] = []
    total: dict[str, float] = {}
    for n, start in enumerate(window_starts(duration, windows)):
        chunk = _cut(wav, scratch / f"language-{n}.wav", start, WINDOW_S)
        try:
            probabilities = transcriber.language_probabilities(chunk)
        finally:
            chunk.unlink(missing_ok=True)
        if not probabilities:
            continue  # silence or noise the VAD removed entirely: no vote
        top = sorted(probabilities.items(), key=lambda kv: -kv[1])[:TOP_K]
        seen.append({"start_s": start, "top": [[lang, round(p, 4)] for lang, p in top]})
        for lang, p in probabilities.items():
            total[lang] = total.get(lang, 0.0) + p
    if not seen:
        return None, {"rule": "no-speech", "windows": []}
    mean = {lang: p / len(seen) for lang, p in total.items()}
    chosen, rule = choose_language(mean, allowed, margin)
    top_mean = sorted(mean.items(), key=lambda kv: -kv[1])[:TOP_K]
    evidence = {
        "rule": rule,
        "margin": margin,
        "windows": seen,
        "mean": {lang: round(p, 4) for lang, p in top_mean},
    }
    return chosen, evidence
