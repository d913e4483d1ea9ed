"""Speech recognition behind the Transcriber protocol; backends are picked by settings.

The backends live in asr_faster_whisper (default), asr_openai_whisper and asr_http; this module is what
the rest of the engine imports.
"""

from __future__ import annotations

from pathlib import Path

from ophin.adapters.asr_base import Transcriber, resolve_compute_type, resolve_device
from ophin.adapters.asr_cache import cached
from ophin.adapters.asr_faster_whisper import FasterWhisperTranscriber
from ophin.adapters.asr_http import OpenAICompatibleTranscriber, TranscriptionAPIError
from ophin.adapters.asr_openai_whisper import OpenAIWhisperTranscriber
from ophin.settings import AsrSettings

__all__ = [
    "FasterWhisperTranscriber",
    "OpenAICompatibleTranscriber",
    "OpenAIWhisperTranscriber",
    "Transcriber",
    "TranscriptionAPIError",
    "build_transcriber",
    "resolve_compute_type",
    "resolve_device",
]


def build_transcriber(params: AsrSettings, cache_dir: Path) -> Transcriber:
    """cache_dir: where model files are kept; asr.cache_dir (when set) keeps the answers (asr_cache.py)."""
    backend = _backend(params, cache_dir)
    return cached(backend, params.cache_dir, params.cache_write) if params.cache_dir else backend


def _backend(params: AsrSettings, cache_dir: Path) -> Transcriber:
    if params.backend == "openai-whisper":
        return OpenAIWhisperTranscriber(params, cache_dir=cache_dir)
    if params.backend == "openai-api":
        return OpenAICompatibleTranscriber(params)
    return FasterWhisperTranscriber(params, cache_dir)
