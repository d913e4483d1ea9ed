"""An OpenAI-compatible transcription server (POST {base_url}/audio/transcriptions) as a Transcriber.

Why httpx and not the openai client: the client hides the retry decision and the raw body, and we want
both (retry on 429/5xx only, and name the field a malformed answer lacks). Speaches, vLLM, LocalAI,
whisper.cpp's server and OpenAI itself all speak this protocol.
"""

from __future__ import annotations

import io
import json
import logging
import time
import wave
from pathlib import Path
from typing import Any

import httpx

from ophin.adapters.asr_base import language_params, prompt_hash
from ophin.adapters.retry_after import parse_retry_after
from ophin.domain.transcript import LanguageGuess, Segment, Transcript, Word
from ophin.settings import AsrSettings

log = logging.getLogger("ophin.adapters")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
DETECTION_WINDOW_S = 30.0  # one Whisper window: what a server's language detector looks at anyway
# OpenAI answers "english"; other servers answer "en". Rows store codes.
_LANGUAGE_CODES = {
    "english": "en", "french": "fr", "german": "de", "spanish": "es", "italian": "it", "portuguese": "pt",
    "dutch": "nl", "russian": "ru", "chinese": "zh", "japanese": "ja", "korean": "ko", "arabic": "ar",
    "hindi": "hi", "turkish": "tr", "polish": "pl", "swedish": "sv", "greek": "el", "czech": "cs",
}  # fmt: skip


class TranscriptionAPIError(RuntimeError):
    """The server refused the request, kept failing past the retries, or answered something malformed."""


def language_code(name: str | None) -> str | None:
    if not name:
        return None
    return _LANGUAGE_CODES.get(name.strip().lower(), name.strip().lower())[:16]


class OpenAICompatibleTranscriber:
    backend = "openai-api"

    def __init__(
        self, params: AsrSettings, client: httpx.Client | None = None, backoff_s: float = 1.0
    ) -> None:
        if not params.api_base_url:
            raise ValueError("asr.backend=openai-api needs asr.api_base_url (e.g. http://host:8000/v1)")
        self.params = params
        self.name = f"openai-api/{params.model}"
        self.url = params.api_base_url.rstrip("/") + "/audio/transcriptions"
        headers = {"Authorization": f"Bearer {params.api_key}"} if params.api_key else {}
        self._client = client or httpx.Client(timeout=params.api_timeout_s, headers=headers)
        self.backoff_s = backoff_s

    def detect_language(self, audio: Path) -> LanguageGuess | None:
        """The protocol has no detection call: the first window, sent with no language, is answered
        with the language the server heard (OpenAI gives no probability)."""
        body = self._post(_head_wav(audio, DETECTION_WINDOW_S), audio.name, language=None, prompt="")
        code = language_code(_field(body, "language", str, required=False))
        return LanguageGuess(code, None) if code else None

    def transcribe(self, audio: Path, prompt: str | None = None) -> Transcript:
        """`prompt`: the domain-biased prompt (asr_bias.py) instead of asr.initial_prompt."""
        p = self.params
        guess = self.detect_language(audio) if p.language else None
        text = prompt if prompt is not None else p.initial_prompt
        body = self._post(audio.read_bytes(), audio.name, language=p.language, prompt=text)
        segments = parse_verbose_json(body)
        if guess is None:
            code = language_code(_field(body, "language", str, required=False))
            guess = LanguageGuess(code, None) if code else None
        duration = _field(body, "duration", (int, float), required=False)
        return Transcript(
            segments,
            guess.language if guess else None,
            self.name,
            float(duration) if duration is not None else None,
            backend=self.backend,
            params={
                "model": p.model,
                "endpoint": self.url,
                "beam_size": None,  # the server's choice: not part of the protocol
                "vad": None,
                "batch_size": None,
                "prompt_hash": prompt_hash(text),
                "bias": prompt is not None,
                **language_params(p, guess),
            },
            language_probability=guess.probability if guess else None,
        )

    def _post(self, data: bytes, filename: str, *, language: str | None, prompt: str) -> dict[str, Any]:
        form: dict[str, str | list[str]] = {
            "model": self.params.model,
            "response_format": "verbose_json",
            "timestamp_granularities[]": ["word", "segment"],
        }
        if language:
            form["language"] = language
        if prompt:
            form["prompt"] = prompt
        attempts = self.params.api_max_retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = self._client.post(
                    self.url, data=form, files={"file": (filename, data, "audio/wav")}
                )
            except httpx.TransportError as exc:  # timeouts, refused connections: worth another try
                if last:
                    raise TranscriptionAPIError(f"{self.url}: {type(exc).__name__}: {exc}") from exc
                self._wait(attempt, None, type(exc).__name__)
                continue
            if response.status_code in RETRY_STATUSES and not last:
                self._wait(attempt, response.headers.get("retry-after"), str(response.status_code))
                continue
            if response.status_code != 200:
                raise TranscriptionAPIError(
                    f"{self.url}: HTTP {response.status_code} after {attempt + 1} attempt(s): "
                    f"{response.text[:300]}"
                )
            try:
                body = response.json()
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise TranscriptionAPIError(
                    f"{self.url}: answer is not JSON: {response.text[:200]!r}"
                ) from exc
            if not isinstance(body, dict):
                raise TranscriptionAPIError(f"{self.url}: answer is {type(body).__name__}, not an object")
            return body
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, attempt: int, retry_after: str | None, why: str) -> None:
        asked = parse_retry_after(retry_after)
        delay = self.backoff_s * 2**attempt if asked is None else min(asked, 60.0)
        log.warning("transcription %s: %s, retry %d in %.1f s", self.url, why, attempt + 1, delay)
        time.sleep(delay)


