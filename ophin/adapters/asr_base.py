"""What every speech-recognition backend shares: the Transcriber protocol and the choices made for it."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Protocol

from ophin.domain.transcript import LanguageGuess, Transcript
from ophin.settings import AsrSettings


class Transcriber(Protocol):
    name: str  # backend/model, recorded as model_version on stage runs

    def transcribe(self, audio: Path, prompt: str | None = None) -> Transcript:
        """`prompt`: the domain-biased prompt (asr_bias.py) for this audio; None: asr.initial_prompt."""
        ...

    def detect_language(self, audio: Path) -> LanguageGuess | None: ...


def resolve_device(device: str, gpu_count: int) -> str:
    """ "auto" means the GPU when there is one; anything else is taken as given."""
    if device == "auto":
        return "cuda" if gpu_count > 0 else "cpu"
    return device


def resolve_compute_type(compute_type: str, device: str) -> str:
    """ "auto": int8 on CPU (4x less memory traffic, same WER on base), float16 on GPU (tensor cores;
    int8 kernels there gain little and cost accuracy)."""
    if compute_type != "auto":
        return compute_type
    return "float16" if device.startswith("cuda") else "int8"


def prompt_hash(prompt: str) -> str | None:
    """The initial prompt shapes decoding; rows carry its hash, not the whole text."""
    return hashlib.sha256(prompt.encode()).hexdigest()[:12] if prompt else None


def language_params(params: AsrSettings, guess: LanguageGuess | None) -> dict[str, Any]:
    """How the decoding language was chosen, for asr_params."""
    if params.language:
        return {"language": params.language, "language_mode": "forced"}
    return {"language": guess.language if guess else None, "language_mode": "detected"}
