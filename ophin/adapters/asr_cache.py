"""A Transcriber's answers kept on disk, keyed by what determines them: the audio's sha256, the call
(transcribe, language detection), the prompt, the backend/model and its decoding settings.

Why: the same audio is decoded again whenever a corpus is re-run from scratch (a new home, a rebuilt database,
a test), and Whisper's int8 kernels answer differently on different CPUs (AVX2 / AVX-512 / VNNI): a folder of
answers makes a re-run cheap and the same on every machine. `asr.cache_dir` turns it on (subprocesses, the CLI
and Airflow workers read the same setting); `asr.cache_write` false only replays (a folder shipped with a
test suite), and an answer it lacks is decoded live. Each entry is one small JSON file, written atomically.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ophin.domain.transcript import LanguageGuess, Segment, Transcript, Word

log = logging.getLogger("ophin.adapters")
FORMAT = 1  # bump when the stored shape changes: old entries are then simply not found
# The settings a backend's answer depends on (asr.cache_* and the stage's own choices, such as windows and the
# bias prompt's making, are not: the prompt itself is in the key).
DECODING = (
    "backend", "model", "device", "compute_type", "language", "beam_size", "vad_filter", "cpu_threads",
    "batch_size", "batch_min_duration_s", "initial_prompt", "api_base_url",
)  # fmt: skip


class CachedTranscriber:
    """Wraps a Transcriber; every other attribute (name, params, model_path, ...) is the wrapped one's."""

    def __init__(self, inner: Any, folder: Path, write: bool = True) -> None:
        self.inner = inner
        self.folder = Path(folder)
        self.write = write
        self.hits = 0
        self.misses = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def transcribe(self, audio: Path, prompt: str | None = None) -> Transcript:
        return self._answer(
            self._key("transcribe", audio, prompt),
            lambda: self.inner.transcribe(audio, prompt),
            asdict,
            _transcript,
        )

    def detect_language(self, audio: Path) -> LanguageGuess | None:
        return self._answer(
            self._key("detect_language", audio),
            lambda: self.inner.detect_language(audio),
            lambda guess: {"guess": asdict(guess) if guess else None},
            lambda data: LanguageGuess(**data["guess"]) if data["guess"] else None,
        )

    def _answer(
        self,
        key: str,
        decode: Callable[[], Any],
        dump: Callable[[Any], dict[str, Any]],
        load: Callable[[dict[str, Any]], Any],
    ) -> Any:
        """The stored answer under key, else decode's, stored (when writing)."""
        stored = self._read(key)
        if stored is not None:
            return load(stored)
        out = decode()
        self._write(key, dump(out))
        return out

    def _key(self, call: str, audio: Path, prompt: str | None = None) -> str:
        params = getattr(self.inner, "params", None)
        settings = {name: getattr(params, name, None) for name in DECODING}
        h = hashlib.sha256()
        with open(audio, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        spec = {"format": FORMAT, "call": call, "model": self.inner.name, "prompt": prompt, "asr": settings}
        h.update(json.dumps(spec, sort_keys=True).encode())
        return h.hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def _read(self, key: str) -> dict[str, Any] | None:
        path = self._path(key)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            self.misses += 1
            return None
        except (OSError, ValueError) as exc:  # a torn or foreign file: decode again
            log.warning("asr cache: unreadable %s (%s): decoding again", path, exc)
            self.misses += 1
            return None
        self.hits += 1
        return data

    def _write(self, key: str, data: dict[str, Any]) -> None:
        if not self.write:
            return
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, separators=(",", ":"))
        os.replace(tmp, path)


class CachedDistributionTranscriber(CachedTranscriber):
    """The same, for a backend that also gives the language detector's whole distribution."""

    def language_probabilities(self, audio: Path) -> dict[str, float] | None:
        return self._answer(
            self._key("language_probabilities", audio),
            lambda: self.inner.language_probabilities(audio),
            lambda probabilities: {"probabilities": probabilities},
            lambda data: data["probabilities"],
        )


def cached(inner: Any, folder: Path, write: bool = True) -> CachedTranscriber:
    """inner behind the answer cache, keeping what it can do (a full language distribution or not)."""
    from ophin.adapters.asr_language import LanguageProbabilities

    kind = CachedDistributionTranscriber if isinstance(inner, LanguageProbabilities) else CachedTranscriber
    return kind(inner, folder, write)


def _transcript(data: dict[str, Any]) -> Transcript:
    segments = tuple(
        Segment(**{**s, "words": tuple(Word(**w) for w in s.get("words", ()))}) for s in data["segments"]
    )
    return Transcript(**{**data, "segments": segments})
