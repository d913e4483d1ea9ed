"""What a Transcriber returns: timed segments, with words where the backend gives them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Word:
    start_s: float
    end_s: float
    text: str
    probability: float | None = None


@dataclass(frozen=True)
class Segment:
    start_s: float
    end_s: float
    text: str
    words: tuple[Word, ...] = ()
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    source: str = "asr"  # asr | subtitles: a merged transcript mixes both


@dataclass(frozen=True)
class LanguageGuess:
    """The spoken language as detected from the audio, with the detector's probability."""

    language: str
    probability: float | None = None


@dataclass(frozen=True)
class Transcript:
    segments: tuple[Segment, ...]
    language: str | None
    model: str  # backend + model name, stored on every segment row
    duration_s: float | None = None
    extra: dict[str, float] = field(default_factory=dict)
    backend: str = ""  # faster-whisper | openai-whisper | openai-api | subtitles
    # How it was made (model, device, compute type, beam, VAD, batch, language forced or detected,
    # prompt hash, or the caption track): stored on every segment row, so a row explains itself.
    params: dict[str, Any] = field(default_factory=dict)
    language_probability: float | None = None
