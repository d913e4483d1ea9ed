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
import tenacity

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
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Retry),
            stop=tenacity.stop_after_attempt(self.params.api_max_retries + 1),
            wait=self._backoff,
            sleep=time.sleep,
            retry_error_callback=self._give_up,
        )
        response = retrying(self._post_once, form, data, filename)
        if response.status_code != 200:
            attempts = retrying.statistics["attempt_number"]
            raise TranscriptionAPIError(
                f"{self.url}: HTTP {response.status_code} after {attempts} attempt(s): {response.text[:300]}"
            )
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise TranscriptionAPIError(f"{self.url}: answer is not JSON: {response.text[:200]!r}") from exc
        if not isinstance(body, dict):
            raise TranscriptionAPIError(f"{self.url}: answer is {type(body).__name__}, not an object")
        return body

    def _post_once(self, form: dict[str, Any], data: bytes, filename: str) -> httpx.Response:
        """One request: a timeout, a refused connection or a retryable status is worth another try."""
        try:
            response = self._client.post(self.url, data=form, files={"file": (filename, data, "audio/wav")})
        except httpx.TransportError as exc:
            raise _Retry(f"{type(exc).__name__}: {exc}", None, None) from exc
        if response.status_code in RETRY_STATUSES:
            raise _Retry(str(response.status_code), response.headers.get("retry-after"), response)
        return response

    def _backoff(self, state: tenacity.RetryCallState) -> float:
        """The server's Retry-After (capped at a minute), else exponential from backoff_s."""
        why = state.outcome.exception() if state.outcome else None
        asked = parse_retry_after(why.retry_after) if isinstance(why, _Retry) else None
        retry = state.attempt_number
        delay = self.backoff_s * 2 ** (retry - 1) if asked is None else min(asked, 60.0)
        log.warning("transcription %s: %s, retry %d in %.1f s", self.url, why, retry, delay)
        return delay

    def _give_up(self, state: tenacity.RetryCallState) -> httpx.Response:
        """After the last attempt: a retryable status is answered as it came (and reported by the caller
        with the attempt count); a transport error is raised."""
        last = state.outcome.exception() if state.outcome else None
        if isinstance(last, _Retry) and last.response is not None:
            return last.response
        raise TranscriptionAPIError(f"{self.url}: {last}") from last


class _Retry(Exception):
    """A failed attempt worth another: what went wrong, the server's Retry-After, its response (if any)."""

    def __init__(self, why: str, retry_after: str | None, response: httpx.Response | None) -> None:
        super().__init__(why)
        self.retry_after = retry_after
        self.response = response


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