def parse_verbose_json(body: dict[str, Any]) -> tuple[Segment, ...]:
    """verbose_json -> segments, the top-level words attached to the segment their midpoint falls in."""
    raw_segments = _field(body, "segments", list)
    raw_words = _field(body, "words", list, required=False) or []
    words = []
    for i, w in enumerate(raw_words):
        if not isinstance(w, dict):
            raise TranscriptionAPIError(f"words[{i}] is not an object")
        words.append(
            Word(
                float(_field(w, "start", (int, float))),
                float(_field(w, "end", (int, float))),
                str(_field(w, "word", str)).strip(),
            )
        )
    out = []
    for i, s in enumerate(raw_segments):
        if not isinstance(s, dict):
            raise TranscriptionAPIError(f"segments[{i}] is not an object")
        start, end = float(_field(s, "start", (int, float))), float(_field(s, "end", (int, float)))
        if end < start:
            raise TranscriptionAPIError(f"segments[{i}] ends ({end}) before it starts ({start})")
        mine = tuple(w for w in words if start <= (w.start_s + w.end_s) / 2 < end or w.start_s == start)
        logprob, no_speech = s.get("avg_logprob"), s.get("no_speech_prob")
        out.append(
            Segment(
                start,
                end,
                str(_field(s, "text", str)).strip(),
                mine,
                float(logprob) if isinstance(logprob, int | float) else None,
                float(no_speech) if isinstance(no_speech, int | float) else None,
            )
        )
    return tuple(out)


def _field(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], required: bool = True) -> Any:
    value = obj.get(key)
    if value is None and not required:
        return None
    if value is None or not isinstance(value, kind) or isinstance(value, bool):
        raise TranscriptionAPIError(f"malformed transcription: {key!r} is {value!r}")
    return value


def _head_wav(audio: Path, seconds: float) -> bytes:
    """The first seconds of a PCM WAV, as a WAV (the stage hands Transcribers 16 kHz mono PCM)."""
    with wave.open(str(audio), "rb") as src:
        frames = src.readframes(int(src.getframerate() * seconds))
        out = io.BytesIO()
        with wave.open(out, "wb") as dst:
            dst.setnchannels(src.getnchannels())
            dst.setsampwidth(src.getsampwidth())
            dst.setframerate(src.getframerate())
            dst.writeframes(frames)
    return out.getvalue()
