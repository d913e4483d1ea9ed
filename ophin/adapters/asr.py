"""Speech recognition behind the Transcriber protocol; backends are picked by settings."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from ophin.adapters.whisper_model import resolve_faster_whisper_model
from ophin.domain.transcript import Segment, Transcript, Word
from ophin.settings import AsrSettings


class Transcriber(Protocol):
    name: str  # backend/model, recorded as model_version on stage runs

    def transcribe(self, audio: Path) -> Transcript: ...


class FasterWhisperTranscriber:
    """CTranslate2 Whisper: ~4x faster than openai-whisper on CPU at equal accuracy, int8, word times, VAD."""

    def __init__(self, params: AsrSettings, cache_dir: Path) -> None:
        self.params = params
        self.model_path = resolve_faster_whisper_model(params.model, cache_dir)
        self.name = f"faster-whisper/{params.model}"
        self._model = None

    def _load(self):  # noqa: ANN202 - faster_whisper.WhisperModel, imported lazily (heavy)
        if self._model is None:
            from faster_whisper import WhisperModel

            p = self.params
            self._model = WhisperModel(
                self.model_path, device=p.device, compute_type=p.compute_type, cpu_threads=p.cpu_threads
            )
        return self._model

    def transcribe(self, audio: Path) -> Transcript:
        p = self.params
        segments, info = self._load().transcribe(
            str(audio),
            language=p.language,
            beam_size=p.beam_size,
            vad_filter=p.vad_filter,
            word_timestamps=True,
            condition_on_previous_text=False,
            initial_prompt=p.initial_prompt or None,
        )
        out = []
        for s in segments:  # a generator: decoding happens here
            # float(): CTranslate2 hands back numpy scalars, which neither JSON nor psycopg2 accept.
            words = tuple(
                Word(float(w.start), float(w.end), w.word.strip(), float(w.probability))
                for w in (s.words or ())
            )
            out.append(
                Segment(
                    float(s.start),
                    float(s.end),
                    s.text.strip(),
                    words,
                    float(s.avg_logprob),
                    float(s.no_speech_prob),
                )
            )
        return Transcript(tuple(out), info.language, self.name, float(info.duration))


class OpenAIWhisperTranscriber:
    """The reference openai-whisper implementation (torch); optional extra `openai-whisper`."""

    def __init__(self, params: AsrSettings, model: object | None = None) -> None:
        self.params = params
        self.name = f"openai-whisper/{params.model}"
        self._model = model

    def _load(self):  # noqa: ANN202
        if self._model is None:
            import whisper

            self._model = whisper.load_model(self.params.model, device=self.params.device)
        return self._model

    def transcribe(self, audio: Path) -> Transcript:
        result = self._load().transcribe(
            str(audio),
            language=self.params.language,
            word_timestamps=True,
            fp16=False,
            condition_on_previous_text=False,
            initial_prompt=self.params.initial_prompt or None,
        )
        out = []
        for s in result["segments"]:
            words = tuple(
                Word(w["start"], w["end"], w["word"].strip(), w.get("probability"))
                for w in s.get("words") or ()
            )
            out.append(
                Segment(
                    s["start"],
                    s["end"],
                    s["text"].strip(),
                    words,
                    s.get("avg_logprob"),
                    s.get("no_speech_prob"),
                )
            )
        return Transcript(tuple(out), result.get("language"), self.name)


def build_transcriber(params: AsrSettings, cache_dir: Path) -> Transcriber:
    if params.backend == "openai-whisper":
        return OpenAIWhisperTranscriber(params)
    return FasterWhisperTranscriber(params, cache_dir)
