"""The oracle transcript: a corpus video's true narration in place of Whisper's, for an ablation.

`python -m eval.quality --transcripts oracle` runs the engine with every word heard right: each sentence of
the ground truth becomes one segment at its true times (words spread evenly over it, probability 1). The
figures it prints are what the engine does downstream of recognition; the distance from the ordinary run is
what recognition costs. Audio is matched to its video by the sha256 of the 16 kHz track the transcribe stage
extracts (the same ffmpeg call, made here on the bundled files), so no engine code knows of it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ophin.domain.ids import sha256_file
from ophin.domain.transcript import LanguageGuess, Segment, Transcript, Word
from ophin.stages.transcribe import SAMPLE_RATE  # the track the transcribe stage extracts


def true_segments(truth: dict[str, Any]) -> tuple[Segment, ...]:
    """One segment per narrated sentence of a lecture (its scenes) or footage (intro and spans)."""
    sentences = [s for scene in truth.get("scenes", ()) for s in scene["sentences"]]
    sentences += list(truth.get("intro", ()))
    sentences += [s for span in truth.get("spans", ()) for s in span["sentences"]]
    return tuple(_segment(s) for s in sorted(sentences, key=lambda s: s["start_s"]))


def _segment(sentence: dict[str, Any]) -> Segment:
    start, end, text = float(sentence["start_s"]), float(sentence["end_s"]), sentence["text"]
    tokens = text.split()
    step = (end - start) / max(len(tokens), 1)
    words = tuple(
        Word(round(start + i * step, 3), round(start + (i + 1) * step, 3), f" {t}", 1.0)
        for i, t in enumerate(tokens)
    )
    return Segment(start, end, text, words, avg_logprob=0.0, no_speech_prob=0.0, source="asr")


class OracleTranscriber:
    """Answers a corpus video's extracted audio with its true narration; refuses any other audio (an
    ablation that silently fell back to Whisper would measure nothing)."""

    name = "oracle/ground-truth"

    def __init__(self, by_sha: dict[str, tuple[Segment, ...]]) -> None:
        self.by_sha = by_sha
        self.params = None

    @classmethod
    def for_videos(cls, media: Any, videos: Iterable[tuple[Path, dict[str, Any]]]) -> OracleTranscriber:
        """media: the engine's FfmpegMedia; videos: (file, its ground-truth record)."""
        by_sha: dict[str, tuple[Segment, ...]] = {}
        with tempfile.TemporaryDirectory() as tmp:
            for n, (path, truth) in enumerate(videos):
                wav = media.extract_audio(path, Path(tmp) / f"{n}.wav", SAMPLE_RATE)
                by_sha[sha256_file(str(wav))] = true_segments(truth)
        return cls(by_sha)

    def transcribe(self, audio: Path, prompt: str | None = None) -> Transcript:
        segments = self._lookup(audio)
        end = segments[-1].end_s if segments else 0.0
        return Transcript(segments, "en", self.name, end, backend="oracle", language_probability=1.0)

    def detect_language(self, audio: Path) -> LanguageGuess | None:
        return LanguageGuess("en", 1.0) if self._lookup(audio) else None

    def _lookup(self, audio: Path) -> tuple[Segment, ...]:
        sha = sha256_file(str(audio))
        if sha not in self.by_sha:
            raise LookupError(f"oracle transcript: {audio} is not the audio of a corpus video (sha256 {sha})")
        return self.by_sha[sha]
